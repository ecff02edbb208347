//! Image analysis (DESIGN.md §4.3 step 4): which container images a rendered chart uses,
//! their references normalized as Docker does, and (later) what the registries say of them.
//!
//! - `extract`: the images of every pod spec in rendered templates, from parsed YAML, and
//!   the manifest's own `options.images`.
//! - `reference`: Docker's reference grammar and normalization (`nginx` →
//!   `docker.io/library/nginx:latest`), so no malformed reference reaches the network.

pub mod extract;
pub mod reference;

pub use extract::{ExtractError, manifest_images, pod_images};
pub use reference::{ImageRef, RefError};
