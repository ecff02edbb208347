//! Tasks: the operations market runs against app-service for a user
//! (DESIGN.md §5.3), the bodies the frontend posts, what app-service is sent,
//! and the app state events app-service reports (Olares' `os.application.*`).
//!
//! Owns: the shapes and the legal status moves. Never: I/O, clocks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What a task does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    Install,
    Uninstall,
    Cancel,
    Upgrade,
    Clone,
}

impl TaskKind {
    pub const ALL: [Self; 5] = [
        Self::Install,
        Self::Uninstall,
        Self::Cancel,
        Self::Upgrade,
        Self::Clone,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Uninstall => "uninstall",
            Self::Cancel => "cancel",
            Self::Upgrade => "upgrade",
            Self::Clone => "clone",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether a cancel may stop it (the operations app-service can cancel).
    pub fn is_cancelable(self) -> bool {
        matches!(self, Self::Install | Self::Upgrade | Self::Clone)
    }
}

/// Where a task is. `Pending` → `Running` → `Completed` | `Failed` |
/// `Canceled`; a retryable failure moves `Running` back to `Pending`; a
/// pending task may be canceled directly.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    Running,
    Completed,
    Failed,
    Canceled,
}

impl TaskStatus {
    pub const ALL: [Self; 5] = [
        Self::Pending,
        Self::Running,
        Self::Completed,
        Self::Failed,
        Self::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Completed, failed and canceled tasks never move again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Canceled)
    }
}

/// A task id, assigned by the store.
pub type TaskId = i64;

/// Why a task failed (the last failure, for a task being retried).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskError {
    /// Stable: `app_service_rejected`, `app_env_required`, `app_service_unavailable`,
    /// `app_state_failed`, `gave_up`, `bad_request`.
    pub code: String,
    pub message: String,
    pub retryable: bool,
    /// app-service's answer `{code, message, data}` with `data` verbatim (e.g. the
    /// 422 `appenv` payload), as Olares' task result carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend_response: Option<Value>,
}

/// One task as the API answers it. The caller's token is never part of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Task {
    pub id: TaskId,
    pub user: String,
    /// The app name app-service knows (a clone's is `raw name + hash`).
    pub app_name: String,
    #[serde(rename = "type")]
    pub kind: TaskKind,
    pub status: TaskStatus,
    /// The market source (empty for cancel and uninstall of an unknown app).
    pub source: String,
    pub version: String,
    /// app-service's operation id, once it accepted the operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_id: Option<String>,
    /// Attempts started so far.
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<TaskError>,
    /// app-service's state when the task ended (or its latest reported one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_state: Option<String>,
    /// The cancel task that canceled this one, when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canceled_by: Option<TaskId>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// One env value of an install request (Olares' `AppEnvVar`): `value` or a
/// reference to a user/system env.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppEnvVar {
    #[serde(rename = "envName")]
    pub env_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(rename = "valueFrom", default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<AppEnvValueFrom>,
}

/// `valueFrom` of an env value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppEnvValueFrom {
    #[serde(rename = "envName", default, skip_serializing_if = "String::is_empty")]
    pub env_name: String,
}

/// An entrance title of a clone.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppEntrance {
    pub name: String,
    pub title: String,
}

/// An image app-service should pull, with its size in bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRef {
    pub name: String,
    pub size: i64,
}

/// `POST /apps/{id}/install` and `PUT /apps/{id}/upgrade` (Olares' `InstallAppRequest`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstallRequest {
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub app_name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub sync: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub envs: Vec<AppEnvVar>,
}

/// `POST /apps/{id}/clone` (Olares' `CloneAppRequest`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloneRequest {
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub app_name: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub sync: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub envs: Vec<AppEnvVar>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrances: Vec<AppEntrance>,
}

