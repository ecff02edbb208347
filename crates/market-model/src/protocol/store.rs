//! `GET /api/v1/appstore/hash` and `GET /api/v1/appstore/info`: the catalog's hash and its
//! listing (app summaries and the curated sections), with the json tags and JSON types of
//! Olares' `HashResponse` and `AppStoreInfoResponse`. Types matter: the market decodes the
//! curated sections into Go structs, so an object where Go wants an object (`recommends`,
//! `pages`, `topics`, `topic_lists`, `tags`), an array where it wants one (`tops`,
//! `latest`) and an integer where it wants `int` (`source`, `sort`, `rank`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::entry::Object;
use super::nullable;

/// `GET /api/v1/appstore/hash?version=V`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct HashResponse {
    #[serde(deserialize_with = "nullable")]
    pub hash: String,
    /// Any text; the market does not parse it (our server sends RFC 3339).
    #[serde(deserialize_with = "nullable")]
    pub last_updated: String,
    /// The Olares version the hash is for (the request's `version`).
    #[serde(deserialize_with = "nullable")]
    pub version: String,
}

/// `GET /api/v1/appstore/info?version=V`. The market refuses an empty `version` or `hash`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreInfoResponse {
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    #[serde(deserialize_with = "nullable")]
    pub hash: String,
    /// A Go `time.Time`: RFC 3339 or `null`, never `""`.
    pub last_updated: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "nullable")]
    pub data: StoreData,
    /// Counts for people; the market ignores them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<Value>,
}

/// The listing: apps by id and the curated sections (each may be empty, none may change its
/// JSON type).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StoreData {
    /// App id → summary; the market keeps the keys whose value has `id` equal to the key.
    #[serde(deserialize_with = "nullable")]
    pub apps: BTreeMap<String, AppSummary>,
    #[serde(deserialize_with = "nullable")]
    pub recommends: BTreeMap<String, Recommend>,
    #[serde(deserialize_with = "nullable")]
    pub pages: BTreeMap<String, Page>,
    #[serde(deserialize_with = "nullable")]
    pub topics: BTreeMap<String, Topic>,
    #[serde(deserialize_with = "nullable")]
    pub topic_lists: BTreeMap<String, TopicList>,
    #[serde(deserialize_with = "nullable")]
    pub tops: Vec<TopItem>,
    /// App names, newest first.
    #[serde(deserialize_with = "nullable")]
    pub latest: Vec<String>,
    /// One tag per category (`name` = the category as apps' `categories` spell it): the
    /// market's sidebar.
    #[serde(deserialize_with = "nullable")]
    pub tags: BTreeMap<String, Tag>,
}

/// An app in the listing: enough to know it exists, its version and its labels; the market
/// asks for the [`super::ApplicationInfoEntry`] by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppSummary {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    #[serde(deserialize_with = "nullable")]
    pub title: String,
    #[serde(deserialize_with = "nullable")]
    pub description: String,
    #[serde(deserialize_with = "nullable")]
    pub icon: String,
    /// The first of `categories`.
    #[serde(deserialize_with = "nullable")]
    pub category: String,
    #[serde(deserialize_with = "nullable")]
    pub categories: Vec<String>,
    /// Always present (`[]` when none), so a reader of the listing alone sees `suspend`.
    #[serde(rename = "appLabels", deserialize_with = "nullable")]
    pub app_labels: Vec<String>,
    #[serde(rename = "cfgType", deserialize_with = "nullable")]
    pub cfg_type: String,
    #[serde(rename = "chartName", deserialize_with = "nullable")]
    pub chart_name: String,
    /// 1: published by the source itself.
    #[serde(deserialize_with = "nullable")]
    pub source: i64,
    /// RFC 3339.
    #[serde(deserialize_with = "nullable")]
    pub updated_at: String,
    /// Keys this model does not know, kept as read.
    #[serde(flatten)]
    pub extra: Object,
}

/// A recommendation (`recommends.<name>`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Recommend {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub description: String,
    /// Comma-separated app names.
    #[serde(deserialize_with = "nullable")]
    pub content: String,
    pub data: Option<RecommendData>,
    #[serde(deserialize_with = "nullable")]
    pub source: i64,
    #[serde(deserialize_with = "nullable")]
    pub updated_at: String,
    #[serde(rename = "createdAt", deserialize_with = "nullable")]
    pub created_at: String,
}

/// Localized texts of a recommendation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RecommendData {
    /// Locale → text.
    #[serde(deserialize_with = "nullable")]
    pub title: Object,
    /// Locale → text.
    #[serde(deserialize_with = "nullable")]
    pub description: Object,
}

