//! chart-repo's one API error: a single `match` maps each case to its status and stable
//! code, and the body is the Olares envelope with the code beside the message
//! (STYLE.md §4). Internal details are logged once here and never sent.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use market_model::ErrorBody;
use serde::Serialize;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing header {0}")]
    MissingHeader(&'static str),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    InvalidChart(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(u64),
    #[error("Authorization: a valid bearer token is required")]
    Unauthorized,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::MissingHeader(_) => (StatusCode::BAD_REQUEST, "missing_header"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::InvalidChart(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_chart"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Store(StoreError::Conflict(_)) => (StatusCode::CONFLICT, "conflict"),
            Self::Store(_) => (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
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
            Self::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "internal error".to_owned()
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

/// `axum::extract::Query` whose rejections are [`ApiError`]s (a 400 in the envelope, not
/// axum's plain text).
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(rejection.body_text())
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
