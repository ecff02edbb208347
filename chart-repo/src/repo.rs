//! Keeping a user's repository consistent: the store's app records are the truth; the
//! served indexes and the rendered packages follow them. Loading the indexes at start
//! and removing apps go through here, so the three never drift apart.

use std::sync::Arc;

use chrono::Utc;
use market_model::SourceId;

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
