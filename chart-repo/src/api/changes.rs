//! `GET /state-changes?after_id=N&limit=L`: the feed market follows with a cursor. A
//! cursor older than retention answers 410 with `{oldest_id, latest_id}`, so the client
//! resyncs instead of silently skipping changes.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use market_model::state_change::STATE_CHANGES_MAX_LIMIT;
use market_model::{Envelope, ErrorBody};
use serde::Deserialize;

use super::error::{ApiError, Query};
use crate::state::AppState;

/// The page size when `limit` is not given.
const DEFAULT_LIMIT: u32 = 100;

#[derive(Deserialize)]
struct Cursor {
    #[serde(default)]
    after_id: i64,
    limit: Option<u32>,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/state-changes", get(state_changes))
}

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