/// A page layout (`pages.<category>`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Page {
    #[serde(deserialize_with = "nullable")]
    pub category: String,
    /// A JSON document in a string, describing the page's sections.
    #[serde(deserialize_with = "nullable")]
    pub content: String,
    #[serde(deserialize_with = "nullable")]
    pub source: i64,
    #[serde(deserialize_with = "nullable")]
    pub updated_at: String,
    #[serde(rename = "createdAt", deserialize_with = "nullable")]
    pub created_at: String,
}

/// A topic (`topics.<name>`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Topic {
    #[serde(rename = "_id", deserialize_with = "nullable")]
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Locale → texts.
    #[serde(deserialize_with = "nullable")]
    pub data: BTreeMap<String, TopicData>,
    #[serde(deserialize_with = "nullable")]
    pub source: i64,
    #[serde(deserialize_with = "nullable")]
    pub updated_at: String,
    #[serde(rename = "createdAt", deserialize_with = "nullable")]
    pub created_at: String,
}

/// A topic in one locale.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicData {
    #[serde(deserialize_with = "nullable")]
    pub group: String,
    #[serde(deserialize_with = "nullable")]
    pub title: String,
    #[serde(deserialize_with = "nullable")]
    pub des: String,
    #[serde(rename = "iconimg", deserialize_with = "nullable")]
    pub icon_img: String,
    #[serde(rename = "detailimg", deserialize_with = "nullable")]
    pub detail_img: String,
    #[serde(rename = "richtext", deserialize_with = "nullable")]
    pub rich_text: String,
    #[serde(rename = "mobileDetailImg", deserialize_with = "nullable")]
    pub mobile_detail_img: String,
    #[serde(rename = "mobileRichtext", deserialize_with = "nullable")]
    pub mobile_rich_text: String,
    #[serde(rename = "backgroundColor", deserialize_with = "nullable")]
    pub background_color: String,
    /// Comma-separated app names.
    #[serde(deserialize_with = "nullable")]
    pub apps: String,
    #[serde(rename = "isdelete", deserialize_with = "nullable")]
    pub is_delete: bool,
}

/// A list of topics (`topic_lists.<name>`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopicList {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub description: String,
    /// Comma-separated topic ids.
    #[serde(deserialize_with = "nullable")]
    pub content: String,
    /// Locale → text.
    #[serde(deserialize_with = "nullable")]
    pub title: Object,
    #[serde(deserialize_with = "nullable")]
    pub source: i64,
    #[serde(deserialize_with = "nullable")]
    pub updated_at: String,
    #[serde(rename = "createdAt", deserialize_with = "nullable")]
    pub created_at: String,
}

/// A ranked app (`tops[]`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TopItem {
    /// The app name (upstream fills it with the name, not the id).
    #[serde(rename = "appId", deserialize_with = "nullable")]
    pub app_id: String,
    /// Older sources' spelling; the market reads it when `appId` is empty.
    #[serde(
        rename = "appid",
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub legacy_app_id: String,
    /// From 1.
    #[serde(deserialize_with = "nullable")]
    pub rank: i64,
}

/// A category of the sidebar (`tags.<name>`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tag {
    #[serde(rename = "_id", deserialize_with = "nullable")]
    pub id: String,
    /// The category as apps' `categories` spell it.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// Locale → text.
    #[serde(deserialize_with = "nullable")]
    pub title: Object,
    #[serde(deserialize_with = "nullable")]
    pub icon: String,
    #[serde(deserialize_with = "nullable")]
    pub sort: i64,
    #[serde(deserialize_with = "nullable")]
    pub source: i64,
    #[serde(deserialize_with = "nullable")]
    pub updated_at: String,
    #[serde(rename = "createdAt", deserialize_with = "nullable")]
    pub created_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_empty_listing_has_the_json_types_the_market_decodes() {
        let info = StoreInfoResponse {
            version: "1.12.3".into(),
            hash: "h".into(),
            ..StoreInfoResponse::default()
        };
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(
            json,
            json!({"version": "1.12.3", "hash": "h", "last_updated": null, "data": {
                "apps": {}, "recommends": {}, "pages": {}, "topics": {}, "topic_lists": {},
                "tops": [], "latest": [], "tags": {}}})
        );
    }

    #[test]
    fn reads_null_sections_and_rfc3339_times() {
        let info: StoreInfoResponse = serde_json::from_value(json!({
            "version": "1", "hash": "h", "last_updated": "2026-08-21T13:11:37.5+02:00",
            "data": {"apps": {"a": {"id": "a", "screenshots": null}}, "recommends": null,
                     "tops": null, "tags": {"AI": {"_id": "1", "name": "AI", "sort": 2}}},
            "stats": {"x": 1}
        }))
        .unwrap();
        assert_eq!(
            info.last_updated.unwrap().to_rfc3339(),
            "2026-08-21T11:11:37.500+00:00"
        );
        assert_eq!(info.data.apps["a"].id, "a");
        assert!(info.data.recommends.is_empty());
        assert_eq!(info.data.tags["AI"].sort, 2);
    }
}
