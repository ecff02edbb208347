//! The data watcher (DESIGN.md §5.2): follows chart-repo's `/state-changes` feed from the
//! persisted cursor and applies each change in order. The cursor moves past a change only
//! once it applied; a change that fails stops the page and is retried next round, never
//! skipped.
//!
//! - `app_upload_completed`: the user's payload is fetched (`POST /apps`) and stored
//!   ready; a `new_app_ready` event (none when the same package is already stored:
//!   market's own upload route recorded it);
//! - `app_render_failed`: stored failed with its step and reason (permanent until the
//!   version changes); an `app_render_failed` event;
//! - `image_info_updated`: an `image_info_updated` event for every user;
//! - `app_removed`: the user's app is removed; an `app_removed` event (none when market
//!   held no copy, e.g. its own delete route removed it first).
//!
//! On 410 (the cursor fell out of chart-repo's retention) the watcher resyncs: every
//! user app of every user is marked pending and due now, so the hydration driver asks
//! `sync-app` again for each (chart-repo answers `existing` for what it holds, and
//! renders what it lost), then the cursor jumps to `latest_id`.

use std::time::Duration;

use chrono::Utc;
use market_model::protocol::app_id;
use market_model::{SourceId, StateChange, StateChangeType};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::chart_repo::ChartRepoError;
use crate::hydration::{EVENT_APP_RENDER_FAILED, EVENT_NEW_APP_READY};
use crate::state::AppState;
use crate::store::{StoreError, UserAppFailure, UserAppKey};

/// Changes asked per page.
pub const PAGE: u32 = 100;
/// The poll period.
pub const POLL: Duration = Duration::from_secs(2);

pub const EVENT_IMAGE_INFO_UPDATED: &str = "image_info_updated";
pub const EVENT_APP_REMOVED: &str = "app_removed";

#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    #[error(transparent)]
    ChartRepo(#[from] ChartRepoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("state change {id}: {reason}")]
    BadChange { id: i64, reason: String },
}

/// What a round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub applied: usize,
    /// Whether the page was full (more may follow at once).
    pub full: bool,
    /// Whether a 410 made it resync.
    pub resynced: bool,
}

