//! `GET /version`.

use axum::Router;
use axum::routing::get;
use market_model::{Envelope, ErrorBody, VersionInfo};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/version", get(version))
}

/// The build: `{version, build_time, git_commit, timestamp}`.
#[utoipa::path(get, path = "/version", tag = "runtime",
    responses((status = 200, body = Envelope<VersionInfo>), (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody)))]
async fn version() -> axum::Json<Envelope<VersionInfo>> {
    axum::Json(Envelope::ok(service_runtime::version::current(env!(
        "CARGO_PKG_VERSION"
    ))))
}
