//! The app-service simulator: an honestly named stand-in for Olares' app-service at the
//! wire, for end-to-end tests of market (DESIGN.md §8). It serves the operation routes
//! market calls, really downloads and checks the chart from chart-repo, answers 422
//! `appenv` for missing envs, walks each app through Olares' states (visible in
//! `/all/apps`, POSTed to market as state events) and misbehaves on request (faults).
//!
//! Never: Kubernetes, Helm rendering of templates, images; it only pretends to run apps.
//!
//! ```no_run
//! # async fn demo() {
//! use e2e::app_service_sim::{Fault, SimConfig, Simulator};
//! let sim = Simulator::start(SimConfig::default()).await.unwrap();
//! sim.set_fault(Some("ghost"), Some(Fault::Hang));
//! let installs = sim.count("alice", "ghost", e2e::app_service_sim::OpType::Install);
//! # let _ = installs; }
//! ```

mod apps;
pub mod chart;
pub mod env_check;
pub mod events;
pub mod faults;
mod server;
pub mod state;
pub mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub use faults::{Call, ChartSeen, FailedState, Fault, Faults, SetFault};
pub use state::{AppState, OpType};
pub use wire::{Application, StateEvent};

use apps::Apps;
use events::EventQueue;

/// What a crash (`Fault::CrashMidInstall`) does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashAction {
    /// Stop serving and halt every walk; the process lives on (library use).
    Stop,
    /// Exit the process at once, without answering anything more (the binary).
    ExitProcess,
}

/// How the simulator starts.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Market's base URL for state events; `None` sends none.
    pub market_url: Option<url::Url>,
    /// Time spent in each state of a walk.
    pub step: Duration,
    /// The admin's name (`/users/admin/username`).
    pub admin: String,
    /// System and user envs a manifest env's `valueFrom` may name, with their values.
    pub known_envs: BTreeMap<String, String>,
    /// Faults in force from the start.
    pub faults: Faults,
    pub on_crash: CrashAction,
}

impl Default for SimConfig {
    fn default() -> Self {
        let known_envs = [
            ("OLARES_SYSTEM_CDN_SERVICE", "https://cdn.olares.com"),
            ("OLARES_SYSTEM_REMOTE_SERVICE", "https://api.olares.com"),
            ("OLARES_USER_TIMEZONE", "UTC"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            market_url: None,
            step: Duration::from_millis(50),
            admin: "admin".into(),
            known_envs,
            faults: Faults::default(),
            on_crash: CrashAction::Stop,
        }
    }
}

/// Everything handlers and walks share. The mutex is never held across an `.await`.
pub(crate) struct Shared {
    pub(crate) config: SimConfig,
    pub(crate) http: reqwest::Client,
    pub(crate) state: Mutex<SimState>,
    pub(crate) events: EventQueue,
    pub(crate) stop: CancellationToken,
    pub(crate) tracker: TaskTracker,
}

#[derive(Default)]
pub(crate) struct SimState {
    pub(crate) apps: Apps,
    pub(crate) faults: Faults,
    pub(crate) calls: Vec<Call>,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The crash point of `Fault::CrashMidInstall`.
    pub(crate) fn crash(&self) {
        match self.config.on_crash {
            CrashAction::ExitProcess => {
                eprintln!("app-service-sim: crash_mid_install: exiting");
                std::process::exit(70);
            }
            CrashAction::Stop => self.stop.cancel(),
        }
    }
}

/// A running simulator. Dropping it stops it.
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shared.stop.cancel();
        self.server.abort();
    }
}

impl Simulator {
    /// Binds `config.listen` and serves until stopped.
    pub async fn start(config: SimConfig) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        let http = reqwest::Client::builder()
            .build()
            .map_err(std::io::Error::other)?;
        let stop = CancellationToken::new();
        let tracker = TaskTracker::new();
        let events = EventQueue::start(
            config.market_url.clone(),
            http.clone(),
            stop.clone(),
            &tracker,
        );
        let state = SimState {
            faults: config.faults.clone(),
            ..SimState::default()
        };
        let shared = Arc::new(Shared {
            config,
            http,
            state: Mutex::new(state),
            events,
            stop,
            tracker,
        });
        let app = server::router(Arc::clone(&shared));
        let stop = shared.stop.clone();
        let server = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
            if let Err(e) = serve.await {
                tracing::error!(error = %e, "simulator server failed");
            }
        });
        Ok(Self {
            shared,
            addr,
            server,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Sets (`Some`) or clears (`None`) the fault for `app`, or the global one.
    pub fn set_fault(&self, app: Option<&str>, fault: Option<Fault>) {
        self.shared.lock().faults.set(app, fault);
    }

    /// Clears every fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults = Faults::default();
    }

    /// Every operation request received so far, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// How many `op` requests `user` sent for `app`.
    pub fn count(&self, user: &str, app: &str, op: OpType) -> usize {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.user == user && c.app == app && c.op == op)
            .count()
    }

    /// The `/all/apps` answer.
    pub fn apps(&self) -> Vec<Application> {
        self.shared.lock().apps.listed(None)
    }

    /// The state of `user`'s `app`, listed or not.
    pub fn state_of(&self, user: &str, app: &str) -> Option<AppState> {
        self.shared.lock().apps.state_of(user, app)
    }

    /// Events delivered to market and dropped after the retries.
    pub fn events_delivered(&self) -> (u64, u64) {
        let d = &self.shared.events.delivery;
        (
            d.delivered.load(Ordering::Relaxed),
            d.dropped.load(Ordering::Relaxed),
        )
    }

    /// Whether the simulator stopped (a shutdown, or a crash in library mode).
    pub fn is_stopped(&self) -> bool {
        self.shared.stop.is_cancelled()
    }

    /// Stops serving, halts every walk and waits for them.
    pub async fn shutdown(self) {
        self.shared.stop.cancel();
        self.shared.tracker.close();
        let _ = tokio::time::timeout(Duration::from_secs(3), self.shared.tracker.wait()).await;
    }

    /// Resolves when the simulator stops (e.g. the binary waits on it, or on a signal).
    pub async fn stopped(&self) {
        self.shared.stop.cancelled().await;
    }
}
