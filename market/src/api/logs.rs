//! `GET /logs`: the caller's history (Olares' `queryLogs`): the history
//! table's rows of the caller's tasks (one when each attempt starts, one when
//! the task ends), oldest first. Never another user's.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use market_model::Envelope;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Json, Query};
use super::identity::Caller;
use super::openapi;
use crate::state::AppState;
use crate::store::HistoryRecord;

/// How many history rows `/logs` reads at most (the newest ones).
const SCAN_LIMIT: u32 = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new().route("/logs", get(logs))
}

/// Olares' query parameters of `/logs`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogQuery {
    /// Offset (default 0).
    pub start: Option<usize>,
    /// Page size, 1..=1000 (default 100).
    pub size: Option<usize>,
    /// Only records of this type (the task kind: install, uninstall, …).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Only records of this app.
    pub app: Option<String>,
    /// Unix seconds, inclusive.
    pub start_time: Option<i64>,
    /// Unix seconds, inclusive.
    pub end_time: Option<i64>,
}

/// Olares' `/logs` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogPage {
    pub records: Vec<LogRecord>,
    pub total_count: usize,
    pub start: usize,
    pub size: usize,
    pub requested_size: usize,
}

/// One record (Olares' `HistoryRecord`).
#[derive(Debug, Serialize, ToSchema)]
pub struct LogRecord {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    /// Unix seconds.
    pub time: i64,
    pub app: String,
    pub account: String,
    /// `{task_id, status, attempt, version, source, op_id, error}` as JSON text.
    pub extended: String,
}

/// The caller's history, filtered and paged.
#[utoipa::path(get, path = "/logs", tag = "runtime", security(("bfl_user" = [])),
    params(LogQuery),
    responses(
        (status = 200, body = openapi::Envelope<LogPage>),
        (status = 400, body = openapi::ErrorBody),
        (status = 401, body = openapi::ErrorBody),
    ))]
pub async fn logs(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<LogQuery>,
) -> Result<Json<Envelope<LogPage>>, ApiError> {
    let size = q.size.unwrap_or(100);
    if !(1..=1000).contains(&size) {
        return Err(ApiError::BadRequest(
            "size: must be between 1 and 1000".into(),
        ));
    }
    let start = q.start.unwrap_or(0);
    let rows = state.store.history(caller.name(), SCAN_LIMIT).await?;
    let matching: Vec<LogRecord> = rows
        .into_iter()
        .map(record)
        .filter(|r| q.kind.as_deref().is_none_or(|k| k == r.kind))
        .filter(|r| q.app.as_deref().is_none_or(|a| a == r.app))
        .filter(|r| q.start_time.is_none_or(|t| r.time >= t))
        .filter(|r| q.end_time.is_none_or(|t| r.time <= t))
        .collect();
    let total_count = matching.len();
    let records: Vec<LogRecord> = matching.into_iter().skip(start).take(size).collect();
    Ok(Json(Envelope::ok(LogPage {
        size: records.len(),
        records,
        total_count,
        start,
        requested_size: size,
    })))
}

fn record(row: HistoryRecord) -> LogRecord {
    LogRecord {
        id: row.id,
        kind: row.kind,
        message: row.message,
        time: row.at.timestamp(),
        app: row.app,
        account: row.user,
        extended: row.extended.to_string(),
    }
}