impl CloneRequest {
    /// Olares' clone suffix: the first 6 hex of SHA-256 over the request's JSON
    /// without `sync` (`{source, app_name, title, envs?, entrances?}` in that
    /// order, envs sorted by name and entrances by name, Go's `encoding/json`
    /// escaping of `<`, `>`, `&`). The clone's app name is the raw name + this.
    pub fn request_hash(&self) -> String {
        #[derive(Serialize)]
        struct ForHash<'a> {
            source: &'a str,
            app_name: &'a str,
            title: &'a str,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            envs: Vec<&'a AppEnvVar>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            entrances: Vec<&'a AppEntrance>,
        }
        let mut envs: Vec<&AppEnvVar> = self.envs.iter().collect();
        envs.sort_by(|a, b| a.env_name.cmp(&b.env_name));
        let mut entrances: Vec<&AppEntrance> = self.entrances.iter().collect();
        entrances.sort_by(|a, b| a.name.cmp(&b.name));
        let doc = ForHash {
            source: &self.source,
            app_name: &self.app_name,
            title: &self.title,
            envs,
            entrances,
        };
        // Serializing plain strings and vectors cannot fail.
        let json = serde_json::to_string(&doc).unwrap_or_default();
        let digest = Sha256::digest(go_json_escape(&json).as_bytes());
        let mut hex = String::with_capacity(6);
        for byte in &digest[..3] {
            hex.push_str(&format!("{byte:02x}"));
        }
        hex
    }
}

/// Go's `encoding/json` escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings;
/// outside strings they never occur in JSON, so a plain replacement is exact.
fn go_json_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The body of app-service's install (and clone) call (Olares' `InstallOptions` /
/// `CloneOptions`). `envs` is always sent, even empty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppServiceInstall {
    #[serde(rename = "repoUrl", default, skip_serializing_if = "String::is_empty")]
    pub repo_url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version: String,
    /// `market` or `custom` (uploads).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub x_market_user: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub x_market_source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageRef>,
    #[serde(default)]
    pub envs: Vec<AppEnvVar>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrances: Vec<AppEntrance>,
    #[serde(
        rename = "rawAppName",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub raw_app_name: String,
    #[serde(
        rename = "requestHash",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub request_hash: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
}

/// The body of app-service's uninstall call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppServiceUninstall {
    pub all: bool,
    #[serde(rename = "deleteData")]
    pub delete_data: bool,
}

/// app-service's answer to an operation: `{code, message, data: {opID}}`;
/// `code` other than 200 is a refusal even on HTTP 200.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AppServiceOpResponse {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub data: Option<Value>,
}

impl AppServiceOpResponse {
    /// `data.opID`, when present and not empty.
    pub fn op_id(&self) -> Option<&str> {
        self.data
            .as_ref()?
            .get("opID")?
            .as_str()
            .filter(|s| !s.is_empty())
    }
}

/// The body of Olares' `os.application.*` state event (app-service → market).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStateEvent {
    #[serde(rename = "eventID", default)]
    pub event_id: String,
    #[serde(default)]
    pub create_time: String,
    pub name: String,
    #[serde(default)]
    pub raw_app_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(rename = "opID", default)]
    pub op_id: String,
    #[serde(default)]
    pub op_type: String,
    pub state: String,
    pub user: String,
    #[serde(default)]
    pub progress: String,
    #[serde(default)]
    pub market_source: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub entrance_statuses: Vec<Value>,
}

/// What an app-service state means for a task of a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StateVerdict {
    Completed,
    Failed,
    Canceled,
    /// Still on its way (or unrelated to this kind).
    InProgress,
}

