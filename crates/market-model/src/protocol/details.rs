//! `POST /api/v1/applications/info`: details of up to [`MAX_APP_IDS`] apps by id.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::entry::ApplicationInfoEntry;
use super::nullable;

/// The most ids one details request may name; the market asks in batches of this size.
pub const MAX_APP_IDS: usize = 10;

/// The request body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppsInfoRequest {
    #[serde(deserialize_with = "nullable")]
    pub app_ids: Vec<String>,
    /// The Olares version of the box asking.
    #[serde(deserialize_with = "nullable")]
    pub version: String,
}

/// The answer: the apps found by id, and the ids that were not.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AppsInfoResponse {
    #[serde(deserialize_with = "nullable")]
    pub apps: BTreeMap<String, ApplicationInfoEntry>,
    #[serde(deserialize_with = "nullable")]
    pub version: String,
    #[serde(deserialize_with = "nullable", skip_serializing_if = "Vec::is_empty")]
    pub not_found: Vec<String>,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn request_and_response_use_the_go_tags() {
        let req: AppsInfoRequest =
            serde_json::from_value(json!({"app_ids": ["a", "b"], "version": "1.12.3"})).unwrap();
        assert_eq!(req.app_ids, ["a", "b"]);
        let resp = AppsInfoResponse {
            version: "1.12.3".into(),
            not_found: vec!["b".into()],
            ..AppsInfoResponse::default()
        };
        assert_eq!(
            serde_json::to_value(&resp).unwrap(),
            json!({"apps": {}, "version": "1.12.3", "not_found": ["b"]})
        );
    }
}
