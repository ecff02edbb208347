//! The hydration queue's consumers (DESIGN.md §4.3, STYLE.md §5): `CHART_REPO_WORKERS`
//! workers lease jobs from the store, run the pipeline under the lease, heartbeat while
//! it runs, and end each job with one atomic store transition — commit, retry later, or
//! fail for good. Queue state lives only in the store, so kill -9 loses nothing: an
//! expired lease returns the job to pending, and the lease token keeps a late worker
//! from finishing a job twice.
//!
//! Workers wake on a notification from `submit` and poll as a fallback; they register
//! for the notification before looking at the queue, so a wake-up is never missed.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use market_model::SourceId;
use market_model::sync::SyncAppRequest;
use tokio::sync::{Notify, broadcast};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::Instrument;

use super::{Failed, Hydration, Pipeline, StepError, request_digest};
use crate::metrics::{HydrationOutcome, RepoMetrics};
use crate::packages::{PackageStore, RenderedKey};
use crate::store::{
    Failure, HydrationFailure, HydrationJob, HydrationKey, JobId, JobState, RepoStore,
    StateChangeDraft, StoreError,
};

/// How the workers behave.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    pub workers: usize,
    /// How long a lease lasts without a heartbeat.
    pub lease_for: Duration,
    /// How often an idle worker looks at the queue without being woken.
    pub poll: Duration,
    /// After this many failed attempts a retryable failure becomes permanent.
    pub max_attempts: u32,
    /// The wait before the first retry; it doubles with each further attempt.
    pub retry_backoff: Duration,
    pub zone_suffix: String,
}

/// Why a sync request was not queued.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The queue's front (submit, wait) and its workers.
pub struct Hydrator {
    store: Arc<dyn RepoStore>,
    packages: PackageStore,
    pipeline: Arc<Pipeline>,
    config: WorkerConfig,
    metrics: RepoMetrics,
    wake: Notify,
    finished: broadcast::Sender<JobId>,
}

impl Hydrator {
    pub fn new(
        store: Arc<dyn RepoStore>,
        packages: PackageStore,
        pipeline: Pipeline,
        config: WorkerConfig,
        metrics: RepoMetrics,
    ) -> Arc<Self> {
        Arc::new(Self {
            store,
            packages,
            pipeline: Arc::new(pipeline),
            config,
            metrics,
            wake: Notify::new(),
            finished: broadcast::channel(1024).0,
        })
    }

    /// Queues a hydration (or finds the live one for the same key) and returns its job.
    /// A key whose last job failed for good with the same request is not retried: the
    /// failed job is returned until the chart, the version or the request changes.
    pub async fn submit(&self, request: &SyncAppRequest) -> Result<JobId, SubmitError> {
        let source = SourceId::parse(&request.source_id)
            .map_err(|e| SubmitError::BadRequest(format!("source_id: {e}")))?;
        if request.user_name.is_empty() {
            return Err(SubmitError::BadRequest("user_name is empty".into()));
        }
        let h = Hydration::new(request.clone(), source.clone(), &self.config.zone_suffix)
            .map_err(SubmitError::BadRequest)?;
        // Refused here rather than failing (and retrying) at the last step: the user, app
        // and version name the rendered package on disk.
        RenderedKey {
            user: h.user.clone(),
            source: source.to_string(),
            name: h.app.clone(),
            version: h.version.clone(),
        }
        .check()
        .map_err(|e| SubmitError::BadRequest(e.to_string()))?;
        let key = HydrationKey {
            user: h.user,
            source,
            app: h.app,
            version: h.version,
        };
        if let Some(last) = self.store.job_by_key(&key).await?
            && last.state == JobState::Failed
            && last.last_failure.as_ref().is_some_and(|f| f.permanent)
            && serde_json::from_value::<SyncAppRequest>(last.request.clone())
                .is_ok_and(|r| request_digest(&r) == h.request_digest)
        {
            return Ok(last.id);
        }
        let body =
            serde_json::to_value(request).map_err(|e| SubmitError::BadRequest(e.to_string()))?;
        let outcome = self.store.enqueue(&key, &body, Utc::now()).await?;
        if !outcome.deduplicated {
            self.metrics.count_enqueued();
            self.wake.notify_waiters();
        }
        Ok(outcome.job_id)
    }

