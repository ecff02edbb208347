//! How users and other apps reach the app: `entrances`, `sharedEntrances`, `ports`,
//! `tailscale`, `overlayGateway` and `provider` of an `OlaresManifest.yaml`.

use serde::{Deserialize, Serialize};

use super::{Extra, UnknownFields, is_default, join, nullable, unknown_keys};
use crate::go_string::{go_string, go_strings};

/// An entrance (Olares `Entrance`): a web endpoint of the app, also used for `sharedEntrances`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Entrance {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    /// The Service the entrance routes to.
    #[serde(deserialize_with = "go_string")]
    pub host: String,
    #[serde(deserialize_with = "nullable")]
    pub port: i32,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub icon: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub title: String,
    /// `public`, `private` or `internal`.
    #[serde(
        rename = "authLevel",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub auth_level: String,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub invisible: bool,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub url: String,
    /// `default`, `iframe` or `window`.
    #[serde(
        rename = "openMethod",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub open_method: String,
    #[serde(
        rename = "windowPushState",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub window_push_state: bool,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub skip: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A non-HTTP port exposed by the app (Olares `ServicePort`, top-level `ports`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ServicePort {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    #[serde(deserialize_with = "go_string")]
    pub host: String,
    #[serde(deserialize_with = "nullable")]
    pub port: i32,
    #[serde(
        rename = "exposePort",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub expose_port: i32,
    /// `tcp`, `udp`, or empty for both.
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub protocol: String,
    #[serde(
        rename = "addToTailscaleAcl",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub add_to_tailscale_acl: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Tailscale access for the app (`tailscale`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct TailScale {
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub acls: Vec<Acl>,
    #[serde(
        rename = "subRoutes",
        deserialize_with = "go_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sub_routes: Vec<String>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One Tailscale ACL rule.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Acl {
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub action: String,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub src: Vec<String>,
    #[serde(deserialize_with = "go_string")]
    pub proto: String,
    #[serde(deserialize_with = "go_strings")]
    pub dst: Vec<String>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Ports published through the overlay network (`overlayGateway`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct OverlayGateway {
    #[serde(deserialize_with = "nullable")]
    pub enable: bool,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub entrances: Vec<OverlayEntrance>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One port of the overlay gateway.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct OverlayEntrance {
    #[serde(deserialize_with = "go_string")]
    pub title: String,
    #[serde(deserialize_with = "nullable")]
    pub port: i32,
    #[serde(deserialize_with = "go_string")]
    pub workload: String,
    #[serde(deserialize_with = "go_string")]
    pub description: String,
    #[serde(deserialize_with = "go_string")]
    pub protocol: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// An API the app provides to other apps (top-level `provider`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Provider {
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub entrance: String,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub verbs: Vec<String>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

impl UnknownFields for Entrance {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for ServicePort {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for TailScale {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.acls.unknown_fields_into(&join(at, "acls"), out);
    }
}

impl UnknownFields for Acl {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for OverlayGateway {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.entrances
            .unknown_fields_into(&join(at, "entrances"), out);
    }
}

impl UnknownFields for OverlayEntrance {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for Provider {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}
