//! The market's storage port: one trait, two backends (SQLite for the embedded
//! profile, PostgreSQL for production); every backend passes the same contract
//! (`tests/api/store*.rs`, with the source part shared in `test_harness`).
//!
//! [`MarketStore`] (migrations, health, market sources, settings) is the union
//! of one trait per noun: [`CatalogStore`] (each source's catalog),
//! [`UserStore`], [`UserAppStore`] (what chart-repo rendered for each user, and
//! the hydration driver's query), [`WatcherStore`] (the data watcher's cursor)
//! [`EventStore`] (live events for SSE) and [`TaskStore`] (tasks, their
//! history, app states from app-service). Records are in `model.rs`; each
//! backend is split by noun (`store/{sqlite,postgres}/*.rs`).
//!
//! Queries live here and nowhere else; handlers and loops hold an
//! `Arc<dyn MarketStore>`. The store never reads the clock for what it
//! decides: every operation that compares or stamps a time takes `now`.

mod model;
mod postgres;
mod sqlite;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use market_model::{MarketSource, SourceId};
use serde_json::Value;

pub use self::model::{
    AppStateRecord, CatalogApp, CatalogDiff, CatalogMeta, CatalogSnapshot, Event, EventId,
    HistoryRecord, LeasedTask, NewTask, StaleApp, Submitted, TaskEnd, TaskFilter, TaskRequest,
    User, UserApp, UserAppFailure, UserAppHead, UserAppKey, UserAppStatus,
};
use crate::config::DatabaseUrl;
use market_model::task::{Task, TaskError, TaskId};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Keys of the settings table. Each holds one JSON document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKey {
    /// `GET/PUT /settings/market-settings`.
    MarketSettings,
}

impl SettingKey {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MarketSettings => "market_settings",
        }
    }
}

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
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// Maps a driver error; the message a unique index raises is given by the caller.
    fn from_sqlx(err: sqlx::Error, on_unique: &str) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict(on_unique.to_owned())
            }
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                Self::Conflict(format!("a referenced record does not exist: {db}"))
            }
            sqlx::Error::Database(_)
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_) => Self::Corrupt(err.to_string()),
            _ => Self::Unavailable(err.to_string()),
        }
    }
}

/// The message of the one-active-remote rule, shared by every backend.
pub const ONE_ACTIVE_REMOTE: &str =
    "another remote market source is already active; deactivate it first";

/// Everything the market keeps: the union of the per-noun traits, plus
/// migrations, health, market sources and settings.
#[async_trait::async_trait]
pub trait MarketStore:
    CatalogStore
    + UserStore
    + UserAppStore
    + WatcherStore
    + EventStore
    + TaskStore
    + Send
    + Sync
    + 'static
{
    /// Applies pending migrations and seeds the default sources once.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Answers when the store is reachable.
    async fn ping(&self) -> Result<(), StoreError>;

    /// A counter that moves with every committed change to what a user's hash covers
    /// (`crate::view`): market sources, catalog hashes and listings, user apps, app states. The
    /// store moves it in the transaction of the change (database triggers), whoever
    /// writes, so a value read before a read of those rows is never current after a
    /// later change to them: what is derived from them may be kept while it stays the same.
    async fn view_revision(&self) -> Result<i64, StoreError>;

    /// Every source, by priority (highest first), then id.
    async fn sources(&self) -> Result<Vec<MarketSource>, StoreError>;
    async fn source(&self, id: &SourceId) -> Result<Option<MarketSource>, StoreError>;
    /// Inserts or replaces a source. At most one remote source may be active:
    /// a second one is `Conflict`.
    async fn put_source(&self, source: &MarketSource) -> Result<(), StoreError>;
    /// Returns whether the source existed.
    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError>;

    async fn setting(&self, key: SettingKey) -> Result<Option<serde_json::Value>, StoreError>;
    async fn put_setting(
        &self,
        key: SettingKey,
        value: &serde_json::Value,
    ) -> Result<(), StoreError>;
}

/// Each source's catalog (DESIGN.md §5.2): its hash, version and listing, and
/// its apps keyed by name.
///
/// Rules every backend keeps:
/// - Writing a catalog of a source that does not exist is `Conflict`; deleting
///   a source deletes its catalog.
/// - `replace_catalog` is one transaction: afterwards the source's apps are
///   exactly the snapshot's (other sources untouched), and apps whose
///   `entry_digest` did not change are not rewritten.
/// - An incremental sync writes apps first and `set_catalog_meta` last, so an
///   interrupted sync leaves the old hash and is redone.
/// - Lists are ordered by app name.
#[async_trait::async_trait]
pub trait CatalogStore: Send + Sync {
    /// Makes the source's catalog equal `snapshot`; what changed.
    async fn replace_catalog(
        &self,
        source: &SourceId,
        snapshot: &CatalogSnapshot,
        now: DateTime<Utc>,
    ) -> Result<CatalogDiff, StoreError>;

