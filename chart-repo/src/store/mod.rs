//! chart-repo's storage port: one trait, two backends (SQLite for the embedded
//! profile, Redis for production); every backend passes the same contract
//! (`tests/api/store.rs`, with the source part shared in `test_harness`).
//!
//! Sources are kept as JSON documents (market owns their schema and pushes them
//! here); the one-active-remote rule is enforced atomically by each backend.
//!
//! [`RepoStore`] is the union of one trait per noun: [`QueueStore`] (durable
//! hydration jobs with leases), [`AppStore`] (the latest rendered app per user,
//! source and app, and the transactions that change it together with the feed),
//! [`ChangeStore`] (the state-change feed), [`ImageCacheStore`] and
//! [`DownloadStore`]. Every transition that touches more than one record is one
//! transaction (SQLite) or one Lua script (Redis). Never: HTTP, rendering, I/O
//! outside the store.

mod model;
mod redis;
mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use market_model::{MarketSource, SourceId, StateChangesGone, StateChangesPage};

pub use self::model::{
    AppKey, AppRecord, CachedImage, Committed, Download, EnqueueOutcome, Failure, HydrationCommit,
    HydrationFailure, HydrationJob, HydrationKey, JobId, JobState, Lease, LeaseToken, PutOutcome,
    QueueCounts, StateChangeDraft,
};
pub use self::redis::{RedisKeys, RedisStore};
pub use self::sqlite::SqliteStore;
use crate::config::StoreUrl;

/// What went wrong in the store. `Unavailable` is retryable; the rest are not.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// The message of the one-active-remote rule, shared by every backend.
pub const ONE_ACTIVE_REMOTE: &str =
    "another remote market source is already active; deactivate it first";

/// Everything chart-repo keeps: the union of the per-noun traits, plus
/// migrations, health and market sources.
#[async_trait::async_trait]
pub trait RepoStore:
    QueueStore + AppStore + ChangeStore + ImageCacheStore + DownloadStore + Send + Sync + 'static
{
    /// Applies pending migrations and seeds the default sources once.
    async fn migrate(&self) -> Result<(), StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;

    /// Every source, by priority (highest first), then id.
    async fn sources(&self) -> Result<Vec<MarketSource>, StoreError>;
    async fn source(&self, id: &SourceId) -> Result<Option<MarketSource>, StoreError>;
    /// Inserts or replaces a source; a second active remote is `Conflict`.
    async fn put_source(&self, source: &MarketSource) -> Result<(), StoreError>;
    /// Returns whether the source existed.
    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError>;
}