    /// The job once it is done or failed for good, or as it is when `within` has passed.
    pub async fn wait(
        &self,
        id: JobId,
        within: Duration,
    ) -> Result<Option<HydrationJob>, StoreError> {
        let deadline = tokio::time::Instant::now() + within;
        let mut finished = self.finished.subscribe();
        loop {
            let job = self.store.job(id).await?;
            if job.as_ref().is_none_or(|j| j.state.is_terminal())
                || tokio::time::Instant::now() >= deadline
            {
                return Ok(job);
            }
            // Another replica may finish the job: poll too, not only listen.
            tokio::select! {
                _ = wait_for(&mut finished, id) => {}
                () = tokio::time::sleep(Duration::from_millis(200)) => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    /// Starts the workers on `tracker`; they stop leasing when `shutdown` fires and hand
    /// back what they hold.
    pub fn spawn_workers(self: &Arc<Self>, tracker: &TaskTracker, shutdown: &CancellationToken) {
        for n in 0..self.config.workers.max(1) {
            let (me, shutdown) = (self.clone(), shutdown.clone());
            let name = format!("{}-{}-{n}", hostname(), std::process::id());
            tracker.spawn(async move { me.work(name, shutdown).await });
        }
    }

    async fn work(self: Arc<Self>, name: String, shutdown: CancellationToken) {
        while !shutdown.is_cancelled() {
            let woken = self.wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            match self
                .store
                .lease(&name, 1, self.config.lease_for, Utc::now())
                .await
            {
                Ok(jobs) if !jobs.is_empty() => {
                    self.metrics.count_leased(jobs.len() as u64);
                    for job in jobs {
                        self.run(job, &shutdown).await;
                    }
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "leasing hydrations failed; retrying"),
            }
            tokio::select! {
                () = &mut woken => {}
                () = tokio::time::sleep(self.config.poll) => {}
                () = shutdown.cancelled() => {}
            }
        }
    }

    async fn run(&self, job: HydrationJob, shutdown: &CancellationToken) {
        let Some(lease) = job.lease.clone() else {
            return;
        };
        let span = tracing::info_span!("hydration", job.id = job.id, app = %job.key.app, user = %job.key.user);
        async {
            let cancel = shutdown.child_token();
            let heartbeat = self.heartbeat(job.id, lease.token, cancel.clone());
            let outcome = tokio::select! {
                outcome = self.hydrate(&job, lease.token, &cancel) => outcome,
                () = heartbeat => Err(Failed { step: super::StepName::SourceChart, error: StepError::Cancelled }),
            };
            self.finish(&job, lease.token, outcome, shutdown).await;
            let _ = self.finished.send(job.id);
        }
        .instrument(span)
        .await;
    }

    /// Extends the lease until the hydration ends; cancels it if the lease is lost.
    async fn heartbeat(&self, id: JobId, token: u64, cancel: CancellationToken) {
        let every = self.config.lease_for / 3;
        loop {
            tokio::time::sleep(every).await;
            let until = Utc::now() + self.config.lease_for;
            match self.store.heartbeat(id, token, until).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!("lease lost; abandoning the hydration");
                    cancel.cancel();
                    return;
                }
                Err(e) => tracing::warn!(error = %e, "heartbeat failed; retrying"),
            }
        }
    }

    /// Runs the pipeline in its own task, so a panic in a step fails this job only.
    async fn hydrate(
        &self,
        job: &HydrationJob,
        token: u64,
        cancel: &CancellationToken,
    ) -> Result<Hydration, Failed> {
        let permanent = |reason: String| Failed {
            step: super::StepName::SourceChart,
            error: StepError::Permanent(reason),
        };
        let request: SyncAppRequest = serde_json::from_value(job.request.clone())
            .map_err(|e| permanent(format!("the queued request: {e}")))?;
        let mut h = Hydration::new(request, job.key.source.clone(), &self.config.zone_suffix)
            .map_err(permanent)?;
        h.lease = Some((job.id, token));
        h.current = self.current_record(&h).await;
        let (pipeline, cancel) = (self.pipeline.clone(), cancel.clone());
        let task = tokio::spawn(async move {
            let result = pipeline.run(&mut h, &cancel).await;
            result.map(|()| h)
        });
        match task.await {
            Ok(result) => result,
            Err(e) => Err(Failed {
                step: super::StepName::SourceChart,
                error: StepError::Permanent(format!("internal error in the hydrator: {e}")),
            }),
        }
    }

    /// The stored record, when it was rendered from this very request and its package is
    /// on disk.
    async fn current_record(&self, h: &Hydration) -> Option<crate::store::AppRecord> {
        let record = self.store.app(&h.user, &h.source, &h.app).await.ok()??;
        let digest = record
            .payload
            .get("request_digest")
            .and_then(|d| d.as_str());
        if record.version != h.version || digest != Some(h.request_digest.as_str()) {
            return None;
        }
        let key = RenderedKey {
            user: h.user.clone(),
            source: h.source.to_string(),
            name: h.app.clone(),
            version: h.version.clone(),
        };
        self.packages
            .has_rendered(&key)
            .await
            .ok()?
            .then_some(record)
    }

    async fn finish(
        &self,
        job: &HydrationJob,
        token: u64,
        outcome: Result<Hydration, Failed>,
        shutdown: &CancellationToken,
    ) {
        let failed = match outcome {
            Ok(h) => {
                let status = h.result.as_ref().map(|r| r.status);
                self.metrics.count_hydration(match status {
                    Some(market_model::sync::SyncStatus::New) => HydrationOutcome::New,
                    Some(market_model::sync::SyncStatus::Updated) => HydrationOutcome::Updated,
                    _ => HydrationOutcome::Existing,
                });
                tracing::info!(status = ?status, "hydration done");
                return;
            }
            Err(failed) => failed,
        };
        let now = Utc::now();
        let (retry_at, permanent) = match &failed.error {
            StepError::Cancelled if shutdown.is_cancelled() => (Some(now), false),
            // The lease was lost: whoever holds it now finishes the job.
            StepError::Cancelled => return,
            StepError::Retryable(_) if job.attempts < self.config.max_attempts => (
                Some(now + backoff(job.id, job.attempts, self.config.retry_backoff)),
                false,
            ),
            _ => (None, true),
        };
        let failure = Failure {
            step: failed.step.as_str().to_owned(),
            reason: failed.error.to_string(),
            time: now,
            retry_count: job.attempts,
            permanent,
        };
        // Only a final failure is news for market; retries are visible in `/status`.
        let change = permanent.then(|| {
            let app = market_model::AppData {
                user_id: job.key.user.clone(),
                source: job.key.source.to_string(),
                app_name: job.key.app.clone(),
                version: job.key.version.clone(),
            };
            StateChangeDraft::render_failed(app, &failure)
        });
        if permanent {
            self.metrics.count_hydration(HydrationOutcome::Failed);
            tracing::warn!(
                step = failure.step,
                reason = failure.reason,
                "hydration failed"
            );
        } else if !matches!(failed.error, StepError::Cancelled) {
            self.metrics.count_hydration(HydrationOutcome::Retrying);
            tracing::info!(
                step = failure.step,
                reason = failure.reason,
                "hydration will be retried"
            );
        }
        let record = HydrationFailure {
            failure,
            retry_at,
            change,
        };
        if let Err(e) = self.store.fail_hydration(job.id, token, &record).await {
            tracing::warn!(error = %e, "recording the failure failed; the lease will expire and the job rerun");
        }
    }
}

/// Exponential backoff with jitter: `first`, twice that, four times, … capped at 10
/// minutes, ±20 %.
fn backoff(id: JobId, attempts: u32, first: Duration) -> chrono::Duration {
    let first_ms = u64::try_from(first.as_millis()).unwrap_or(u64::MAX);
    let base_ms = first_ms
        .saturating_mul(1 << attempts.saturating_sub(1).min(16))
        .min(600_000);
    let nanos = u64::from(Utc::now().timestamp_subsec_nanos());
    let spread = (nanos ^ (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) % 401;
    let ms = base_ms * (800 + spread) / 1000;
    chrono::Duration::milliseconds(ms as i64)
}

async fn wait_for(rx: &mut broadcast::Receiver<JobId>, id: JobId) {
    loop {
        match rx.recv().await {
            Ok(done) if done == id => return,
            Ok(_) => {}
            // Missed some: the caller re-reads the store anyway.
            Err(broadcast::error::RecvError::Lagged(_)) => return,
            Err(broadcast::error::RecvError::Closed) => std::future::pending::<()>().await,
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_else(|_| "chart-repo".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let two = Duration::from_secs(2);
        let first = backoff(1, 1, two).num_milliseconds();
        assert!((1_600..=2_400).contains(&first), "{first}");
        let fourth = backoff(1, 4, two).num_milliseconds();
        assert!((12_800..=19_200).contains(&fourth), "{fourth}");
        let late = backoff(1, 30, two).num_milliseconds();
        assert!((480_000..=720_000).contains(&late), "{late}");
        let short = backoff(1, 1, Duration::from_millis(200)).num_milliseconds();
        assert!((160..=240).contains(&short), "{short}");
    }
}
