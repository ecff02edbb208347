//! Olares app-service's request and answer bodies, as the simulator reads and writes them.
//!
//! Shapes from beclab/app-service (mirrored at `/work/.mirror/beclab+app-service`):
//! `pkg/apiserver/api/types.go` (`InstallRequest`, `UpgradeRequest`, `UninstallRequest`,
//! `InstallationResponse`, `FailedCheckResponse`, `AppEnvCheckResult`,
//! `AdminUsernameResponse`), `api/sys.bytetrade.io/v1alpha1/{appenv,common}_types.go`
//! (`AppEnvVar` = `EnvVarSpec` + `applyOnChange` + `valueFrom`), `pkg/utils/nats.go`
//! (`Event`), `api/app.bytetrade.io/v1alpha1/application_types.go` (`Application`, the
//! `/all/apps` item). The client side is beclab/market `internal/v2/appservice/types.go`
//! (which sends `repoUrl`, `x_market_user`, `x_market_source`, `images`, `envs`) and
//! `internal/v2/appinfo/datawatcher_state.go` (`AppStateMessage`, which adds `marketSource`).
//!
//! Go's `encoding/json` matches keys case-insensitively, so `repoUrl` and `repoURL` both
//! reach `RepoURL`; the aliases below accept the spellings clients really send.

use serde::{Deserialize, Serialize};

use olares_chart::manifest::AppEnv;

use super::state::{AppState, OpType};

/// `api.InstallRequest` plus the fields beclab/market's `InstallOptions` adds (app-service
/// ignores unknown keys, so they are accepted and kept for the call log).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct InstallRequest {
    #[serde(rename = "devMode")]
    pub dev_mode: bool,
    #[serde(rename = "repoUrl", alias = "repoURL", alias = "repourl")]
    pub repo_url: String,
    #[serde(rename = "cfgUrl", alias = "cfgURL")]
    pub cfg_url: String,
    pub source: String,
    pub images: Option<Vec<Image>>,
    pub envs: Option<Vec<EnvOverride>>,
    #[serde(rename = "rawAppName")]
    pub raw_app_name: String,
    pub title: String,
    /// Not read by app-service (it installs the newest version in the index unless the app
    /// is a clone); market sends it, and the simulator honours it when present.
    pub version: String,
    #[serde(rename = "appName")]
    pub app_name: String,
    pub x_market_user: String,
    pub x_market_source: String,
}

/// `api.UpgradeRequest` (`repoURL`, `version`, `source`, `cfgURL`) plus market's extras.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct UpgradeRequest {
    #[serde(rename = "repoURL", alias = "repoUrl", alias = "repourl")]
    pub repo_url: String,
    pub version: String,
    pub source: String,
    #[serde(rename = "cfgURL", alias = "cfgUrl")]
    pub cfg_url: String,
    pub envs: Option<Vec<EnvOverride>>,
    pub images: Option<Vec<Image>>,
    pub x_market_user: String,
    pub x_market_source: String,
}

/// `api.UninstallRequest` (`all`) plus market's `deleteData`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct UninstallRequest {
    pub all: bool,
    #[serde(rename = "deleteData")]
    pub delete_data: bool,
}

/// `api.Image`: an image to pre-pull, with its size in bytes.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct Image {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub size: i64,
}

/// One `envs[]` item of an install request: a value, or a reference to a system/user env.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct EnvOverride {
    #[serde(rename = "envName", default)]
    pub env_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(rename = "valueFrom", default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvRef>,
}

/// `ValueFrom{envName, status}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct EnvRef {
    #[serde(rename = "envName", default)]
    pub env_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
}

/// `api.InstallationResponse`: `{code: 200, data: {uid, opID}}`, the answer of every
/// operation (install, upgrade, uninstall, cancel, suspend, resume).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct OpResponse {
    pub code: i32,
    pub data: OpData,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct OpData {
    pub uid: String,
    #[serde(rename = "opID")]
    pub op_id: String,
}

/// `sysv1alpha1.AppEnvVar` as app-service writes it in an `appenv` check result: the
/// manifest's env with the request's overrides applied.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct AppEnvVar {
    #[serde(rename = "envName")]
    pub env_name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub default: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub editable: bool,
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "is_false")]
    pub required: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<EnvOption>,
    #[serde(
        rename = "remoteOptions",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub remote_options: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub regex: String,
    #[serde(rename = "applyOnChange", default, skip_serializing_if = "is_false")]
    pub apply_on_change: bool,
    #[serde(rename = "valueFrom", default, skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvRef>,
}

