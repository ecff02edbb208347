//! The catalog API in-process on the SQLite profile: the store seeded directly
//! (a source catalog, users, rendered user apps, events), then every endpoint's
//! shape, 401 without `X-Bfl-User`, partitioning between users, SSE replay and
//! resume, public mode, and a snapshot of the OpenAPI document.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures_util::StreamExt;
use market::App;
use market::config::{Config, DatabaseUrl, UserSpec};
use market::store::{self, CatalogApp, CatalogSnapshot, MarketStore, UserAppFailure, UserAppKey};
use serde_json::{Value, json};
use service_runtime::server::Shutdown;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::store::sid;

const REMOTE: &str = "market.olares";

struct Market {
    url: String,
    store: Arc<dyn MarketStore>,
    shutdown: Shutdown,
    _dir: tempfile::TempDir,
}

impl Drop for Market {
    fn drop(&mut self) {
        self.shutdown.token.cancel();
    }
}

fn config(dir: &Path, public_mode: bool) -> Config {
    let db = DatabaseUrl::Sqlite(dir.join("market.db"));
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_owned(),
        database: db,
        chart_repo_url: "http://127.0.0.1:9/".parse().unwrap(),
        chart_repo_public_url: "http://127.0.0.1:9/".parse().unwrap(),
        chart_repo_token: None,
        app_service_url: "http://127.0.0.1:9/".parse().unwrap(),
        users: vec![UserSpec {
            name: "alice".into(),
            admin: true,
        }],
        remote_source_url: Some("http://127.0.0.1:9/market".parse().unwrap()),
        log_format: Default::default(),
        task_workers: 1,
        hydration_concurrency: 1,
        sync_interval: Duration::from_secs(3600),
        tasks: Default::default(),
        olares_version: "latest".into(),
        public_mode,
    }
}

async fn start(public_mode: bool) -> Market {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), public_mode);
    let db = config.database.clone();
    let shutdown = Shutdown::new();
    let app = App::build(config, shutdown.clone()).await.unwrap();
    let url = format!("http://{}", app.local_addr().unwrap());
    tokio::spawn(app.run());
    let store = store::connect(&db).await.unwrap();
    seed(store.as_ref()).await;
    Market {
        url,
        store,
        shutdown,
        _dir: dir,
    }
}

fn entry(name: &str, version: &str) -> Value {
    json!({
        "id": app_id(name), "appID": app_id(name), "name": name, "cfgType": "app",
        "chartName": format!("{name}-{version}.tgz"), "version": version,
        "title": {"en-US": name.to_uppercase()}, "icon": format!("https://icons.example/{name}.png"),
        "categories": ["Productivity"], "supportArch": ["amd64", "arm64"],
        "appLabels": ["featured"],
        "versionHistory": [
            {"appName": name, "version": version, "versionName": "v-new", "mergedAt": "2026-01-02T00:00:00Z", "upgradeDescription": "new"},
            {"appName": name, "version": "0.0.1", "versionName": "v-old", "mergedAt": "2025-01-02T00:00:00Z", "upgradeDescription": ""}
        ]
    })
}

fn app_id(name: &str) -> String {
    format!("{:0>8}", &name.len().to_string())
}

fn catalog_app(name: &str, version: &str) -> CatalogApp {
    CatalogApp {
        app_id: app_id(name),
        name: name.into(),
        version: version.into(),
        entry: entry(name, version),
        labels: vec!["featured".into()],
        entry_digest: format!("{name}-{version}"),
    }
}

