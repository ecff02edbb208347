//! The catalog syncer (DESIGN.md §5.2): for the active remote source, fetch the catalog
//! (hash first; unchanged means nothing to do), remove upstream-delisted apps from
//! chart-repo and from every user, then replace the stored catalog (which stores the
//! hash last, in the same transaction). Runs at start, when a source changes
//! ([`crate::state::Signals::sources_changed`]) and every `MARKET_SYNC_INTERVAL`; each
//! round first pushes every source to chart-repo.
//!
//! Removals go to chart-repo *before* the catalog is replaced: if one fails, the
//! stored hash is the old one and the next round redoes the whole sync, so a removal
//! is never lost.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use market_model::protocol::ApplicationInfoEntry;
use market_model::{MarketSource, SourceId};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

use super::fetch::{Fetched, FetchedCatalog, fetch_catalog};
use super::source_client::{SourceClient, SourceClientConfig, SourceError};
use crate::chart_repo::{ChartRepoError, RemoveFor};
use crate::state::AppState;
use crate::store::{CatalogApp, CatalogDiff, CatalogSnapshot, StoreError};

/// The SSE event appended per app removed upstream (to every user).
pub const EVENT_APP_REMOVED: &str = "app_removed";

/// What one sync round can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    ChartRepo(#[from] ChartRepoError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("market source {id}: base URL {url:?}: {reason}")]
    BadBaseUrl {
        id: SourceId,
        url: String,
        reason: String,
    },
}

impl SyncError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Source(e) => e.is_retryable(),
            Self::ChartRepo(e) => e.is_retryable(),
            Self::Store(e) => e.is_retryable(),
            Self::BadBaseUrl { .. } => false,
        }
    }
}

/// What a round did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// The source synced; `None` when no remote source is active.
    pub source: Option<SourceId>,
    /// `None` when the hash was unchanged.
    pub diff: Option<CatalogDiff>,
}

/// Pushes every source to chart-repo.
pub async fn push_sources(state: &AppState) -> Result<(), SyncError> {
    for source in state.store.sources().await? {
        state.chart_repo.put_source(&source).await?;
    }
    Ok(())
}

/// One sync of the active remote source.
pub async fn sync_once(state: &AppState) -> Result<SyncReport, SyncError> {
    let sources = state.store.sources().await?;
    let Some(source) = sources.into_iter().find(MarketSource::is_active_remote) else {
        return Ok(SyncReport::default());
    };
    let bad = |reason: String| SyncError::BadBaseUrl {
        id: source.id.clone(),
        url: source.base_url.clone(),
        reason,
    };
    let base: url::Url = source.base_url.parse().map_err(|e| bad(format!("{e}")))?;
    let client = SourceClient::new(base, SourceClientConfig::default())?;
    let known = state.store.catalog_hash(&source.id).await?;
    let fetched = fetch_catalog(&client, &state.config.olares_version, known.as_deref()).await?;
    let Fetched::Catalog(catalog) = fetched else {
        return Ok(SyncReport {
            source: Some(source.id),
            diff: None,
        });
    };
    let diff = apply(state, &source.id, &catalog).await?;
    if !diff.is_empty() {
        tracing::info!(
            source = %source.id,
            added = diff.added.len(),
            updated = diff.updated.len(),
            removed = diff.removed.len(),
            "catalog changed"
        );
        state.signals.wake_hydration();
    }
    Ok(SyncReport {
        source: Some(source.id),
        diff: Some(diff),
    })
}

/// Removes what left upstream (chart-repo, users, events), then stores the catalog.
async fn apply(
    state: &AppState,
    source: &SourceId,
    catalog: &FetchedCatalog,
) -> Result<CatalogDiff, SyncError> {
    let apps = catalog
        .apps
        .iter()
        .map(catalog_app)
        .collect::<Result<Vec<_>, _>>()?;
    let keep: BTreeSet<&str> = apps.iter().map(|a| a.name.as_str()).collect();
    let stored = state.store.catalog_apps(source).await?;
    for gone in stored.iter().filter(|a| !keep.contains(a.name.as_str())) {
        let removed = state
            .chart_repo
            .remove_app(source, &gone.name, RemoveFor::AllUsers)
            .await?;
        state
            .store
            .remove_user_app(None, source, &gone.name)
            .await?;
        let data = json!({
            "source": source,
            "app_name": gone.name,
            "app_id": gone.app_id,
            "removed_for": removed.removed_for,
        });
        state
            .store
            .append_event(None, EVENT_APP_REMOVED, &data, Utc::now())
            .await?;
    }
    let mut listing = serde_json::to_value(&catalog.listing).map_err(corrupt)?;
    if let Value::Object(map) = &mut listing {
        map.remove("apps");
    }
    let snapshot = CatalogSnapshot {
        hash: catalog.hash.clone(),
        version: state.config.olares_version.clone(),
        listing,
        apps,
    };
    Ok(state
        .store
        .replace_catalog(source, &snapshot, Utc::now())
        .await?)
}

/// A fetched entry as the store keeps it; `entry_digest` = SHA-256 of its JSON.
pub fn catalog_app(entry: &ApplicationInfoEntry) -> Result<CatalogApp, StoreError> {
    let bytes = serde_json::to_vec(entry).map_err(corrupt)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(corrupt)?;
    Ok(CatalogApp {
        app_id: entry.id.clone(),
        name: entry.name.clone(),
        version: entry.version.clone(),
        entry: value,
        labels: entry.app_labels.clone(),
        entry_digest: hex::encode(Sha256::digest(&bytes)),
    })
}

fn corrupt(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// The syncer loop: a round at start, on a source change, every `MARKET_SYNC_INTERVAL`;
/// after a retryable failure the next round comes sooner (backoff up to the interval).
pub async fn run(state: AppState, token: CancellationToken) {
    let interval = state.config.sync_interval;
    let mut failures: u32 = 0;
    loop {
        // Registered before the round, so a change during it is not missed.
        let changed = state.signals.sources_changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();

        let round = async {
            push_sources(&state).await?;
            sync_once(&state).await
        };
        let wait = tokio::select! {
            () = token.cancelled() => return,
            result = round => match result {
                Ok(report) => {
                    failures = 0;
                    tracing::debug!(?report, "catalog sync round");
                    interval
                }
                Err(e) if e.is_retryable() => {
                    failures += 1;
                    let wait = retry_wait(failures).min(interval);
                    tracing::warn!(error = %e, retry_in = ?wait, "catalog sync failed");
                    wait
                }
                Err(e) => {
                    failures = 0;
                    tracing::error!(error = %e, "catalog sync failed; next at the interval or a source change");
                    interval
                }
            },
        };
        tokio::select! {
            () = token.cancelled() => return,
            () = &mut changed => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// 2 s doubling per failure, capped at 5 min.
fn retry_wait(failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(8);
    Duration::from_secs(2u64 << exp).min(Duration::from_secs(300))
}
