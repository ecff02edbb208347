//! The market service: app catalog, task queue, settings and the REST API the
//! frontend calls (DESIGN.md §5).
//!
//! Modules: `config` (settings), `app` (build and run the service), `api`
//! (routes, one file per resource), `store` (the storage port and backends),
//! `catalog` (the remote source client and catalog fetch), `chart_repo` (the port to
//! chart-repo's control API), `outbound` (errors and retries of outbound calls),
//! `source_serve` (`market source serve`), `cli` (the command line), `view`
//! (what one user sees of the catalog: the `/market/*` and `POST /apps` answers); the
//! background loops: `catalog::sync` (the syncer), `hydration` (the driver), `watcher`
//! (the data watcher), `tasks` (the task engine: workers, app state from app-service),
//! `app_service` (the port to app-service), and `users` (users known at start or first
//! seen in `X-Bfl-User`).

pub mod api;
pub mod app;
pub mod app_service;
pub mod catalog;
pub mod chart_repo;
pub mod cli;
pub mod config;
pub mod hydration;
pub mod metrics;
pub mod outbound;
pub mod source_serve;
pub mod state;
pub mod store;
pub mod tasks;
pub mod users;
pub mod view;
pub mod watcher;

pub use app::App;
pub use config::Config;
