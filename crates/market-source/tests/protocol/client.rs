//! A client that syncs a source exactly as the Olares market does (beclab/market
//! `syncerfn`): hash, then info (its `data.apps` keys whose value's `id` equals the key),
//! then details in batches of 10, skipping entries labelled `suspend` or `remove`, then
//! (as chart-repo does when it hydrates) the chart of each app by
//! `fileName={name}-{version}.tgz` (every listed one, so suspended charts are checked too). Every answer is checked as the market's Go decoding
//! would check it.

use std::collections::BTreeMap;

use market_model::protocol::{
    ApplicationInfoEntry, AppsInfoRequest, AppsInfoResponse, HashResponse, MAX_APP_IDS,
    StoreInfoResponse, is_delisted,
};
use olares_chart::{Limits, read_chart_archive};
use serde_json::Value;

/// What one sync saw.
#[derive(Debug)]
pub struct Synced {
    pub hash: String,
    pub info: StoreInfoResponse,
    /// Every entry the details returned, kept or not, by id.
    pub details: BTreeMap<String, ApplicationInfoEntry>,
    /// The entries a market keeps, by id.
    pub kept: BTreeMap<String, ApplicationInfoEntry>,
    /// SHA-256 of each listed app's package, by name.
    pub packages: BTreeMap<String, String>,
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// Asserts a JSON answer (status 200 and `Content-Type: application/json`).
pub async fn json(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200, "{}", response.url());
    assert_content_type(&response, "application/json");
    response.json().await.unwrap()
}

pub fn assert_content_type(response: &reqwest::Response, expected: &str) {
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap();
    assert!(
        content_type.starts_with(expected),
        "{}: content type {content_type}",
        response.url()
    );
}

pub async fn hash(base: &str, version: &str) -> HashResponse {
    let url = format!("{base}/api/v1/appstore/hash");
    let response = http().get(url).query(&[("version", version)]).send().await;
    serde_json::from_value(json(response.unwrap()).await).unwrap()
}

pub async fn info(base: &str, version: &str) -> (StoreInfoResponse, Value) {
    let url = format!("{base}/api/v1/appstore/info");
    let response = http().get(url).query(&[("version", version)]).send().await;
    let raw = json(response.unwrap()).await;
    check_go_types(&raw);
    (serde_json::from_value(raw.clone()).unwrap(), raw)
}

pub async fn details(base: &str, ids: &[String], version: &str) -> AppsInfoResponse {
    let request = AppsInfoRequest {
        app_ids: ids.to_vec(),
        version: version.to_owned(),
    };
    let response = http()
        .post(format!("{base}/api/v1/applications/info"))
        .header("Accept", "application/json")
        .json(&request)
        .send()
        .await
        .unwrap();
    serde_json::from_value(json(response).await).unwrap()
}

/// Downloads an app's package as chart-repo does and checks it; returns its bytes.
pub async fn chart(base: &str, entry: &ApplicationInfoEntry) -> Vec<u8> {
    let file_name = format!("{}-{}.tgz", entry.name, entry.version);
    assert_eq!(entry.chart_name, file_name);
    let response = http()
        .get(format!("{base}/api/v1/applications/{}/chart", entry.name))
        .query(&[
            ("version", entry.version.as_str()),
            ("fileName", &file_name),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.url());
    assert_content_type(&response, "application/gzip");
    let bytes = response.bytes().await.unwrap().to_vec();
    let archive = read_chart_archive(&bytes, &Limits::default()).unwrap();
    archive.require_top(&entry.name).unwrap();
    assert!(archive.file("Chart.yaml").is_some());
    assert!(archive.file("OlaresManifest.yaml").is_some());
    bytes
}

/// One whole sync for Olares version `version`.
pub async fn sync(base: &str, version: &str) -> Synced {
    let hash = hash(base, version).await;
    assert!(!hash.hash.is_empty());
    let (info, raw) = info(base, version).await;
    // The market fails the step on an empty hash or version.
    assert!(!info.hash.is_empty() && !info.version.is_empty());
    assert_eq!(info.hash, hash.hash, "hash and info agree");
    assert_eq!(info.version, hash.version);
    assert!(info.last_updated.is_some());
    let ids: Vec<String> = raw["data"]["apps"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(id, app)| app["id"].as_str() == Some(id.as_str()))
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(
        ids.len(),
        info.data.apps.len(),
        "every listed app has its id"
    );
    let mut all = BTreeMap::new();
    for batch in ids.chunks(MAX_APP_IDS) {
        let answer = details(base, batch, version).await;
        assert!(answer.not_found.is_empty(), "{:?}", answer.not_found);
        all.extend(answer.apps);
    }
    let kept: BTreeMap<String, ApplicationInfoEntry> = all
        .iter()
        .filter(|(_, e)| !is_delisted(&e.app_labels) && !e.version.is_empty())
        .map(|(id, e)| (id.clone(), e.clone()))
        .collect();
    let mut packages = BTreeMap::new();
    for entry in all.values() {
        let first = chart(base, entry).await;
        let again = chart(base, entry).await;
        assert_eq!(
            sha256(&first),
            sha256(&again),
            "{}: package is stable",
            entry.name
        );
        packages.insert(entry.name.clone(), sha256(&first));
    }
    Synced {
        hash: hash.hash,
        info,
        details: all,
        kept,
        packages,
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// The JSON types the market's Go structs require of `/info` (a mismatch fails its decode).
fn check_go_types(raw: &Value) {
    assert!(raw["version"].is_string() && raw["hash"].is_string());
    let last_updated = raw["last_updated"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(last_updated).unwrap();
    let data = &raw["data"];
    for object in [
        "apps",
        "recommends",
        "pages",
        "topics",
        "topic_lists",
        "tags",
    ] {
        assert!(data[object].is_object(), "data.{object} is an object");
    }
    for array in ["tops", "latest"] {
        assert!(data[array].is_array(), "data.{array} is an array");
    }
    for name in data["latest"].as_array().unwrap() {
        assert!(name.is_string());
    }
    for tag in data["tags"].as_object().unwrap().values() {
        assert!(tag["sort"].is_i64() && tag["source"].is_i64(), "{tag}");
        assert!(tag["title"].is_object());
    }
}
