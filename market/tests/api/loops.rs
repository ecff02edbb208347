//! The background loops end to end, in-process: a real `chart-repo` binary, a
//! `market_source` server over a copy of the fixture catalog, and the market built by
//! `App::build` (what `main` runs). After start every listed app is ready for every
//! configured user; an edited chart reaches the user and the old package leaves the
//! index; a deleted chart leaves the market and chart-repo; the watcher's cursor
//! survives a restart.

use std::path::{Path, PathBuf};
use std::time::Duration;

use market::config::{DatabaseUrl, UserSpec};
use market::state::AppState;
use market::store::{UserApp, UserAppStatus};
use market::{App, Config};
use market_model::SourceId;
use serde_json::Value;
use service_runtime::{LogFormat, Shutdown};
use test_harness::eventually;

use crate::chart_repo::{TOKEN, start_chart_repo, start_chart_repo_with};
use crate::source::{copy_of, olares_dir, reload, serve_dir};

const LISTED: usize = 21;
const WITHIN: Duration = Duration::from_secs(300);

fn config(data: &Path, chart_repo: &str, source: Option<&str>) -> Config {
    config_on(
        DatabaseUrl::Sqlite(data.join("market.db")),
        data,
        chart_repo,
        source,
    )
}

fn config_on(database: DatabaseUrl, data: &Path, chart_repo: &str, source: Option<&str>) -> Config {
    let url = |s: &str| s.parse::<url::Url>().unwrap();
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.to_owned(),
        database,
        chart_repo_url: url(chart_repo),
        chart_repo_public_url: url(chart_repo),
        chart_repo_token: Some(TOKEN.to_owned().into()),
        app_service_url: url("http://127.0.0.1:6755"),
        users: vec![
            UserSpec::parse("alice:admin").unwrap(),
            UserSpec::parse("bob").unwrap(),
        ],
        remote_source_url: source.map(url),
        olares_version: "latest".into(),
        log_format: LogFormat::Pretty,
        task_workers: 2,
        hydration_concurrency: 4,
        sync_interval: Duration::from_secs(3600),
        tasks: Default::default(),
        public_mode: false,
    }
}

/// A market running in this process; stopped (and drained) by [`TestMarket::stop`].
struct TestMarket {
    state: AppState,
    /// `http://ADDR/app-store/api/v2`.
    api: String,
    shutdown: Shutdown,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl TestMarket {
    async fn start(config: Config) -> Self {
        let shutdown = Shutdown::new();
        let app = App::build(config, shutdown.clone()).await.unwrap();
        let state = app.state().clone();
        let api = format!("http://{}/app-store/api/v2", app.local_addr().unwrap());
        let server = tokio::spawn(app.run());
        Self {
            state,
            api,
            shutdown,
            server,
        }
    }

    async fn stop(self) {
        self.shutdown.token.cancel();
        self.server.await.unwrap().unwrap();
    }

    async fn apps(&self, user: &str) -> Vec<UserApp> {
        self.state.store.user_apps(user, None).await.unwrap()
    }
}

fn every_fixture_app() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(olares_dir())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Rewrites the chart's version in Chart.yaml and OlaresManifest.yaml `metadata.version`.
fn bump_version(app: &Path, from: &str, to: &str) {
    for (file, old, new) in [
        (
            "Chart.yaml",
            format!("version: {from}"),
            format!("version: {to}"),
        ),
        (
            "OlaresManifest.yaml",
            format!("version: '{from}'"),
            format!("version: '{to}'"),
        ),
    ] {
        let path = app.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(&old), "{} holds {old}", path.display());
        std::fs::write(&path, text.replacen(&old, &new, 1)).unwrap();
    }
}

async fn all_ready(market: &TestMarket, user: &str, count: usize) -> Option<Vec<UserApp>> {
    let apps = market.apps(user).await;
    let ready = apps.len() == count && apps.iter().all(|a| a.status == UserAppStatus::Ready);
    ready.then_some(apps)
}

