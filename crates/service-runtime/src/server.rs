//! Binding, serving and stopping: the listener with its `listening on` line,
//! `/healthz`, `/readyz`, `/metrics`, and shutdown on SIGTERM/SIGINT.
//!
//! Shutdown is one `CancellationToken` observed by the HTTP server and every
//! background loop, plus a `TaskTracker` that the caller waits on (with a
//! deadline) so in-flight work finishes or is released before the process exits.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::ConfigError;
use crate::metrics::Metrics;

/// Whether the service can do its work now (its store answers).
#[async_trait::async_trait]
pub trait Readiness: Send + Sync + 'static {
    /// `Err` carries a short reason for operators, e.g. `store: connection refused`.
    async fn ready(&self) -> Result<(), String>;
}

/// The root routes every service answers: `/healthz`, `/readyz`, `/metrics`.
pub fn ops_router(metrics: Metrics, readiness: Arc<dyn Readiness>) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/readyz", get(readyz).with_state(readiness))
        .route("/metrics", get(render_metrics).with_state(metrics))
}

/// How long `/readyz` waits for the readiness check: a store that does not
/// answer (a cut network, a server that accepts and stalls) is not ready, and
/// orchestrators' probes give up after a few seconds anyway.
pub const READY_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

async fn readyz(State(readiness): State<Arc<dyn Readiness>>) -> Response {
    let checked = tokio::time::timeout(READY_CHECK_TIMEOUT, readiness.ready())
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "readiness check: no answer within {READY_CHECK_TIMEOUT:?}"
            ))
        });
    match checked {
        Ok(()) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"status": "unavailable", "reason": reason})),
        )
            .into_response(),
    }
}

async fn render_metrics(State(metrics): State<Metrics>) -> Response {
    let content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8";
    ([(header::CONTENT_TYPE, content_type)], metrics.render()).into_response()
}

/// Binds `addr` and prints `listening on http://ADDR` as the first stdout line,
/// so whoever started the process (a test, `make run`) learns a port-0 address.
pub async fn bind(addr: SocketAddr, setting: &str) -> Result<TcpListener, ConfigError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| ConfigError::new(setting, format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| ConfigError::new(setting, format!("cannot read the bound address: {e}")))?;
    let mut out = std::io::stdout().lock();
    // If stdout is closed nobody is waiting for the line; serving goes on.
    let _ = writeln!(out, "listening on http://{local}").and_then(|()| out.flush());
    Ok(listener)
}

/// The process-wide stop signal and the set of tasks to wait for.
#[derive(Clone, Debug, Default)]
pub struct Shutdown {
    pub token: CancellationToken,
    pub tracker: TaskTracker,
}

impl Shutdown {
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels the token on the first SIGTERM or SIGINT.
    pub fn cancel_on_signals(&self) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let token = self.token.clone();
        self.tracker.spawn(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!(signal = "SIGTERM", "shutting down"),
                _ = int.recv() => tracing::info!(signal = "SIGINT", "shutting down"),
                () = token.cancelled() => return,
            }
            token.cancel();
        });
        Ok(())
    }

    /// Waits for every tracked task, at most `grace`; returns whether all finished.
    pub async fn drain(&self, grace: Duration) -> bool {
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }
}

/// Serves `app` until the token is cancelled; in-flight requests then get
/// `grace` to finish before the server stops waiting for them.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: &Shutdown,
    grace: Duration,
) -> std::io::Result<()> {
    let token = shutdown.token.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(token.clone().cancelled_owned());
    tokio::select! {
        result = server => result,
        () = async { token.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(grace_seconds = grace.as_secs(), "requests still open after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// Serves `app` until shutdown, then cancels every background loop and waits
/// for them (each phase bounded by `grace`). `name` labels the log lines.
pub async fn run(
    name: &'static str,
    listener: TcpListener,
    app: Router,
    shutdown: &Shutdown,
    grace: Duration,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(service = name, %addr, "serving");
    let served = serve(listener, app, shutdown, grace).await;
    shutdown.token.cancel();
    if !shutdown.drain(grace).await {
        tracing::warn!(service = name, "background work still running at shutdown");
    }
    tracing::info!(service = name, "stopped");
    served
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    struct Stalled;

    #[async_trait::async_trait]
    impl Readiness for Stalled {
        async fn ready(&self) -> Result<(), String> {
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_store_that_does_not_answer_is_not_ready() {
        let metrics = Metrics::new("test", |_| {});
        let app = ops_router(metrics, Arc::new(Stalled));
        let started = std::time::Instant::now();
        let res = app
            .oneshot(
                axum::http::Request::get("/readyz")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() < READY_CHECK_TIMEOUT * 3);
        let body = axum::body::to_bytes(res.into_body(), 4096).await.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert!(
            body["reason"].as_str().unwrap().contains("no answer"),
            "{body}"
        );
    }
}
