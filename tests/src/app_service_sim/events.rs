//! Delivery of state events to market, in order, off the request and walk paths: a walk
//! queues an event and moves on, one sender task POSTs them. Each POST is retried a few
//! times with a short timeout, then dropped (and counted), so a market that is down or
//! hangs never wedges the simulator.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::wire::StateEvent;

/// Market's route for app-service state events (DESIGN.md §5.1).
pub const EVENTS_PATH: &str = "/app-store/api/v2/app-state-events";

const ATTEMPTS: u32 = 3;
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);
const FIRST_BACKOFF: Duration = Duration::from_millis(50);

/// What happened to the events so far.
#[derive(Debug, Default)]
pub struct Delivery {
    pub delivered: AtomicU64,
    pub dropped: AtomicU64,
}

/// The queue walks push to; `None` when no market URL is configured.
#[derive(Clone)]
pub struct EventQueue {
    tx: Option<mpsc::UnboundedSender<StateEvent>>,
    pub delivery: Arc<Delivery>,
}

impl EventQueue {
    /// Starts the sender for `market` (its base URL); it stops when `stop` is cancelled.
    pub fn start(
        market: Option<url::Url>,
        http: reqwest::Client,
        stop: CancellationToken,
        tracker: &tokio_util::task::TaskTracker,
    ) -> Self {
        let delivery = Arc::new(Delivery::default());
        let Some(market) = market else {
            return Self { tx: None, delivery };
        };
        let endpoint = format!("{}{EVENTS_PATH}", market.as_str().trim_end_matches('/'));
        let (tx, rx) = mpsc::unbounded_channel();
        tracker.spawn(send_all(rx, endpoint, http, stop, Arc::clone(&delivery)));
        Self {
            tx: Some(tx),
            delivery,
        }
    }

    pub fn push(&self, event: StateEvent) {
        if let Some(tx) = &self.tx {
            // The receiver lives until shutdown; an event queued after it is moot.
            let _ = tx.send(event);
        }
    }
}

async fn send_all(
    mut rx: mpsc::UnboundedReceiver<StateEvent>,
    endpoint: String,
    http: reqwest::Client,
    stop: CancellationToken,
    delivery: Arc<Delivery>,
) {
    loop {
        let event = tokio::select! {
            () = stop.cancelled() => return,
            next = rx.recv() => match next { Some(e) => e, None => return },
        };
        let sent = tokio::select! {
            () = stop.cancelled() => return,
            sent = send_one(&http, &endpoint, &event) => sent,
        };
        let counter = if sent {
            &delivery.delivered
        } else {
            tracing::warn!(state = ?event.state, app = %event.name, "state event dropped");
            &delivery.dropped
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

async fn send_one(http: &reqwest::Client, endpoint: &str, event: &StateEvent) -> bool {
    let mut backoff = FIRST_BACKOFF;
    for attempt in 1..=ATTEMPTS {
        let res = http
            .post(endpoint)
            .timeout(ATTEMPT_TIMEOUT)
            .json(event)
            .send()
            .await;
        match res {
            Ok(r) if r.status().is_success() => return true,
            Ok(r) => tracing::debug!(status = r.status().as_u16(), attempt, "market refused"),
            Err(e) => tracing::debug!(error = %e, attempt, "market unreachable"),
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(backoff).await;
            backoff *= 2;
        }
    }
    false
}
