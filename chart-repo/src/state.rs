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

#[derive(Clone)]
pub struct AppState {
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
