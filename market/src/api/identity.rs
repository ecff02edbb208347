//! Who is calling: the `X-Bfl-User` header set by the trusted ingress
//! (DESIGN.md §5.1). Without it the request is 401, except in public mode
//! (`MARKET_PUBLIC_MODE`), where every caller is the configured admin and the
//! API is read-only ([`public_mode_guard`]).

use axum::extract::{FromRequestParts, Request, State};
use axum::http::Method;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::state::AppState;

/// The header that names the caller.
pub const USER_HEADER: &str = "X-Bfl-User";

/// The calling user (a handler that takes it answers 401 without the header).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller(pub String);

impl Caller {
    pub fn name(&self) -> &str {
        &self.0
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if state.config.public_mode {
            return Ok(Self(state.config.admin().to_owned()));
        }
        let user = parts
            .headers
            .get(USER_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        // chart-repo keeps each user's packages under a folder of that name: accept only
        // names that are safe as one path component (Olares names are lower-case DNS labels).
        let safe = user.len() <= 63
            && !user.starts_with('.')
            && user
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !safe {
            return Err(ApiError::BadRequest(format!(
                "{USER_HEADER}: {user:?} is not a user name"
            )));
        }
        // A user seen for the first time is added, and hydrated from then on.
        crate::users::ensure_user(state, user).await?;
        Ok(Self(user.to_owned()))
    }
}

/// In public mode, refuses every method but GET and HEAD (403 `read_only`).
pub async fn public_mode_guard(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if state.config.public_mode && !matches!(*request.method(), Method::GET | Method::HEAD) {
        return ApiError::ReadOnly.into_response();
    }
    next.run(request).await
}
