//! The records chart-repo keeps: hydration jobs and their leases, rendered app
//! records, state-change drafts, cached image analyses and downloads.
//!
//! Times are kept with millisecond precision by every backend.

use chrono::{DateTime, Utc};
use market_model::{AppData, ImageData, SourceId, StateChange, StateChangeType};
use serde::{Deserialize, Serialize};

/// A hydration job's id: assigned by the store, strictly increasing.
pub type JobId = i64;

/// What one hydration is about; at most one live (pending or leased) job per key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct HydrationKey {
    pub user: String,
    pub source: SourceId,
    pub app: String,
    pub version: String,
}

impl HydrationKey {
    /// One unambiguous string for the key (a JSON array), for backends that
    /// index by a single string.
    pub fn encode(&self) -> String {
        serde_json::json!([self.user, self.source.as_str(), self.app, self.version]).to_string()
    }
}

/// Where a job is in its life.
///
/// `Pending` → `Leased` (lease) → `Done` (complete) | `Failed` (permanent fail)
/// | `Pending` (retryable fail, or the lease expired).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Pending,
    Leased,
    Done,
    Failed,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Leased => "leased",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => Self::Pending,
            "leased" => Self::Leased,
            "done" => Self::Done,
            "failed" => Self::Failed,
            _ => return None,
        })
    }

    /// Done and Failed jobs never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Done | Self::Failed)
    }
}

/// Names one lease of one job. The store hands out `token = attempts` at each
/// lease, so a token is never reused for the same job and a worker whose lease
/// expired (and was leased again) holds a stale token.
pub type LeaseToken = u64;

/// The worker currently holding a job, until `deadline`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    pub worker: String,
    pub token: LeaseToken,
    pub deadline: DateTime<Utc>,
}

/// Why the last attempt failed (DESIGN.md §4.3: step, reason, time, retry count).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub step: String,
    pub reason: String,
    pub time: DateTime<Utc>,
    pub retry_count: u32,
    pub permanent: bool,
}

/// A durable hydration job.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HydrationJob {
    pub id: JobId,
    pub key: HydrationKey,
    /// The sync-app request body, verbatim.
    pub request: serde_json::Value,
    pub state: JobState,
    /// How many times the job was leased.
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    /// Present exactly while `state` is `Leased`.
    pub lease: Option<Lease>,
    pub last_failure: Option<Failure>,
    /// The outcome a waiter reads, once `Done` (or a failure's result, if any).
    pub result: Option<serde_json::Value>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What `enqueue` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnqueueOutcome {
    pub job_id: JobId,
    /// True when a pending or leased job for the key already existed (its id is returned).
    pub deduplicated: bool,
}

/// How many jobs are in each state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCounts {
    pub pending: u64,
    pub leased: u64,
    pub done: u64,
    pub failed: u64,
}

/// A failed attempt, recorded by `fail_hydration`.
#[derive(Clone, Debug, PartialEq)]
pub struct HydrationFailure {
    pub failure: Failure,
    /// `Some`: back to pending, due then. `None`: the job fails for good.
    pub retry_at: Option<DateTime<Utc>>,
    /// Appended in the same transaction (normally an `app_render_failed`).
    pub change: Option<StateChangeDraft>,
}

/// A successful hydration, recorded by `commit_hydration` in one transaction.
/// The job's `updated_at` becomes `record.updated_at`.
#[derive(Clone, Debug, PartialEq)]
pub struct HydrationCommit {
    pub record: AppRecord,
    /// Appended only when the record is `New` or `Updated`.
    pub change: Option<StateChangeDraft>,
    /// Stored on the job for the waiter.
    pub result: serde_json::Value,
}

/// What `commit_hydration` did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Committed {
    pub outcome: PutOutcome,
    /// The appended state change, if one was.
    pub change_id: Option<i64>,
}

/// How an app record compares with the one stored before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PutOutcome {
    /// No record for (user, source, app) existed.
    New,
    /// The version or the package digest differ: the record was replaced.
    Updated,
    /// Same version and package digest: the stored record was kept as it was.
    Existing,
}