async fn user_index(chart_repo: &str, user: &str) -> String {
    reqwest::Client::new()
        .get(format!("{chart_repo}/u/{user}/market.olares/index.yaml"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_hydrated_edits_reach_them_deletions_leave_and_the_cursor_persists() {
    let data = tempfile::tempdir().unwrap();
    let database = DatabaseUrl::Sqlite(data.path().join("market.db"));
    catalog_flow(database, data.path(), &[]).await;
}

/// The same flow on the production profile: market on PostgreSQL, chart-repo on Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_flow_on_postgres_and_redis() {
    let (postgres, redis) = tokio::task::spawn_blocking(|| {
        (
            test_harness::PostgresServer::start(),
            test_harness::RedisServer::start(),
        )
    })
    .await
    .unwrap();
    let database = DatabaseUrl::parse(&postgres.create_database("market")).unwrap();
    let data = tempfile::tempdir().unwrap();
    catalog_flow(
        database,
        data.path(),
        &[("CHART_REPO_STORE_URL", &redis.url())],
    )
    .await;
}

/// Hydration of every listed app for alice and bob, an edit, a deletion, and the
/// watcher's cursor across a restart.
async fn catalog_flow(database: DatabaseUrl, data: &Path, chart_repo_env: &[(&str, &str)]) {
    let names = every_fixture_app();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let (_tmp, dir): (_, PathBuf) = copy_of(&refs);
    let source = serve_dir(&dir).await;
    let repo_data = tempfile::tempdir().unwrap();
    let chart_repo = start_chart_repo_with(repo_data.path(), chart_repo_env);
    let config = |db: DatabaseUrl| config_on(db, data, &chart_repo.url, Some(&source.base));
    let market = TestMarket::start(config(database.clone())).await;

    // Every listed app renders for both configured users.
    for user in ["alice", "bob"] {
        let apps = eventually(WITHIN, &format!("{user}'s {LISTED} apps ready"), || {
            all_ready(&market, user, LISTED)
        })
        .await;
        assert!(apps.iter().all(|a| a.payload.is_some()));
        assert!(apps.iter().all(|a| a.failure.is_none()), "{apps:#?}");
    }
    assert_eq!(
        market.state.store.admin().await.unwrap().as_deref(),
        Some("alice")
    );
    // Each ready record was one counted sync-app call.
    let metrics = market.state.metrics.render();
    let ready: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("market_hydrations_total{outcome=\"ready\"} "))
        .unwrap_or_else(|| panic!("no ready hydrations counted: {metrics}"))
        .parse()
        .unwrap();
    assert!(ready >= 2 * LISTED as u64, "{metrics}");

    // An edited chart reaches alice; the old package leaves her index.
    bump_version(&dir.join("ghost"), "1.0.15", "1.0.16");
    reload(&source.catalog).await;
    market.state.signals.source_changed();
    let key = market::store::UserAppKey::new(
        "alice",
        &SourceId::parse("market.olares").unwrap(),
        "ghost",
    );
    eventually(WITHIN, "alice's ghost at 1.0.16", || async {
        let app = market.state.store.user_app(&key).await.unwrap()?;
        (app.version == "1.0.16" && app.status == UserAppStatus::Ready).then_some(())
    })
    .await;
    eventually(WITHIN, "only ghost 1.0.16 in alice's index", || async {
        let index = user_index(&chart_repo.url, "alice").await;
        (index.contains("ghost-1.0.16.tgz") && !index.contains("ghost-1.0.15.tgz")).then_some(())
    })
    .await;

    // A deleted chart leaves market's user apps and chart-repo.
    std::fs::remove_dir_all(dir.join("mysql")).unwrap();
    reload(&source.catalog).await;
    market.state.signals.source_changed();
    for user in ["alice", "bob"] {
        eventually(WITHIN, &format!("mysql gone for {user}"), || async {
            let apps = market.apps(user).await;
            (apps.len() == LISTED - 1 && !apps.iter().any(|a| a.app_name == "mysql")).then_some(())
        })
        .await;
    }
    let mysql = market_model::protocol::app_id("mysql");
    let held = market.state.chart_repo.repo_data("alice").await.unwrap();
    assert!(
        !held.sources["market.olares"]
            .iter()
            .any(|a| a.app_id == mysql),
        "{held:?}"
    );
    assert!(
        !user_index(&chart_repo.url, "alice")
            .await
            .contains("mysql-")
    );

    // The watcher followed the feed; its cursor survives a restart.
    let cursor = eventually(WITHIN, "the watcher's cursor moved", || async {
        let c = market.state.store.watcher_cursor().await.unwrap();
        (c > 0).then_some(c)
    })
    .await;
    market.stop().await;
    let market = TestMarket::start(config(database)).await;
    assert!(market.state.store.watcher_cursor().await.unwrap() >= cursor);
    market.stop().await;
}

async fn call(
    method: reqwest::Method,
    url: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("X-Bfl-User", "alice");
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn settings_keep_one_active_remote_and_a_settings_document() {
    use reqwest::Method;
    use serde_json::json;

    let repo_data = tempfile::tempdir().unwrap();
    let chart_repo = start_chart_repo(repo_data.path());
    let data = tempfile::tempdir().unwrap();
    let market = TestMarket::start(config(data.path(), &chart_repo.url, None)).await;
    let sources = format!("{}/settings/market-source", market.api);

    let (status, body) = call(Method::GET, &sources, None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"]["sources"].as_array().unwrap().len(),
        4,
        "{body}"
    );
    assert!(body["data"]["updated_at"].is_string());

    let remote = |id: &str| json!({"id": id, "name": id, "type": "remote", "base_url": "http://127.0.0.1:9", "is_active": true});
    let (status, body) = call(Method::POST, &sources, Some(remote("market.olares"))).await;
    assert_eq!(status, 200, "{body}");
    let (_, body) = call(Method::GET, &sources, None).await;
    assert_eq!(body["data"]["default_source"], "market.olares");

    let (status, body) = call(Method::POST, &sources, Some(remote("mirror"))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("active_remote_exists")),
        "{body}"
    );
    let (status, body) = call(
        Method::POST,
        &sources,
        Some(json!({"id": "x", "name": "x", "type": "remote", "base_url": "nope"})),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("bad_request")),
        "{body}"
    );

    let one = format!("{sources}/market.olares");
    assert_eq!(call(Method::DELETE, &one, None).await.0, 200);
    let (status, body) = call(Method::DELETE, &one, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("not_found")),
        "{body}"
    );
    // Now another remote may be the active one.
    assert_eq!(
        call(Method::POST, &sources, Some(remote("mirror"))).await.0,
        200
    );

    let settings = format!("{}/settings/market-settings", market.api);
    assert_eq!(
        call(Method::GET, &settings, None).await.1["data"],
        json!({})
    );
    let doc = json!({"selected_source": "mirror", "flags": {"beta": true}});
    assert_eq!(call(Method::PUT, &settings, Some(doc.clone())).await.0, 200);
    assert_eq!(call(Method::GET, &settings, None).await.1["data"], doc);
    let (status, _) = call(Method::PUT, &settings, Some(json!([1]))).await;
    assert_eq!(status, 400);
    // Settings, like the rest, need a caller.
    let anonymous = reqwest::get(&sources).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    market.stop().await;
}

