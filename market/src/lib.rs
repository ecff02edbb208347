//! The market service: app catalog, task queue, settings and the REST API the
//! frontend calls (DESIGN.md §5).
//!
//! Modules: `config` (settings), `app` (build and run the service), `api`
//! (routes, one file per resource), `store` (the storage port and backends),
//! `cli` (the command line).

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod state;
pub mod store;

pub use app::App;
pub use config::Config;
