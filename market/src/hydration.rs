//! The hydration driver (DESIGN.md §5.2): claims the (user, catalog app) pairs whose
//! rendered record is missing, at another version, or due for a retry
//! (`claim_stale_user_apps`, a lease of [`LEASE`]), and asks chart-repo's `sync-app`
//! for each, at most `MARKET_HYDRATION_CONCURRENCY` at once.
//!
//! Outcomes:
//! - done: the payload is stored ready, and the user gets a `new_app_ready` event;
//! - a render failure: stored failed with its step and reason (an `app_render_failed`
//!   event); permanent (`next_attempt_at: None`, until the catalog version changes)
//!   unless chart-repo marks it retryable;
//! - still in progress: left pending until the lease ends. The data watcher marks it
//!   ready (or failed) when chart-repo's feed reports the end, usually much sooner;
//!   if not, the claim expires and the app is asked again (which joins chart-repo's job);
//! - a call error: retryable ones back off exponentially from the attempts at that
//!   version ([`backoff`]); permanent ones are stored failed for good.
//!
//! Wakes on [`crate::state::Signals::hydrate`] (new user, catalog change) and polls every
//! [`POLL`] as a fallback.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, stream};
use market_model::protocol::ApplicationInfoEntry;
use market_model::sync::{PendingAppData, SyncAppRequest};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::chart_repo::SyncOutcome;
use crate::metrics::HydrationOutcome;
use crate::state::AppState;
use crate::store::{StaleApp, StoreError, UserAppFailure};

/// How long a claim holds an app pending before it is stale again.
pub const LEASE: Duration = Duration::from_secs(120);
/// The fallback poll.
pub const POLL: Duration = Duration::from_secs(5);
/// How many apps one claim takes.
const BATCH: u32 = 64;

/// The SSE event of a rendered app.
pub const EVENT_NEW_APP_READY: &str = "new_app_ready";
/// The SSE event of a failed render.
pub const EVENT_APP_RENDER_FAILED: &str = "app_render_failed";

/// The wait before retrying after `attempts` failed attempts: 5 s doubling, capped at 10 min.
pub fn backoff(attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(10);
    Duration::from_secs(5u64 << exp).min(Duration::from_secs(600))
}

