//! `GET /version`.

use axum::Router;
use axum::routing::get;
use market_model::{Envelope, VersionInfo};

use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new().route("/version", get(version))
}

async fn version() -> axum::Json<Envelope<VersionInfo>> {
    axum::Json(Envelope::ok(service_runtime::version::current(env!(
        "CARGO_PKG_VERSION"
    ))))
}
