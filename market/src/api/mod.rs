//! The REST API under `/app-store/api/v2` (DESIGN.md §5.1), one module per resource.

pub mod error;
mod settings;
mod version;

use axum::Router;

use crate::state::AppState;

/// The API prefix the Olares frontend calls.
pub const PREFIX: &str = "/app-store/api/v2";

/// Every route under [`PREFIX`].
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(version::routes())
        .merge(settings::routes());
    Router::new().nest(PREFIX, api).with_state(state)
}
