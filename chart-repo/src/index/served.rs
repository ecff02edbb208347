//! The index of each (user, source), kept in memory and updated entry by entry: a
//! hydration replaces one chart's entry (chart-repo keeps the latest version per app), a
//! removal drops it, and the YAML is re-emitted with only that chart's block rebuilt
//! (`helm-index` caches the others). Each change publishes a new [`ServedIndex`]
//! snapshot, so a request never waits for serialization and never sees half an update.
//!
//! Never: I/O. The index is rebuilt at start from the store's app records.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, OnceLock, RwLock};

use axum::http::HeaderValue;
use chrono::{DateTime, SubsecRound, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use helm_index::{ChartVersion, IndexFile};
use sha2::{Digest, Sha256};

use crate::packages::RenderedKey;

/// An HTTP validator (`ETag`, `Last-Modified`) as text, to compare with what a client
/// sends, and as the header value, made once when its state is published rather than
/// per request.
#[derive(Debug)]
pub struct Validator {
    pub text: String,
    pub header: HeaderValue,
}

impl Validator {
    fn new(text: String) -> Self {
        // Our validators are ASCII: quoted hex digests and HTTP dates.
        let header = HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""));
        Self { text, header }
    }
}

/// One published state of an index: the bytes and their validators.
#[derive(Debug)]
pub struct ServedIndex {
    pub yaml: Arc<[u8]>,
    /// A strong validator: the quoted SHA-256 of `yaml`.
    pub etag: Validator,
    /// The validator of the gzip-encoded representation (`"…-gz"`).
    pub etag_gzip: Validator,
    /// When this index last changed, to the second (HTTP dates have no fraction).
    pub last_modified: DateTime<Utc>,
    /// `last_modified` as an HTTP date.
    pub last_modified_header: HeaderValue,
    /// Whether the state before this one has the same `last_modified` second: then an
    /// `If-Modified-Since` of that second may come from a client holding the older state.
    shares_its_second: bool,
    gzip: OnceLock<Arc<[u8]>>,
}

impl ServedIndex {
    fn new(index: &IndexFile, last_modified: DateTime<Utc>, previous: Option<&Self>) -> Self {
        let yaml: Arc<[u8]> = index.to_yaml().into_bytes().into();
        let digest = hex::encode(Sha256::digest(&yaml));
        let last_modified = last_modified.trunc_subsecs(0);
        let http_date = last_modified
            .format("%a, %d %b %Y %H:%M:%S GMT")
            .to_string();
        Self {
            yaml,
            etag: Validator::new(format!("\"{digest}\"")),
            etag_gzip: Validator::new(format!("\"{digest}-gz\"")),
            last_modified,
            last_modified_header: Validator::new(http_date).header,
            shares_its_second: previous.is_some_and(|p| p.last_modified >= last_modified),
            gzip: OnceLock::new(),
        }
    }

    /// The earliest `If-Modified-Since` that proves a client holds this state: its
    /// `last_modified`, or the second after when an earlier state shares that second (two
    /// changes within one second must not make the second one's readers stale).
    pub fn held_since(&self) -> DateTime<Utc> {
        if self.shares_its_second {
            self.last_modified + chrono::Duration::seconds(1)
        } else {
            self.last_modified
        }
    }

    /// The YAML gzip-compressed, computed on first use and kept.
    pub fn gzip(&self) -> Arc<[u8]> {
        self.gzip
            .get_or_init(|| {
                let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
                // Writing into a Vec cannot fail.
                let _ = encoder.write_all(&self.yaml);
                encoder.finish().unwrap_or_default().into()
            })
            .clone()
    }
}

/// What the package route needs of one package an index lists, made when its repository
/// is published, so serving it clones nothing and formats nothing.
#[derive(Debug)]
pub struct ServedPackage {
    pub key: RenderedKey,
    /// SHA-256 of the package, lower-case hex, as the index lists it.
    pub digest: String,
    /// The strong validator: the quoted digest.
    pub etag: Validator,
}

/// Which repository: a user's view of one source.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RepoKey {
    pub user: String,
    pub source: String,
}

struct Repo {
    index: IndexFile,
    served: Arc<ServedIndex>,
    /// The listed packages by file name (`{name}-{version}.tgz`, the file of
    /// `charts/{file}` in their entry's first URL).
    packages: HashMap<String, Arc<ServedPackage>>,
}