/// A `SyncAppPayload` as chart-repo answers sync-app for `user`.
fn payload(user: &str, name: &str, version: &str) -> Value {
    json!({
        "type": "app-info-latest",
        "timestamp": 1_767_225_600,
        "version": version,
        "raw_data": entry(name, version),
        "raw_data_ex": {
            "olaresManifest.version": "0.10.0", "olaresManifest.type": "app", "apiVersion": "v2",
            "metadata": {"name": name, "title": format!("{name} for {user}")}
        },
        "image_analysis": {
            "app_id": app_id(name), "user_id": user, "source_id": REMOTE,
            "analyzed_at": "2026-01-01T00:00:00Z", "total_images": 1,
            "images": {"docker.io/library/nginx:1.27": {
                "name": "docker.io/library/nginx:1.27", "digest": "sha256:abc", "status": "analyzed",
                "reason": "", "retryable": false, "platforms": [], "total_size": 1000,
                "analyzed_at": "2026-01-01T00:00:00Z"}}
        },
        "i18n": {"en-US": {"title": name.to_uppercase(), "description": "d"}},
        "version_history": entry(name, version)["versionHistory"],
        "raw_package": "sources/0123.tgz",
        "rendered_package": format!("charts/{name}-{version}.tgz"),
        "values": [],
        "app_info": null,
        "app_simple_info": {
            "app_id": app_id(name), "app_name": name, "app_icon": format!("https://icons.example/{name}.png"),
            "app_description": {"en-US": format!("rendered for {user}")}, "app_version": version,
            "app_title": {"en-US": name.to_uppercase()}, "categories": ["Productivity"],
            "support_arch": ["amd64", "arm64"]
        },
        "source_digest": "0123", "package_digest": "4567", "arch_warnings": [], "request_digest": "89ab"
    })
}

/// `market.olares` lists notes@1.0.0 and wiki@2.0.0. alice has notes rendered
/// and wiki failed; bob has wiki rendered. Events: one each, one broadcast.
async fn seed(store: &dyn MarketStore) {
    let now = Utc::now();
    store.ensure_user("alice", true, now).await.unwrap();
    store.ensure_user("bob", false, now).await.unwrap();
    let snapshot = CatalogSnapshot {
        hash: "catalog-hash-1".into(),
        version: "1.12.3".into(),
        listing: json!({"recommends": [{"name": "r1"}], "tags": [{"name": "t1"}], "pages": {}, "topics": {}}),
        apps: vec![catalog_app("notes", "1.0.0"), catalog_app("wiki", "2.0.0")],
    };
    store
        .replace_catalog(&sid(REMOTE), &snapshot, now)
        .await
        .unwrap();
    let key = |u: &str, n: &str| UserAppKey::new(u, &sid(REMOTE), n);
    store
        .put_user_app_ready(
            &key("alice", "notes"),
            &app_id("notes"),
            "1.0.0",
            &payload("alice", "notes", "1.0.0"),
            now,
        )
        .await
        .unwrap();
    let failure = UserAppFailure {
        step: "render".into(),
        reason: "values.yaml: bad".into(),
        at: now,
    };
    store
        .put_user_app_failed(
            &key("alice", "wiki"),
            &app_id("wiki"),
            "2.0.0",
            &failure,
            None,
            now,
        )
        .await
        .unwrap();
    store
        .put_user_app_ready(
            &key("bob", "wiki"),
            &app_id("wiki"),
            "2.0.0",
            &payload("bob", "wiki", "2.0.0"),
            now,
        )
        .await
        .unwrap();
    store
        .append_event(
            Some("alice"),
            "new_app_ready",
            &json!({"app_name": "notes", "message": "notes is ready"}),
            now,
        )
        .await
        .unwrap();
    store
        .append_event(
            Some("bob"),
            "new_app_ready",
            &json!({"app_name": "wiki", "secret": "bob-only"}),
            now,
        )
        .await
        .unwrap();
    store
        .append_event(None, "image_state", &json!({"app_name": "wiki"}), now)
        .await
        .unwrap();
}

