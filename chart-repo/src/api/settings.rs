//! `GET/POST /settings/market-source`, `DELETE /settings/market-source/{id}`: the market
//! sources the repository knows (market pushes them; remote ones give the base URL the
//! SourceChart step downloads from).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use chrono::Utc;
use market_model::{Envelope, MarketSource, SourceId};
use serde::Serialize;

use super::error::{ApiError, Json};
use crate::state::AppState;

#[derive(Serialize)]
struct SourcesConfig {
    sources: Vec<MarketSource>,
    default_source: String,
    updated_at: chrono::DateTime<Utc>,
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/market-source", get(list).post(put))
        .route("/settings/market-source/{id}", delete(remove))
}

async fn list(
    State(state): State<AppState>,
) -> Result<axum::Json<Envelope<SourcesConfig>>, ApiError> {
    let sources = state.store.sources().await?;
    let default_source = sources
        .iter()
        .find(|s| s.is_active_remote())
        .map(|s| s.id.to_string())
        .unwrap_or_default();
    let updated_at = sources
        .iter()
        .map(|s| s.updated_at)
        .max()
        .unwrap_or_else(Utc::now);
    Ok(axum::Json(Envelope::ok(SourcesConfig {
        sources,
        default_source,
        updated_at,
    })))
}

async fn put(
    State(state): State<AppState>,
    Json(source): Json<MarketSource>,
) -> Result<axum::Json<Envelope<MarketSource>>, ApiError> {
    state.store.put_source(&source).await?;
    Ok(axum::Json(Envelope::ok(source)))
}

async fn remove(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<axum::Json<Envelope<()>>, ApiError> {
    let id = SourceId::parse(&id).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if !state.store.delete_source(&id).await? {
        return Err(ApiError::NotFound(format!(
            "market source {id} is not known"
        )));
    }
    Ok(axum::Json(Envelope::ok(())))
}