/// How app-service's app state (`ApplicationManagerState`) ends a task: an
/// install or clone completes at `running`, fails at `installFailed`,
/// `downloadFailed`, `initialFailed`, and is canceled at any `*Canceled`; an
/// upgrade completes at `running` and fails at `upgradeFailed`/`applyEnvFailed`,
/// canceled at `upgradingCanceled`; an uninstall completes at `uninstalled`,
/// fails at `uninstallFailed`; a cancel completes at any `*Canceled` or
/// `uninstalled` and fails at `cancelFailed`/`*CancelFailed`.
pub fn state_verdict(kind: TaskKind, state: &str) -> StateVerdict {
    let canceled = state.ends_with("Canceled");
    let cancel_failed = state == "cancelFailed" || state.ends_with("CancelFailed");
    match kind {
        TaskKind::Install | TaskKind::Clone => match state {
            "running" => StateVerdict::Completed,
            "installFailed" | "downloadFailed" | "initialFailed" => StateVerdict::Failed,
            _ if canceled => StateVerdict::Canceled,
            _ => StateVerdict::InProgress,
        },
        TaskKind::Upgrade => match state {
            "running" => StateVerdict::Completed,
            "upgradeFailed" | "applyEnvFailed" => StateVerdict::Failed,
            "upgradingCanceled" => StateVerdict::Canceled,
            _ => StateVerdict::InProgress,
        },
        TaskKind::Uninstall => match state {
            "uninstalled" => StateVerdict::Completed,
            "uninstallFailed" => StateVerdict::Failed,
            _ => StateVerdict::InProgress,
        },
        TaskKind::Cancel => match state {
            "uninstalled" => StateVerdict::Completed,
            _ if canceled => StateVerdict::Completed,
            _ if cancel_failed => StateVerdict::Failed,
            _ => StateVerdict::InProgress,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clone_hash_matches_olares() {
        // Vectors computed with Olares' `calculateCloneRequestHash` (Go's
        // encoding/json over the same struct).
        let plain = CloneRequest {
            source: "market.olares".into(),
            app_name: "firefox".into(),
            title: "Firefox 2".into(),
            sync: true,
            ..CloneRequest::default()
        };
        assert_eq!(plain.request_hash(), "8f315d");
        let full = CloneRequest {
            source: "market.olares".into(),
            app_name: "firefox".into(),
            title: "<Work> & play".into(),
            sync: false,
            envs: vec![
                AppEnvVar {
                    env_name: "B".into(),
                    value: String::new(),
                    value_from: Some(AppEnvValueFrom {
                        env_name: "OLARES_USER_SMTP".into(),
                    }),
                },
                AppEnvVar {
                    env_name: "A".into(),
                    value: "1".into(),
                    value_from: None,
                },
            ],
            entrances: vec![AppEntrance {
                name: "main".into(),
                title: "Firefox W".into(),
            }],
        };
        assert_eq!(full.request_hash(), "be0145");
    }

    #[test]
    fn statuses_and_kinds_round_trip() {
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
        }
        for k in TaskKind::ALL {
            assert_eq!(TaskKind::parse(k.as_str()), Some(k));
        }
        assert!(TaskStatus::Canceled.is_terminal() && !TaskStatus::Running.is_terminal());
    }

    #[test]
    fn states_end_tasks_as_olares_does() {
        use StateVerdict::*;
        assert_eq!(state_verdict(TaskKind::Install, "running"), Completed);
        assert_eq!(state_verdict(TaskKind::Install, "downloading"), InProgress);
        assert_eq!(state_verdict(TaskKind::Install, "installFailed"), Failed);
        assert_eq!(
            state_verdict(TaskKind::Install, "installingCanceled"),
            Canceled
        );
        assert_eq!(state_verdict(TaskKind::Uninstall, "uninstalled"), Completed);
        assert_eq!(
            state_verdict(TaskKind::Cancel, "pendingCanceled"),
            Completed
        );
        assert_eq!(
            state_verdict(TaskKind::Cancel, "installingCancelFailed"),
            Failed
        );
        assert_eq!(state_verdict(TaskKind::Upgrade, "upgradeFailed"), Failed);
    }

    #[test]
    fn op_response_reads_the_op_id() {
        let r: AppServiceOpResponse =
            serde_json::from_str(r#"{"code":200,"data":{"opID":"op-1"}}"#).unwrap();
        assert_eq!(r.op_id(), Some("op-1"));
        let r: AppServiceOpResponse = serde_json::from_str(
            r#"{"code":422,"data":{"type":"appenv","Data":{"missingValues":[]}}}"#,
        )
        .unwrap();
        assert_eq!(r.op_id(), None);
    }
}
