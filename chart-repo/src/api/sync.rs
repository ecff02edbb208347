//! `POST /dcr/sync-app`: queue one hydration and wait for it, bounded. A render failure
//! answers `success: false` with the step and reason (never a 5xx); a hydration still
//! running when the wait ends answers 202 with its job, and asking again joins it.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use market_model::protocol::app_id;
use market_model::sync::{SyncAppData, SyncAppRequest, SyncFailure};
use market_model::{Envelope, ErrorBody};
use serde_json::json;

use super::error::{ApiError, Json};
use super::openapi;
use crate::hydrator::worker::SubmitError;
use crate::state::AppState;
use crate::store::{HydrationJob, JobState};

/// How long a sync waits for its hydration before answering 202.
const SYNC_WAIT: Duration = Duration::from_secs(45);

pub fn routes() -> Router<AppState> {
    Router::new().route("/dcr/sync-app", post(sync_app))
}

/// Queues one hydration (deduplicated by user, source, app, version) and waits for it,
/// bounded: 200 when done or failed for good (`success: false`, `code: render_failed`),
/// 202 while it still runs.
#[utoipa::path(post, path = "/dcr/sync-app", tag = "hydration",
    request_body = SyncAppRequest,
    responses(
        (status = 200, description = "Done, or failed for good", body = openapi::SyncAnswer),
        (status = 202, description = "Still running; ask again to join it", body = Envelope<openapi::SyncPending>),
        (status = 400, description = "A malformed body, or a user, source, app or version that cannot be a path component", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody), (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn sync_app(
    State(state): State<AppState>,
    Json(request): Json<SyncAppRequest>,
) -> Result<Response, ApiError> {
    let id = state.hydrator.submit(&request).await.map_err(|e| match e {
        SubmitError::BadRequest(m) => ApiError::BadRequest(m),
        SubmitError::Store(e) => ApiError::Store(e),
    })?;
    let job = state
        .hydrator
        .wait(id, SYNC_WAIT)
        .await?
        .ok_or_else(|| ApiError::Internal(format!("hydration job {id} vanished")))?;
    Ok(answer(&job))
}

fn answer(job: &HydrationJob) -> Response {
    match job.state {
        JobState::Done => match job
            .result
            .clone()
            .map(serde_json::from_value::<SyncAppData>)
        {
            Some(Ok(data)) => axum::Json(Envelope::ok(data)).into_response(),
            _ => ApiError::Internal(format!("job {} finished without a result", job.id))
                .into_response(),
        },
        JobState::Failed => {
            let failure = job.last_failure.as_ref();
            let data = SyncFailure {
                app_id: app_id(&job.key.app),
                user_id: job.key.user.clone(),
                source_id: job.key.source.to_string(),
                version: job.key.version.clone(),
                failure_step: failure.map(|f| f.step.clone()).unwrap_or_default(),
                failure_reason: failure.map(|f| f.reason.clone()).unwrap_or_default(),
                retryable: false,
            };
            let message = format!(
                "hydration failed at {}: {}",
                data.failure_step, data.failure_reason
            );
            let mut body = ErrorBody::new("render_failed", message);
            body.data = serde_json::to_value(&data).ok();
            (StatusCode::OK, axum::Json(body)).into_response()
        }
        JobState::Pending | JobState::Leased => {
            let body = Envelope {
                success: true,
                message: "hydration in progress; ask again to wait for it".into(),
                data: json!({
                    "job_id": job.id,
                    "state": job.state,
                    "attempts": job.attempts,
                    "last_failure": job.last_failure,
                }),
            };
            (StatusCode::ACCEPTED, axum::Json(body)).into_response()
        }
    }
}
