//! The REST API under `/app-store/api/v2` (DESIGN.md §5.1), one module per resource.
//!
//! `error` (the one `ApiError`, enveloped extractors), `identity` (the caller from
//! `X-Bfl-User`; public mode), `market` (`/market/*`), `apps` (`POST /apps`,
//! version history), `local_apps` (uploads and their deletion), `settings` (market
//! sources, market settings), `tasks` (app operations, tasks, app state events), `runtime`,
//! `logs`, `events` (SSE), `version`, `openapi`
//! (the document and Swagger UI at `/docs`).

pub mod apps;
pub mod error;
pub mod events;
pub mod identity;
pub mod local_apps;
pub mod logs;
pub mod market;
pub mod openapi;
pub mod runtime;
pub mod settings;
pub mod tasks;
mod version;

use axum::Router;
use axum::middleware;

use crate::state::AppState;

/// The API prefix the Olares frontend calls.
pub const PREFIX: &str = "/app-store/api/v2";

/// Every route under [`PREFIX`], plus the OpenAPI document and `/docs`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .merge(version::routes())
        .merge(settings::routes())
        .merge(market::routes())
        .merge(apps::routes())
        .merge(local_apps::routes())
        .merge(runtime::routes())
        .merge(logs::routes())
        .merge(events::routes())
        .merge(tasks::routes())
        .layer(middleware::from_fn_with_state(
            state.clone(),
            identity::public_mode_guard,
        ))
        .layer(middleware::from_fn(crate::outbound::scope_request_id));
    Router::new()
        .nest(PREFIX, api)
        .with_state(state)
        .merge(openapi::routes())
}
