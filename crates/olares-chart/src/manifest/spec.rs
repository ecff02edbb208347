//! The `metadata` and `spec` sections of an `OlaresManifest.yaml`: the store listing, the
//! resources the app needs and the platforms it runs on.

use serde::{Deserialize, Serialize};

use super::{Extra, UnknownFields, is_default, join, nullable, unknown_keys};
use crate::go_string::{go_string, go_strings};

/// The `metadata` section: how the app is named and shown.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct AppMetadata {
    /// The app name; equals the chart name.
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    #[serde(deserialize_with = "go_string")]
    pub icon: String,
    #[serde(deserialize_with = "go_string")]
    pub description: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub appid: String,
    #[serde(deserialize_with = "go_string")]
    pub title: String,
    /// The chart version.
    #[serde(deserialize_with = "go_string")]
    pub version: String,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub rating: f32,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub target: String,
    #[serde(
        rename = "type",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub kind: String,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `spec` section: store listing text, resources, platforms.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct AppSpec {
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub namespace: String,
    #[serde(
        rename = "onlyAdmin",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub only_admin: bool,
    /// The version of the packaged software.
    #[serde(rename = "versionName", deserialize_with = "go_string")]
    pub version_name: String,
    #[serde(
        rename = "fullDescription",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub full_description: String,
    #[serde(
        rename = "upgradeDescription",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub upgrade_description: String,
    #[serde(
        rename = "promoteImage",
        deserialize_with = "go_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub promote_image: Vec<String>,
    #[serde(
        rename = "promoteVideo",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub promote_video: String,
    #[serde(
        rename = "subCategory",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub sub_category: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub developer: String,
    #[serde(
        rename = "requiredMemory",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub required_memory: String,
    #[serde(
        rename = "requiredDisk",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub required_disk: String,
    #[serde(
        rename = "requiredGpu",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub required_gpu: String,
    #[serde(
        rename = "requiredCpu",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub required_cpu: String,
    #[serde(
        rename = "limitedMemory",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_memory: String,
    #[serde(
        rename = "limitedDisk",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_disk: String,
    #[serde(
        rename = "limitedGpu",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_gpu: String,
    #[serde(
        rename = "limitedCpu",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_cpu: String,
    #[serde(rename = "supportClient", deserialize_with = "nullable")]
    pub support_client: SupportClient,
    #[serde(rename = "runAsUser", deserialize_with = "nullable")]
    pub run_as_user: bool,
    #[serde(rename = "runAsInternal", deserialize_with = "nullable")]
    pub run_as_internal: bool,
    #[serde(
        rename = "podGpuConsumePolicy",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub pod_gpu_consume_policy: String,
    /// v0.11 shared apps: sibling chart folders.
    #[serde(
        rename = "subCharts",
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sub_charts: Vec<SubChart>,
    /// Resource needs per accelerator mode (GPU apps).
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub accelerator: Vec<ResourceMode>,
    /// `amd64`, `arm64`.
    #[serde(
        rename = "supportArch",
        deserialize_with = "go_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub support_arch: Vec<String>,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub website: String,
    #[serde(
        rename = "sourceCode",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub source_code: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub submitter: String,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub locale: Vec<String>,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub doc: String,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub license: Vec<Link>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub legal: Vec<Link>,
    #[serde(
        rename = "featuredImage",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub featured_image: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Native clients of the app, by platform (`spec.supportClient`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct SupportClient {
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub edge: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub android: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub ios: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub windows: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub mac: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub linux: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub chrome: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A v0.11 subchart (`spec.subCharts[]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct SubChart {
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// Installed once for the cluster, by the admin.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_default")]
    pub shared: bool,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// Resources for one accelerator mode (`spec.accelerator[]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct ResourceMode {
    #[serde(deserialize_with = "go_string")]
    pub mode: String,
    #[serde(
        rename = "supportMultiCard",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub support_multi_card: bool,
    #[serde(
        rename = "supportMultiNodes",
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub support_multi_nodes: bool,
    #[serde(
        rename = "requiredCpu",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub required_cpu: String,
    #[serde(
        rename = "limitedCpu",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_cpu: String,
    #[serde(
        rename = "requiredMemory",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub required_memory: String,
    #[serde(
        rename = "limitedMemory",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_memory: String,
    #[serde(
        rename = "requiredDisk",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub required_disk: String,
    #[serde(
        rename = "limitedDisk",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_disk: String,
    #[serde(
        rename = "requiredGPUMemory",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub required_gpu_memory: String,
    #[serde(
        rename = "limitedGPUMemory",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_gpu_memory: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

/// A titled link (`spec.license[]`, `spec.legal[]`).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Link {
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub text: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub url: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Extra,
}

impl UnknownFields for AppMetadata {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for AppSpec {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
        self.support_client
            .unknown_fields_into(&join(at, "supportClient"), out);
        self.sub_charts
            .unknown_fields_into(&join(at, "subCharts"), out);
        self.accelerator
            .unknown_fields_into(&join(at, "accelerator"), out);
        self.license.unknown_fields_into(&join(at, "license"), out);
        self.legal.unknown_fields_into(&join(at, "legal"), out);
    }
}

impl UnknownFields for SupportClient {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for SubChart {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for ResourceMode {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}

impl UnknownFields for Link {
    fn unknown_fields_into(&self, at: &str, out: &mut Vec<String>) {
        unknown_keys(&self.extra, at, out);
    }
}
