//! `GET /images?imageName=REF`: what image analysis knows of one image (`{image_info}`),
//! from the store's cache; the reference is normalized first, as analysis keys it.

use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use market_model::Envelope;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use crate::registry::ImageRef;
use crate::state::AppState;

#[derive(Deserialize)]
struct ImageQuery {
    #[serde(rename = "imageName")]
    image_name: String,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/images", get(image))
}

async fn image(
    State(state): State<AppState>,
    Query(q): Query<ImageQuery>,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    let reference = ImageRef::parse(&q.image_name)
        .map_err(|e| ApiError::BadRequest(format!("imageName: {e}")))?;
    let cached = state
        .store
        .image_cache_get(&reference.to_string())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("{reference} has not been analysed")))?;
    Ok(axum::Json(Envelope::ok(
        json!({ "image_info": cached.info }),
    )))
}
