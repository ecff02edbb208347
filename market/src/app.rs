//! Building and running the market: the same constructor serves `main` and the
//! tests, so tests start what production starts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use chrono::Utc;
use market_model::{MarketSource, SourceId};
use service_runtime::server::{self, Readiness, Shutdown};
use service_runtime::{ConfigError, Metrics};
use tokio::net::TcpListener;

use crate::app_service::{AppServiceClient, HttpAppService};
use crate::chart_repo::{ChartRepoClient, ChartRepoClientConfig, ChartRepoError, HttpChartRepo};
use crate::config::Config;
use crate::metrics::MarketMetrics;
use crate::state::{AppState, Signals};
use crate::store::{self, MarketStore, StoreError};

/// How long in-flight requests may take to finish after a stop signal.
const GRACE: Duration = Duration::from_secs(3);
/// How long a request may take before it is answered 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Why the market could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("MARKET_DATABASE_URL: {0}")]
    Store(#[from] StoreError),
    #[error("MARKET_CHART_REPO_URL: {0}")]
    ChartRepo(#[from] ChartRepoError),
    #[error("MARKET_APP_SERVICE_URL: {0}")]
    AppService(#[from] reqwest::Error),
}

/// A built market: store open and migrated, listener bound.
pub struct App {
    state: AppState,
    listener: TcpListener,
    shutdown: Shutdown,
}

impl App {
    /// Opens and migrates the store, applies start-up settings (the remote source's URL,
    /// the users of `MARKET_USERS`) and binds the listener.
    pub async fn build(config: Config, shutdown: Shutdown) -> Result<Self, StartupError> {
        let store = store::connect(&config.database).await?;
        store.migrate().await?;
        if let Some(url) = &config.remote_source_url {
            activate_remote_source(store.as_ref(), url.as_str()).await?;
        }
        crate::users::ensure_configured(store.as_ref(), &config.users).await?;
        let chart_repo: Arc<dyn ChartRepoClient> = Arc::new(HttpChartRepo::new(
            config.chart_repo_url.clone(),
            config.chart_repo_token.clone(),
            ChartRepoClientConfig::default(),
        )?);
        let app_service: Arc<dyn AppServiceClient> = Arc::new(HttpAppService::new(
            config.app_service_url.clone(),
            config.tasks.app_service_timeout,
        )?);
        let mut market_metrics = MarketMetrics::default();
        let metrics = Metrics::new("market", |registry| {
            market_metrics = MarketMetrics::register(registry);
        });
        let listener = server::bind(config.listen, "MARKET_LISTEN").await?;
        let state = AppState {
            config: Arc::new(config),
            store,
            chart_repo,
            app_service,
            metrics,
            market_metrics,
            signals: Arc::new(Signals::default()),
            hashes: Arc::default(),
            data: Arc::default(),
            stopping: shutdown.token.clone(),
        };
        Ok(Self {
            state,
            listener,
            shutdown,
        })
    }

    /// The shared state (the tests wake loops and read the store through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The whole HTTP surface: the API and the root operations routes.
    pub fn router(&self) -> Router {
        let readiness: Arc<dyn Readiness> = Arc::new(StoreReadiness(self.state.store.clone()));
        let routes = crate::api::router(self.state.clone())
            .merge(server::ops_router(self.state.metrics.clone(), readiness));
        let config = service_runtime::http::StackConfig {
            timeout: REQUEST_TIMEOUT,
            quiet_routes: crate::api::market::QUIET_ROUTES,
        };
        service_runtime::http::stack_with(routes, self.state.metrics.clone(), &config)
    }

    /// Starts the background loops (catalog syncer, hydration driver, data watcher) on
    /// the shutdown tracker, then serves until the shutdown token is cancelled, and drains.
    pub async fn run(self) -> std::io::Result<()> {
        self.spawn_loops();
        let router = self.router();
        server::run("market", self.listener, router, &self.shutdown, GRACE).await
    }
}

impl App {
    fn spawn_loops(&self) {
        let (tracker, token) = (&self.shutdown.tracker, &self.shutdown.token);
        tracker.spawn(crate::catalog::sync::run(self.state.clone(), token.clone()));
        tracker.spawn(crate::hydration::run(self.state.clone(), token.clone()));
        tracker.spawn(crate::watcher::run(self.state.clone(), token.clone()));
        tracker.spawn(crate::tasks::runner::run(self.state.clone(), token.clone()));
        tracker.spawn(crate::tasks::app_state::run(
            self.state.clone(),
            token.clone(),
        ));
    }
}

/// Points the `market.olares` source at `MARKET_REMOTE_SOURCE_URL` and activates it.
async fn activate_remote_source(store: &dyn MarketStore, url: &str) -> Result<(), StoreError> {
    let id = SourceId::parse("market.olares").map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let mut source = match store.source(&id).await? {
        Some(source) => source,
        None => MarketSource::defaults(Utc::now())
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| {
                StoreError::Corrupt("market.olares is missing from the default sources".into())
            })?,
    };
    if source.base_url == url && source.is_active {
        return Ok(());
    }
    source.base_url = url.to_owned();
    source.is_active = true;
    source.updated_at = Utc::now();
    store.put_source(&source).await
}

struct StoreReadiness(Arc<dyn MarketStore>);

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
