//! The control API under `/chart-repo/api/v2` (DESIGN.md §4.1), one module per resource.

mod version;

use axum::Router;

use crate::state::AppState;

/// The control API prefix.
pub const PREFIX: &str = "/chart-repo/api/v2";

/// Every route under [`PREFIX`].
pub fn router(state: AppState) -> Router {
    let api = Router::new().merge(version::routes());
    Router::new().nest(PREFIX, api).with_state(state)
}
