//! The one error type of the routes, and the single `match` that gives each its status
//! and stable code.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use market_model::ErrorBody;
use market_model::protocol::MAX_APP_IDS;

/// What a request got wrong (or, never expected, what failed inside).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("the request body is not valid: {0}")]
    InvalidBody(String),
    #[error("app_ids names {count} apps; at most {MAX_APP_IDS} per request")]
    TooManyAppIds { count: usize },
    #[error("fileName {file_name:?} {reason}")]
    InvalidFileName {
        file_name: String,
        reason: &'static str,
    },
    #[error("the path is not valid: {0}")]
    InvalidPath(String),
    #[error("no app named {0:?} in this catalog")]
    AppNotFound(String),
    #[error("app {app:?} has no package {file_name:?}; it publishes {published:?}")]
    ChartNotFound {
        app: String,
        file_name: String,
        published: String,
    },
    #[error("app {app:?} has no version {version:?}; it publishes {published:?}")]
    VersionNotFound {
        app: String,
        version: String,
        published: String,
    },
    #[error("no route for {0}")]
    RouteNotFound(String),
    #[error("method not allowed: {0}")]
    MethodNotAllowed(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidBody(_) => (StatusCode::BAD_REQUEST, "invalid_request"),
            Self::TooManyAppIds { .. } => (StatusCode::BAD_REQUEST, "too_many_app_ids"),
            Self::InvalidFileName { .. } => (StatusCode::BAD_REQUEST, "invalid_file_name"),
            Self::InvalidPath(_) => (StatusCode::BAD_REQUEST, "invalid_path"),
            Self::AppNotFound(_) => (StatusCode::NOT_FOUND, "app_not_found"),
            Self::ChartNotFound { .. } => (StatusCode::NOT_FOUND, "chart_not_found"),
            Self::VersionNotFound { .. } => (StatusCode::NOT_FOUND, "version_not_found"),
            Self::RouteNotFound(_) => (StatusCode::NOT_FOUND, "route_not_found"),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        (status, axum::Json(ErrorBody::new(code, self.to_string()))).into_response()
    }
}
