//! `GET /version`.

use axum::Router;
use axum::routing::get;
use market_model::{Envelope, VersionInfo};

use super::openapi;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/version", get(version))
}

/// The build: `{version, build_time, git_commit, timestamp}`.
#[utoipa::path(get, path = "/version", tag = "meta",
    responses((status = 200, body = openapi::Envelope<openapi::Version>)))]
pub async fn version() -> axum::Json<Envelope<VersionInfo>> {
    axum::Json(Envelope::ok(service_runtime::version::current(env!(
        "CARGO_PKG_VERSION"
    ))))
}
