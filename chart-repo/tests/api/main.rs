//! chart-repo's integration tests: one binary (see STYLE.md §7).

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

mod boot;
mod crash;
mod harness;
mod helm_repo;
mod hydrate;
mod hydrate_render;
mod images;
mod index;
mod openapi;
mod package;
mod packages_s3;
mod partition;
mod profiles;
mod registry;
mod registry_fakes;
mod rejections;
mod render_corpus;
mod render_diff;
mod replicas;
mod steps;
mod store;
mod store_apps;
mod store_cache;
mod store_changes;
mod store_queue;
mod upload;