/// The durable hydration queue (DESIGN.md §4.3).
///
/// Rules every backend keeps:
/// - **Dedup**: `enqueue` returns the live (pending or leased) job of the key if
///   there is one; otherwise it always creates a job, even when the latest job
///   of the key is done or failed for good. Whether a permanent failure should
///   block a retry of the same chart is the caller's decision (it knows the
///   source digest; see [`QueueStore::job_by_key`]).
/// - **Leases**: `lease` hands out due pending jobs, oldest `next_attempt_at`
///   first (then lowest id), each with `token = attempts` (incremented by the
///   lease) and a deadline. A lease is valid until it is reclaimed: `lease` and
///   `reclaim_expired` first return every job whose deadline is `<= now` to
///   pending (keeping its `next_attempt_at`, so it is leased again first).
/// - **Exactly once**: `heartbeat`, `complete`, `fail` and the `AppStore`
///   transitions take `(job_id, token)` and change nothing (returning
///   `false`/`None`) unless the job is still leased under that token.
#[async_trait::async_trait]
pub trait QueueStore: Send + Sync {
    /// Adds a pending job due `now`, unless the key has a live job.
    async fn enqueue(
        &self,
        key: &HydrationKey,
        request: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<EnqueueOutcome, StoreError>;

    /// Reclaims expired leases, then leases up to `max` due jobs to `worker`
    /// until `now + lease_for`.
    async fn lease(
        &self,
        worker: &str,
        max: usize,
        lease_for: std::time::Duration,
        now: DateTime<Utc>,
    ) -> Result<Vec<HydrationJob>, StoreError>;

    /// Returns every job whose lease deadline is `<= now` to pending; how many.
    async fn reclaim_expired(&self, now: DateTime<Utc>) -> Result<usize, StoreError>;

    /// Moves the lease deadline to `extend_to`; false if the lease was lost.
    async fn heartbeat(
        &self,
        id: JobId,
        token: LeaseToken,
        extend_to: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Marks the job done with `result`; false (and nothing written) if the
    /// lease was lost.
    async fn complete(
        &self,
        id: JobId,
        token: LeaseToken,
        result: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records a failure: back to pending at `retry_at`, or failed for good when
    /// `None`. False (and nothing written) if the lease was lost. `failure` is
    /// stored as given (its `permanent` should agree with `retry_at`); its
    /// `time` is the job's `updated_at`.
    async fn fail(
        &self,
        id: JobId,
        token: LeaseToken,
        failure: &Failure,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<bool, StoreError>;

    async fn job(&self, id: JobId) -> Result<Option<HydrationJob>, StoreError>;
    /// The most recently created job of the key.
    async fn job_by_key(&self, key: &HydrationKey) -> Result<Option<HydrationJob>, StoreError>;
    async fn queue_counts(&self) -> Result<QueueCounts, StoreError>;

    /// Deletes done and failed jobs that finished before `before` (retention);
    /// how many. Pending and leased jobs are never purged; a key whose jobs are
    /// all purged has no `job_by_key`.
    async fn purge_finished(&self, before: DateTime<Utc>) -> Result<u64, StoreError>;
}

/// Rendered app records: the latest version per (user, source, app), changed
/// only together with the job and the feed.
#[async_trait::async_trait]
pub trait AppStore: Send + Sync {
    async fn app(
        &self,
        user: &str,
        source: &SourceId,
        name: &str,
    ) -> Result<Option<AppRecord>, StoreError>;
    /// A user's records (of one source, or all), by source then app name.
    async fn apps(
        &self,
        user: &str,
        source: Option<&SourceId>,
    ) -> Result<Vec<AppRecord>, StoreError>;
    /// Up to `limit` records following `after` in (user, source, app name)
    /// order: page through every record (to rebuild in-memory indexes at start)
    /// by passing the last record's key back.
    async fn apps_page(
        &self,
        after: Option<&AppKey>,
        limit: usize,
    ) -> Result<Vec<AppRecord>, StoreError>;

    /// Every record, in [`AppStore::apps_page`] order (pages of 500 underneath).
    async fn all_apps(&self) -> Result<Vec<AppRecord>, StoreError> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self.apps_page(after.as_ref(), 500).await?;
            let Some(last) = page.last() else {
                return Ok(all);
            };
            after = Some(last.key());
            all.extend(page);
        }
    }
    /// The users holding a record of the app, sorted.
    async fn users_with_app(
        &self,
        source: &SourceId,
        name: &str,
    ) -> Result<Vec<String>, StoreError>;

    /// In one transaction: checks the lease, upserts the record (kept as it
    /// was when `Existing`), appends `commit.change` unless `Existing`, and
    /// marks the job done with `commit.result`. `None` (nothing written) if
    /// the lease was lost.
    async fn commit_hydration(
        &self,
        id: JobId,
        token: LeaseToken,
        commit: &HydrationCommit,
    ) -> Result<Option<Committed>, StoreError>;

    /// In one transaction: checks the lease, records the failure as
    /// [`QueueStore::fail`] does, and appends `failed.change`. `None`
    /// (nothing written) if the lease was lost; else the appended change's id.
    async fn fail_hydration(
        &self,
        id: JobId,
        token: LeaseToken,
        failed: &HydrationFailure,
    ) -> Result<Option<Option<i64>>, StoreError>;

    /// Removes the app's record for `user` (every user when `None`) and
    /// appends one `app_removed` change per removed record, atomically.
    /// Returns the removed records, by user.
    async fn remove_app(
        &self,
        source: &SourceId,
        name: &str,
        user: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<AppRecord>, StoreError>;
}

/// The state-change feed (DESIGN.md §4.1): ids strictly increasing, never
/// reused, even after trimming.
///
/// **Gone rule**: the store remembers the highest id retention ever dropped
/// (`trimmed_through`, 0 at first). A cursor `after_id < trimmed_through`
/// would skip dropped changes, so it is `Gone { oldest_id: trimmed_through + 1,
/// latest_id }`; any other cursor gets a page (empty past the latest id).
#[async_trait::async_trait]
pub trait ChangeStore: Send + Sync {
    async fn append_state_change(&self, draft: &StateChangeDraft) -> Result<i64, StoreError>;
    /// Up to `limit` (clamped to 1..=1000) changes with `id > after_id`.
    async fn state_changes(&self, after_id: i64, limit: u32) -> Result<ChangesPage, StoreError>;
    /// The last id ever assigned (0 when none was): a cursor that sees only what comes
    /// after now.
    async fn latest_change_id(&self) -> Result<i64, StoreError>;
    /// Drops all but the newest `keep_last` changes; how many were dropped.
    async fn trim_state_changes(&self, keep_last: usize) -> Result<u64, StoreError>;
}

/// A page of the feed, or the cursor fell behind retention.
pub type ChangesPage = Result<StateChangesPage, StateChangesGone>;

/// Image analyses by reference (the registry analyzer adapts its own cache to it).
#[async_trait::async_trait]
pub trait ImageCacheStore: Send + Sync {
    async fn image_cache_get(&self, reference: &str) -> Result<Option<CachedImage>, StoreError>;
    async fn image_cache_put(&self, reference: &str, image: &CachedImage)
    -> Result<(), StoreError>;
}

/// Download history (`/app/version-for-download-history`).
#[async_trait::async_trait]
pub trait DownloadStore: Send + Sync {
    /// Records a download; the last recorded one wins.
    async fn record_download(
        &self,
        user: &str,
        app: &str,
        download: &Download,
    ) -> Result<(), StoreError>;
    async fn last_download(&self, user: &str, app: &str) -> Result<Option<Download>, StoreError>;
}

/// The key prefix of the production Redis profile.
pub const REDIS_PREFIX: &str = "chart_repo";

/// Opens the store the URL names (without migrating it).
pub async fn connect(url: &StoreUrl) -> Result<Arc<dyn RepoStore>, StoreError> {
    Ok(match url {
        StoreUrl::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        StoreUrl::Redis(_) => Arc::new(RedisStore::connect(&url.expose(), REDIS_PREFIX).await?),
    })
}

fn encode_source(source: &MarketSource) -> Result<String, StoreError> {
    serde_json::to_string(source).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode_source(doc: &str) -> Result<MarketSource, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("source document: {e}")))
}

/// Priority descending, then id: the order `sources()` promises.
fn sort_sources(sources: &mut [MarketSource]) {
    sources.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
}

fn encode_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode_json<T: serde::de::DeserializeOwned>(what: &str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// The effective page size.
fn clamp_limit(limit: u32) -> u32 {
    limit.clamp(1, market_model::state_change::STATE_CHANGES_MAX_LIMIT)
}

/// Milliseconds since the epoch: the stored form of every time.
fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// `now + lease_for`, saturating far in the future instead of overflowing.
fn lease_deadline(now: DateTime<Utc>, lease_for: std::time::Duration) -> DateTime<Utc> {
    chrono::Duration::from_std(lease_for)
        .ok()
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn from_millis(ms: i64) -> Result<DateTime<Utc>, StoreError> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("time out of range: {ms}")))
}