impl Repo {
    /// A repository not yet published: it shows the shared empty index until its first
    /// change.
    fn empty(served: &Arc<ServedIndex>) -> Self {
        Self {
            index: IndexFile::new(),
            served: served.clone(),
            packages: HashMap::new(),
        }
    }

    fn publish(&mut self, key: &RepoKey) {
        self.index.touch();
        self.served = Arc::new(ServedIndex::new(
            &self.index,
            Utc::now(),
            Some(&self.served),
        ));
        self.packages = self
            .index
            .entries()
            .filter_map(|e| {
                let file = e.urls.first()?.strip_prefix("charts/")?;
                let package = ServedPackage {
                    key: RenderedKey {
                        user: key.user.clone(),
                        source: key.source.clone(),
                        name: e.name().to_owned(),
                        version: e.version().to_owned(),
                    },
                    digest: e.digest.clone(),
                    etag: Validator::new(format!("\"{}\"", e.digest)),
                };
                Some((file.to_owned(), Arc::new(package)))
            })
            .collect();
    }
}

/// Every (user, source) index.
pub struct RepoIndexes {
    repos: RwLock<HashMap<RepoKey, Repo>>,
    /// What a repository holding nothing serves. Asking for an unknown (user, source)
    /// creates nothing: the names come from request headers and paths.
    empty: Arc<ServedIndex>,
}

impl Default for RepoIndexes {
    fn default() -> Self {
        Self {
            repos: RwLock::default(),
            empty: Arc::new(ServedIndex::new(&IndexFile::new(), Utc::now(), None)),
        }
    }
}

impl std::fmt::Debug for RepoIndexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoIndexes").finish_non_exhaustive()
    }
}

fn key(user: &str, source: &str) -> RepoKey {
    RepoKey {
        user: user.to_owned(),
        source: source.to_owned(),
    }
}

impl RepoIndexes {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current index of a repository; an empty index when it holds nothing yet.
    pub fn served(&self, user: &str, source: &str) -> Arc<ServedIndex> {
        self.read()
            .get(&key(user, source))
            .map_or_else(|| self.empty.clone(), |repo| repo.served.clone())
    }

    /// Puts `entry` as the only version of its chart in the repository.
    pub fn upsert(&self, user: &str, source: &str, entry: ChartVersion) {
        let mut repos = self.write();
        let k = key(user, source);
        let repo = repos
            .entry(k.clone())
            .or_insert_with(|| Repo::empty(&self.empty));
        let current = repo.index.versions(entry.name());
        if current.len() == 1 && current[0] == entry {
            return;
        }
        repo.index.remove_chart(entry.name());
        repo.index.add(entry);
        repo.publish(&k);
    }

    /// Loads many entries at once (at start), publishing each repository once.
    pub fn load(&self, entries: impl IntoIterator<Item = (RepoKey, ChartVersion)>) {
        let mut repos = self.write();
        // Each repository is published once, however many of its entries came: a
        // publish serializes and hashes the whole index.
        let mut touched = std::collections::HashSet::new();
        for (k, entry) in entries {
            let repo = repos
                .entry(k.clone())
                .or_insert_with(|| Repo::empty(&self.empty));
            repo.index.remove_chart(entry.name());
            repo.index.add(entry);
            touched.insert(k);
        }
        for k in touched {
            if let Some(repo) = repos.get_mut(&k) {
                repo.publish(&k);
            }
        }
    }

    /// Drops a chart from a repository; returns whether it was there.
    pub fn remove(&self, user: &str, source: &str, name: &str) -> bool {
        let mut repos = self.write();
        let k = key(user, source);
        let Some(repo) = repos.get_mut(&k) else {
            return false;
        };
        if repo.index.remove_chart(name).is_empty() {
            return false;
        }
        repo.publish(&k);
        true
    }

    /// Drops every chart for which `keep(repository, chart name)` is false, publishing
    /// only the repositories that changed (a resync after the feed was trimmed).
    pub fn retain(&self, keep: impl Fn(&RepoKey, &str) -> bool) -> usize {
        let mut repos = self.write();
        let mut dropped = 0;
        for (k, repo) in repos.iter_mut() {
            let gone: Vec<String> = repo
                .index
                .names()
                .filter(|name| !keep(k, name))
                .map(str::to_owned)
                .collect();
            if gone.is_empty() {
                continue;
            }
            for name in &gone {
                repo.index.remove_chart(name);
            }
            dropped += gone.len();
            repo.publish(k);
        }
        dropped
    }

