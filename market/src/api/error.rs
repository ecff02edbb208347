//! market's one API error (STYLE.md §4): a single `match` maps each case to its status
//! and stable code; the body is the Olares envelope with the code beside the message.
//! Internal details are logged once here and never sent.
//!
//! Kept minimal on purpose (settings are its first user); the catalog API adds cases.

use axum::extract::FromRequest;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use market_model::ErrorBody;

use crate::chart_repo::ChartRepoError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// A conflict with a stable code (e.g. `active_remote_exists`).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    ChartRepo(#[from] ChartRepoError),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::Store(StoreError::Conflict(_)) => (StatusCode::CONFLICT, "conflict"),
            Self::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            Self::ChartRepo(_) => (StatusCode::BAD_GATEWAY, "chart_repo_unavailable"),
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
            other => other.to_string(),
        };
        (status, axum::Json(ErrorBody::new(code, message))).into_response()
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