/// The watcher loop.
pub async fn run(state: AppState, token: CancellationToken) {
    loop {
        let round = tokio::select! {
            () = token.cancelled() => return,
            round = run_round(&state) => round,
        };
        match round {
            Ok(round) if round.full || round.resynced => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "data watcher round failed; retrying"),
        }
        tokio::select! {
            () = token.cancelled() => return,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One page of the feed.
pub async fn run_round(state: &AppState) -> Result<Round, WatchError> {
    let cursor = state.store.watcher_cursor().await?;
    let page = match state.chart_repo.state_changes(cursor, PAGE).await? {
        Ok(page) => page,
        Err(gone) => {
            tracing::warn!(
                cursor,
                oldest = gone.oldest_id,
                latest = gone.latest_id,
                "state-changes: cursor past retention; resyncing every user"
            );
            resync(state).await?;
            state.store.set_watcher_cursor(gone.latest_id).await?;
            return Ok(Round {
                resynced: true,
                ..Round::default()
            });
        }
    };
    let mut round = Round {
        full: page.state_changes.len() as u32 >= PAGE,
        ..Round::default()
    };
    for change in &page.state_changes {
        if let Err(e) = apply(state, change).await {
            tracing::warn!(id = change.id, kind = change.kind.as_str(), error = %e, "state change not applied; retried next round");
            return Err(e);
        }
        state.store.set_watcher_cursor(change.id).await?;
        round.applied += 1;
    }
    Ok(round)
}

/// Applies one change.
pub async fn apply(state: &AppState, change: &StateChange) -> Result<(), WatchError> {
    let now = Utc::now();
    if change.kind == StateChangeType::ImageInfoUpdated {
        let image = change
            .image_data
            .as_ref()
            .map(|i| i.image_name.clone())
            .unwrap_or_default();
        state
            .store
            .append_event(
                None,
                EVENT_IMAGE_INFO_UPDATED,
                &json!({ "image_name": image }),
                now,
            )
            .await?;
        return Ok(());
    }
    let bad = |reason: String| WatchError::BadChange {
        id: change.id,
        reason,
    };
    let app = change
        .app_data
        .as_ref()
        .ok_or_else(|| bad("no app_data".into()))?;
    let source = SourceId::parse(&app.source).map_err(|e| bad(format!("source: {e}")))?;
    let key = UserAppKey::new(&app.user_id, &source, &app.app_name);
    let data = json!({
        "source": source,
        "app_name": app.app_name,
        "app_id": app_id(&app.app_name),
        "version": app.version,
    });
    match change.kind {
        StateChangeType::AppUploadCompleted => {
            let found = state
                .chart_repo
                .apps(&app.user_id, &[(app.app_name.as_str(), &source)])
                .await?;
            // Removed since: a later `app_removed` says so; nothing to apply.
            let Some(payload) = found.into_iter().next() else {
                return Ok(());
            };
            let id = payload
                .pointer("/app_simple_info/app_id")
                .and_then(Value::as_str)
                .map_or_else(|| app_id(&app.app_name), str::to_owned);
            let version = payload
                .get("version")
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .unwrap_or(&app.version)
                .to_owned();
            // Already applied (market's `POST /apps/upload` records its answer at once).
            let digest = |p: &Value| {
                p.get("package_digest")
                    .and_then(Value::as_str)
                    .filter(|d| !d.is_empty())
                    .map(str::to_owned)
            };
            if let Some(current) = state.store.user_app(&key).await?
                && current.status == crate::store::UserAppStatus::Ready
                && let Some(stored) = current.payload.as_ref().and_then(digest)
                && digest(&payload) == Some(stored)
            {
                return Ok(());
            }
            state
                .store
                .put_user_app_ready(&key, &id, &version, &payload, now)
                .await?;
            state
                .store
                .append_event(Some(&app.user_id), EVENT_NEW_APP_READY, &data, now)
                .await?;
        }
        StateChangeType::AppRenderFailed => {
            let failure = UserAppFailure {
                step: change.failure_step.clone().unwrap_or_default(),
                reason: change.failure_reason.clone().unwrap_or_default(),
                at: change.timestamp,
            };
            // A failure of an older version than the one now ready is history.
            if let Some(current) = state.store.user_app(&key).await?
                && current.version != app.version
                && current.status == crate::store::UserAppStatus::Ready
            {
                return Ok(());
            }
            state
                .store
                .put_user_app_failed(
                    &key,
                    &app_id(&app.app_name),
                    &app.version,
                    &failure,
                    None,
                    now,
                )
                .await?;
            let mut data = data;
            data["failure_step"] = json!(failure.step);
            data["failure_reason"] = json!(failure.reason);
            state
                .store
                .append_event(Some(&app.user_id), EVENT_APP_RENDER_FAILED, &data, now)
                .await?;
        }
        StateChangeType::AppRemoved => {
            let removed = state
                .store
                .remove_user_app(Some(&app.user_id), &source, &app.app_name)
                .await?;
            // Already applied (market's `DELETE /local-apps/delete` removes at once).
            if removed == 0 {
                return Ok(());
            }
            state
                .store
                .append_event(Some(&app.user_id), EVENT_APP_REMOVED, &data, now)
                .await?;
        }
        StateChangeType::ImageInfoUpdated => {}
    }
    Ok(())
}

/// Marks every user app pending and due now, and wakes the hydration driver.
pub async fn resync(state: &AppState) -> Result<(), WatchError> {
    let now = Utc::now();
    for user in state.store.users().await? {
        for app in state.store.user_apps(&user.name, None).await? {
            // Only catalog apps: the driver re-renders those; others (uploads) are kept.
            if state
                .store
                .catalog_app(&app.source, &app.app_name)
                .await?
                .is_none()
            {
                continue;
            }
            state
                .store
                .put_user_app_pending(&app.key(), &app.app_id, &app.version, now, now)
                .await?;
        }
    }
    state.signals.wake_hydration();
    Ok(())
}
