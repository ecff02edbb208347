//! `GET /status?user=&source=&include=apps,tasks`: the runtime view — the hydration
//! queue and, for a user, each rendered app with its version and architectures.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chrono::Utc;
use market_model::{Envelope, ErrorBody, SourceId};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::IntoParams;

use super::error::{ApiError, Query};
use super::openapi;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct StatusQuery {
    /// List this user's rendered apps.
    user: Option<String>,
    /// Only this source's apps.
    source: Option<String>,
    /// Comma-separated parts: `apps`, `tasks` (all when empty).
    #[serde(default)]
    include: String,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/status", get(status))
}

/// The runtime view: the hydration queue and, for a user, each rendered app.
#[utoipa::path(get, path = "/status", tag = "runtime", params(StatusQuery),
    responses(
        (status = 200, body = Envelope<openapi::Status>),
        (status = 400, description = "An invalid source", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody), (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn status(
    State(state): State<AppState>,
    Query(q): Query<StatusQuery>,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    let include: Vec<&str> = q
        .include
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let wants = |part: &str| include.is_empty() || include.contains(&part);
    let mut out = json!({ "last_update": Utc::now() });
    if wants("tasks") {
        out["tasks"] = json!({ "queue": state.store.queue_counts().await? });
    }
    if wants("apps")
        && let Some(user) = q.user.as_deref().filter(|u| !u.is_empty())
    {
        let source = match q.source.as_deref().filter(|s| !s.is_empty()) {
            Some(s) => {
                Some(SourceId::parse(s).map_err(|e| ApiError::BadRequest(format!("source: {e}")))?)
            }
            None => None,
        };
        let apps: Vec<Value> = state
            .store
            .apps(user, source.as_ref())
            .await?
            .into_iter()
            .map(|r| {
                json!({
                    "app_id": r.app_id, "app_name": r.app_name, "user_id": r.user,
                    "source_id": r.source, "version": r.version, "state": "ready",
                    "support_arch": r.support_arch, "last_update": r.updated_at,
                })
            })
            .collect();
        out["apps"] = Value::Array(apps);
    }
    Ok(axum::Json(Envelope::ok(out)))
}
