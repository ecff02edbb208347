//! `OlaresManifest.yaml` typed as Olares reads it (beclab's `manifest.AppConfiguration`),
//! with every field name spelled as Olares spells it. It parses the *rendered* text: Olares
//! renders the manifest as a Helm template first, and so must the caller.
//!
//! Unknown keys are kept, never dropped: every struct holds the keys it does not know in
//! `extra`, so serializing a parsed manifest loses nothing, and [`OlaresManifest::unknown_fields`]
//! lists them. Version policy: see [`ManifestVersion`]. Never: rendering, or checks that need
//! the chart's other files (that is [`crate::app`]).

mod entrance;
mod env;
mod middleware;
mod options;
mod permission;
mod spec;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

pub use entrance::{
    Acl, Entrance, OverlayEntrance, OverlayGateway, Provider, ServicePort, TailScale,
};
pub use env::{AppEnv, EnvOption, ValueFrom};
pub use middleware::{
    ArgoConfig, Database, DatabaseConfig, ElasticsearchConfig, Middleware, MinioConfig, Named,
    PostgresConfig, RabbitMqConfig, RedisConfig,
};
pub use options::{
    AppDependency, AppScope, Conflict, Enabled, Oidc, Options, Policy, Upload, WebSocket,
};
pub use permission::{Permission, ProviderPermission, SysData};
pub use spec::{AppMetadata, AppSpec, Link, ResourceMode, SubChart, SupportClient};

use crate::file_error::{FileError, integers, read_yaml, typed};
use crate::go_string::go_string;

/// The file this module reads, at the chart root.
pub const OLARES_MANIFEST: &str = "OlaresManifest.yaml";

/// Keys a model does not know, kept as read.
pub type Extra = serde_json::Map<String, Value>;

/// A rendered `OlaresManifest.yaml`. Serializes with Olares' JSON names; empty optional
/// fields are left out where Olares' `omitempty` leaves them out.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
pub struct OlaresManifest {
    /// `olaresManifest.version`, required.
    #[serde(rename = "olaresManifest.version")]
    pub manifest_version: ManifestVersion,
    /// `olaresManifest.type`: `app`, `middleware`, …
    #[serde(
        rename = "olaresManifest.type",
        default,
        deserialize_with = "go_string"
    )]
    pub manifest_type: String,
    /// `v2` or `v3` in recent manifests (v3: `workloadReplicas`).
    #[serde(
        rename = "apiVersion",
        default,
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub api_version: String,
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: AppMetadata,
    #[serde(default, deserialize_with = "nullable")]
    pub entrances: Vec<Entrance>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub ports: Vec<ServicePort>,
    #[serde(default, deserialize_with = "nullable")]
    pub tailscale: TailScale,
    #[serde(default, deserialize_with = "nullable")]
    pub spec: AppSpec,
    #[serde(default, deserialize_with = "nullable")]
    pub permission: Permission,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middleware: Option<Middleware>,
    #[serde(default, deserialize_with = "nullable")]
    pub options: Options,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub provider: Vec<Provider>,
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub envs: Vec<AppEnv>,
    /// Entrances a shared (cluster-scoped) app offers to other apps.
    #[serde(
        rename = "sharedEntrances",
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub shared_entrances: Vec<Entrance>,
    #[serde(rename = "overlayGateway", default, deserialize_with = "nullable")]
    pub overlay_gateway: OverlayGateway,
    /// Replica count per workload name (`apiVersion: v3`).
    #[serde(
        rename = "workloadReplicas",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub workload_replicas: Option<BTreeMap<String, i32>>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

impl OlaresManifest {
    /// Parses a rendered `OlaresManifest.yaml`. Errors name the line and the field.
    pub fn parse(data: &[u8]) -> Result<Self, FileError> {
        Self::parse_file(OLARES_MANIFEST, data)
    }

    /// Parses a rendered manifest read from `file` (the name errors give).
    pub fn parse_file(file: &str, data: &[u8]) -> Result<Self, FileError> {
        let (text, mut value) = read_yaml(file, data)?;
        integers(&mut value);
        typed(file, text, value)
    }

