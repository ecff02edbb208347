//! The listing for one Olares version: which apps a box of that version sees, the curated
//! sections a folder can derive (`latest`, `tags`; no recommendations, pages, topics or
//! ranking), the catalog hash, and the `/info` body serialized once per snapshot.

use std::collections::BTreeMap;

use axum::body::Bytes;
use chrono::SecondsFormat;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use market_model::protocol::{HashResponse, StoreData, StoreInfoResponse, Tag};

use crate::catalog::Snapshot;
use crate::compat::{OsFilter, UNFILTERED};
use crate::publish::PublishedApp;

/// Tags this module gives every section item it makes (`source`: made by the source).
const SOURCE_SELF: i64 = 1;

/// The listing of one `version` query.
pub struct View {
    hash: HashResponse,
    info: Bytes,
    listed: usize,
}

impl std::fmt::Debug for View {
    // The serialized listing can be megabytes; its size says enough in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("hash", &self.hash)
            .field("info_bytes", &self.info.len())
            .field("listed", &self.listed)
            .finish()
    }
}

impl View {
    pub(crate) fn build(snapshot: &Snapshot, version: &str, filter: &OsFilter) -> View {
        let listed: Vec<&PublishedApp> = snapshot
            .apps()
            .iter()
            .filter(|app| app.requirement.admits(filter))
            .collect();
        let data = StoreData {
            apps: listed
                .iter()
                .map(|app| (app.id().to_owned(), app.summary()))
                .collect(),
            latest: latest(&listed),
            tags: tags(&listed),
            ..StoreData::default()
        };
        let hash = listing_hash(&listed, &data);
        let echo = if version.trim().is_empty() {
            UNFILTERED.to_owned()
        } else {
            version.to_owned()
        };
        let last_updated = snapshot.last_updated();
        let info = StoreInfoResponse {
            version: echo.clone(),
            hash: hash.clone(),
            last_updated: Some(last_updated),
            data,
            stats: None,
        };
        View {
            hash: HashResponse {
                hash,
                last_updated: last_updated.to_rfc3339_opts(SecondsFormat::Secs, true),
                version: echo,
            },
            // A tree of strings, numbers and string-keyed maps always serializes.
            info: Bytes::from(serde_json::to_vec(&info).unwrap_or_default()),
            listed: listed.len(),
        }
    }

    /// The body of `GET /api/v1/appstore/hash`.
    pub fn hash(&self) -> &HashResponse {
        &self.hash
    }

    /// The JSON body of `GET /api/v1/appstore/info`.
    pub fn info_json(&self) -> &Bytes {
        &self.info
    }

    /// How many apps the listing holds (delisted ones included).
    pub fn listed(&self) -> usize {
        self.listed
    }
}

/// Names of the apps a market keeps, most recently modified first (name order among
/// equals).
fn latest(listed: &[&PublishedApp]) -> Vec<String> {
    let mut kept: Vec<&PublishedApp> = listed
        .iter()
        .copied()
        .filter(|a| !a.is_delisted())
        .collect();
    kept.sort_by(|a, b| {
        b.entry()
            .update_time
            .cmp(&a.entry().update_time)
            .then_with(|| a.name().cmp(b.name()))
    });
    kept.iter().map(|a| a.name().to_owned()).collect()
}

/// One tag per category of the apps a market keeps, in name order.
fn tags(listed: &[&PublishedApp]) -> BTreeMap<String, Tag> {
    let mut names: Vec<&str> = listed
        .iter()
        .filter(|a| !a.is_delisted())
        .flat_map(|a| a.entry().categories.iter().map(String::as_str))
        .filter(|c| !c.is_empty())
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .zip(1..)
        .map(|(name, sort)| {
            let mut title = Map::new();
            title.insert("en-US".to_owned(), Value::String(category_title(name)));
            let tag = Tag {
                id: name.to_owned(),
                name: name.to_owned(),
                title,
                sort,
                source: SOURCE_SELF,
                ..Tag::default()
            };
            (name.to_owned(), tag)
        })
        .collect()
}

/// `Utilities_v112` → `Utilities`: Olares suffixes categories with the release that
/// introduced them.
fn category_title(name: &str) -> String {
    match name.rsplit_once("_v") {
        Some((base, release))
            if !base.is_empty() && release.bytes().all(|b| b.is_ascii_digit()) =>
        {
            base.to_owned()
        }
        _ => name.to_owned(),
    }
}

/// SHA-256 over the listed apps' digests (entries and packages) and the curated sections
/// other than `latest` (its order comes from file times; its members are the listed apps).
/// No clock time enters it: the same content gives the same hash on any machine.
fn listing_hash(listed: &[&PublishedApp], data: &StoreData) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"olares-market-source/1\n");
    let mut by_id: Vec<&&PublishedApp> = listed.iter().collect();
    by_id.sort_by_key(|a| a.id());
    for app in by_id {
        hasher.update(app.id().as_bytes());
        hasher.update(b":");
        hasher.update(app.digest().as_bytes());
        hasher.update(b"\n");
    }
    let curated = (
        &data.recommends,
        &data.pages,
        &data.topics,
        &data.topic_lists,
        &data.tops,
        &data.tags,
    );
    if let Ok(json) = serde_json::to_vec(&curated) {
        hasher.update(&json);
    }
    hex::encode(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn category_titles_drop_the_release_suffix() {
        assert_eq!(category_title("Utilities_v112"), "Utilities");
        assert_eq!(category_title("AI"), "AI");
        assert_eq!(category_title("_v1"), "_v1");
        assert_eq!(category_title("a_vb"), "a_vb");
    }
}