async fn get(m: &Market, path: &str, user: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new().get(format!("{}/app-store/api/v2{path}", m.url));
    if let Some(u) = user {
        req = req.header("X-Bfl-User", u);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn post(m: &Market, path: &str, user: Option<&str>, body: Value) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/app-store/api/v2{path}", m.url))
        .json(&body);
    if let Some(u) = user {
        req = req.header("X-Bfl-User", u);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn every_route_needs_x_bfl_user() {
    let m = start(false).await;
    for path in [
        "/market/hash",
        "/market/data",
        "/market/state",
        "/market/statesimple",
        "/runtime/state",
        "/logs",
        "/events",
    ] {
        let (status, body) = get(&m, path, None).await;
        assert_eq!(status, 401, "{path}");
        assert_eq!(body["success"], false);
        assert_eq!(body["code"], "unauthorized", "{path}");
    }
    for path in ["/apps", "/apps/version-history"] {
        let (status, body) = post(&m, path, None, json!({})).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (401, Some("unauthorized")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn market_data_shows_the_callers_rendered_catalog() {
    let m = start(false).await;
    let (status, body) = get(&m, "/market/data", Some("alice")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let data = &body["data"];
    assert_eq!(data["user_id"], "alice");
    assert!(data["timestamp"].as_i64().unwrap() > 1_700_000_000);
    let remote = &data["user_data"]["sources"][REMOTE];
    assert_eq!(remote["type"], "remote");
    assert_eq!(remote["app_state_latest"], json!([]));
    assert_eq!(remote["others"]["hash"], "catalog-hash-1");
    assert_eq!(remote["others"]["version"], "1.12.3");
    assert_eq!(remote["others"]["recommends"], json!([{"name": "r1"}]));
    let apps = remote["app_info_latest"].as_array().unwrap();
    assert_eq!(apps.len(), 1, "only the rendered app: {apps:?}");
    let notes = &apps[0];
    assert_eq!(notes["type"], "app-info-latest");
    assert_eq!(notes["version"], "1.0.0");
    assert_eq!(notes["timestamp"], 1_767_225_600);
    let simple = &notes["app_simple_info"];
    assert_eq!(simple["app_name"], "notes");
    assert_eq!(simple["app_id"], app_id("notes"));
    assert_eq!(simple["app_description"]["en-US"], "rendered for alice");
    assert_eq!(simple["support_arch"], json!(["amd64", "arm64"]));
    assert_eq!(simple["app_labels"], json!(["featured"]));
    assert_eq!(notes["image_analysis"]["total_images"], 1);
    assert_eq!(notes["image_analysis"]["user_id"], "alice");
    let hydration = remote["app_hydration"].as_array().unwrap();
    assert_eq!(hydration.len(), 1);
    assert_eq!(hydration[0]["app_name"], "wiki");
    assert_eq!(hydration[0]["status"], "failed");
    assert_eq!(hydration[0]["failure"]["reason"], "values.yaml: bad");
    // Local sources are visible too; the hash is the one /market/hash answers.
    assert_eq!(data["user_data"]["sources"]["upload"]["type"], "local");
    let (_, hash) = get(&m, "/market/hash", Some("alice")).await;
    assert_eq!(data["user_data"]["hash"], hash["data"]["hash"]);

    // The ETag is the hash: a matching If-None-Match is a 304.
    let etag = format!("\"{}\"", hash["data"]["hash"].as_str().unwrap());
    let url = format!("{}/app-store/api/v2/market/data", m.url);
    let client = reqwest::Client::new();
    let res = client
        .get(&url)
        .header("X-Bfl-User", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["etag"].to_str().unwrap(), etag);
    let res = client
        .get(&url)
        .header("X-Bfl-User", "alice")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 304);
    let res = client
        .get(&url)
        .header("X-Bfl-User", "bob")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "bob's data is not alice's");
}

/// The answer kept per user follows every change the user sees (a new rendered app, a
/// removed one) and never shows one user's answer to another, also when many ask at once.
#[tokio::test]
async fn market_data_kept_between_requests_follows_every_change() {
    let m = start(false).await;
    let apps_of = |body: &Value| -> Vec<String> {
        body["data"]["user_data"]["sources"][REMOTE]["app_info_latest"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                a["app_simple_info"]["app_name"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    };
    let (_, first) = get(&m, "/market/data", Some("alice")).await;
    assert_eq!(apps_of(&first), ["notes"]);
    // Many at once: one build, the same answer for each.
    let answers =
        futures_util::future::join_all((0..8).map(|_| get(&m, "/market/data", Some("alice"))))
            .await;
    for (status, body) in &answers {
        assert_eq!(*status, 200);
        assert_eq!(
            body["data"]["user_data"]["hash"],
            first["data"]["user_data"]["hash"]
        );
    }
    let (_, bobs) = get(&m, "/market/data", Some("bob")).await;
    assert_eq!(apps_of(&bobs), ["wiki"]);

    // alice's wiki renders: her next answer lists it, under a new hash.
    let key = market::store::UserAppKey::new("alice", &sid(REMOTE), "wiki");
    m.store
        .put_user_app_ready(
            &key,
            &app_id("wiki"),
            "2.0.0",
            &payload("alice", "wiki", "2.0.0"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let (_, second) = get(&m, "/market/data", Some("alice")).await;
    assert_eq!(apps_of(&second), ["notes", "wiki"]);
    assert_ne!(
        second["data"]["user_data"]["hash"],
        first["data"]["user_data"]["hash"]
    );
    let (_, hash) = get(&m, "/market/hash", Some("alice")).await;
    assert_eq!(second["data"]["user_data"]["hash"], hash["data"]["hash"]);
    // Removed again: gone from the next answer.
    m.store
        .remove_user_app(Some("alice"), &sid(REMOTE), "wiki")
        .await
        .unwrap();
    let (_, third) = get(&m, "/market/data", Some("alice")).await;
    assert_eq!(apps_of(&third), ["notes"]);
    let (_, bobs_again) = get(&m, "/market/data", Some("bob")).await;
    assert_eq!(apps_of(&bobs_again), ["wiki"]);

    // The polled routes' quiet spans name real route templates (as metrics label them).
    let metrics = reqwest::get(format!("{}/metrics", m.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for route in market::api::market::QUIET_ROUTES {
        assert!(
            metrics.contains(&format!("route=\"{route}\"")),
            "{route} is not a route: {metrics}"
        );
    }
}

#[tokio::test]
async fn users_never_see_each_others_rendered_data() {
    let m = start(false).await;
    let (_, bob) = get(&m, "/market/data", Some("bob")).await;
    let text = bob.to_string();
    assert!(!text.contains("rendered for alice"), "{text}");
    let apps = bob["data"]["user_data"]["sources"][REMOTE]["app_info_latest"]
        .as_array()
        .unwrap();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0]["app_simple_info"]["app_name"], "wiki");
    assert_eq!(
        apps[0]["app_simple_info"]["app_description"]["en-US"],
        "rendered for bob"
    );

    // A user with nothing rendered sees the listing but no apps.
    let (status, carol) = get(&m, "/market/data", Some("carol")).await;
    assert_eq!(status, 200);
    assert_eq!(
        carol["data"]["user_data"]["sources"][REMOTE]["app_info_latest"],
        json!([])
    );

    // Hashes differ per user and change when the user's rendered state changes.
    let (_, ha) = get(&m, "/market/hash", Some("alice")).await;
    let (_, hb) = get(&m, "/market/hash", Some("bob")).await;
    assert_ne!(ha["data"]["hash"], hb["data"]["hash"]);
    let key = UserAppKey::new("bob", &sid(REMOTE), "notes");
    m.store
        .put_user_app_ready(
            &key,
            &app_id("notes"),
            "1.0.0",
            &payload("bob", "notes", "1.0.0"),
            Utc::now(),
        )
        .await
        .unwrap();
    let (_, ha2) = get(&m, "/market/hash", Some("alice")).await;
    let (_, hb2) = get(&m, "/market/hash", Some("bob")).await;
    assert_eq!(ha, ha2, "bob's change does not move alice's hash");
    assert_ne!(hb, hb2);

    // The logs are task history (none here); `tasks_api.rs` checks their owners.
    let (_, logs) = get(&m, "/logs", Some("bob")).await;
    assert_eq!(logs["data"]["total_count"], 0, "{logs}");
}

#[tokio::test]
async fn market_state_and_statesimple() {
    let m = start(false).await;
    let (status, body) = get(&m, "/market/state", Some("alice")).await;
    assert_eq!(status, 200);
    let remote = &body["data"]["user_data"]["sources"][REMOTE];
    assert_eq!(remote["type"], "remote");
    assert_eq!(remote["app_state_latest"], json!([]));
    assert!(remote.get("app_info_latest").is_none(), "{remote}");
    assert_eq!(body["data"]["user_id"], "alice");

    let (status, body) = get(&m, "/market/statesimple", Some("alice")).await;
    assert_eq!(status, 200);
    let apps = &body["data"]["user_data"]["sources"][REMOTE]["app_info_latest"];
    assert_eq!(apps.as_array().unwrap().len(), 1);
    assert_eq!(apps[0]["app_simple_info"]["app_name"], "notes");
    assert!(apps[0].get("image_analysis").is_none(), "simple info only");
}

#[tokio::test]
async fn post_apps_answers_details_and_not_found() {
    let m = start(false).await;
    let asked = json!({"apps": [
        {"appid": "notes", "sourceDataName": REMOTE},
        {"appid": "wiki", "sourceDataName": REMOTE},
        {"appid": "nope", "sourceDataName": REMOTE},
        {"appid": "notes", "sourceDataName": "upload"}
    ]});
    let (status, body) = post(&m, "/apps", Some("alice"), asked).await;
    assert_eq!(status, 200, "{body}");
    let data = &body["data"];
    assert_eq!(data["total_count"], 1);
    let notes = &data["apps"][0];
    assert_eq!(notes["type"], "app-info-latest");
    assert_eq!(notes["version"], "1.0.0");
    assert_eq!(notes["manifest_version"], "0.10.0");
    assert_eq!(notes["manifest_type"], "app");
    assert_eq!(notes["api_version"], "v2");
    assert_eq!(notes["app_info"]["app_entry"]["name"], "notes");
    assert_eq!(notes["app_info"]["image_analysis"]["total_images"], 1);
    assert_eq!(notes["app_simple_info"]["app_name"], "notes");
    assert_eq!(
        data["not_found"],
        json!([
            {"appid": "wiki", "sourceDataName": REMOTE},
            {"appid": "nope", "sourceDataName": REMOTE},
            {"appid": "notes", "sourceDataName": "upload"}
        ])
    );
    // By the 8-hex id too.
    let (_, body) = post(
        &m,
        "/apps",
        Some("alice"),
        json!({"apps": [{"appid": app_id("notes"), "sourceDataName": REMOTE}]}),
    )
    .await;
    assert_eq!(body["data"]["total_count"], 1);
    // Bad input is a 400 in the envelope.
    let (status, body) = post(&m, "/apps", Some("alice"), json!({"apps": []})).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
    let (status, body) = post(&m, "/apps", Some("alice"), json!({"apps": "x"})).await;
    assert_eq!(
        (status, body["code"].as_str(), body["success"].as_bool()),
        (400, Some("bad_request"), Some(false))
    );
}

#[tokio::test]
async fn version_history_runtime_state_and_logs() {
    let m = start(false).await;
    let (status, body) = post(
        &m,
        "/apps/version-history",
        Some("alice"),
        json!({"appName": "notes"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let list = body["data"]["data"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["appName"], "notes");
    assert_eq!(list[0]["versionName"], "v-new");
    assert_eq!(list[0]["mergedAt"], "2026-01-02T00:00:00Z");
    let (status, body) = post(
        &m,
        "/apps/version-history",
        Some("alice"),
        json!({"appName": ""}),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));

    let (status, body) = get(&m, "/runtime/state", Some("alice")).await;
    assert_eq!(status, 200);
    let snap = &body["data"];
    assert_eq!(snap["summary"]["total_apps"], 2);
    assert_eq!(snap["summary"]["unhealthy_apps"], 1);
    assert_eq!(
        snap["app_states"][format!("alice:{REMOTE}:wiki")]["stage"],
        "failed"
    );
    assert_eq!(snap["tasks"], json!({}));
    assert_eq!(snap["components"]["store"]["healthy"], true);
    let (_, body) = get(&m, "/runtime/state?app_name=notes", Some("alice")).await;
    assert_eq!(body["data"]["summary"]["total_apps"], 1);

    let (status, body) = get(&m, "/logs", Some("alice")).await;
    assert_eq!(status, 200);
    let page = &body["data"];
    assert_eq!(page["total_count"], 0, "no task ran: {page}");
    assert_eq!(page["requested_size"], 100);
    let (status, body) = get(&m, "/logs?size=0", Some("alice")).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
    let (status, body) = get(&m, "/logs?start=x", Some("alice")).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("bad_request")));
}

/// Reads SSE frames until `n` events arrived: their (id, event, data).
async fn read_events(res: reqwest::Response, n: usize) -> Vec<(String, String, String)> {
    let mut stream = res.bytes_stream();
    let mut text = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while out.len() < n {
        let chunk = tokio::time::timeout_at(deadline, stream.next())
            .await
            .expect("events in time")
            .unwrap()
            .unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = text.find("\n\n") {
            let frame: String = text.drain(..end + 2).collect();
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| l.strip_prefix(&format!("{name}:")))
                    .map(|v| v.trim().to_owned())
            };
            if let Some(id) = field("id") {
                out.push((
                    id,
                    field("event").unwrap_or_default(),
                    field("data").unwrap_or_default(),
                ));
            }
        }
    }
    out
}

async fn open_events(m: &Market, user: &str, last: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .get(format!("{}/app-store/api/v2/events", m.url))
        .header("X-Bfl-User", user);
    if let Some(id) = last {
        req = req.header("Last-Event-ID", id);
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    res
}

#[tokio::test]
async fn events_replay_follow_and_resume() {
    let m = start(false).await;
    let res = open_events(&m, "alice", None).await;
    let follow = tokio::spawn(read_events(res, 3));
    tokio::time::sleep(Duration::from_millis(200)).await;
    m.store
        .append_event(
            Some("bob"),
            "task_progress",
            &json!({"secret": "bob-only"}),
            Utc::now(),
        )
        .await
        .unwrap();
    let live = m
        .store
        .append_event(
            Some("alice"),
            "task_progress",
            &json!({"progress": 50}),
            Utc::now(),
        )
        .await
        .unwrap();
    let got = follow.await.unwrap();
    let kinds: Vec<&str> = got.iter().map(|(_, k, _)| k.as_str()).collect();
    assert_eq!(kinds, ["new_app_ready", "image_state", "task_progress"]);
    assert!(
        got.iter().all(|(_, _, d)| !d.contains("bob-only")),
        "{got:?}"
    );
    assert_eq!(got[2].0, live.to_string());
    assert_eq!(
        serde_json::from_str::<Value>(&got[2].2).unwrap(),
        json!({"progress": 50})
    );

    // Resume after the first event: the rest, nothing before.
    let res = open_events(&m, "alice", Some(&got[0].0)).await;
    let resumed = read_events(res, 2).await;
    assert_eq!(resumed, got[1..].to_vec());

    let res = reqwest::Client::new()
        .get(format!("{}/app-store/api/v2/events", m.url))
        .header("X-Bfl-User", "alice")
        .header("Last-Event-ID", "abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn events_streams_end_when_the_service_stops() {
    let m = start(false).await;
    let res = open_events(&m, "alice", None).await;
    let mut body = res.bytes_stream();
    // The replay arrives; then the stream idles, following.
    let first = tokio::time::timeout(Duration::from_secs(10), body.next())
        .await
        .expect("the replay")
        .expect("a chunk");
    assert!(first.is_ok());
    m.shutdown.token.cancel();
    // The stream ends (no more chunks) at once, instead of holding shutdown up
    // until the server's 3 s grace cuts it.
    let ended = tokio::time::timeout(Duration::from_secs(2), async {
        while let Some(chunk) = body.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the /events stream outlived the service's stop"
    );
}

#[tokio::test]
async fn public_mode_is_the_admin_and_read_only() {
    let m = start(true).await;
    let (status, body) = get(&m, "/market/data", None).await;
    assert_eq!(status, 200);
    assert_eq!(body["data"]["user_id"], "alice", "the configured admin");
    let (status, body) = post(
        &m,
        "/apps",
        None,
        json!({"apps": [{"appid": "notes", "sourceDataName": REMOTE}]}),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("read_only")));
}

#[tokio::test]
async fn openapi_document_and_swagger_ui() {
    let m = start(false).await;
    let res = reqwest::get(format!("{}/app-store/api/v2/openapi.json", m.url))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    for path in [
        "/market/hash",
        "/market/data",
        "/market/state",
        "/market/statesimple",
        "/apps",
        "/apps/version-history",
        "/runtime/state",
        "/logs",
        "/events",
        "/version",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} documented");
    }
    // The package version moves with every release; the rest must not move unnoticed.
    let mut doc = doc;
    doc["info"]["version"] = json!("[version]");
    insta::assert_json_snapshot!("openapi", doc);

    // docs/api.md lists every operation of the document.
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap();
    let section = test_harness::api_docs::markdown_section(&page, "## market API").unwrap();
    let unlisted = test_harness::api_docs::unlisted_operations(&doc, "", section);
    assert!(
        unlisted.is_empty(),
        "docs/api.md's market section does not list {unlisted:?}"
    );

    let res = reqwest::get(format!("{}/docs/", m.url)).await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger"), "{html}");
}

/// A market over the seeded store whose chart-repo is `chart_repo` (a wiremock
/// server standing in for chart-repo's feed); its loops are not started, so the
/// test drives the data watcher round by round.
async fn watcher_market(chart_repo: &str) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), false);
    config.chart_repo_url = chart_repo.parse().unwrap();
    let app = App::build(config, Shutdown::new()).await.unwrap();
    seed(app.state().store.as_ref()).await;
    (dir, app)
}

fn change(id: i64, kind: &str, user: &str, app: &str, version: &str) -> Value {
    json!({"id": id, "type": kind, "timestamp": "2026-11-23T00:00:00Z",
           "app_data": {"user_id": user, "source": REMOTE, "app_name": app, "version": version}})
}

fn page(after: i64, changes: Vec<Value>) -> ResponseTemplate {
    let n = changes.len();
    ResponseTemplate::new(200).set_body_json(json!({"success": true, "message": "", "data": {
        "after_id": after, "limit": 100, "count": n, "total_available": n, "state_changes": changes}}))
}

#[tokio::test]
async fn watcher_retries_a_change_that_failed_and_never_skips_past_it() {
    use market::store::UserAppStatus;
    let chart_repo = MockServer::start().await;
    let (_dir, app) = watcher_market(&chart_repo.uri()).await;
    let state = app.state();
    let key = |u: &str, n: &str| UserAppKey::new(u, &sid(REMOTE), n);

    // Page: 1 removes alice's notes; 2 says her upload of "diary" completed, but
    // chart-repo fails (500) when asked for its payload.
    Mock::given(method("GET"))
        .and(path("/chart-repo/api/v2/state-changes"))
        .respond_with(page(
            0,
            vec![
                change(1, "app_removed", "alice", "notes", "1.0.0"),
                change(2, "app_upload_completed", "alice", "diary", "0.1.0"),
            ],
        ))
        .mount(&chart_repo)
        .await;
    Mock::given(method("POST"))
        .and(path("/chart-repo/api/v2/apps"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&chart_repo)
        .await;
    let failed = market::watcher::run_round(state).await;
    assert!(failed.is_err(), "{failed:?}");
    // The first change applied and the cursor stands on it, not past the failure.
    assert_eq!(state.store.watcher_cursor().await.unwrap(), 1);
    assert!(
        state
            .store
            .user_app(&key("alice", "notes"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        state
            .store
            .user_app(&key("alice", "diary"))
            .await
            .unwrap()
            .is_none()
    );

    // chart-repo answers again: the same change is applied next round.
    chart_repo.reset().await;
    Mock::given(method("GET"))
        .and(path("/chart-repo/api/v2/state-changes"))
        .and(query_param("after_id", "1"))
        .respond_with(page(
            1,
            vec![change(2, "app_upload_completed", "alice", "diary", "0.1.0")],
        ))
        .mount(&chart_repo)
        .await;
    Mock::given(method("POST"))
        .and(path("/chart-repo/api/v2/apps"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "message": "", "data": {"apps": [payload("alice", "diary", "0.1.0")]}})))
        .mount(&chart_repo)
        .await;
    let round = market::watcher::run_round(state).await.unwrap();
    assert_eq!(round.applied, 1);
    assert_eq!(state.store.watcher_cursor().await.unwrap(), 2);
    let diary = state
        .store
        .user_app(&key("alice", "diary"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (diary.status, diary.version.as_str()),
        (UserAppStatus::Ready, "0.1.0")
    );
}

#[tokio::test]
async fn watcher_resyncs_every_catalog_app_on_410_then_follows_from_latest() {
    use market::store::UserAppStatus;
    let chart_repo = MockServer::start().await;
    let (_dir, app) = watcher_market(&chart_repo.uri()).await;
    let state = app.state();
    state.store.set_watcher_cursor(5).await.unwrap();
    Mock::given(method("GET"))
        .and(path("/chart-repo/api/v2/state-changes"))
        .and(query_param("after_id", "5"))
        .respond_with(ResponseTemplate::new(410).set_body_json(json!({
            "success": false, "code": "cursor_expired", "message": "after_id 5 is past retention",
            "data": {"oldest_id": 900, "latest_id": 1200}})))
        .mount(&chart_repo)
        .await;
    let round = market::watcher::run_round(state).await.unwrap();
    assert!(round.resynced);
    // The cursor jumps to latest_id; every user's catalog app is pending and due,
    // so the hydration driver asks sync-app for each again.
    assert_eq!(state.store.watcher_cursor().await.unwrap(), 1200);
    for (user, name) in [("alice", "notes"), ("alice", "wiki"), ("bob", "wiki")] {
        let app = state
            .store
            .user_app(&UserAppKey::new(user, &sid(REMOTE), name))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(app.status, UserAppStatus::Pending, "{user}/{name}");
    }
    // Those three, and bob's notes, which was never rendered.
    let stale = state.store.stale_user_apps(Utc::now(), 100).await.unwrap();
    let mut stale: Vec<(String, String)> =
        stale.into_iter().map(|s| (s.user, s.app_name)).collect();
    stale.sort();
    let expected = [
        ("alice", "notes"),
        ("alice", "wiki"),
        ("bob", "notes"),
        ("bob", "wiki"),
    ];
    assert_eq!(
        stale,
        expected.map(|(u, n)| (u.to_owned(), n.to_owned())).to_vec()
    );
}
