//! Building and running chart-repo: the same constructor serves `main` and the
//! tests, so tests start what production starts.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use service_runtime::server::{self, Readiness, Shutdown};
use service_runtime::{ConfigError, Metrics};
use tokio::net::TcpListener;

use crate::config::Config;
use crate::state::AppState;
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
}

/// A built chart-repo: store open and migrated, listener bound.
pub struct App {
    state: AppState,
    listener: TcpListener,
    shutdown: Shutdown,
}

impl App {
    /// Opens and migrates the store and binds the listener.
    pub async fn build(config: Config, shutdown: Shutdown) -> Result<Self, StartupError> {
        let store = store::connect(&config.store).await?;
        store.migrate().await?;
        let metrics = Metrics::new("chart_repo", |_| {});
        let listener = server::bind(config.listen, "CHART_REPO_LISTEN").await?;
        let state = AppState {
            config: Arc::new(config),
            store,
            metrics,
        };
        Ok(Self {
            state,
            listener,
            shutdown,
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
        service_runtime::http::stack(routes, self.state.metrics.clone(), REQUEST_TIMEOUT)
    }

    /// Serves until the shutdown token is cancelled, then drains.
    pub async fn run(self) -> std::io::Result<()> {
        let router = self.router();
        server::run("chart-repo", self.listener, router, &self.shutdown, GRACE).await
    }
}

struct StoreReadiness(Arc<dyn RepoStore>);

#[async_trait::async_trait]
impl Readiness for StoreReadiness {
    async fn ready(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| format!("store: {e}"))
    }
}
