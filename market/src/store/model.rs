//! The records the market keeps beside sources and settings: each source's
//! catalog, the users, what chart-repo rendered for each user, the data
//! watcher's cursor, the live events, tasks, their history and app states.
//!
//! Documents that cross a process boundary are kept as JSON values (the wire
//! types live in `market-model`); the fields here are what the store queries on.
//! Times are kept with millisecond precision by every backend.

use chrono::{DateTime, Utc};
use market_model::SourceId;
use market_model::task::{
    AppEntrance, AppEnvVar, ImageRef, Task, TaskError, TaskId, TaskKind, TaskStatus,
};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One app of a source's catalog, as the syncer read it from the source (§5.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogApp {
    /// First 8 hex of md5(name) (the source protocol's id).
    pub app_id: String,
    pub name: String,
    pub version: String,
    /// The source's `ApplicationInfoEntry`, verbatim.
    pub entry: Value,
    pub labels: Vec<String>,
    /// A digest of `entry` computed by the syncer: an app whose digest is
    /// unchanged is not rewritten, and is not reported as updated.
    pub entry_digest: String,
}

/// What a source publishes besides its apps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CatalogMeta {
    pub hash: String,
    pub version: String,
    /// The `/appstore/info` `data` object without `apps` (recommends, pages,
    /// topics, topic lists, tops, latest, tags).
    pub listing: Value,
    pub updated_at: DateTime<Utc>,
}

/// A whole catalog of one source, to replace the stored one.
#[derive(Clone, Debug, PartialEq)]
pub struct CatalogSnapshot {
    pub hash: String,
    pub version: String,
    pub listing: Value,
    pub apps: Vec<CatalogApp>,
}

/// What a catalog write changed, by app name (each list sorted).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogDiff {
    /// Apps the source did not have.
    pub added: Vec<String>,
    /// Apps whose `entry_digest` changed.
    pub updated: Vec<String>,
    /// Apps the source no longer has.
    pub removed: Vec<String>,
}

impl CatalogDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.updated.is_empty() && self.removed.is_empty()
    }
}

/// A user the market hydrates catalogs for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    /// At most one user is the admin (sent as `admin_user` with every sync-app).
    pub is_admin: bool,
    pub created_at: DateTime<Utc>,
}

/// Names one rendered app: (user, source, app).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UserAppKey {
    pub user: String,
    pub source: SourceId,
    pub app_name: String,
}

impl UserAppKey {
    pub fn new(user: &str, source: &SourceId, app_name: &str) -> Self {
        Self {
            user: user.to_owned(),
            source: source.clone(),
            app_name: app_name.to_owned(),
        }
    }
}

/// Where a user's app is in its hydration.
///
/// `Pending` (a hydration is in flight until `next_attempt_at`) → `Ready`
/// (rendered) | `Failed` (retried at `next_attempt_at`, or never when it is
/// `None`). Any state is overwritten by the next attempt's outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserAppStatus {
    Pending,
    Ready,
    Failed,
}

impl UserAppStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

/// Why the latest hydration of a user's app failed (shown to the user).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAppFailure {
    /// chart-repo's `failure_step` (or the driver's own, e.g. `sync_app`).
    pub step: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// One app as rendered (or not yet) for one user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserApp {
    pub user: String,
    pub source: SourceId,
    pub app_name: String,
    pub app_id: String,
    /// The version the latest attempt was for.
    pub version: String,
    pub status: UserAppStatus,
    /// The latest successful render (`SyncAppPayload` JSON). Kept through a
    /// later pending or failed attempt, so the user still sees the app; its own
    /// `version` says which version it is.
    pub payload: Option<Value>,
    /// The latest failure at `version`: set by a failed put, kept while a
    /// retry of the same version is pending, cleared by success or a new
    /// version.
    pub failure: Option<UserAppFailure>,
    /// Failed attempts at `version` since the last success (reset by a success
    /// or a new version).
    pub attempts: u32,
    /// When a pending or failed app is due again; `None` for ready apps and
    /// permanent failures.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// What a user's hash covers of one of their apps: [`UserApp`] without its payload and
/// hydration details (`GET /market/hash` reads thousands of these per user).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserAppHead {
    pub source: SourceId,
    pub app_name: String,
    pub version: String,
    pub status: UserAppStatus,
    pub updated_at: DateTime<Utc>,
}

