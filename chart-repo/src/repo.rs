//! Keeping a user's repository consistent: the store's app records are the truth; the
//! served indexes and the rendered packages follow them. Loading the indexes at start,
//! following the store's state changes (what other replicas, or an attempt whose reply
//! was lost, committed) and removing apps go through here, so the three never drift
//! apart.

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use market_model::{SourceId, StateChangeType};
use tokio_util::sync::CancellationToken;

use crate::hydrator::database_update::index_entry;
use crate::index::RepoIndexes;
use crate::index::served::RepoKey;
use crate::packages::{PackageStore, RenderedKey};
use crate::store::{AppRecord, RepoStore, StoreError};

/// Rebuilds every served index from the store's records; returns how many entries.
pub async fn load_indexes(
    store: &dyn RepoStore,
    indexes: &RepoIndexes,
) -> Result<usize, StoreError> {
    let mut after = None;
    let mut count = 0;
    loop {
        let page = store.apps_page(after.as_ref(), 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key());
        let entries = page.iter().filter_map(|record| match index_entry(record) {
            Ok(entry) => Some((
                RepoKey {
                    user: record.user.clone(),
                    source: record.source.to_string(),
                },
                entry,
            )),
            Err(e) => {
                tracing::warn!(
                    user = record.user,
                    app = record.app_name,
                    error = e,
                    "skipping a record without a valid chart"
                );
                None
            }
        });
        let entries: Vec<_> = entries.collect();
        count += entries.len();
        indexes.load(entries);
    }
    Ok(count)
}

/// How many state changes the follower reads at once.
const FOLLOW_PAGE: u32 = 500;

/// Follows the store's state changes after `cursor` (the latest id before the indexes
/// were loaded) into the served indexes, every `every`, until shutdown: for each app a
/// change names (a hydration committed, an app removed), the served entry is set to
/// what the store's record now says. Another replica's work reaches this replica's
/// indexes this way; this replica's own changes come back too and change nothing. A
/// cursor that fell behind the feed's retention rebuilds the indexes from the records.
pub async fn follow_changes(
    store: Arc<dyn RepoStore>,
    indexes: Arc<RepoIndexes>,
    mut cursor: i64,
    every: Duration,
    shutdown: CancellationToken,
) {
    let mut failing = false;
    loop {
        match follow_once(store.as_ref(), &indexes, cursor).await {
            Ok((next, more)) => {
                if failing {
                    tracing::info!("following the store's state changes again");
                    failing = false;
                }
                cursor = next;
                if more {
                    continue;
                }
            }
            Err(e) => {
                // Said once per outage; readiness reports the store itself.
                if !failing {
                    tracing::warn!(error = %e, "cannot follow the store's state changes");
                    failing = true;
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = shutdown.cancelled() => return,
        }
    }
}

/// Applies one page of changes after `cursor`; the new cursor, and whether more wait.
/// The cursor only moves past a change once the record it names was applied.
pub async fn follow_once(
    store: &dyn RepoStore,
    indexes: &RepoIndexes,
    cursor: i64,
) -> Result<(i64, bool), StoreError> {
    let page = match store.state_changes(cursor, FOLLOW_PAGE).await? {
        Ok(page) => page,
        Err(gone) => {
            let (kept, dropped) = resync_indexes(store, indexes).await?;
            tracing::warn!(
                cursor,
                latest_id = gone.latest_id,
                kept,
                dropped,
                "the state changes this replica had not seen were trimmed; indexes rebuilt from the records"
            );
            return Ok((gone.latest_id, false));
        }
    };
    let Some(last) = page.state_changes.last().map(|c| c.id) else {
        return Ok((cursor, false));
    };
    let apps: BTreeSet<(String, String, String)> = page
        .state_changes
        .iter()
        .filter(|c| {
            matches!(
                c.kind,
                StateChangeType::AppUploadCompleted | StateChangeType::AppRemoved
            )
        })
        .filter_map(|c| c.app_data.as_ref())
        .map(|a| (a.user_id.clone(), a.source.clone(), a.app_name.clone()))
        .collect();
    for (user, source, app) in apps {
        let Ok(source_id) = SourceId::parse(&source) else {
            continue;
        };
        match store.app(&user, &source_id, &app).await? {
            Some(record) => match index_entry(&record) {
                Ok(entry) => indexes.upsert(&user, &source, entry),
                Err(e) => tracing::warn!(user, app, error = e, "a record without a valid chart"),
            },
            None => {
                indexes.remove(&user, &source, &app);
            }
        }
    }
    let more = page.count >= FOLLOW_PAGE;
    Ok((last, more))
}

/// Sets every served index to the store's records: upserts each record's entry (an
/// unchanged one publishes nothing) and drops charts that have no record. Returns
/// (entries kept, charts dropped).
pub async fn resync_indexes(
    store: &dyn RepoStore,
    indexes: &RepoIndexes,
) -> Result<(usize, usize), StoreError> {
    let mut keep: HashSet<(RepoKey, String)> = HashSet::new();
    let mut after = None;
    loop {
        let page = store.apps_page(after.as_ref(), 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.key());
        for record in &page {
            if let Ok(entry) = index_entry(record) {
                indexes.upsert(&record.user, record.source.as_str(), entry);
                let repo = RepoKey {
                    user: record.user.clone(),
                    source: record.source.to_string(),
                };
                keep.insert((repo, record.app_name.clone()));
            }
        }
    }
    let dropped = indexes.retain(|repo, name| keep.contains(&(repo.clone(), name.to_owned())));
    Ok((keep.len(), dropped))
}

/// Removes an app for one user (or every user), with its index entries and packages;
/// the store appends one `app_removed` change per user. Returns the removed records.
pub async fn remove_app(
    store: &Arc<dyn RepoStore>,
    indexes: &RepoIndexes,
    packages: &PackageStore,
    source: &SourceId,
    name: &str,
    user: Option<&str>,
) -> Result<Vec<AppRecord>, StoreError> {
    let removed = store.remove_app(source, name, user, Utc::now()).await?;
    for record in &removed {
        indexes.remove(&record.user, source.as_str(), &record.app_name);
        let key = RenderedKey {
            user: record.user.clone(),
            source: source.to_string(),
            name: record.app_name.clone(),
            version: record.version.clone(),
        };
        if let Err(e) = packages.remove_rendered(&key).await {
            tracing::warn!(error = %e, "could not delete a removed app's package");
        }
    }
    Ok(removed)
}
