//! Image analysis (DESIGN.md §4.3 step 4): which container images a rendered chart uses,
//! their references normalized as Docker does, and what their registries say of them.
//! Entry point: [`Analyzer::analyze`] / [`Analyzer::analyze_all`], which never fail (an
//! error becomes an [`ImageStatus`](market_model::ImageStatus) with a reason). Never:
//! contact a host outside `CHART_REPO_REGISTRY_ALLOW`, or log a credential or token.
//!
//! - `extract`: the images of every pod spec in rendered templates, from parsed YAML, and
//!   the manifest's own `options.images`.
//! - `reference`: Docker's reference grammar and normalization (`nginx` →
//!   `docker.io/library/nginx:latest`), so no malformed reference reaches the network.
//! - `config`: [`RegistryConfig`], the settings analysis runs with.
//! - `analyze`: [`Analyzer`], one image under one deadline; cache first.
//! - `client`: the Distribution API (manifest GET/HEAD, blob GET) with Basic and Bearer
//!   auth, on `reqwest` (why not `oci-client`: see there).
//! - `transport`: one request as every request goes: allow-list, per-host semaphore,
//!   retries, redirects, counting, capped bodies.
//! - `auth`: challenges, remembered per host; bearer tokens cached per (host, scope).
//! - `retry`: backoff with jitter, `Retry-After`.
//! - `manifest`: manifest, index and config shapes.
//! - `cache`: the [`ImageCache`] trait the store implements, and an in-memory one.
//! - `error`: [`RegistryError`], retryable or permanent, and its image status.

pub mod analyze;
pub mod auth;
pub mod cache;
pub mod client;
pub mod config;
pub mod error;
pub mod extract;
pub mod manifest;
pub mod reference;
pub mod retry;
pub mod transport;

pub use analyze::{Analyzer, BuildError};
pub use cache::{CacheError, CachedImage, ImageCache, MemoryImageCache};
pub use config::RegistryConfig;
pub use error::RegistryError;
pub use extract::{ExtractError, manifest_images, pod_images};
pub use market_model::image::{ArchSupport, arch_support};
pub use reference::{ImageRef, RefError};
pub use retry::RetryPolicy;
