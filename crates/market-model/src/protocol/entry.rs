//! `ApplicationInfoEntry`: one app's details as a source serves them (`POST
//! /api/v1/applications/info`), with the json tags of Olares' `types.ApplicationInfoEntry`.
//!
//! The manifest sections Olares keeps as generic maps (`permission`, `entrances`,
//! `options`, `middleware`, …) are JSON maps here too: the market stores them as received
//! and chart-repo reads the typed manifest from the chart itself.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{is_false, nullable};

/// A JSON object.
pub type Object = Map<String, Value>;

/// One app's details.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApplicationInfoEntry {
    /// [`super::app_id`] of `name`.
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// `olaresManifest.type`: `app`, `middleware`, `model`, …
    #[serde(rename = "cfgType", deserialize_with = "nullable")]
    pub cfg_type: String,
    /// The package file, `{name}-{version}.tgz`.
    #[serde(rename = "chartName", deserialize_with = "nullable")]
    pub chart_name: String,
    #[serde(deserialize_with = "nullable")]
    pub icon: String,
    /// Sources send the manifest's plain text; translations are in `i18n`.
    #[serde(deserialize_with = "nullable")]
    pub description: Text,
    /// Equals `id`.
    #[serde(rename = "appID", deserialize_with = "nullable")]
    pub app_id: String,
    #[serde(deserialize_with = "nullable")]
    pub title: Text,
    /// `metadata.version`: the chart version.
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    #[serde(rename = "apiVersion", deserialize_with = "nullable")]
    pub api_version: String,
    #[serde(deserialize_with = "nullable")]
    pub categories: Vec<String>,
    /// `spec.versionName`: the version of the packaged software.
    #[serde(rename = "versionName", deserialize_with = "nullable")]
    pub version_name: String,
    #[serde(rename = "fullDescription", deserialize_with = "nullable")]
    pub full_description: Text,
    #[serde(rename = "upgradeDescription", deserialize_with = "nullable")]
    pub upgrade_description: Text,
    #[serde(rename = "promoteImage", deserialize_with = "nullable")]
    pub promote_image: Vec<String>,
    #[serde(rename = "promoteVideo", deserialize_with = "nullable")]
    pub promote_video: String,
    #[serde(rename = "subCategory", deserialize_with = "nullable")]
    pub sub_category: String,
    #[serde(deserialize_with = "nullable")]
    pub locale: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub developer: String,
    /// Bytes, as a decimal string (`"1Gi"` in the manifest is `"1073741824"`).
    #[serde(rename = "requiredMemory", deserialize_with = "nullable")]
    pub required_memory: String,
    /// Bytes, as a decimal string.
    #[serde(rename = "requiredDisk", deserialize_with = "nullable")]
    pub required_disk: String,
    #[serde(rename = "supportClient", deserialize_with = "nullable")]
    pub support_client: Object,
    #[serde(rename = "supportArch", deserialize_with = "nullable")]
    pub support_arch: Vec<String>,
    /// Bytes, as a decimal string.
    #[serde(
        rename = "requiredGPU",
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub required_gpu: String,
    /// Cores, as a decimal string (`"500m"` in the manifest is `"0.5"`).
    #[serde(rename = "requiredCPU", deserialize_with = "nullable")]
    pub required_cpu: String,
    #[serde(
        rename = "limitedMemory",
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_memory: String,
    #[serde(
        rename = "limitedDisk",
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_disk: String,
    #[serde(
        rename = "limitedCPU",
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_cpu: String,
    #[serde(
        rename = "limitedGPU",
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub limited_gpu: String,
    #[serde(deserialize_with = "nullable")]
    pub rating: f32,
    #[serde(deserialize_with = "nullable")]
    pub target: String,
    #[serde(deserialize_with = "nullable")]
    pub permission: Object,
    #[serde(deserialize_with = "nullable")]
    pub entrances: Vec<Object>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<Object>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Map::is_empty")]
    pub tailscale: Object,
    /// `null` when the manifest declares none.
    pub middleware: Option<Object>,
    #[serde(deserialize_with = "nullable")]
    pub options: Object,
    #[serde(rename = "subCharts", deserialize_with = "nullable")]
    pub sub_charts: Vec<SubChartRef>,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub envs: Vec<Object>,
    #[serde(deserialize_with = "nullable")]
    pub submitter: String,
    #[serde(deserialize_with = "nullable")]
    pub doc: String,
    #[serde(deserialize_with = "nullable")]
    pub website: String,
    #[serde(rename = "featuredImage", deserialize_with = "nullable")]
    pub featured_image: String,
    #[serde(rename = "sourceCode", deserialize_with = "nullable")]
    pub source_code: String,
    /// `[{text, url}]`
    #[serde(deserialize_with = "nullable")]
    pub license: Vec<Object>,
    /// `[{text, url}]`
    #[serde(deserialize_with = "nullable")]
    pub legal: Vec<Object>,
    /// Texts by locale, for the locales of `spec.locale` that have a file.
    #[serde(deserialize_with = "nullable")]
    pub i18n: BTreeMap<String, I18nEntry>,
    #[serde(
        rename = "modelSize",
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub model_size: String,
    #[serde(deserialize_with = "nullable")]
    pub namespace: String,
    #[serde(rename = "onlyAdmin", deserialize_with = "nullable")]
    pub only_admin: bool,
    /// The revision of the catalog this entry comes from (upstream: the apps repository's
    /// commit).
    #[serde(rename = "lastCommitHash", deserialize_with = "nullable")]
    pub last_commit_hash: String,
    /// Unix seconds.
    #[serde(rename = "createTime", deserialize_with = "nullable")]
    pub create_time: i64,
    /// Unix seconds.
    #[serde(rename = "updateTime", deserialize_with = "nullable")]
    pub update_time: i64,
    /// `suspend`, `remove`, `nsfw`, … (see [`super::is_delisted`]).
    #[serde(
        rename = "appLabels",
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub app_labels: Vec<String>,
    /// Install counter; `null` when the source keeps none.
    pub count: Value,
    #[serde(
        rename = "versionHistory",
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub version_history: Vec<AppVersionRecord>,
    #[serde(deserialize_with = "nullable")]
    pub screenshots: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub tags: Vec<String>,
    /// RFC 3339.
    #[serde(deserialize_with = "nullable")]
    pub updated_at: String,
    /// The chart's `price.yaml`, for paid apps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<Value>,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Object,
}

