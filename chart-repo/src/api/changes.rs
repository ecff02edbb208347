//! `GET /state-changes?after_id=N&limit=L`: the feed market follows with a cursor. A
//! cursor older than retention answers 410 with `{oldest_id, latest_id}`, so the client
//! resyncs instead of silently skipping changes.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use market_model::StateChangesPage;
use market_model::state_change::STATE_CHANGES_MAX_LIMIT;
use market_model::{Envelope, ErrorBody};
use serde::Deserialize;
use utoipa::IntoParams;

use super::error::{ApiError, Query};
use super::openapi;
use crate::state::AppState;

/// The page size when `limit` is not given.
const DEFAULT_LIMIT: u32 = 100;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Cursor {
    /// Changes with a larger id; 0 (the default) for all retained ones.
    #[serde(default)]
    after_id: i64,
    /// Page size, 100 by default, clamped to 1..=1000.
    limit: Option<u32>,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/state-changes", get(state_changes))
}

/// The changes after `after_id`, oldest first.
#[utoipa::path(get, path = "/state-changes", tag = "hydration", params(Cursor),
    responses(
        (status = 200, body = Envelope<StateChangesPage>),
        (status = 400, description = "A malformed or negative cursor", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody),
        (status = 410, description = "The cursor is older than retention: resync", body = openapi::CursorExpired),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn state_changes(
    State(state): State<AppState>,
    Query(cursor): Query<Cursor>,
) -> Result<Response, ApiError> {
    if cursor.after_id < 0 {
        return Err(ApiError::BadRequest("after_id must be 0 or more".into()));
    }
    let limit = cursor
        .limit
        .unwrap_or(DEFAULT_LIMIT)
        .clamp(1, STATE_CHANGES_MAX_LIMIT);
    match state.store.state_changes(cursor.after_id, limit).await? {
        Ok(page) => Ok(axum::Json(Envelope::ok(page)).into_response()),
        Err(gone) => {
            let message = format!(
                "after_id {} is older than the retained changes (oldest {}); resync",
                cursor.after_id, gone.oldest_id
            );
            let mut body = ErrorBody::new("cursor_expired", message);
            body.data = serde_json::to_value(gone).ok();
            Ok((StatusCode::GONE, axum::Json(body)).into_response())
        }
    }
}