impl From<&UserApp> for UserAppHead {
    fn from(app: &UserApp) -> Self {
        Self {
            source: app.source.clone(),
            app_name: app.app_name.clone(),
            version: app.version.clone(),
            status: app.status,
            updated_at: app.updated_at,
        }
    }
}

impl UserApp {
    pub fn key(&self) -> UserAppKey {
        UserAppKey::new(&self.user, &self.source, &self.app_name)
    }
}

/// A (user, catalog app) the hydration driver should render now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaleApp {
    pub user: String,
    pub source: SourceId,
    pub app_id: String,
    pub app_name: String,
    pub catalog_version: String,
    /// The catalog entry's digest; recorded on the user's app when claimed, so a
    /// content change at the same version makes it stale again.
    pub entry_digest: String,
    /// The catalog's `ApplicationInfoEntry` (what sync-app is asked to render).
    pub entry: Value,
}

impl StaleApp {
    pub fn key(&self) -> UserAppKey {
        UserAppKey::new(&self.user, &self.source, &self.app_name)
    }
}

/// An event id: assigned by the store, strictly increasing in commit order
/// (the SSE `id`, resumed from with `Last-Event-ID`).
pub type EventId = i64;

/// One live event for `GET /events`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    /// The user it is for; `None` reaches every user.
    pub user: Option<String>,
    /// The SSE `event` name (e.g. `new_app_ready`).
    pub kind: String,
    pub data: Value,
    pub at: DateTime<Utc>,
}

/// What the worker sends app-service for a task, kept beside it (never in an
/// API answer: env values may be secrets).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TaskRequest {
    pub envs: Vec<AppEnvVar>,
    /// From the image analysis of the user's rendered app.
    pub images: Vec<ImageRef>,
    /// Clone only: entrance titles, the original's name, the hash and title.
    pub entrances: Vec<AppEntrance>,
    pub raw_app_name: String,
    pub request_hash: String,
    pub title: String,
    /// Uninstall only.
    pub all: bool,
    pub delete_data: bool,
}

/// A task to submit.
#[derive(Clone, Debug)]
pub struct NewTask {
    pub user: String,
    pub app_name: String,
    pub kind: TaskKind,
    pub source: String,
    pub version: String,
    pub request: TaskRequest,
    /// The caller's `X-Authorization`.
    pub token: Option<SecretString>,
    /// The caller's `Idempotency-Key`.
    pub idempotency_key: Option<String>,
    /// The submitting request's `x-request-id`, sent on to app-service.
    pub request_id: Option<String>,
}

/// The answer to a submission: the task, and whether this call created it.
#[derive(Clone, Debug, PartialEq)]
pub struct Submitted {
    pub task: Task,
    pub created: bool,
}

/// A task a worker holds, with what it needs to call app-service.
#[derive(Clone, Debug)]
pub struct LeasedTask {
    pub task: Task,
    pub request: TaskRequest,
    pub token: Option<SecretString>,
    /// The submitting request's `x-request-id`.
    pub request_id: Option<String>,
}

/// How a task ends.
#[derive(Clone, Debug, PartialEq)]
pub enum TaskEnd {
    Completed,
    Failed(TaskError),
    /// Canceled, by a cancel task when one did it.
    Canceled {
        by: Option<TaskId>,
    },
}

impl TaskEnd {
    pub fn status(&self) -> TaskStatus {
        match self {
            Self::Completed => TaskStatus::Completed,
            Self::Failed(_) => TaskStatus::Failed,
            Self::Canceled { .. } => TaskStatus::Canceled,
        }
    }
}

/// `GET /tasks` filters (each optional), newest first, at most `limit`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    pub kind: Option<TaskKind>,
    pub app: Option<String>,
    pub limit: u32,
}

/// One history row: a task started or ended.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HistoryRecord {
    pub id: i64,
    pub user: String,
    /// The task kind (`install`, …).
    pub kind: String,
    pub app: String,
    pub message: String,
    /// `{task_id, status, attempt, error?}`.
    pub extended: Value,
    pub at: DateTime<Utc>,
}

/// A user's app as app-service last reported it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppStateRecord {
    pub user: String,
    pub app_name: String,
    pub state: String,
    /// The state event (`AppStateEvent` JSON) or the polled equivalent.
    pub doc: Value,
    pub updated_at: DateTime<Utc>,
}
