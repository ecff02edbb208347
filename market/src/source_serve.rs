//! `market source serve`: publishes a folder of chart directories as a remote market
//! source (DESIGN.md §5.4), a thin wrapper over `market_source::{Catalog, router}`.
//!
//! The folder is read once before the listener is bound (so `listening on` means the
//! catalog is ready), and again on SIGHUP and, with `--reload-every`, periodically; a
//! reload that fails keeps serving the previous catalog. Never: touches market's store.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use market_source::{Catalog, router};
use service_runtime::server::{self, Shutdown};
use tokio::signal::unix::{SignalKind, signal};

/// How long in-flight downloads may take to finish after a stop signal.
const GRACE: Duration = Duration::from_secs(5);

/// What `market source serve` was asked to do.
#[derive(Clone, Debug)]
pub struct SourceServeOptions {
    /// The folder of chart directories.
    pub dir: PathBuf,
    pub listen: SocketAddr,
    /// Read the folder again this often (besides every SIGHUP).
    pub reload_every: Option<Duration>,
}

/// Reads the folder, binds, and serves until `shutdown` is cancelled.
pub async fn run(options: SourceServeOptions, shutdown: Shutdown) -> anyhow::Result<()> {
    let SourceServeOptions {
        dir,
        listen,
        reload_every,
    } = options;
    let catalog = open(dir.clone())
        .await
        .with_context(|| format!("--dir {}", dir.display()))?;
    let listener = server::bind(listen, "--listen").await?;

    let mut hangup = signal(SignalKind::hangup()).context("cannot watch SIGHUP")?;
    let reloading = Arc::clone(&catalog);
    let token = shutdown.token.clone();
    shutdown.tracker.spawn(async move {
        let mut ticks = reload_every.map(|every| {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks
        });
        loop {
            let next_tick = async {
                match ticks.as_mut() {
                    Some(ticks) => {
                        ticks.tick().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = token.cancelled() => return,
                _ = hangup.recv() => tracing::info!(reason = "SIGHUP", "reloading the catalog"),
                () = next_tick => tracing::debug!(reason = "interval", "reloading the catalog"),
            }
            reload(&reloading).await;
        }
    });

    let app = Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .merge(router(catalog));
    server::run("market-source", listener, app, &shutdown, GRACE).await?;
    Ok(())
}

async fn open(dir: PathBuf) -> anyhow::Result<Arc<Catalog>> {
    let catalog = tokio::task::spawn_blocking(move || Catalog::open(dir))
        .await
        .context("reading the catalog panicked")??;
    let snapshot = catalog.snapshot();
    tracing::info!(
        apps = snapshot.apps().len(),
        skipped = snapshot.skipped().len(),
        digest = snapshot.digest(),
        "catalog read"
    );
    Ok(Arc::new(catalog))
}

async fn reload(catalog: &Arc<Catalog>) {
    let catalog = Arc::clone(catalog);
    let before = catalog.snapshot().digest().to_owned();
    match tokio::task::spawn_blocking(move || catalog.reload()).await {
        Ok(Ok(snapshot)) if snapshot.digest() != before => tracing::info!(
            apps = snapshot.apps().len(),
            skipped = snapshot.skipped().len(),
            digest = snapshot.digest(),
            "catalog changed"
        ),
        Ok(Ok(_)) => tracing::debug!("catalog unchanged"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "cannot reload the catalog; serving the previous one")
        }
        Err(e) => tracing::error!(error = %e, "reloading the catalog panicked"),
    }
}
