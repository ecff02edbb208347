//! chart-repo: a dynamic Helm chart repository. It renders each app per user,
//! analyses the images it uses, stores the packages and serves the Helm index
//! and chart downloads (DESIGN.md §4).
//!
//! Modules: `config` (settings), `app` (build and run the service), `api`
//! (routes), `store` (the storage port and backends), `cli` (the command line).

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod downloads;
pub mod hydrator;
pub mod index;
pub mod metrics;
pub mod package;
pub mod package_cache;
pub mod packages;
pub mod registry;
pub mod render;
pub mod repo;
pub mod state;
pub mod store;
pub mod upload;

pub use app::App;
pub use config::Config;
