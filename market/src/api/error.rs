//! The market's one API error: a single `match` maps each case to its status and
//! stable code, and the body is the Olares envelope with the code beside the
//! message (STYLE.md §4). Internal details are logged once here and never sent.
//! Extractor rejections go through [`Json`] and [`Query`], so they get the same body.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use market_model::ErrorBody;
use serde::Serialize;

use crate::chart_repo::ChartRepoError;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Bad input: what is wrong and where.
    #[error("{0}")]
    BadRequest(String),
    /// No `X-Bfl-User` (and not in public mode).
    #[error("the X-Bfl-User header is required")]
    Unauthorized,
    /// A write in public mode (read-only catalog).
    #[error("the market runs in public mode: only GET requests are allowed")]
    ReadOnly,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// A conflict with its own stable code (e.g. `active_remote_exists`).
    #[error("{message}")]
    ConflictCode { code: &'static str, message: String },
    /// chart-repo did not answer as it should.
    #[error(transparent)]
    ChartRepo(#[from] ChartRepoError),
    /// chart-repo refused what the caller sent it (an upload, a delete): its status and
    /// code passed on, so the caller reads chart-repo's reason (`invalid_chart`, …).
    #[error("{message}")]
    Refused {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
    /// A request body over its cap (bytes).
    #[error("the body is larger than {0} bytes")]
    TooLarge(u64),
    /// No rendered app of that name (and version) for the caller.
    #[error("{0}")]
    AppNotFound(String),
    #[error("no task {0} for the caller")]
    TaskNotFound(i64),
    /// A cancel with nothing left to cancel (the task ended, or none ran).
    #[error("{0}")]
    NotCancelable(String),
    /// app-service refused or did not answer a direct call (stop, resume).
    #[error(transparent)]
    AppService(#[from] crate::app_service::AppServiceError),
    /// A `sync` operation's task ended without success; the body carries it.
    #[error("{message}")]
    TaskEnded {
        code: &'static str,
        status: StatusCode,
        message: String,
        data: serde_json::Value,
    },
}

impl ApiError {
    /// The one place a case becomes a status and a stable code.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::ReadOnly => (StatusCode::FORBIDDEN, "read_only"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) | Self::Store(StoreError::Conflict(_)) => {
                (StatusCode::CONFLICT, "conflict")
            }
            Self::ConflictCode { code, .. } => (StatusCode::CONFLICT, code),
            Self::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            Self::ChartRepo(_) => (StatusCode::BAD_GATEWAY, "chart_repo_unavailable"),
            Self::Refused { status, code, .. } => (*status, code),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::AppNotFound(_) => (StatusCode::NOT_FOUND, "app_not_found"),
            Self::TaskNotFound(_) => (StatusCode::NOT_FOUND, "task_not_found"),
            Self::NotCancelable(_) => (StatusCode::CONFLICT, "task_not_cancelable"),
            Self::AppService(e) if e.is_retryable() => {
                (StatusCode::BAD_GATEWAY, "app_service_unavailable")
            }
            // app-service answered and refused: the caller's request, not a failed gateway.
            Self::AppService(e) if e.is_refusal() => (StatusCode::CONFLICT, "app_service_rejected"),
            Self::AppService(_) => (StatusCode::BAD_GATEWAY, "app_service_rejected"),
            Self::TaskEnded { code, status, .. } => (*status, code),
        }
    }

    /// Whether the caller may try the same request again later.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Store(e) => e.is_retryable(),
            Self::Internal(_) => true,
            Self::ChartRepo(e) => e.is_retryable(),
            Self::AppService(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// chart-repo's codes for a request it refuses, passed on as they are.
const PASSED_CODES: [&str; 6] = [
    "bad_request",
    "missing_header",
    "not_found",
    "invalid_chart",
    "conflict",
    "too_large",
];

impl ApiError {
    /// A chart-repo answer to a request the caller made through market: a 4xx that
    /// judges the request (not market's token, not a timeout or rate limit) is the
    /// caller's [`ApiError::Refused`]; anything else is chart-repo failing.
    pub fn from_chart_repo_call(error: ChartRepoError) -> Self {
        let ChartRepoError::Call(call) = &error else {
            return Self::ChartRepo(error);
        };
        match call.status().and_then(|s| StatusCode::from_u16(s).ok()) {
            Some(status)
                if status.is_client_error()
                    && !matches!(status.as_u16(), 401 | 403 | 408 | 429) =>
            {
                Self::Refused {
                    status,
                    code: call
                        .code()
                        .and_then(|c| PASSED_CODES.into_iter().find(|p| *p == c))
                        .unwrap_or("chart_repo_rejected"),
                    message: call.message().unwrap_or_default().to_owned(),
                }
            }
            _ => Self::ChartRepo(error),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = match &self {
            Self::Store(StoreError::Conflict(m)) => m.clone(),
            Self::Store(e) => {
                tracing::error!(error = %e, "store failure");
                "the store is unavailable; try again".to_owned()
            }
            Self::ChartRepo(e) => {
                tracing::error!(error = %e, "chart-repo failure");
                "chart-repo did not answer; try again".to_owned()
            }
            Self::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "internal error".to_owned()
            }
            Self::AppService(e) => {
                tracing::warn!(error = %e, "app-service call failed");
                match e {
                    crate::app_service::AppServiceError::Rejected { message, .. }
                        if !message.is_empty() =>
                    {
                        message.clone()
                    }
                    _ => "app-service did not accept the operation".to_owned(),
                }
            }
            other => other.to_string(),
        };
        let mut body = ErrorBody::new(code, message);
        if let Self::TaskEnded { data, .. } = self {
            body.data = Some(data);
        }
        (status, axum::Json(body)).into_response()
    }
}

/// `axum::Json` whose rejections are [`ApiError`]s (a 400 in the envelope).
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

/// `axum::extract::Query` whose rejections are [`ApiError`]s (a 400 in the
/// envelope, not axum's plain text).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

/// `axum::extract::Path` whose rejections (e.g. `/tasks/abc` for an integer id) are
/// [`ApiError`]s: a 400 in the envelope, not axum's plain text.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