    /// Inserts or replaces apps (by name); the diff has no `removed`.
    async fn upsert_catalog_apps(
        &self,
        source: &SourceId,
        apps: &[CatalogApp],
        now: DateTime<Utc>,
    ) -> Result<CatalogDiff, StoreError>;

    /// Removes apps by name; the names that were there, sorted.
    async fn remove_catalog_apps(
        &self,
        source: &SourceId,
        names: &[String],
    ) -> Result<Vec<String>, StoreError>;

    /// Sets the source's hash, version and listing.
    async fn set_catalog_meta(
        &self,
        source: &SourceId,
        meta: &CatalogMeta,
    ) -> Result<(), StoreError>;

    /// The source's catalog hash; `None` before its first sync.
    async fn catalog_hash(&self, source: &SourceId) -> Result<Option<String>, StoreError>;
    async fn catalog_meta(&self, source: &SourceId) -> Result<Option<CatalogMeta>, StoreError>;
    async fn catalog_app(
        &self,
        source: &SourceId,
        name: &str,
    ) -> Result<Option<CatalogApp>, StoreError>;
    async fn catalog_apps(&self, source: &SourceId) -> Result<Vec<CatalogApp>, StoreError>;
    /// The apps among `app_ids` the source has (unknown ids are left out).
    async fn catalog_apps_by_ids(
        &self,
        source: &SourceId,
        app_ids: &[String],
    ) -> Result<Vec<CatalogApp>, StoreError>;
}

