//! `GET /images?imageName=REF`: what image analysis knows of one image (`{image_info}`),
//! from the store's cache; the reference is normalized first, as analysis keys it.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use market_model::{Envelope, ErrorBody};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::error::{ApiError, Query};
use super::openapi;
use crate::registry::ImageRef;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ImageQuery {
    /// An image reference (`nginx`, `docker.io/library/nginx:1.25`, …).
    #[serde(rename = "imageName")]
    image_name: String,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/images", get(image))
}

/// What image analysis knows of one image.
#[utoipa::path(get, path = "/images", tag = "runtime", params(ImageQuery),
    responses(
        (status = 200, body = Envelope<openapi::ImageAnswer>),
        (status = 400, description = "`imageName` is missing or not an image reference", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody),
        (status = 404, description = "Never analysed", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
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
