//! market's integration tests: one binary (see STYLE.md §7).

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

mod boot;
mod catalog_api;
mod chart_repo;
mod fetch;
mod loops;
mod request_id;
mod source;
mod source_serve;
mod store;
mod store_catalog;
mod store_events;
mod store_tasks;
mod store_users;
mod store_views;
mod tasks_api;