/// `EnvValueOptionItem{title, value}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct EnvOption {
    pub title: String,
    pub value: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl From<&AppEnv> for AppEnvVar {
    fn from(e: &AppEnv) -> Self {
        Self {
            env_name: e.env_name.clone(),
            value: e.value.clone(),
            default: e.default.clone(),
            editable: e.editable,
            kind: e.kind.clone(),
            required: e.required,
            title: e.title.clone(),
            description: e.description.clone(),
            options: e
                .options
                .iter()
                .map(|o| EnvOption {
                    title: o.title.clone(),
                    value: o.value.clone(),
                })
                .collect(),
            remote_options: e.remote_options.clone(),
            regex: e.regex.clone(),
            apply_on_change: e.apply_on_change,
            value_from: e.value_from.as_ref().map(|v| EnvRef {
                env_name: v.env_name.clone(),
                status: v.status.clone(),
            }),
        }
    }
}

impl AppEnvVar {
    /// `GetEffectiveValue`: the value, else the default.
    pub fn effective_value(&self) -> &str {
        if self.value.is_empty() {
            &self.default
        } else {
            &self.value
        }
    }
}

/// `api.AppEnvCheckResult`. Go writes a nil slice as `null`, and app-service leaves the
/// lists it did not fill nil, so an empty list is `null` on the wire, as here.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct AppEnvCheckResult {
    #[serde(rename = "missingValues")]
    pub missing_values: Option<Vec<AppEnvVar>>,
    #[serde(rename = "missingRefs")]
    pub missing_refs: Option<Vec<AppEnvVar>>,
    #[serde(rename = "invalidValues")]
    pub invalid_values: Option<Vec<AppEnvVar>>,
}

impl AppEnvCheckResult {
    pub fn is_empty(&self) -> bool {
        [
            &self.missing_values,
            &self.missing_refs,
            &self.invalid_values,
        ]
        .iter()
        .all(|l| l.as_ref().is_none_or(Vec::is_empty))
    }
}

/// `api.FailedCheckResponse`: `{code: 422, data: {type: "appenv", Data: {...}}}` (the inner
/// key is `Data`: Go's `json:",inline"` tag is not a Go feature, so the field keeps its name).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct FailedCheckResponse {
    pub code: i32,
    pub data: FailedCheckData,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct FailedCheckData {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "Data")]
    pub data: AppEnvCheckResult,
}

/// The state event app-service publishes on NATS `os.application.{user}` (`utils.Event`),
/// with `marketSource` as beclab/market's `AppStateMessage` reads it. The simulator POSTs
/// it to `{market}/app-store/api/v2/app-state-events` (DESIGN.md §5.1).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct StateEvent {
    #[serde(rename = "eventID")]
    pub event_id: String,
    /// Go's `time.Time` JSON: RFC 3339 with nanoseconds.
    #[serde(rename = "createTime")]
    pub create_time: String,
    pub name: String,
    #[serde(rename = "rawAppName")]
    pub raw_app_name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "opType")]
    pub op_type: OpType,
    #[serde(rename = "opID")]
    pub op_id: String,
    pub state: AppState,
    #[serde(default)]
    pub progress: String,
    pub user: String,
    #[serde(rename = "marketSource", default)]
    pub market_source: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub title: String,
    #[serde(rename = "entranceStatuses", default)]
    pub entrance_statuses: Vec<EntranceStatus>,
}

/// `v1alpha1.EntranceStatus`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct EntranceStatus {
    pub name: String,
    /// `running`, `notReady`, `stopped`.
    pub state: String,
    #[serde(rename = "statusTime")]
    pub status_time: String,
    pub reason: String,
}

/// One item of `GET /app-service/v1/all/apps`: a `v1alpha1.Application` built from the
/// app manager (`allUsersApps` in `pkg/apiserver/handler_app.go`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Application {
    pub metadata: ObjectMeta,
    pub spec: ApplicationSpec,
    pub status: ApplicationStatus,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ObjectMeta {
    /// `{app}-{owner}-{app}`, the app manager's name.
    pub name: String,
    #[serde(rename = "creationTimestamp")]
    pub creation_timestamp: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ApplicationSpec {
    pub name: String,
    #[serde(
        rename = "rawAppName",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub raw_app_name: String,
    pub appid: String,
    #[serde(rename = "isSysApp")]
    pub is_sys_app: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub owner: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrances: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    #[serde(default)]
    pub settings: std::collections::BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ApplicationStatus {
    pub state: AppState,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub progress: String,
    #[serde(rename = "updateTime")]
    pub update_time: String,
    #[serde(rename = "statusTime")]
    pub status_time: String,
    #[serde(
        rename = "entranceStatuses",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub entrance_statuses: Vec<EntranceStatus>,
}

/// `api.AdminUsernameResponse`: `{code: 200, data: {username}}`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct AdminUsernameResponse {
    pub code: i32,
    pub data: AdminUsername,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct AdminUsername {
    pub username: String,
}
