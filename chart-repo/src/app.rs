//! Building and running chart-repo: the same constructor serves `main` and the
//! tests, so tests start what production starts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use service_runtime::server::{self, Readiness, Shutdown};
use service_runtime::{ConfigError, Metrics};
use tokio::net::TcpListener;

use crate::config::{Config, PackageStore as PackagesUrl};
use crate::downloads::RecentDownloads;
use crate::hydrator::custom_params::CustomParams;
use crate::hydrator::database_update::DatabaseUpdate;
use crate::hydrator::image_analysis::ImageAnalysis;
use crate::hydrator::rendered_chart::RenderedChart;
use crate::hydrator::source_chart::SourceChart;
use crate::hydrator::worker::{Hydrator, WorkerConfig};
use crate::hydrator::{Pipeline, Step};
use crate::index::RepoIndexes;
use crate::metrics::RepoMetrics;
use crate::packages::{PackageStore, PackageStoreError};
use crate::registry::cache::StoreImageCache;
use crate::registry::{Analyzer, RegistryConfig};
use crate::state::{AppState, Shared};
use crate::store::{self, RepoStore, StoreError};

/// How long in-flight requests may take to finish after a stop signal.
const GRACE: Duration = Duration::from_secs(3);
/// How long a request may take before it is answered 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Why chart-repo could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("CHART_REPO_STORE_URL: {0}")]
    Store(#[from] StoreError),
    #[error("CHART_REPO_PACKAGES: {0}")]
    Packages(#[from] PackageStoreError),
    #[error("{0}")]
    Http(String),
}

/// How often idle workers look at the queue without being woken (other replicas enqueue).
const QUEUE_POLL: Duration = Duration::from_secs(2);
/// Attempts before a retryable failure becomes final.
const MAX_ATTEMPTS: u32 = 8;

/// A built chart-repo: store open and migrated, listener bound.
pub struct App {
    state: AppState,
    listener: TcpListener,
    shutdown: Shutdown,
    /// The state-change id the served indexes were loaded after.
    follow_from: i64,
}

impl App {
    /// Opens and migrates the store, loads the served indexes, builds the hydrator and
    /// binds the listener. The workers start with [`App::run`].
    pub async fn build(config: Config, shutdown: Shutdown) -> Result<Self, StartupError> {
        let store = store::connect(&config.store).await?;
        store.migrate().await?;
        let listener = server::bind(config.listen, "CHART_REPO_LISTEN").await?;
        let mut repo_metrics = None;
        let metrics = Metrics::new("chart_repo", |r| {
            repo_metrics = Some(RepoMetrics::register(r))
        });
        let repo_metrics =
            repo_metrics.unwrap_or_else(|| RepoMetrics::register(&mut Default::default()));
        let packages = match &config.packages {
            PackagesUrl::Dir(dir) => PackageStore::open(dir).await?,
            PackagesUrl::S3(settings) => {
                PackageStore::open_s3(settings.clone(), &config.data_dir.join("uploads")).await?
            }
        };
        let indexes = Arc::new(RepoIndexes::new());
        // Read before loading: a change committed meanwhile is applied again, none missed.
        let follow_from = store.latest_change_id().await?;
        let loaded = crate::repo::load_indexes(store.as_ref(), &indexes).await?;
        tracing::info!(entries = loaded, "served indexes loaded");
        let http = reqwest::Client::builder()
            .user_agent(concat!("chart-repo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| StartupError::Http(e.to_string()))?;
        let cache = Arc::new(StoreImageCache(store.clone()));
        let registry_config = RegistryConfig {
            requests: repo_metrics.registry_requests(),
            ..RegistryConfig::from(&config)
        };
        let analyzer =
            Analyzer::new(registry_config, cache).map_err(|e| StartupError::Http(e.to_string()))?;
        let analyzer = Arc::new(analyzer);
        let pipeline = Pipeline::new(
            steps(&store, &packages, &indexes, http, analyzer),
            repo_metrics.clone(),
        );
        let workers = WorkerConfig {
            workers: config.workers,
            lease_for: config.hydration_lease,
            poll: QUEUE_POLL,
            max_attempts: MAX_ATTEMPTS,
            retry_backoff: config.retry_backoff,
            zone_suffix: config.zone_suffix.clone(),
        };
        let hydrator = Hydrator::new(
            store.clone(),
            packages.clone(),
            pipeline,
            workers,
            repo_metrics.clone(),
        );
        let state = AppState::new(Shared {
            config: Arc::new(config),
            store,
            metrics,
            repo_metrics,
            packages,
            indexes,
            hydrator,
            downloads: Arc::new(RecentDownloads::new()),
        });
        Ok(Self {
            state,
            listener,
            shutdown,
            follow_from,
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The whole HTTP surface: the control API and the root operations routes.
    pub fn router(&self) -> Router {
        let readiness: Arc<dyn Readiness> = Arc::new(StoreReadiness(self.state.store.clone()));
        let routes = crate::api::router(self.state.clone())
            .merge(server::ops_router(self.state.metrics.clone(), readiness));
        let config = service_runtime::http::StackConfig {
            timeout: REQUEST_TIMEOUT,
            quiet_routes: crate::api::helm::QUIET_ROUTES,
        };
        service_runtime::http::stack_with(routes, self.state.metrics.clone(), &config)
    }

    /// Serves until the shutdown token is cancelled, then drains.
    pub async fn run(self) -> std::io::Result<()> {
        self.state
            .hydrator
            .spawn_workers(&self.shutdown.tracker, &self.shutdown.token);
        let (store, token) = (self.state.store.clone(), self.shutdown.token.clone());
        self.shutdown
            .tracker
            .spawn(housekeeping(store.clone(), token.clone()));
        self.shutdown.tracker.spawn(crate::repo::follow_changes(
            store,
            self.state.indexes.clone(),
            self.follow_from,
            FOLLOW_EVERY,
            token,
        ));
        let router = self.router();
        server::run("chart-repo", self.listener, router, &self.shutdown, GRACE).await
    }
}

/// How often the served indexes take in the store's state changes (other replicas'
/// hydrations and removals).
const FOLLOW_EVERY: Duration = Duration::from_millis(500);
/// How many state changes the feed keeps; a cursor older than that gets 410 and resyncs.
const FEED_RETENTION: usize = 100_000;
/// How long finished hydration jobs are kept (for `/status` and waiters).
const JOB_RETENTION: Duration = Duration::from_secs(24 * 3600);
/// How often retention runs.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(300);

/// Retention: trims the feed and purges old finished jobs, until shutdown.
async fn housekeeping(store: Arc<dyn RepoStore>, shutdown: tokio_util::sync::CancellationToken) {
    loop {
        if let Err(e) = store.trim_state_changes(FEED_RETENTION).await {
            tracing::warn!(error = %e, "trimming the state-change feed failed");
        }
        let before = chrono::Utc::now() - JOB_RETENTION;
        if let Err(e) = store.purge_finished(before).await {
            tracing::warn!(error = %e, "purging finished jobs failed");
        }
        tokio::select! {
            () = tokio::time::sleep(HOUSEKEEPING_EVERY) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// The five steps, in order (DESIGN.md §4.3).
fn steps(
    store: &Arc<dyn RepoStore>,
    packages: &PackageStore,
    indexes: &Arc<RepoIndexes>,
    http: reqwest::Client,
    analyzer: Arc<Analyzer>,
) -> Vec<Box<dyn Step>> {
    vec![
        Box::new(SourceChart::new(
            store.clone(),
            packages.clone(),
            http,
            olares_chart::Limits::default(),
        )),
        Box::new(RenderedChart),
        Box::new(CustomParams),
        Box::new(ImageAnalysis::new(analyzer, store.clone())),
        Box::new(DatabaseUpdate::new(
            store.clone(),
            packages.clone(),
            indexes.clone(),
        )),
    ]
}

struct StoreReadiness(Arc<dyn RepoStore>);

#[async_trait::async_trait]
impl Readiness for StoreReadiness {
    async fn ready(&self) -> Result<(), String> {
        // Inside `/readyz`'s own bound, so the reason names the store.
        let within = service_runtime::server::READY_CHECK_TIMEOUT * 3 / 4;
        match tokio::time::timeout(within, self.0.ping()).await {
            Ok(pinged) => pinged.map_err(|e| format!("store: {e}")),
            Err(_) => Err(format!("store: no answer within {within:?}")),
        }
    }
}
