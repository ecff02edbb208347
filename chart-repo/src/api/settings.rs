//! `GET/POST /settings/market-source`, `DELETE /settings/market-source/{id}`: the market
//! sources the repository knows (market pushes them; remote ones give the base URL the
//! SourceChart step downloads from).

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use chrono::Utc;
use market_model::{Envelope, ErrorBody, MarketSource, SourceId};
use serde::Serialize;
use utoipa::ToSchema;

use super::error::{ApiError, Json};
use super::openapi;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
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

/// The market sources the repository knows.
#[utoipa::path(get, path = "/settings/market-source", tag = "settings",
    responses((status = 200, body = Envelope<SourcesConfig>), (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody), (status = 503, description = "The store is unavailable", body = ErrorBody)))]
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

/// Adds or replaces one market source (remote ones give the base URL charts come from).
#[utoipa::path(post, path = "/settings/market-source", tag = "settings", request_body = MarketSource,
    responses(
        (status = 200, body = Envelope<MarketSource>),
        (status = 400, description = "A malformed body", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody),
        (status = 409, description = "A second active remote source", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn put(
    State(state): State<AppState>,
    Json(source): Json<MarketSource>,
) -> Result<axum::Json<Envelope<MarketSource>>, ApiError> {
    state.store.put_source(&source).await?;
    Ok(axum::Json(Envelope::ok(source)))
}

#[utoipa::path(delete, path = "/settings/market-source/{id}", tag = "settings",
    params(("id" = String, Path, description = "The source id")),
    responses(
        (status = 200, body = openapi::Done),
        (status = 400, description = "An invalid source id", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody),
        (status = 404, description = "No such source", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
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