async fn upload(api: &str, user: Option<&str>, form: reqwest::multipart::Form) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{api}/apps/upload"))
        .multipart(form);
    if let Some(user) = user {
        request = request.header("X-Bfl-User", user);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn chart_form(bytes: Vec<u8>, source: Option<&str>) -> reqwest::multipart::Form {
    let part = reqwest::multipart::Part::bytes(bytes).file_name("chart.tgz");
    let form = reqwest::multipart::Form::new().part("chart", part);
    match source {
        Some(source) => form.text("source", source.to_owned()),
        None => form,
    }
}

async fn delete_local(api: &str, user: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .delete(format!("{api}/local-apps/delete"))
        .header("X-Bfl-User", user)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// The user's events of one kind for one app.
async fn events_of(market: &TestMarket, user: &str, kind: &str, app: &str) -> usize {
    let events = market
        .state
        .store
        .events_after(user, 0, 1000)
        .await
        .unwrap();
    events
        .iter()
        .filter(|e| e.kind == kind && e.data["app_name"] == app)
        .count()
}

/// Whether the watcher has applied every change chart-repo published so far.
async fn watcher_caught_up(market: &TestMarket, chart_repo: &str) -> Option<()> {
    let page: Value = reqwest::Client::new()
        .get(format!(
            "{chart_repo}/chart-repo/api/v2/state-changes?after_id=0&limit=1000"
        ))
        .bearer_auth(TOKEN)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let latest = page["data"]["state_changes"]
        .as_array()?
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .max()?;
    let cursor = market.state.store.watcher_cursor().await.ok()?;
    (cursor >= latest).then_some(())
}

/// `POST /apps/upload` and `DELETE /local-apps/delete` through market to a real
/// chart-repo: the upload is rendered for its uploader only and is in market's store when
/// the answer arrives; bad charts are refused with chart-repo's reason and leave no file
/// behind; the watcher, seeing the same changes later, adds no second event; a delete
/// removes only the caller's copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_local_deletes_go_through_market_to_chart_repo() {
    use reqwest::Method;
    use serde_json::json;

    let repo_data = tempfile::tempdir().unwrap();
    let chart_repo = start_chart_repo(repo_data.path());
    let data = tempfile::tempdir().unwrap();
    let market = TestMarket::start(config(data.path(), &chart_repo.url, None)).await;
    let api = market.api.as_str();
    let (_, chart) = test_harness::binary::package_chart(
        &crate::chart_repo::chart_repo_program(),
        &olares_dir().join("uptimekuma"),
    );
    let upload_source = SourceId::parse("upload").unwrap();

    let (status, body) = upload(api, Some("alice"), chart_form(chart.clone(), None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "new", "{body}");
    let info = &body["data"]["app_data"]["app_simple_info"];
    assert_eq!(info["app_name"], "uptimekuma", "{body}");
    // Recorded before the answer: no waiting for the watcher.
    let stored = market.apps("alice").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert_eq!(
        (
            &stored[0].source,
            stored[0].app_name.as_str(),
            stored[0].status
        ),
        (&upload_source, "uptimekuma", UserAppStatus::Ready)
    );
    assert!(
        market.apps("bob").await.is_empty(),
        "bob sees alice's upload"
    );
    let (status, body) = call(
        Method::POST,
        &format!("{api}/apps"),
        Some(json!({"apps": [{"appid": "uptimekuma", "sourceDataName": "upload"}]})),
    )
    .await;
    assert_eq!(
        (status, body["data"]["total_count"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
    // The same chart again: nothing changed.
    let (status, body) = upload(
        api,
        Some("alice"),
        chart_form(chart.clone(), Some("upload")),
    )
    .await;
    assert_eq!(
        (status, body["data"]["status"].as_str()),
        (200, Some("existing")),
        "{body}"
    );

    // Refusals, each with its code and a reason.
    let refused = [
        (
            chart_form(b"not a gzip at all".to_vec(), None),
            422,
            "invalid_chart",
        ),
        (
            chart_form(chart.clone(), Some("market.olares")),
            400,
            "bad_request",
        ),
        (
            chart_form(chart.clone(), Some("nosuch")),
            400,
            "bad_request",
        ),
        (
            chart_form(chart.clone(), Some("Bad Id")),
            400,
            "bad_request",
        ),
        (
            reqwest::multipart::Form::new().text("source", "upload"),
            400,
            "bad_request",
        ),
    ];
    for (form, want_status, want_code) in refused {
        let (status, body) = upload(api, Some("alice"), form).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (want_status, Some(want_code)),
            "{body}"
        );
        assert!(!body["message"].as_str().unwrap().is_empty(), "{body}");
    }
    let (status, body) = upload(api, None, chart_form(chart.clone(), None)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthorized")),
        "{body}"
    );
    let uploads = data.path().join("uploads");
    let left: Vec<_> = std::fs::read_dir(&uploads).unwrap().flatten().collect();
    assert!(
        left.is_empty(),
        "files left in {}: {left:?}",
        uploads.display()
    );
    assert_eq!(market.apps("alice").await.len(), 1);

    // The watcher applies chart-repo's changes later and finds them applied.
    eventually(WITHIN, "the watcher catches up", || {
        watcher_caught_up(&market, &chart_repo.url)
    })
    .await;
    assert_eq!(
        events_of(&market, "alice", "new_app_ready", "uptimekuma").await,
        1
    );

    // Deletes: only one's own copy, only the stored version.
    let body = |version: &str| json!({"app_name": "uptimekuma", "app_version": version, "source_id": "upload"});
    let (status, answer) = delete_local(api, "bob", body("")).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("app_not_found")),
        "{answer}"
    );
    let (status, answer) = delete_local(api, "alice", body("0.0.1")).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (404, Some("app_not_found")),
        "{answer}"
    );
    let version = market.apps("alice").await[0].version.clone();
    let (status, answer) = delete_local(
        api,
        "alice",
        json!({"app_name": "uptimekuma", "app_version": version, "source_id": "market.olares"}),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (400, Some("bad_request")),
        "{answer}"
    );
    let (status, answer) = delete_local(api, "alice", body(&version)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["removed"], 1, "{answer}");
    assert!(market.apps("alice").await.is_empty());
    let index = reqwest::Client::new()
        .get(format!("{}/u/alice/upload/index.yaml", chart_repo.url))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!index.contains("uptimekuma"), "{index}");
    eventually(WITHIN, "the watcher catches up", || {
        watcher_caught_up(&market, &chart_repo.url)
    })
    .await;
    assert_eq!(
        events_of(&market, "alice", "app_removed", "uptimekuma").await,
        1
    );
    market.stop().await;
}
