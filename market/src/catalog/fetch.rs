//! One catalog fetch from a remote source, in the Olares market's order: the hash first
//! (equal to the one known: nothing to do), then the listing, then the details of the
//! listed apps in batches of [`MAX_APP_IDS`], a few batches at a time. Apps the listing
//! labels `suspend` or `remove` are left out, as upstream leaves them out, so they end up
//! removed from the market like apps no longer listed.
//!
//! Never: writes to the store or tells chart-repo anything (the syncer does, with this
//! module's answer).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use market_model::protocol::{ApplicationInfoEntry, MAX_APP_IDS, StoreData, is_delisted};

use super::source_client::{RemoteSource, SourceError};

/// How many details requests are in flight at once.
pub const DETAILS_CONCURRENCY: usize = 4;

/// What a fetch found.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetched {
    /// The source's hash is the one known: the catalog is as last fetched.
    Unchanged { hash: String },
    /// A new catalog.
    Catalog(Box<FetchedCatalog>),
}

/// A whole catalog as a market keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct FetchedCatalog {
    /// The listing's hash (from `info`, so it matches the listing even if the catalog
    /// changed between the two calls).
    pub hash: String,
    pub last_updated: Option<DateTime<Utc>>,
    /// The listing as served: app summaries (every listed app, delisted ones too) and the
    /// curated sections (`recommends`, `pages`, `topics`, `tags`, …).
    pub listing: StoreData,
    /// The details of the apps the market keeps, sorted by id.
    pub apps: Vec<ApplicationInfoEntry>,
    /// Ids left out because the listing or the details label them `suspend`/`remove`
    /// (or the details carry no version), sorted.
    pub delisted: Vec<String>,
    /// Ids the listing named but the details did not return, sorted.
    pub not_found: Vec<String>,
}

/// Fetches the catalog for Olares version `version`; `known` is the hash of the catalog
/// the market holds, if any.
pub async fn fetch_catalog(
    source: &dyn RemoteSource,
    version: &str,
    known: Option<&str>,
) -> Result<Fetched, SourceError> {
    let hash = source.hash(version).await?;
    if known == Some(hash.hash.as_str()) {
        return Ok(Fetched::Unchanged { hash: hash.hash });
    }
    let info = source.info(version).await?;
    let (wanted, mut delisted) = split_listing(&info.data);
    // Owned batches: a stream over borrowed slices makes this future's `Send` depend on
    // a higher-ranked lifetime the compiler cannot prove when the syncer is spawned.
    let batches: Vec<Vec<String>> = wanted.chunks(MAX_APP_IDS).map(<[String]>::to_vec).collect();
    let answers: Vec<_> = stream::iter(batches)
        .map(|batch| async move { source.details(&batch, version).await })
        .buffer_unordered(DETAILS_CONCURRENCY)
        .try_collect()
        .await?;

    let mut found: BTreeMap<String, ApplicationInfoEntry> = BTreeMap::new();
    for answer in answers {
        found.extend(answer.apps);
    }
    let mut apps = Vec::with_capacity(found.len());
    let mut not_found = Vec::new();
    for id in &wanted {
        match found.remove(id) {
            Some(entry) if is_delisted(&entry.app_labels) || entry.version.is_empty() => {
                delisted.push(id.clone());
            }
            Some(entry) => apps.push(entry),
            None => not_found.push(id.clone()),
        }
    }
    if !not_found.is_empty() {
        tracing::warn!(count = not_found.len(), ids = ?not_found, "the source listed apps it has no details for");
    }
    delisted.sort();
    Ok(Fetched::Catalog(Box::new(FetchedCatalog {
        hash: info.hash,
        last_updated: info.last_updated,
        listing: info.data,
        apps,
        delisted,
        not_found,
    })))
}

