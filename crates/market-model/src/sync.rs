//! `POST /chart-repo/api/v2/dcr/sync-app` (DESIGN.md §4.1): the body market sends to have
//! one (user, source, app, version) hydrated, and what chart-repo answers. Field names are
//! the json tags of Olares' `chartrepo.SyncAppRequest`, `SyncAppData` and `SyncAppPayload`;
//! `admin_user` and the fields marked "ours" are additions.
//!
//! Reading is lenient as Go's `encoding/json` is (missing or `null` = zero value). Never: I/O.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::protocol::{AppVersionRecord, ApplicationInfoEntry, Text, nullable};

/// The body of `POST /dcr/sync-app`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SyncAppRequest {
    #[serde(deserialize_with = "nullable")]
    pub app_info_latest_pending_data: PendingAppData,
    #[serde(deserialize_with = "nullable")]
    pub source_id: String,
    #[serde(deserialize_with = "nullable")]
    pub user_name: String,
    /// Ours: who the admin is (market is the source of truth); renders branch on it.
    #[serde(deserialize_with = "nullable")]
    pub admin_user: String,
}

/// Olares' `AppInfoLatestPendingData`: the catalog's view of the app to hydrate.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct PendingAppData {
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub timestamp: i64,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub version: String,
    /// The app's catalog entry; `name`, `version` and `chartName` say which chart to fetch.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub raw_data: Option<ApplicationInfoEntry>,
    /// For local sources: where the uploaded source package is (ours: its SHA-256).
    #[serde(deserialize_with = "nullable")]
    pub raw_package: String,
    /// Per-user overrides applied by the CustomParams step.
    #[serde(deserialize_with = "nullable")]
    pub values: Vec<CustomValue>,
    pub app_info: Option<Value>,
    #[serde(deserialize_with = "nullable")]
    pub rendered_package: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_simple_info: Option<AppSimpleInfo>,
}

/// One per-user override (Olares' `types.Values`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomValue {
    #[serde(default, deserialize_with = "nullable")]
    pub file_name: String,
    pub modify_type: ModifyType,
    #[serde(default, deserialize_with = "nullable")]
    pub modify_key: String,
    #[serde(default, deserialize_with = "nullable")]
    pub modify_value: String,
}

/// What a [`CustomValue`] changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModifyType {
    /// An app env (`olaresEnv.<key>` in the render values).
    Env,
    /// A permission value (a dotted values path).
    UserPermission,
    /// A resource limit (a dotted values path).
    ResourceLimit,
}

/// What one sync did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    /// The user had no rendered record of this app.
    New,
    /// The record changed (a new version, a republished chart, new values).
    Updated,
    /// Nothing changed: the stored record is current.
    Existing,
}

/// The `data` of a successful `POST /dcr/sync-app`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncAppData {
    pub app_id: String,
    pub user_id: String,
    pub source_id: String,
    pub version: String,
    pub status: SyncStatus,
    pub message: String,
    pub app_data: SyncAppPayload,
}

/// The `data` of a failed sync (`success: false`): which step failed and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SyncFailure {
    pub app_id: String,
    pub user_id: String,
    pub source_id: String,
    pub version: String,
    pub failure_step: String,
    pub failure_reason: String,
    /// Whether chart-repo will try again by itself (network trouble) or waits for a new
    /// chart (a bad chart).
    pub retryable: bool,
}

/// One app as rendered for one user (Olares' `SyncAppPayload`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct SyncAppPayload {
    /// Always `app-info-latest`.
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    /// Unix seconds of the hydration.
    #[serde(deserialize_with = "nullable")]
    pub timestamp: i64,
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    /// The catalog entry the hydration was asked for.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub raw_data: Option<ApplicationInfoEntry>,
    /// The user's rendered `OlaresManifest.yaml`, as JSON.
    pub raw_data_ex: Value,
    /// Olares' `ImageAnalysisResult` shape.
    pub image_analysis: Option<Value>,
    /// Locale → the manifest's translated texts (`title`, `description`, …).
    #[serde(deserialize_with = "nullable")]
    pub i18n: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(deserialize_with = "nullable")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub version_history: Vec<AppVersionRecord>,
    /// Where the source package is: `sources/{sha256}.tgz`.
    #[serde(deserialize_with = "nullable")]
    pub raw_package: String,
    /// The user's package, relative to the user's repository: `charts/{name}-{version}.tgz`.
    #[serde(deserialize_with = "nullable")]
    pub rendered_package: String,
    #[serde(deserialize_with = "nullable")]
    pub values: Vec<CustomValue>,
    pub app_info: Option<Value>,
    pub app_simple_info: AppSimpleInfo,
    /// Ours: SHA-256 of the source package.
    #[serde(deserialize_with = "nullable")]
    pub source_digest: String,
    /// Ours: SHA-256 of the user's package (the index's `digest`).
    #[serde(deserialize_with = "nullable")]
    pub package_digest: String,
    /// Ours: declared architectures the analysed images lack.
    #[serde(deserialize_with = "nullable")]
    pub arch_warnings: Vec<String>,
    /// Ours: the digest of the request this payload was rendered from.
    #[serde(deserialize_with = "nullable")]
    pub request_digest: String,
}

/// Olares' `AppSimpleInfo`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AppSimpleInfo {
    #[serde(deserialize_with = "nullable")]
    pub app_id: String,
    #[serde(deserialize_with = "nullable")]
    pub app_name: String,
    #[serde(deserialize_with = "nullable")]
    pub app_icon: String,
    #[serde(deserialize_with = "nullable")]
    pub app_description: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    pub app_version: String,
    #[serde(deserialize_with = "nullable")]
    pub app_title: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    pub categories: Vec<String>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub support_arch: Vec<String>,
}

/// The text of `text` by locale; a plain text is filed under `en-US`.
pub fn localized(text: &Text) -> BTreeMap<String, String> {
    match text {
        Text::Plain(s) if s.is_empty() => BTreeMap::new(),
        Text::Plain(s) => BTreeMap::from([("en-US".to_owned(), s.clone())]),
        Text::Localized(map) => map.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_go_request_with_nulls_reads() {
        let body = r#"{"app_info_latest_pending_data":{"type":"app-info-latest-pending",
            "timestamp":1,"raw_data":{"name":"ghost","version":"1.0.0"},"values":null,
            "app_info":null},"source_id":"market.olares","user_name":"alice"}"#;
        let req: SyncAppRequest = serde_json::from_str(body).unwrap();
        let raw = req.app_info_latest_pending_data.raw_data.unwrap();
        assert_eq!(raw.name, "ghost");
        assert!(req.app_info_latest_pending_data.values.is_empty());
        assert_eq!(req.admin_user, "");
    }

    #[test]
    fn custom_values_use_olares_names() {
        let v: CustomValue = serde_json::from_str(
            r#"{"file_name":"values.yaml","modify_type":"resource_limit","modify_key":"a.b","modify_value":"1"}"#,
        )
        .unwrap();
        assert_eq!(v.modify_type, ModifyType::ResourceLimit);
        assert!(serde_json::from_str::<CustomValue>(r#"{"modify_type":"other"}"#).is_err());
    }

    #[test]
    fn status_names() {
        assert_eq!(
            serde_json::to_string(&SyncStatus::Existing).unwrap(),
            "\"existing\""
        );
    }
}
