//! The `permission` section of an `OlaresManifest.yaml`.

use serde::{Deserialize, Serialize};

use super::{Extra, UnknownFields, go_string_opt, is_default, join, nullable, unknown_keys};
use crate::go_string::{go_string, go_strings};

/// The `permission` section: storage and APIs the app may use.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Permission {
    #[serde(
        rename = "appData",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub app_data: bool,
    #[serde(
        rename = "appCache",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub app_cache: bool,
    /// Folders of the user's home the app may access.
    #[serde(
        rename = "userData",
        deserialize_with = "go_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub user_data: Vec<String>,
    #[serde(
        rename = "appCommon",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub app_common: bool,
    #[serde(
        rename = "externalData",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub external_data: bool,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub provider: Vec<ProviderPermission>,
    #[serde(
        rename = "serviceAccount",
        deserialize_with = "go_string_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_account: Option<String>,
    /// Older manifests (before providers): system APIs the app calls.
    #[serde(
        rename = "sysData",
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sys_data: Vec<SysData>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Access to another app's provider (`permission.provider[]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ProviderPermission {
    #[serde(
        rename = "appName",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub app_name: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub namespace: String,
    #[serde(
        rename = "providerName",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub provider_name: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A system API the app calls (`permission.sysData[]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct SysData {
    #[serde(rename = "appName", deserialize_with = "go_string")]
    pub app_name: String,
    #[serde(deserialize_with = "go_string")]
    pub port: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub svc: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub namespace: String,
    #[serde(deserialize_with = "go_string")]
    pub group: String,
    #[serde(rename = "dataType", deserialize_with = "go_string")]
    pub data_type: String,
    #[serde(deserialize_with = "go_string")]
    pub version: String,
    #[serde(deserialize_with = "go_strings")]
    pub ops: Vec<String>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

impl UnknownFields for Permission {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.provider
            .unknown_fields_into(&join(at, "provider"), out);
        self.sys_data.unknown_fields_into(&join(at, "sysData"), out);
    }
}

impl UnknownFields for ProviderPermission {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for SysData {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}
