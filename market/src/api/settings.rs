//! `GET/POST /settings/market-source`, `DELETE /settings/market-source/{id}` (DESIGN.md
//! §5.2: at most one active remote source, a second one is 409 `active_remote_exists`),
//! and `GET/PUT /settings/market-settings` (one JSON document). A source change is
//! pushed to chart-repo at once and wakes the catalog syncer (which pushes every source
//! again on its round, so a failed push here heals). Each route needs a caller
//! (`X-Bfl-User`, set by the trusted ingress); in public mode only the `GET`s answer.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get};
use chrono::{DateTime, Utc};
use market_model::{Envelope, MarketSource, SourceId, SourceType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use utoipa::ToSchema;

use super::error::{ApiError, Json};
use super::identity::Caller;
use super::openapi;
use crate::state::AppState;
use crate::store::{ONE_ACTIVE_REMOTE, SettingKey, StoreError};

/// The code of the one-active-remote rule.
pub const ACTIVE_REMOTE_EXISTS: &str = "active_remote_exists";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/settings/market-source", get(list).post(put))
        .route("/settings/market-source/{id}", delete(remove))
        .route(
            "/settings/market-settings",
            get(get_settings).put(put_settings),
        )
}

/// Olares' `MarketSourcesConfig`.
#[derive(Serialize, ToSchema)]
pub struct SourcesConfig {
    sources: Vec<MarketSource>,
    default_source: String,
    updated_at: DateTime<Utc>,
}

/// The market sources, by priority, and the default one (the active remote, else the
/// first active).
#[utoipa::path(get, path = "/settings/market-source", tag = "settings", security(("bfl_user" = [])),
    responses(
        (status = 200, body = openapi::Envelope<SourcesConfig>),
        (status = 401, body = openapi::ErrorBody),
        (status = 503, description = "The store is unavailable", body = openapi::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<axum::Json<Envelope<SourcesConfig>>, ApiError> {
    let sources = state.store.sources().await?;
    let default_source = sources
        .iter()
        .find(|s| s.is_active_remote())
        .or_else(|| sources.iter().find(|s| s.is_active))
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

/// One source as posted; `updated_at` is ours.
#[derive(Deserialize, ToSchema)]
pub struct SourceInput {
    id: String,
    name: String,
    #[serde(rename = "type")]
    kind: SourceType,
    #[serde(default)]
    base_url: String,
    #[serde(default)]
    priority: i32,
    #[serde(default)]
    is_active: bool,
    #[serde(default)]
    description: String,
}

/// Creates or replaces one source (by `id`) and pushes it to chart-repo; the catalog
/// syncs at once. At most one remote source may be active.
#[utoipa::path(post, path = "/settings/market-source", tag = "settings", security(("bfl_user" = [])),
    request_body = SourceInput,
    responses(
        (status = 200, body = openapi::Envelope<MarketSource>),
        (status = 400, description = "An invalid id, or a remote source without an http(s) `base_url`", body = openapi::ErrorBody),
        (status = 401, body = openapi::ErrorBody),
        (status = 403, description = "Public mode", body = openapi::ErrorBody),
        (status = 409, description = "`active_remote_exists`: another remote source is active", body = openapi::ErrorBody),
        (status = 503, description = "The store is unavailable", body = openapi::ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    _caller: Caller,
    Json(input): Json<SourceInput>,
) -> Result<axum::Json<Envelope<MarketSource>>, ApiError> {
    let id = SourceId::parse(&input.id).map_err(|e| ApiError::BadRequest(format!("id: {e}")))?;
    if input.kind == SourceType::Remote {
        let url = url::Url::parse(&input.base_url)
            .map_err(|e| ApiError::BadRequest(format!("base_url: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(ApiError::BadRequest(
                "base_url: must be an http:// or https:// URL".into(),
            ));
        }
    }
    let source = MarketSource {
        id,
        name: input.name,
        kind: input.kind,
        base_url: input.base_url,
        priority: input.priority,
        is_active: input.is_active,
        description: input.description,
        updated_at: Utc::now(),
    };
    match state.store.put_source(&source).await {
        Err(StoreError::Conflict(m)) if m == ONE_ACTIVE_REMOTE => {
            return Err(ApiError::ConflictCode {
                code: ACTIVE_REMOTE_EXISTS,
                message: m,
            });
        }
        other => other?,
    }
    if let Err(e) = state.chart_repo.put_source(&source).await {
        tracing::warn!(source = %source.id, error = %e, "pushing the source to chart-repo failed; the syncer retries");
    }
    state.signals.source_changed();
    Ok(axum::Json(Envelope::ok(source)))
}

/// Removes one source, here and in chart-repo (its apps go with it).
#[utoipa::path(delete, path = "/settings/market-source/{id}", tag = "settings", security(("bfl_user" = [])),
    params(("id" = String, Path, description = "The source id")),
    responses(
        (status = 200, body = openapi::Envelope<Object>),
        (status = 400, description = "An invalid id", body = openapi::ErrorBody),
        (status = 401, body = openapi::ErrorBody),
        (status = 403, description = "Public mode", body = openapi::ErrorBody),
        (status = 404, description = "No such source", body = openapi::ErrorBody),
        (status = 502, description = "chart-repo did not answer", body = openapi::ErrorBody),
        (status = 503, description = "The store is unavailable", body = openapi::ErrorBody)))]
pub async fn remove(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    let id = SourceId::parse(&id).map_err(|e| ApiError::BadRequest(format!("id: {e}")))?;
    if !state.store.delete_source(&id).await? {
        return Err(ApiError::NotFound(format!(
            "market source {id} is not known"
        )));
    }
    state.chart_repo.delete_source(&id).await?;
    state.signals.source_changed();
    Ok(axum::Json(Envelope::ok(Value::Null)))
}

/// The market settings document (`{}` until one is stored).
#[utoipa::path(get, path = "/settings/market-settings", tag = "settings", security(("bfl_user" = [])),
    responses(
        (status = 200, body = openapi::Envelope<Object>),
        (status = 401, body = openapi::ErrorBody),
        (status = 503, description = "The store is unavailable", body = openapi::ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    let doc = state
        .store
        .setting(SettingKey::MarketSettings)
        .await?
        .unwrap_or_else(|| Value::Object(Default::default()));
    Ok(axum::Json(Envelope::ok(doc)))
}

/// Replaces the market settings document (any JSON object).
#[utoipa::path(put, path = "/settings/market-settings", tag = "settings", security(("bfl_user" = [])),
    request_body = Object,
    responses(
        (status = 200, body = openapi::Envelope<Object>),
        (status = 400, description = "Not a JSON object", body = openapi::ErrorBody),
        (status = 401, body = openapi::ErrorBody),
        (status = 403, description = "Public mode", body = openapi::ErrorBody),
        (status = 503, description = "The store is unavailable", body = openapi::ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    _caller: Caller,
    Json(doc): Json<Value>,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    if !doc.is_object() {
        return Err(ApiError::BadRequest(
            "market settings must be a JSON object".into(),
        ));
    }
    state
        .store
        .put_setting(SettingKey::MarketSettings, &doc)
        .await?;
    Ok(axum::Json(Envelope::ok(doc)))
}
