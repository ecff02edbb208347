//! The `options` section of an `OlaresManifest.yaml`: dependencies, conflicts, scope,
//! policies and switches.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Extra, UnknownFields, is_default, join, nullable, unknown_keys};
use crate::go_string::{go_string, go_strings};

/// The `options` section: dependencies, conflicts, scope and behaviour.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Options {
    #[serde(
        rename = "mobileSupported",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub mobile_supported: bool,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<Policy>,
    #[serde(rename = "resetCookie", deserialize_with = "nullable")]
    pub reset_cookie: Enabled,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<AppDependency>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    #[serde(rename = "appScope", deserialize_with = "nullable")]
    pub app_scope: AppScope,
    #[serde(deserialize_with = "nullable")]
    pub websocket: WebSocket,
    #[serde(deserialize_with = "nullable")]
    pub upload: Upload,
    #[serde(
        rename = "syncProvider",
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sync_provider: Vec<Value>,
    #[serde(deserialize_with = "nullable")]
    pub oidc: Oidc,
    /// Seconds; `0` means no timeout.
    #[serde(rename = "apiTimeout", skip_serializing_if = "Option::is_none")]
    pub api_timeout: Option<i64>,
    #[serde(
        rename = "allowedOutboundPorts",
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub allowed_outbound_ports: Vec<i64>,
    /// Images to pull besides those of the templates.
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    #[serde(
        rename = "allowMultipleInstall",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub allow_multiple_install: bool,
    #[serde(
        rename = "needsSharedAccess",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub needs_shared_access: bool,
    #[serde(
        rename = "LLMGatewaySupported",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub llm_gateway_supported: bool,
    #[serde(
        rename = "templateOnly",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub template_only: bool,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub shared: bool,
    /// Older manifests.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analytics: Option<Enabled>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A per-URI authentication policy (`options.policies[]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Policy {
    #[serde(
        rename = "entranceName",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub entrance_name: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    #[serde(
        rename = "uriRegex",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub uri_regex: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub level: String,
    #[serde(rename = "oneTime", deserialize_with = "nullable")]
    pub one_time: bool,
    #[serde(
        rename = "validDuration",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub valid_duration: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An app or system version this app needs (`options.dependencies[]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct AppDependency {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    /// A semver range, e.g. `>=1.12.6-0`.
    #[serde(deserialize_with = "go_string")]
    pub version: String,
    /// `system`, `application` or `middleware`.
    #[serde(rename = "type", deserialize_with = "go_string")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub mandatory: bool,
    #[serde(rename = "selfRely", deserialize_with = "nullable")]
    pub self_rely: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An app that cannot be installed beside this one (`options.conflicts[]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Conflict {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    #[serde(rename = "type", deserialize_with = "go_string")]
    pub kind: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Whether the app is installed once for the cluster (`options.appScope`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct AppScope {
    #[serde(
        rename = "clusterScoped",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub cluster_scoped: bool,
    #[serde(
        rename = "appRef",
        deserialize_with = "go_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub app_ref: Vec<String>,
    #[serde(
        rename = "systemService",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub system_service: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The app's websocket endpoint (`options.websocket`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct WebSocket {
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub port: i64,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub url: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// File uploads the app accepts (`options.upload`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Upload {
    #[serde(
        rename = "fileType",
        deserialize_with = "go_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub file_type: Vec<String>,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub dest: String,
    #[serde(
        rename = "limitedSize",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub limited_size: i64,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// OpenID Connect login for the app (`options.oidc`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Oidc {
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub enabled: bool,
    #[serde(
        rename = "redirectUri",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub redirect_uri: String,
    #[serde(
        rename = "entranceName",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub entrance_name: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A switch (`options.resetCookie`, `options.analytics`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Enabled {
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub enabled: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

impl UnknownFields for Options {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.policies
            .unknown_fields_into(&join(at, "policies"), out);
        self.reset_cookie
            .unknown_fields_into(&join(at, "resetCookie"), out);
        self.dependencies
            .unknown_fields_into(&join(at, "dependencies"), out);
        self.conflicts
            .unknown_fields_into(&join(at, "conflicts"), out);
        self.app_scope
            .unknown_fields_into(&join(at, "appScope"), out);
        self.websocket
            .unknown_fields_into(&join(at, "websocket"), out);
        self.upload.unknown_fields_into(&join(at, "upload"), out);
        self.oidc.unknown_fields_into(&join(at, "oidc"), out);
        self.analytics
            .unknown_fields_into(&join(at, "analytics"), out);
    }
}

impl UnknownFields for Policy {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for AppDependency {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for Conflict {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for AppScope {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for WebSocket {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for Upload {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for Oidc {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for Enabled {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}