impl PutOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Updated => "updated",
            Self::Existing => "existing",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "new" => Self::New,
            "updated" => Self::Updated,
            "existing" => Self::Existing,
            _ => return None,
        })
    }
}

/// The latest rendered version of one app for one user and source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppRecord {
    pub user: String,
    pub source: SourceId,
    pub app_name: String,
    pub app_id: String,
    pub version: String,
    /// SHA-256 (hex) of the source chart package.
    pub source_digest: String,
    /// SHA-256 (hex) of the rendered per-user package: the index `digest`.
    pub package_digest: String,
    pub package_size: u64,
    /// `Chart.yaml` as JSON, for the index entry.
    pub chart: serde_json::Value,
    /// The SyncAppPayload, opaque here.
    pub payload: serde_json::Value,
    pub support_arch: Vec<String>,
    /// When this package was first built: the index entry's `created`.
    pub created: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Names one app record; records sort by it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AppKey {
    pub user: String,
    pub source: SourceId,
    pub app_name: String,
}

impl AppRecord {
    pub fn key(&self) -> AppKey {
        AppKey {
            user: self.user.clone(),
            source: self.source.clone(),
            app_name: self.app_name.clone(),
        }
    }

    /// Whether `self` replaces `stored` (`Updated`) or repeats it (`Existing`).
    pub fn compare(&self, stored: Option<&AppRecord>) -> PutOutcome {
        match stored {
            None => PutOutcome::New,
            Some(s) if s.version == self.version && s.package_digest == self.package_digest => {
                PutOutcome::Existing
            }
            Some(_) => PutOutcome::Updated,
        }
    }

    /// The `app_removed` change for this record.
    pub fn removed_change(&self, at: DateTime<Utc>) -> StateChangeDraft {
        StateChangeDraft::about_app(StateChangeType::AppRemoved, self.app_data(), at)
    }

    /// The `app_data` of a change about this record.
    pub fn app_data(&self) -> AppData {
        AppData {
            user_id: self.user.clone(),
            source: self.source.to_string(),
            app_name: self.app_name.clone(),
            version: self.version.clone(),
        }
    }
}

/// A state change before the store gives it an id.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChangeDraft {
    #[serde(rename = "type")]
    pub kind: StateChangeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_data: Option<AppData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_data: Option<ImageData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub timestamp: DateTime<Utc>,
}

impl StateChangeDraft {
    /// `app_upload_completed` for an app record.
    pub fn upload_completed(app: AppData, at: DateTime<Utc>) -> Self {
        Self::about_app(StateChangeType::AppUploadCompleted, app, at)
    }

    /// `app_render_failed`: the only kind that carries the failure fields.
    pub fn render_failed(app: AppData, failure: &Failure) -> Self {
        Self {
            failure_step: Some(failure.step.clone()),
            failure_reason: Some(failure.reason.clone()),
            ..Self::about_app(StateChangeType::AppRenderFailed, app, failure.time)
        }
    }

    /// `image_info_updated` for an image reference.
    pub fn image_updated(image_name: String, at: DateTime<Utc>) -> Self {
        Self {
            kind: StateChangeType::ImageInfoUpdated,
            app_data: None,
            image_data: Some(ImageData { image_name }),
            failure_step: None,
            failure_reason: None,
            timestamp: at,
        }
    }

    fn about_app(kind: StateChangeType, app: AppData, at: DateTime<Utc>) -> Self {
        Self {
            kind,
            app_data: Some(app),
            image_data: None,
            failure_step: None,
            failure_reason: None,
            timestamp: at,
        }
    }

    /// The change with the id the store assigned.
    pub fn with_id(self, id: i64) -> StateChange {
        StateChange {
            id,
            kind: self.kind,
            app_data: self.app_data,
            image_data: self.image_data,
            failure_step: self.failure_step,
            failure_reason: self.failure_reason,
            timestamp: self.timestamp,
        }
    }
}

/// An image's analysis, cached by reference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CachedImage {
    pub digest: String,
    pub info: serde_json::Value,
    pub fetched_at: DateTime<Utc>,
}

/// The last package a user downloaded for an app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Download {
    pub version: String,
    pub source: SourceId,
    pub at: DateTime<Utc>,
}
