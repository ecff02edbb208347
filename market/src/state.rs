//! What every handler and loop shares: configuration and handles.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use service_runtime::Metrics;
use tokio::sync::Notify;

use crate::app_service::AppServiceClient;
use crate::chart_repo::ChartRepoClient;
use crate::config::Config;
use crate::metrics::MarketMetrics;
use crate::store::MarketStore;
use crate::view::{DataCache, HashCache};

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn MarketStore>,
    pub chart_repo: Arc<dyn ChartRepoClient>,
    pub app_service: Arc<dyn AppServiceClient>,
    pub metrics: Metrics,
    /// market's own families (tasks, hydrations), registered into `metrics`.
    pub market_metrics: MarketMetrics,
    /// Wakes the background loops (DESIGN.md §5.2).
    pub signals: Arc<Signals>,
    /// Each user's catalog hash while the store's view revision stays the same.
    pub hashes: Arc<HashCache>,
    /// Each user's `/market/data` answer while the store's view revision stays the same.
    pub data: Arc<DataCache>,
    /// Cancelled when the service stops: long-lived answers (`/events`) end, so
    /// shutdown does not wait for them.
    pub stopping: tokio_util::sync::CancellationToken,
}

/// How handlers wake the background loops; each loop also polls as a fallback
/// (STYLE.md §5), so a lost wake-up only delays work.
#[derive(Debug, Default)]
pub struct Signals {
    /// A market source changed: push sources to chart-repo and sync the catalog.
    pub sources_changed: Notify,
    /// New work for the hydration driver: a new user, a changed catalog.
    pub hydrate: Notify,
    /// A task became due: wakes one task worker.
    pub tasks: Notify,
    /// A task changed: wakes every `sync` waiter (`notify_waiters`).
    pub task_changed: Notify,
    /// Users known to be in the store (so `ensure_user` skips the store on the hot path).
    pub(crate) known_users: Mutex<HashSet<String>>,
}

impl Signals {
    /// Wakes the catalog syncer.
    pub fn source_changed(&self) {
        self.sources_changed.notify_one();
    }

    /// Wakes the hydration driver.
    pub fn wake_hydration(&self) {
        self.hydrate.notify_one();
    }
}
