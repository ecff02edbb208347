//! The HTTP face of a [`Catalog`]: the four routes of the protocol (DESIGN.md §5.4), each
//! answering JSON with `Content-Type: application/json` (the Olares market's HTTP client
//! decodes nothing else) except the chart, which is `application/gzip`. Errors are the
//! project's error body `{success: false, message, code}`.

mod chart;
mod details;
mod error;
mod store;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, Uri};
use axum::routing::{get, post};

use market_model::protocol::{DETAILS_PATH, HASH_PATH, INFO_PATH};

use crate::Catalog;
pub use error::ApiError;

/// The largest request body a route reads (DESIGN.md §7: JSON 1 MiB).
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The chart route with the `/api/v2` prefix some Olares versions try first; the same
/// handler answers it.
const CHART_PATH_V2: &str = "/api/v2/applications/{name}/chart";

/// The protocol's routes over `catalog`. Mount it under a prefix with
/// `Router::new().nest("/market", router(catalog))`: sources are often reached as
/// `https://host/market`.
pub fn router(catalog: Arc<Catalog>) -> Router {
    Router::new()
        .route(HASH_PATH, get(store::hash))
        .route(INFO_PATH, get(store::info))
        .route(DETAILS_PATH, post(details::details))
        .route(market_model::protocol::CHART_PATH, get(chart::download))
        .route(CHART_PATH_V2, get(chart::download))
        .fallback(route_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(catalog)
}

async fn route_not_found(method: Method, uri: Uri) -> ApiError {
    ApiError::RouteNotFound(format!("{method} {}", uri.path()))
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("{method} {}", uri.path()))
}