    /// Paths of the keys no model field knows (kept in the `extra` maps), e.g.
    /// `options.clusterScoped`; what a linter would warn about.
    pub fn unknown_fields(&self) -> Vec<String> {
        let mut out = Vec::new();
        unknown_keys(&self.extra, "", &mut out);
        self.metadata.unknown_fields_into("metadata", &mut out);
        self.entrances.unknown_fields_into("entrances", &mut out);
        self.ports.unknown_fields_into("ports", &mut out);
        self.tailscale.unknown_fields_into("tailscale", &mut out);
        self.spec.unknown_fields_into("spec", &mut out);
        self.permission.unknown_fields_into("permission", &mut out);
        self.middleware.unknown_fields_into("middleware", &mut out);
        self.options.unknown_fields_into("options", &mut out);
        self.provider.unknown_fields_into("provider", &mut out);
        self.envs.unknown_fields_into("envs", &mut out);
        self.shared_entrances
            .unknown_fields_into("sharedEntrances", &mut out);
        self.overlay_gateway
            .unknown_fields_into("overlayGateway", &mut out);
        out
    }
}

/// `olaresManifest.version`: `MAJOR.MINOR[.PATCH]`, the text kept as written.
///
/// Policy: 0.7 to 0.12 are read as this model describes them. A newer version is read too
/// (its unknown fields kept) and flagged by [`ManifestVersion::is_newer_than_supported`],
/// so a catalog keeps listing apps the day Olares ships a new format. An older version
/// (the pre-0.7 layouts) or text that is not a version is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestVersion {
    text: String,
    major: u64,
    minor: u64,
}

/// The oldest `MAJOR.MINOR` of the manifest format this model reads.
pub const OLDEST_SUPPORTED: (u64, u64) = (0, 7);
/// The newest `MAJOR.MINOR` this model was written for.
pub const NEWEST_SUPPORTED: (u64, u64) = (0, 12);

impl ManifestVersion {
    /// Parses the version text, refusing what is not a version or older than
    /// [`OLDEST_SUPPORTED`].
    pub fn parse(text: &str) -> Result<Self, String> {
        let number = |p: &str| p.parse::<u64>().ok().filter(|_| !p.starts_with('+'));
        let parts: Vec<&str> = text.split('.').collect();
        let (major, minor) = match parts.as_slice() {
            [major, minor] | [major, minor, _] => (number(major), number(minor)),
            _ => (None, None),
        };
        let patch_ok = parts.get(2).is_none_or(|p| number(p).is_some());
        let (Some(major), Some(minor), true) = (major, minor, patch_ok) else {
            return Err(format!(
                "{text:?} is not a manifest version (MAJOR.MINOR.PATCH)"
            ));
        };
        if (major, minor) < OLDEST_SUPPORTED {
            let (a, b) = OLDEST_SUPPORTED;
            return Err(format!(
                "manifest version {text} is older than {a}.{b}, the oldest this market reads"
            ));
        }
        Ok(Self {
            text: text.to_owned(),
            major,
            minor,
        })
    }

    /// The version as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// `(major, minor)`.
    pub fn major_minor(&self) -> (u64, u64) {
        (self.major, self.minor)
    }

    /// Newer than [`NEWEST_SUPPORTED`]: read, but fields this model does not know may
    /// matter.
    pub fn is_newer_than_supported(&self) -> bool {
        (self.major, self.minor) > NEWEST_SUPPORTED
    }
}

impl fmt::Display for ManifestVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for ManifestVersion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ManifestVersion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = go_string(d)?;
        ManifestVersion::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Go's reading of `null` into a typed field: the zero value.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A Go `*string`: absent or null is `None`, a scalar its Go string.
pub(crate) fn go_string_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None => Ok(None),
        Some(v) => crate::go_string::scalar_string(&v)
            .map(Some)
            .ok_or_else(|| {
                serde::de::Error::custom("cannot unmarshal into Go value of type string")
            }),
    }
}

/// Go's `omitempty` for a value that is its zero value.
pub(crate) fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// Lists the keys a model kept in its `extra` map, nested models included.
pub(crate) trait UnknownFields {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>);
}

impl<T: UnknownFields> UnknownFields for Vec<T> {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        for (i, item) in self.iter().enumerate() {
            item.unknown_fields_into(&format!("{at}[{i}]"), out);
        }
    }
}

impl<T: UnknownFields> UnknownFields for Option<T> {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        if let Some(inner) = self {
            inner.unknown_fields_into(at, out);
        }
    }
}

pub(crate) fn unknown_keys(extra: &Extra, at: &str, out: &mut Vec<String>) {
    out.extend(extra.keys().map(|k| join(at, k)));
}

pub(crate) fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}
