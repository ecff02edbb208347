//! What every handler and worker shares: configuration and handles.

use std::sync::Arc;

use service_runtime::Metrics;

use crate::config::Config;
use crate::downloads::RecentDownloads;
use crate::hydrator::worker::Hydrator;
use crate::index::RepoIndexes;
use crate::metrics::RepoMetrics;
use crate::packages::PackageStore;
use crate::store::RepoStore;

/// Cloned per request (axum hands each handler its own copy), so one shared allocation:
/// a clone is one reference count, not one per handle.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The configuration and handles behind an [`AppState`].
pub struct Shared {
    pub config: Arc<Config>,
    pub store: Arc<dyn RepoStore>,
    pub metrics: Metrics,
    pub repo_metrics: RepoMetrics,
    pub packages: PackageStore,
    pub indexes: Arc<RepoIndexes>,
    pub hydrator: Arc<Hydrator>,
    /// Which package downloads the history still needs.
    pub downloads: Arc<RecentDownloads>,
}