/// A text field: sources send a plain string (the manifest's, in its default language);
/// the market also accepts a map of locale to text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Plain(String),
    Localized(BTreeMap<String, String>),
}

impl Default for Text {
    fn default() -> Self {
        Text::Plain(String::new())
    }
}

impl Text {
    /// The text in `locale`: a plain text is the same in every locale.
    pub fn get(&self, locale: &str) -> Option<&str> {
        match self {
            Text::Plain(s) => Some(s),
            Text::Localized(map) => map.get(locale).map(String::as_str),
        }
    }
}

impl From<String> for Text {
    fn from(s: String) -> Self {
        Text::Plain(s)
    }
}

/// A v0.11 subchart (`spec.subCharts[]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubChartRef {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Installed once for the cluster, by the admin.
    #[serde(deserialize_with = "nullable", skip_serializing_if = "is_false")]
    pub shared: bool,
}

/// One locale's texts (`i18n/<locale>/OlaresManifest.yaml`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct I18nEntry {
    #[serde(deserialize_with = "nullable")]
    pub metadata: I18nMetadata,
    #[serde(deserialize_with = "nullable")]
    pub entrances: Vec<I18nEntrance>,
    #[serde(deserialize_with = "nullable")]
    pub spec: I18nSpec,
}

/// `metadata` texts of one locale.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct I18nMetadata {
    #[serde(deserialize_with = "nullable")]
    pub title: String,
    #[serde(deserialize_with = "nullable")]
    pub description: String,
}

/// An entrance title of one locale.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct I18nEntrance {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub title: String,
}

/// `spec` texts of one locale.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct I18nSpec {
    #[serde(rename = "fullDescription", deserialize_with = "nullable")]
    pub full_description: String,
    #[serde(rename = "upgradeDescription", deserialize_with = "nullable")]
    pub upgrade_description: String,
}

/// One published version of an app (`versionHistory[]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppVersionRecord {
    #[serde(rename = "appName", deserialize_with = "nullable")]
    pub app_name: String,
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    #[serde(rename = "versionName", deserialize_with = "nullable")]
    pub version_name: String,
    /// RFC 3339.
    #[serde(rename = "mergedAt", deserialize_with = "nullable")]
    pub merged_at: String,
    #[serde(rename = "upgradeDescription", deserialize_with = "nullable")]
    pub upgrade_description: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_with_olares_json_tags_and_omitempty() {
        let entry = ApplicationInfoEntry {
            id: "66c85bed".into(),
            required_cpu: "0.2".into(),
            ..ApplicationInfoEntry::default()
        };
        let json = serde_json::to_value(&entry).unwrap();
        let obj = json.as_object().unwrap();
        for key in [
            "id",
            "appID",
            "cfgType",
            "chartName",
            "requiredCPU",
            "requiredMemory",
            "supportArch",
            "subCharts",
            "onlyAdmin",
            "lastCommitHash",
            "createTime",
            "updated_at",
            "middleware",
            "count",
            "i18n",
        ] {
            assert!(obj.contains_key(key), "{key} missing");
        }
        for key in [
            "requiredGPU",
            "limitedCPU",
            "ports",
            "tailscale",
            "envs",
            "appLabels",
            "modelSize",
            "versionHistory",
            "price",
        ] {
            assert!(!obj.contains_key(key), "{key} should be omitted when empty");
        }
        assert_eq!(json["middleware"], Value::Null);
        assert_eq!(json["title"], "");
    }

    #[test]
    fn reads_go_nulls_locale_maps_and_unknown_keys() {
        let entry: ApplicationInfoEntry = serde_json::from_value(json!({
            "id": "x", "title": {"en-US": "X", "zh-CN": "叉"}, "description": null,
            "categories": null, "screenshots": null, "middleware": null, "count": null,
            "apiTimeout": 5
        }))
        .unwrap();
        assert_eq!(entry.title.get("zh-CN"), Some("叉"));
        assert_eq!(entry.description, Text::default());
        assert!(entry.categories.is_empty());
        assert_eq!(entry.extra["apiTimeout"], 5);
        let again = serde_json::to_value(&entry).unwrap();
        assert_eq!(again["apiTimeout"], 5);
    }
}
