//! chart-repo's integration tests: one binary (see STYLE.md §7).

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

mod boot;
mod images;
mod index;
mod package;
mod registry;
mod registry_fakes;
mod render_corpus;
mod render_diff;
mod store;