/// The driver loop.
pub async fn run(state: AppState, token: CancellationToken) {
    loop {
        // Registered before the claim, so a wake-up during the round is kept.
        let woken = state.signals.hydrate.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();

        let round = tokio::select! {
            () = token.cancelled() => return,
            round = run_round(&state) => round,
        };
        match round {
            Ok(0) => {}
            // A full batch may mean more: claim again at once.
            Ok(_) => continue,
            Err(e) => tracing::warn!(error = %e, "hydration: claiming stale apps failed"),
        }
        tokio::select! {
            () = token.cancelled() => return,
            () = &mut woken => {}
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One claim and its sync-app calls; how many apps were claimed.
pub async fn run_round(state: &AppState) -> Result<usize, StoreError> {
    let now = Utc::now();
    let until = now + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::MAX);
    let claimed = state.store.claim_stale_user_apps(now, BATCH, until).await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let admin = state
        .store
        .admin()
        .await?
        .unwrap_or_else(|| state.config.admin().to_owned());
    let count = claimed.len();
    stream::iter(claimed)
        .for_each_concurrent(state.config.hydration_concurrency, |stale| {
            let admin = admin.as_str();
            async move {
                if let Err(e) = hydrate(state, &stale, admin).await {
                    tracing::warn!(user = %stale.user, app = %stale.app_name, error = %e, "hydration: recording the outcome failed");
                }
            }
        })
        .await;
    Ok(count)
}

/// The sync-app request for one stale app.
pub fn request(stale: &StaleApp, admin: &str) -> Result<SyncAppRequest, serde_json::Error> {
    let entry: ApplicationInfoEntry = serde_json::from_value(stale.entry.clone())?;
    Ok(SyncAppRequest {
        app_info_latest_pending_data: PendingAppData {
            kind: "app-info-latest-pending".into(),
            timestamp: Utc::now().timestamp(),
            version: stale.catalog_version.clone(),
            raw_data: Some(entry),
            ..PendingAppData::default()
        },
        source_id: stale.source.to_string(),
        user_name: stale.user.clone(),
        admin_user: admin.to_owned(),
    })
}

async fn hydrate(state: &AppState, stale: &StaleApp, admin: &str) -> Result<(), StoreError> {
    let key = stale.key();
    let version = stale.catalog_version.as_str();
    let request = match request(stale, admin) {
        Ok(request) => request,
        Err(e) => {
            let failure = failure("catalog_entry", e.to_string());
            return record_failure(state, stale, &failure, None).await;
        }
    };
    let outcome = state.chart_repo.sync_app(&request).await;
    let now = Utc::now();
    match outcome {
        Ok(SyncOutcome::Done(done)) => {
            let payload = serde_json::to_value(&done.app_data)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            state
                .store
                .put_user_app_ready(&key, &stale.app_id, version, &payload, now)
                .await?;
            let data = json!({
                "source": stale.source,
                "app_name": stale.app_name,
                "app_id": stale.app_id,
                "version": version,
                "status": done.status,
            });
            state
                .store
                .append_event(Some(&stale.user), EVENT_NEW_APP_READY, &data, now)
                .await?;
            state
                .market_metrics
                .count_hydration(HydrationOutcome::Ready);
            Ok(())
        }
        Ok(SyncOutcome::Failed(f)) => {
            let retry = f.retryable;
            state.market_metrics.count_hydration(if retry {
                HydrationOutcome::Retrying
            } else {
                HydrationOutcome::Failed
            });
            let failure = failure(&f.failure_step, f.failure_reason);
            let next = if retry {
                Some(next_attempt(state, stale, now).await?)
            } else {
                None
            };
            record_failure(state, stale, &failure, next).await
        }
        // Pending until the lease ends (see the module's doc); the watcher finishes it.
        Ok(SyncOutcome::InProgress { job_id }) => {
            state
                .market_metrics
                .count_hydration(HydrationOutcome::InProgress);
            tracing::debug!(user = %stale.user, app = %stale.app_name, job_id, "hydration in progress");
            Ok(())
        }
        Err(e) => {
            state.market_metrics.count_hydration(if e.is_retryable() {
                HydrationOutcome::Retrying
            } else {
                HydrationOutcome::Failed
            });
            let next = if e.is_retryable() {
                Some(next_attempt(state, stale, now).await?)
            } else {
                None
            };
            tracing::warn!(user = %stale.user, app = %stale.app_name, error = %e, retry_at = ?next, "sync-app failed");
            record_failure(state, stale, &failure("sync_app", e.to_string()), next).await
        }
    }
}

fn failure(step: &str, reason: String) -> UserAppFailure {
    UserAppFailure {
        step: step.to_owned(),
        reason,
        at: Utc::now(),
    }
}

/// `now` + the backoff after this attempt (the attempts so far at this version, + 1).
async fn next_attempt(
    state: &AppState,
    stale: &StaleApp,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, StoreError> {
    let attempts = match state.store.user_app(&stale.key()).await? {
        Some(app) if app.version == stale.catalog_version => app.attempts,
        _ => 0,
    };
    let wait = backoff(attempts + 1);
    Ok(now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX))
}

async fn record_failure(
    state: &AppState,
    stale: &StaleApp,
    failure: &UserAppFailure,
    next_attempt_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    let now = Utc::now();
    let attempts = state
        .store
        .put_user_app_failed(
            &stale.key(),
            &stale.app_id,
            &stale.catalog_version,
            failure,
            next_attempt_at,
            now,
        )
        .await?;
    let data = json!({
        "source": stale.source,
        "app_name": stale.app_name,
        "app_id": stale.app_id,
        "version": stale.catalog_version,
        "failure_step": failure.step,
        "failure_reason": failure.reason,
        "attempts": attempts,
        "next_attempt_at": next_attempt_at,
    });
    state
        .store
        .append_event(Some(&stale.user), EVENT_APP_RENDER_FAILED, &data, now)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(30), Duration::from_secs(600));
    }
}