/// The ids to ask details for, and those the listing already labels delisted. Only keys
/// whose summary carries the same `id` count, as upstream reads the listing.
fn split_listing(listing: &StoreData) -> (Vec<String>, Vec<String>) {
    let mut wanted = BTreeSet::new();
    let mut delisted = Vec::new();
    for (id, summary) in &listing.apps {
        if summary.id != *id {
            continue;
        }
        if is_delisted(&summary.app_labels) {
            delisted.push(id.clone());
        } else {
            wanted.insert(id.clone());
        }
    }
    (wanted.into_iter().collect(), delisted)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use market_model::protocol::{
        AppSummary, AppsInfoResponse, HashResponse, LABEL_REMOVE, LABEL_SUSPEND, StoreInfoResponse,
    };

    use super::*;

    /// A source in memory: what no real source produces on purpose (a listing that
    /// disagrees with its details), and a count of details calls in flight.
    #[derive(Default)]
    struct MemorySource {
        listing: StoreData,
        details: BTreeMap<String, ApplicationInfoEntry>,
        in_flight: AtomicUsize,
        most_in_flight: AtomicUsize,
        batches: Mutex<Vec<usize>>,
    }

    #[async_trait::async_trait]
    impl RemoteSource for MemorySource {
        async fn hash(&self, version: &str) -> Result<HashResponse, SourceError> {
            Ok(HashResponse {
                hash: "h2".into(),
                version: version.into(),
                ..HashResponse::default()
            })
        }

        async fn info(&self, version: &str) -> Result<StoreInfoResponse, SourceError> {
            Ok(StoreInfoResponse {
                hash: "h2".into(),
                version: version.into(),
                data: self.listing.clone(),
                ..StoreInfoResponse::default()
            })
        }

        async fn details(
            &self,
            app_ids: &[String],
            version: &str,
        ) -> Result<AppsInfoResponse, SourceError> {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            self.batches.lock().unwrap().push(app_ids.len());
            tokio::task::yield_now().await;
            let apps = app_ids
                .iter()
                .filter_map(|id| Some((id.clone(), self.details.get(id)?.clone())))
                .collect();
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok(AppsInfoResponse {
                apps,
                version: version.into(),
                ..AppsInfoResponse::default()
            })
        }
    }

    fn app(id: &str, labels: &[&str]) -> (AppSummary, ApplicationInfoEntry) {
        let labels: Vec<String> = labels.iter().map(|l| (*l).to_owned()).collect();
        let summary = AppSummary {
            id: id.into(),
            name: id.into(),
            app_labels: labels.clone(),
            ..AppSummary::default()
        };
        let entry = ApplicationInfoEntry {
            id: id.into(),
            name: id.into(),
            version: "1.0.0".into(),
            app_labels: labels,
            ..ApplicationInfoEntry::default()
        };
        (summary, entry)
    }

    #[tokio::test]
    async fn batches_of_ten_a_few_at_a_time_and_every_kind_of_drop() {
        let mut source = MemorySource::default();
        for i in 0..95 {
            let (summary, entry) = app(&format!("a{i:02}"), &[]);
            source.listing.apps.insert(summary.id.clone(), summary);
            source.details.insert(entry.id.clone(), entry);
        }
        // Labelled in the listing: never asked for.
        let (summary, _) = app("s1", &[LABEL_SUSPEND]);
        source.listing.apps.insert("s1".into(), summary);
        // Labelled only in its details: asked for, then dropped.
        let (summary, _) = app("r1", &[]);
        source.listing.apps.insert("r1".into(), summary);
        source
            .details
            .insert("r1".into(), app("r1", &[LABEL_REMOVE]).1);
        // Listed, but the details do not know it.
        let (summary, _) = app("gone", &[]);
        source.listing.apps.insert("gone".into(), summary);
        // A key whose summary names another id is not an app (upstream's reading).
        let (summary, _) = app("other", &[]);
        source.listing.apps.insert("mismatch".into(), summary);

        let Fetched::Catalog(catalog) = fetch_catalog(&source, "1.12.3", Some("h1")).await.unwrap()
        else {
            panic!("the hash moved");
        };
        assert_eq!(catalog.apps.len(), 95);
        assert_eq!(catalog.delisted, ["r1", "s1"]);
        assert_eq!(catalog.not_found, ["gone"]);
        let batches = source.batches.lock().unwrap().clone();
        assert_eq!(batches.len(), 10, "97 ids in batches of 10: {batches:?}");
        assert!(batches.iter().all(|&n| n <= MAX_APP_IDS));
        assert!(source.most_in_flight.load(Ordering::SeqCst) <= DETAILS_CONCURRENCY);

        let unchanged = fetch_catalog(&source, "1.12.3", Some("h2")).await.unwrap();
        assert_eq!(unchanged, Fetched::Unchanged { hash: "h2".into() });
    }
}