    /// The package served as `charts/{file}`.
    pub fn package(&self, user: &str, source: &str, file: &str) -> Option<Arc<ServedPackage>> {
        self.read()
            .get(&key(user, source))?
            .packages
            .get(file)
            .cloned()
    }

    /// Every version of a chart a user's repository holds, newest first.
    pub fn versions(&self, user: &str, source: &str, name: &str) -> Vec<String> {
        let repos = self.read();
        repos
            .get(&key(user, source))
            .map(|r| {
                r.index
                    .versions(name)
                    .iter()
                    .map(|v| v.version().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<RepoKey, Repo>> {
        // A panic while holding the lock cannot leave the map half-updated (each update
        // publishes at its end), so a poisoned lock is still safe to use.
        self.repos
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<RepoKey, Repo>> {
        self.repos
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use helm_index::{ParseMode, parse_index};
    use olares_chart::Metadata;

    use super::*;

    fn entry(name: &str, version: &str) -> ChartVersion {
        let metadata = Metadata {
            api_version: "v2".into(),
            name: name.into(),
            version: version.into(),
            ..Metadata::default()
        };
        ChartVersion::new(
            metadata,
            format!("charts/{name}-{version}.tgz"),
            "ab".repeat(32),
        )
    }

    #[test]
    fn a_new_version_replaces_the_old_and_users_stay_apart() {
        let indexes = RepoIndexes::new();
        let empty = indexes.served("alice", "market.olares");
        indexes.upsert("alice", "market.olares", entry("ghost", "1.0.0"));
        indexes.upsert("alice", "market.olares", entry("ghost", "1.1.0"));
        indexes.upsert("bob", "market.olares", entry("ghost", "1.0.0"));
        assert_eq!(
            indexes.versions("alice", "market.olares", "ghost"),
            ["1.1.0"]
        );
        assert_eq!(indexes.versions("bob", "market.olares", "ghost"), ["1.0.0"]);
        assert!(indexes.versions("alice", "upload", "ghost").is_empty());
        let served = indexes.served("alice", "market.olares");
        assert_ne!(served.etag.text, empty.etag.text);
        let text = std::str::from_utf8(&served.yaml).unwrap();
        let parsed = parse_index(text, ParseMode::Strict).unwrap();
        assert!(parsed.has("ghost", "1.1.0") && !parsed.has("ghost", "1.0.0"));
        assert!(
            indexes
                .package("alice", "market.olares", "ghost-1.1.0.tgz")
                .is_some_and(
                    |p| p.key.version == "1.1.0" && p.etag.text == format!("\"{}\"", p.digest)
                )
        );
        assert!(
            indexes
                .package("bob", "market.olares", "ghost-1.1.0.tgz")
                .is_none()
        );
    }

    #[test]
    fn asking_for_unknown_repositories_creates_nothing() {
        let indexes = RepoIndexes::new();
        for i in 0..100 {
            let served = indexes.served(&format!("user-{i}"), "market.olares");
            assert!(Arc::ptr_eq(&served, &indexes.empty));
        }
        assert!(indexes.read().is_empty());
        indexes.upsert("alice", "s", entry("ghost", "1.0.0"));
        assert_eq!(indexes.read().len(), 1);
        assert!(!Arc::ptr_eq(&indexes.served("alice", "s"), &indexes.empty));
    }

    #[test]
    fn two_changes_in_one_second_do_not_validate_the_first_ones_date() {
        let indexes = RepoIndexes::new();
        indexes.upsert("alice", "s", entry("ghost", "1.0.0"));
        let first = indexes.served("alice", "s");
        indexes.upsert("alice", "s", entry("ghost", "1.0.1"));
        let second = indexes.served("alice", "s");
        assert!(second.last_modified >= first.last_modified);
        // A client holding the first state sends its Last-Modified: it must not get a 304
        // for the second.
        assert!(second.held_since() > first.last_modified);
        if second.last_modified > first.last_modified {
            assert_eq!(second.held_since(), second.last_modified);
        }
    }

    #[test]
    fn an_unchanged_upsert_keeps_the_validators() {
        let indexes = RepoIndexes::new();
        let e = entry("ghost", "1.0.0");
        indexes.upsert("alice", "s", e.clone());
        let before = indexes.served("alice", "s");
        indexes.upsert("alice", "s", e);
        assert!(Arc::ptr_eq(&before, &indexes.served("alice", "s")));
        assert!(indexes.remove("alice", "s", "ghost"));
        assert!(!indexes.remove("alice", "s", "ghost"));
        assert!(indexes.versions("alice", "s", "ghost").is_empty());
    }
}
