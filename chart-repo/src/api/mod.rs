//! chart-repo's HTTP surface: the control API under `/chart-repo/api/v2` (DESIGN.md §4.1,
//! one module per resource, behind `CHART_REPO_API_TOKEN` when set) and the Helm
//! repository endpoints at the root (§4.2, `helm`). `openapi` is the document of both,
//! at `/chart-repo/api/v2/openapi.json`.

mod apps;
mod changes;
pub mod error;
pub mod helm;
mod images;
pub mod openapi;
mod settings;
mod status;
mod sync;
mod upload;
mod version;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

use crate::state::AppState;
use error::ApiError;

/// The control API prefix.
pub const PREFIX: &str = "/chart-repo/api/v2";

/// Every route: the control API under [`PREFIX`] and the Helm endpoints.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(version::routes())
        .merge(sync::routes())
        .merge(changes::routes())
        .merge(apps::routes())
        .merge(settings::routes())
        .merge(status::routes())
        .merge(images::routes())
        .merge(upload::routes())
        .layer(middleware::from_fn_with_state(state.clone(), require_token));
    Router::new()
        .nest(PREFIX, api)
        .merge(openapi::routes())
        .merge(helm::routes())
        .with_state(state)
}

/// With `CHART_REPO_API_TOKEN` set, the control API needs `Authorization: Bearer <token>`.
async fn require_token(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if let Some(token) = &state.config.api_token {
        let given = request
            .headers()
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| constant_time_eq(g.as_bytes(), token.expose_secret().as_bytes()))
        {
            return ApiError::Unauthorized.into_response();
        }
    }
    next.run(request).await
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