/// The users the market hydrates catalogs for.
///
/// At most one admin: making a user admin demotes the previous one in the same
/// transaction. `ensure_user(name, false)` never demotes.
#[async_trait::async_trait]
pub trait UserStore: Send + Sync {
    /// Adds the user if new (returns whether it was created); with `is_admin`,
    /// also makes it the admin.
    async fn ensure_user(
        &self,
        name: &str,
        is_admin: bool,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Every user, by name.
    async fn users(&self) -> Result<Vec<User>, StoreError>;
    /// The admin's name, if there is one.
    async fn admin(&self) -> Result<Option<String>, StoreError>;
}

/// What chart-repo rendered for each user (fed by sync-app answers and the data
/// watcher), and the hydration driver's query.
///
/// Rules every backend keeps:
/// - Each put replaces the status of the key; a ready put clears the failure,
///   the attempts and `next_attempt_at`; pending and failed puts keep the last
///   ready payload.
/// - Attempts and the failure belong to a version: `put_user_app_failed`
///   counts +1 when the stored version is the same, else 1;
///   `put_user_app_pending` keeps both at the same version and clears them at
///   a new one.
/// - `stale_user_apps`: every user × every app of an active source's catalog
///   whose user app is missing, or is at another version than the catalog, or
///   is pending/failed with `next_attempt_at <= now`. A failure with no
///   `next_attempt_at` (permanent) stays until the catalog version changes.
///   Ordered by (user, source, app name). Users are those of [`UserStore`];
///   a user app of an unknown user or source is kept but never stale.
#[async_trait::async_trait]
pub trait UserAppStore: Send + Sync {
    /// Records a successful render.
    async fn put_user_app_ready(
        &self,
        key: &UserAppKey,
        app_id: &str,
        version: &str,
        payload: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Marks a hydration in flight until `until` (after which it is stale again).
    async fn put_user_app_pending(
        &self,
        key: &UserAppKey,
        app_id: &str,
        version: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Records a failed attempt, due again at `next_attempt_at` (`None`: never,
    /// until the version changes); the attempts after it.
    async fn put_user_app_failed(
        &self,
        key: &UserAppKey,
        app_id: &str,
        version: &str,
        failure: &UserAppFailure,
        next_attempt_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError>;

    async fn user_app(&self, key: &UserAppKey) -> Result<Option<UserApp>, StoreError>;
    /// The user's apps (of one source, or all), by source then name.
    async fn user_apps(
        &self,
        user: &str,
        source: Option<&SourceId>,
    ) -> Result<Vec<UserApp>, StoreError>;
    /// [`user_apps`](Self::user_apps) without payloads: what a user's hash covers,
    /// by source then name.
    async fn user_app_heads(&self, user: &str) -> Result<Vec<UserAppHead>, StoreError>;
    /// The user's apps of `source` whose name or app id is one of `keys`, by name.
    async fn user_apps_matching(
        &self,
        user: &str,
        source: &SourceId,
        keys: &[String],
    ) -> Result<Vec<UserApp>, StoreError>;
    /// Removes the app of one user, or of every user (`None`); how many.
    async fn remove_user_app(
        &self,
        user: Option<&str>,
        source: &SourceId,
        app_name: &str,
    ) -> Result<u64, StoreError>;

    /// Up to `limit` (user, catalog app) pairs to hydrate now (rules above).
    async fn stale_user_apps(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<StaleApp>, StoreError>;

    /// The lease form of [`stale_user_apps`](Self::stale_user_apps) for
    /// several drivers (market replicas): atomically selects the same apps and
    /// marks each pending at its catalog version until `until`, so a
    /// concurrent claim does not return them again before `until`.
    async fn claim_stale_user_apps(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        until: DateTime<Utc>,
    ) -> Result<Vec<StaleApp>, StoreError>;
}

/// The data watcher's position in chart-repo's `/state-changes` feed.
#[async_trait::async_trait]
pub trait WatcherStore: Send + Sync {
    /// The last applied state-change id; 0 before the first.
    async fn watcher_cursor(&self) -> Result<i64, StoreError>;
    /// Moves the cursor forward to `cursor`; never back (a smaller value is
    /// ignored). Returns the stored cursor.
    async fn set_watcher_cursor(&self, cursor: i64) -> Result<i64, StoreError>;
}

/// Live events for `GET /events`, per user, resumable by `Last-Event-ID`.
///
/// Ids are strictly increasing in commit order: a reader that saw id `n` never
/// later sees a new event with an id below `n`.
#[async_trait::async_trait]
pub trait EventStore: Send + Sync {
    /// Appends an event for `user` (`None`: every user); its id.
    async fn append_event(
        &self,
        user: Option<&str>,
        kind: &str,
        data: &Value,
        now: DateTime<Utc>,
    ) -> Result<EventId, StoreError>;
    /// The user's and the broadcast events with id `> after`, oldest first.
    async fn events_after(
        &self,
        user: &str,
        after: EventId,
        limit: u32,
    ) -> Result<Vec<Event>, StoreError>;
    /// Keeps the newest `keep_last` events; how many were deleted.
    async fn trim_events(&self, keep_last: u64) -> Result<u64, StoreError>;
}

/// Tasks (DESIGN.md §5.3), their history and each user's app state.
///
/// Rules every backend keeps:
/// - At most one pending or running task per (user, app, kind): submitting
///   another returns it (`created: false`); an idempotency key seen before for
///   the user returns that key's task, whatever its status.
/// - At most one running task per (user, app), cancels aside: a pending task
///   waits while another of its app runs.
/// - `lease_task` takes the oldest due pending task, or a running one whose
///   lease expired before app-service accepted it (`op_id` unset), marks it
///   running under `owner` until `until`, counts the attempt and writes a
///   history row. A task with an `op_id` is never leased again, so
///   app-service is never asked twice once it accepted.
/// - `accept_task`, `retry_task`, `heartbeat_task` act only for the lease's
///   owner on a running task; `finish_task` ends any task that is not
///   terminal (and writes a history row); `cancel_pending_task` only a
///   pending one. Each returns whether (or what) it changed.
#[async_trait::async_trait]
pub trait TaskStore: Send + Sync {
    async fn submit_task(&self, new: &NewTask, now: DateTime<Utc>)
    -> Result<Submitted, StoreError>;
    async fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError>;
    /// The user's tasks, newest first.
    async fn tasks(&self, user: &str, filter: &TaskFilter) -> Result<Vec<Task>, StoreError>;
    /// Pending and running tasks (of one user, or all), oldest first.
    async fn active_tasks(&self, user: Option<&str>) -> Result<Vec<Task>, StoreError>;
    async fn lease_task(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Option<LeasedTask>, StoreError>;
    async fn heartbeat_task(
        &self,
        id: TaskId,
        owner: &str,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Records app-service's operation id; the task stays running, without a
    /// lease, until app-service reports its end.
    async fn accept_task(
        &self,
        id: TaskId,
        owner: &str,
        op_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Back to pending, due at `next_attempt_at`, with the failure recorded.
    async fn retry_task(
        &self,
        id: TaskId,
        owner: &str,
        error: &TaskError,
        next_attempt_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn finish_task(
        &self,
        id: TaskId,
        end: &TaskEnd,
        app_state: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>, StoreError>;
    async fn cancel_pending_task(
        &self,
        id: TaskId,
        by: Option<TaskId>,
        now: DateTime<Utc>,
    ) -> Result<Option<Task>, StoreError>;
    /// The user's history, oldest first, at most `limit` (the newest ones).
    async fn history(&self, user: &str, limit: u32) -> Result<Vec<HistoryRecord>, StoreError>;
    async fn put_app_state(&self, record: &AppStateRecord) -> Result<(), StoreError>;
    /// The user's app states, by app name.
    async fn app_states(&self, user: &str) -> Result<Vec<AppStateRecord>, StoreError>;
}

/// The history row of a task event.
fn history_row(task: &Task, what: &str) -> (String, serde_json::Value) {
    let message = match &task.error {
        Some(e) if what == "failed" => format!(
            "{} {} failed: {}",
            task.kind.as_str(),
            task.app_name,
            e.message
        ),
        _ => format!("{} {} {what}", task.kind.as_str(), task.app_name),
    };
    let extended = serde_json::json!({
        "task_id": task.id,
        "status": task.status,
        "attempt": task.attempts,
        "version": task.version,
        "source": task.source,
        "op_id": task.op_id,
        "error": task.error,
    });
    (message, extended)
}

fn parse_task_kind(raw: &str) -> Result<market_model::task::TaskKind, StoreError> {
    market_model::task::TaskKind::parse(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown task kind {raw:?}")))
}

fn parse_task_status(raw: &str) -> Result<market_model::task::TaskStatus, StoreError> {
    market_model::task::TaskStatus::parse(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown task status {raw:?}")))
}

/// Opens the store the URL names (without migrating it).
pub async fn connect(url: &DatabaseUrl) -> Result<Arc<dyn MarketStore>, StoreError> {
    Ok(match url {
        DatabaseUrl::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        DatabaseUrl::Postgres(_) => Arc::new(PostgresStore::connect(&url.expose()).await?),
    })
}

/// A source row as both SQL backends read it.
#[derive(sqlx::FromRow)]
struct SourceRow {
    id: String,
    name: String,
    #[sqlx(rename = "type")]
    kind: String,
    base_url: String,
    priority: i32,
    is_active: bool,
    description: String,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<SourceRow> for MarketSource {
    type Error = StoreError;
    fn try_from(row: SourceRow) -> Result<Self, StoreError> {
        let id = SourceId::parse(&row.id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let kind = market_model::SourceType::parse(&row.kind).ok_or_else(|| {
            StoreError::Corrupt(format!("source {id}: unknown type {:?}", row.kind))
        })?;
        Ok(MarketSource {
            id,
            name: row.name,
            kind,
            base_url: row.base_url,
            priority: row.priority,
            is_active: row.is_active,
            description: row.description,
            updated_at: row.updated_at,
        })
    }
}

fn decode_setting(
    key: SettingKey,
    raw: Option<String>,
) -> Result<Option<serde_json::Value>, StoreError> {
    raw.map(|text| {
        serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("setting {}: {e}", key.as_str())))
    })
    .transpose()
}

fn encode_json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode_json<T: serde::de::DeserializeOwned>(what: &str, doc: &str) -> Result<T, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// The error of a catalog write for a source that does not exist.
fn unknown_source(source: &SourceId) -> StoreError {
    StoreError::Conflict(format!("unknown market source {source}"))
}

fn parse_source(raw: &str) -> Result<SourceId, StoreError> {
    SourceId::parse(raw).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_status(raw: &str) -> Result<UserAppStatus, StoreError> {
    UserAppStatus::parse(raw)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown user app status {raw:?}")))
}

/// Compares the stored digests of a source's apps (name → digest) with
/// `apps` (the last of a name wins): the diff (added and updated, sorted) and
/// the apps to write.
fn plan_upsert<'a>(
    stored: &std::collections::HashMap<String, String>,
    apps: &'a [CatalogApp],
) -> (CatalogDiff, Vec<&'a CatalogApp>) {
    let mut last: std::collections::BTreeMap<&str, &CatalogApp> = Default::default();
    for app in apps {
        last.insert(&app.name, app);
    }
    let mut diff = CatalogDiff::default();
    let mut writes = Vec::new();
    for (name, app) in last {
        match stored.get(name) {
            None => diff.added.push(name.to_owned()),
            Some(digest) if *digest != app.entry_digest => diff.updated.push(name.to_owned()),
            Some(_) => continue,
        }
        writes.push(app);
    }
    (diff, writes)
}

/// The stored names that `keep` does not list, sorted.
fn removed_names(
    stored: &std::collections::HashMap<String, String>,
    keep: &[CatalogApp],
) -> Vec<String> {
    let keep: std::collections::HashSet<&str> = keep.iter().map(|a| a.name.as_str()).collect();
    let mut gone: Vec<String> = stored
        .keys()
        .filter(|n| !keep.contains(n.as_str()))
        .cloned()
        .collect();
    gone.sort();
    gone
}
