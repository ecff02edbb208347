//! The `envs` section of an `OlaresManifest.yaml`: variables the user or the system sets,
//! which app-service checks at install (its 422 `appenv` answer names them).

use serde::{Deserialize, Serialize};

use super::{Extra, UnknownFields, is_default, join, nullable, unknown_keys};
use crate::go_string::go_string;

/// An environment variable the user or the system sets (`envs[]`, Olares `AppEnvVar`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct AppEnv {
    #[serde(rename = "envName", deserialize_with = "go_string")]
    pub env_name: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub value: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub default: String,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub editable: bool,
    /// `string`, `int`, `bool`, `url`, `password`, `email`, `domain`, …
    #[serde(
        rename = "type",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub kind: String,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub required: bool,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub title: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// The allowed values.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<EnvOption>,
    /// A URL answering the allowed values as a JSON array.
    #[serde(
        rename = "remoteOptions",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub remote_options: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub regex: String,
    #[serde(
        rename = "multiSelect",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub multi_select: bool,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub splitter: String,
    #[serde(
        rename = "applyOnChange",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub apply_on_change: bool,
    #[serde(rename = "valueFrom", skip_serializing_if = "Option::is_none")]
    pub value_from: Option<ValueFrom>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// One allowed value of an env.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct EnvOption {
    #[serde(deserialize_with = "go_string")]
    pub title: String,
    #[serde(deserialize_with = "go_string")]
    pub value: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where an env takes its value: a system or user env.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ValueFrom {
    #[serde(rename = "envName", deserialize_with = "go_string")]
    pub env_name: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub status: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

impl UnknownFields for AppEnv {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.options.unknown_fields_into(&join(at, "options"), out);
        self.value_from
            .unknown_fields_into(&join(at, "valueFrom"), out);
    }
}

impl UnknownFields for EnvOption {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for ValueFrom {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}
