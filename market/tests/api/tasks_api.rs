//! The task engine through the API, in-process on SQLite, against a scripted
//! app-service (`wiremock`: the simulator is written in parallel): install
//! accepted then completed by a state event, the 422 `appenv` flow, a 500 then
//! a 200 (retry), a hang (timeouts, then a final failure), idempotency, cancel,
//! history per owner, the token kept out of answers and logs, and a restart
//! that resumes committed and abandoned tasks without sending an accepted one
//! again.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use market::App;
use market::config::{Config, DatabaseUrl, TaskSettings, UserSpec};
use market::state::AppState;
use market::store::{self, MarketStore, NewTask, TaskRequest, UserAppKey};
use market_model::task::{TaskKind, TaskStatus};
use serde_json::{Value, json};
use service_runtime::server::Shutdown;
use test_harness::eventually;
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::store::sid;

const WITHIN: Duration = Duration::from_secs(20);
const TOKEN: &str = "tok-3f9a-very-secret";
const INSTALL: &str = "/app-service/v1/apps/firefox/install";

struct Market {
    url: String,
    state: AppState,
    shutdown: Shutdown,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Market {
    async fn stop(self) {
        self.shutdown.token.cancel();
        self.server.await.unwrap().unwrap();
    }

    async fn call(
        &self,
        m: reqwest::Method,
        path: &str,
        user: &str,
        body: Option<Value>,
        key: Option<&str>,
    ) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .request(m, format!("{}/app-store/api/v2{path}", self.url))
            .header("X-Bfl-User", user)
            .header("X-Authorization", TOKEN)
            .header("x-request-id", format!("req-{user}-{path}"));
        if let Some(key) = key {
            req = req.header("Idempotency-Key", key);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        assert!(
            !text.contains(TOKEN),
            "the token leaked into an answer: {text}"
        );
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn task(&self, id: i64) -> Value {
        self.call(
            reqwest::Method::GET,
            &format!("/tasks/{id}"),
            "alice",
            None,
            None,
        )
        .await
        .1["data"]
            .clone()
    }

    async fn until_task(&self, id: i64, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        eventually(WITHIN, what, || async {
            let t = self.task(id).await;
            check(&t).then_some(t)
        })
        .await
    }
}

fn config(dir: &Path, app_service: &str) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_owned(),
        database: DatabaseUrl::Sqlite(dir.join("market.db")),
        chart_repo_url: "http://127.0.0.1:9/".parse().unwrap(),
        chart_repo_public_url: "http://repo.example:8082/".parse().unwrap(),
        chart_repo_token: None,
        app_service_url: app_service.parse().unwrap(),
        users: vec![
            UserSpec::parse("alice:admin").unwrap(),
            UserSpec::parse("bob").unwrap(),
        ],
        remote_source_url: None,
        olares_version: "latest".into(),
        log_format: Default::default(),
        task_workers: 4,
        hydration_concurrency: 1,
        sync_interval: Duration::from_secs(3600),
        tasks: TaskSettings {
            app_service_timeout: Duration::from_millis(300),
            app_state_poll_interval: Duration::from_secs(3600),
            sync_wait: Duration::from_secs(10),
            retry_backoff: Duration::from_millis(50),
            lease: Duration::from_secs(1),
        },
        public_mode: false,
    }
}

async fn start(dir: &Path, app_service: &str) -> Market {
    let shutdown = Shutdown::new();
    let app = App::build(config(dir, app_service), shutdown.clone())
        .await
        .unwrap();
    let url = format!("http://{}", app.local_addr().unwrap());
    let state = app.state().clone();
    let server = tokio::spawn(app.run());
    Market {
        url,
        state,
        shutdown,
        server,
    }
}

/// alice's rendered firefox 1.0.0 (and bob's), as chart-repo would have stored it.
async fn seed(store: &dyn MarketStore) {
    for user in ["alice", "bob"] {
        let payload = json!({
            "version": "1.0.0",
            "image_analysis": {"images": {"docker.io/library/firefox:1": {
                "name": "docker.io/library/firefox:1", "total_size": 12345}}}
        });
        let key = UserAppKey::new(user, &sid("market.olares"), "firefox");
        store
            .put_user_app_ready(&key, "a1b2c3d4", "1.0.0", &payload, Utc::now())
            .await
            .unwrap();
    }
}

async fn setup() -> (tempfile::TempDir, MockServer, Market) {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockServer::start().await;
    let m = start(dir.path(), &mock.uri()).await;
    seed(m.state.store.as_ref()).await;
    (dir, mock, m)
}

fn accepted(op: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"code": 200, "data": {"opID": op}}))
}

fn install_body(envs: Value) -> Value {
    json!({"source": "market.olares", "app_name": "firefox", "version": "1.0.0", "envs": envs})
}

fn event(state: &str, op: &str, op_type: &str) -> Value {
    json!({"eventID": "e1", "createTime": "2026-01-01T00:00:00Z", "name": "firefox",
        "rawAppName": "firefox", "opID": op, "opType": op_type, "state": state, "user": "alice",
        "progress": "100", "marketSource": "market.olares", "reason": "", "message": "",
        "entranceStatuses": []})
}

async fn requests_to(mock: &MockServer, p: &str) -> Vec<Request> {
    mock.received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

#[tokio::test]
async fn tasks_install_is_accepted_then_completed_by_a_state_event() {
    let (_dir, mock, m) = setup().await;
    Mock::given(method("POST"))
        .and(path(INSTALL))
        .respond_with(accepted("op-1"))
        .mount(&mock)
        .await;
    let post = reqwest::Method::POST;
    let (status, body) = m
        .call(
            post.clone(),
            "/apps/firefox/install",
            "alice",
            Some(install_body(json!([{"envName": "A", "value": "1"}]))),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let id = body["data"]["task_id"].as_i64().unwrap();
    let t = m.until_task(id, "accepted", |t| t["op_id"] == "op-1").await;
    assert_eq!(
        (t["status"].as_str(), t["type"].as_str()),
        (Some("running"), Some("install"))
    );
    // The same request while it runs is the same task; so is the same key.
    let (_, again) = m
        .call(
            post.clone(),
            "/apps/firefox/install",
            "alice",
            Some(install_body(json!([]))),
            Some("k"),
        )
        .await;
    assert_eq!(again["data"]["task_id"], id);

    // What app-service was sent: Olares' headers and body.
    let sent = requests_to(&mock, INSTALL).await;
    assert_eq!(sent.len(), 1);
    let h = |n: &str| sent[0].headers.get(n).unwrap().to_str().unwrap().to_owned();
    assert_eq!(
        (
            h("x-authorization"),
            h("x-bfl-user"),
            h("x-market-user"),
            h("x-market-source")
        ),
        (
            TOKEN.into(),
            "alice".into(),
            "alice".into(),
            "market.olares".into()
        )
    );
    // The submitting request's id follows the task to app-service.
    assert_eq!(h("x-request-id"), "req-alice-/apps/firefox/install");
    let sent: Value = serde_json::from_slice(&sent[0].body).unwrap();
    assert_eq!(
        sent,
        json!({"repoUrl": "http://repo.example:8082/", "source": "market",
        "x_market_user": "alice", "x_market_source": "market.olares",
        "images": [{"name": "docker.io/library/firefox:1", "size": 12345}],
        "envs": [{"envName": "A", "value": "1"}]})
    );

    // app-service reports progress, then running: the task completes.
    let (s, b) = m
        .call(
            post.clone(),
            "/app-state-events",
            "alice",
            Some(event("installing", "op-1", "install")),
            None,
        )
        .await;
    assert_eq!((s, b["data"]["ended"].clone()), (200, json!([])));
    let (_, b) = m
        .call(
            post.clone(),
            "/app-state-events",
            "alice",
            Some(event("running", "op-1", "install")),
            None,
        )
        .await;
    assert_eq!(b["data"]["ended"], json!([id]));
    let t = m.task(id).await;
    assert_eq!(
        (t["status"].as_str(), t["app_state"].as_str()),
        (Some("completed"), Some("running"))
    );

    // The outcome is counted by kind and status, no user or app in the labels.
    let metrics = reqwest::get(format!("{}/metrics", m.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "market_tasks_total{kind=\"install\",status=\"pending\"} 1",
        "market_tasks_total{kind=\"install\",status=\"completed\"} 1",
    ] {
        assert!(metrics.contains(line), "{line} not in {metrics}");
    }
    assert!(!metrics.contains("firefox") && !metrics.contains("alice"));

    // History for its owner only; events carry the transitions; lists filter.
    let (_, logs) = m
        .call(reqwest::Method::GET, "/logs", "alice", None, None)
        .await;
    assert_eq!(logs["data"]["total_count"], 2, "{logs}");
    assert_eq!(logs["data"]["records"][1]["type"], "install");
    let (_, logs) = m
        .call(reqwest::Method::GET, "/logs", "bob", None, None)
        .await;
    assert_eq!(logs["data"]["total_count"], 0);
    let (s, _) = m
        .call(
            reqwest::Method::GET,
            &format!("/tasks/{id}"),
            "bob",
            None,
            None,
        )
        .await;
    assert_eq!(s, 404);
    let events = m.state.store.events_after("alice", 0, 100).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "task_update" && e.data["status"] == "completed")
    );
    assert!(
        events
            .iter()
            .any(|e| e.kind == "app_state" && e.data["state"] == "running")
    );
    assert!(
        !serde_json::to_string(&events.iter().map(|e| &e.data).collect::<Vec<_>>())
            .unwrap()
            .contains(TOKEN)
    );
    let (_, list) = m
        .call(
            reqwest::Method::GET,
            "/tasks?status=completed&type=install&app=firefox",
            "alice",
            None,
            None,
        )
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (s, b) = m
        .call(
            reqwest::Method::GET,
            "/tasks?status=nope",
            "alice",
            None,
            None,
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (400, Some("bad_request")));
    // Cancel of a finished install: 409 with its code.
    let (s, b) = m
        .call(
            reqwest::Method::DELETE,
            "/apps/firefox/install",
            "alice",
            None,
            None,
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (409, Some("task_not_cancelable")),
        "{b}"
    );
    // An unknown app or version: 404.
    let (s, b) = m
        .call(
            post,
            "/apps/firefox/install",
            "alice",
            Some(json!({"source": "market.olares", "version": "9.9.9"})),
            None,
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (404, Some("app_not_found")));
    m.stop().await;
}

#[tokio::test]
async fn tasks_appenv_422_fails_with_the_backend_data_then_envs_succeed() {
    let (_dir, mock, m) = setup().await;
    let appenv = json!({"type": "appenv", "Data": {"missingValues": [{"envName": "SMTP_HOST", "type": "string", "required": true, "default": "", "options": [], "description": "d"}], "missingRefs": [], "invalidValues": []}});
    Mock::given(method("POST"))
        .and(path(INSTALL))
        .and(body_partial_json(
            json!({"envs": [{"envName": "SMTP_HOST", "value": "mail"}]}),
        ))
        .respond_with(accepted("op-2"))
        .with_priority(1)
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path(INSTALL))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(json!({"code": 422, "data": appenv})),
        )
        .with_priority(2)
        .mount(&mock)
        .await;
    let mut body = install_body(json!([]));
    body["sync"] = json!(true);
    let (s, b) = m
        .call(
            reqwest::Method::POST,
            "/apps/firefox/install",
            "alice",
            Some(body),
            None,
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (422, Some("app_env_required")),
        "{b}"
    );
    let error = &b["data"]["task"]["error"];
    assert_eq!(error["backend_response"]["data"], appenv);
    assert_eq!(b["data"]["task"]["status"], "failed");
    assert_eq!(b["data"]["task"]["attempts"], 1, "permanent: not retried");
    let body = install_body(json!([{"envName": "SMTP_HOST", "value": "mail"}]));
    let (s, b) = m
        .call(
            reqwest::Method::POST,
            "/apps/firefox/install",
            "alice",
            Some(body),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let id = b["data"]["task_id"].as_i64().unwrap();
    m.until_task(id, "accepted", |t| t["op_id"] == "op-2").await;
    m.stop().await;
}

#[tokio::test]
async fn tasks_retry_a_500_and_give_up_on_a_hang() {
    let (_dir, mock, m) = setup().await;
    Mock::given(method("POST"))
        .and(path(INSTALL))
        .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path(INSTALL))
        .respond_with(accepted("op-3"))
        .with_priority(2)
        .mount(&mock)
        .await;
    let (_, b) = m
        .call(
            reqwest::Method::POST,
            "/apps/firefox/install",
            "alice",
            Some(install_body(json!([]))),
            None,
        )
        .await;
    let id = b["data"]["task_id"].as_i64().unwrap();
    let t = m
        .until_task(id, "accepted after a retry", |t| t["op_id"] == "op-3")
        .await;
    assert_eq!(t["attempts"], 2);
    assert_eq!(
        t["error"]["code"], "app_service_unavailable",
        "the last failure is kept: {t}"
    );

    // bob's app-service call hangs: every attempt times out, then it fails.
    Mock::given(method("POST"))
        .and(path("/app-service/v1/apps/firefox/upgrade"))
        .respond_with(accepted("never").set_delay(Duration::from_secs(5)))
        .mount(&mock)
        .await;
    let body = json!({"source": "market.olares", "version": "1.0.0"});
    let (_, b) = m
        .call(
            reqwest::Method::PUT,
            "/apps/firefox/upgrade",
            "bob",
            Some(body),
            None,
        )
        .await;
    let id = b["data"]["task_id"].as_i64().unwrap();
    let t = eventually(WITHIN, "gave up", || async {
        let (_, b) = m
            .call(
                reqwest::Method::GET,
                &format!("/tasks/{id}"),
                "bob",
                None,
                None,
            )
            .await;
        (b["data"]["status"] == "failed").then(|| b["data"].clone())
    })
    .await;
    assert_eq!(
        (t["error"]["code"].as_str(), t["attempts"].as_i64()),
        (Some("gave_up"), Some(5)),
        "{t}"
    );
    m.stop().await;
}

#[tokio::test]
async fn tasks_cancel_pending_then_running() {
    let (_dir, mock, m) = setup().await;
    Mock::given(method("POST"))
        .and(path(INSTALL))
        .respond_with(accepted("op-i"))
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path("/app-service/v1/apps/firefox/cancel"))
        .and(header("x-bfl-user", "alice"))
        .respond_with(accepted("op-c"))
        .mount(&mock)
        .await;
    let (_, b) = m
        .call(
            reqwest::Method::POST,
            "/apps/firefox/install",
            "alice",
            Some(install_body(json!([]))),
            None,
        )
        .await;
    let install = b["data"]["task_id"].as_i64().unwrap();
    m.until_task(install, "accepted", |t| t["op_id"] == "op-i")
        .await;
    // An upgrade waits behind the running install: canceling removes it.
    let body = json!({"source": "market.olares", "version": "1.0.0"});
    let (_, b) = m
        .call(
            reqwest::Method::PUT,
            "/apps/firefox/upgrade",
            "alice",
            Some(body),
            None,
        )
        .await;
    let upgrade = b["data"]["task_id"].as_i64().unwrap();
    assert_eq!(b["data"]["task"]["status"], "pending");
    let (s, b) = m
        .call(
            reqwest::Method::DELETE,
            "/apps/firefox/install",
            "alice",
            None,
            None,
        )
        .await;
    assert_eq!((s, b["data"]["task_id"].as_i64()), (200, Some(upgrade)));
    assert_eq!(b["data"]["task"]["status"], "canceled");
    // The running install: app-service is asked to cancel it.
    let (s, b) = m
        .call(
            reqwest::Method::DELETE,
            "/apps/firefox/install",
            "alice",
            None,
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let cancel = b["data"]["task_id"].as_i64().unwrap();
    assert_eq!(b["data"]["task"]["type"], "cancel");
    m.until_task(cancel, "cancel accepted", |t| t["op_id"] == "op-c")
        .await;
    let sent = requests_to(&mock, "/app-service/v1/apps/firefox/cancel").await;
    assert_eq!(sent[0].url.query(), Some("type=operate"));
    let (_, b) = m
        .call(
            reqwest::Method::POST,
            "/app-state-events",
            "alice",
            Some(event("installingCanceled", "op-c", "cancel")),
            None,
        )
        .await;
    assert_eq!(b["data"]["ended"].as_array().unwrap().len(), 2, "{b}");
    let t = m.task(install).await;
    assert_eq!(
        (t["status"].as_str(), t["canceled_by"].as_i64()),
        (Some("canceled"), Some(cancel))
    );
    assert_eq!(m.task(cancel).await["status"], "completed");
    let (s, b) = m
        .call(
            reqwest::Method::DELETE,
            "/apps/firefox/install",
            "alice",
            None,
            None,
        )
        .await;
    assert_eq!((s, b["code"].as_str()), (409, Some("task_not_cancelable")));
    m.stop().await;
}

#[tokio::test]
async fn tasks_restart_resumes_committed_and_abandoned_tasks_once() {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockServer::start().await;
    for app in ["firefox", "notes", "wiki"] {
        Mock::given(method("POST"))
            .and(path(format!("/app-service/v1/apps/{app}/install")))
            .respond_with(accepted(&format!("op-{app}")))
            .mount(&mock)
            .await;
    }
    Mock::given(method("GET")).and(path("/app-service/v1/all/apps")).respond_with(ResponseTemplate::new(200).set_body_json(json!([
        {"metadata": {"name": "wiki"}, "spec": {"name": "wiki", "owner": "alice", "opType": "install"}, "status": {"state": "running"}}
    ]))).mount(&mock).await;
    // Before the "crash": firefox committed, notes leased by a worker that died,
    // wiki accepted by app-service (its opID recorded).
    {
        let db = DatabaseUrl::Sqlite(dir.path().join("market.db"));
        let store = store::connect(&db).await.unwrap();
        store.migrate().await.unwrap();
        let new = |app: &str| NewTask {
            user: "alice".into(),
            app_name: app.into(),
            kind: TaskKind::Install,
            source: "market.olares".into(),
            version: "1.0.0".into(),
            request: TaskRequest::default(),
            token: Some(TOKEN.to_owned().into()),
            idempotency_key: None,
            request_id: None,
        };
        let now = Utc::now();
        let lease = now + chrono::Duration::milliseconds(500);
        let notes = store.submit_task(&new("notes"), now).await.unwrap().task;
        let wiki = store.submit_task(&new("wiki"), now).await.unwrap().task;
        assert_eq!(
            store
                .lease_task("dead-0", now, lease)
                .await
                .unwrap()
                .unwrap()
                .task
                .id,
            notes.id
        );
        assert_eq!(
            store
                .lease_task("dead-1", now, lease)
                .await
                .unwrap()
                .unwrap()
                .task
                .id,
            wiki.id
        );
        assert!(
            store
                .accept_task(wiki.id, "dead-1", "op-wiki", now)
                .await
                .unwrap()
        );
        store.submit_task(&new("firefox"), now).await.unwrap();
    }
    let m = start(dir.path(), &mock.uri()).await;
    let store = m.state.store.clone();
    let all = eventually(WITHIN, "firefox and notes accepted", || async {
        let tasks = store
            .tasks(
                "alice",
                &market::store::TaskFilter {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        tasks.iter().all(|t| t.op_id.is_some()).then_some(tasks)
    })
    .await;
    assert_eq!(all.len(), 3);
    for app in ["firefox", "notes"] {
        assert_eq!(
            requests_to(&mock, &format!("/app-service/v1/apps/{app}/install"))
                .await
                .len(),
            1,
            "{app}"
        );
        let sent = &requests_to(&mock, &format!("/app-service/v1/apps/{app}/install")).await[0];
        assert_eq!(
            sent.headers
                .get("x-authorization")
                .unwrap()
                .to_str()
                .unwrap(),
            TOKEN,
            "the kept token is used"
        );
    }
    assert!(
        requests_to(&mock, "/app-service/v1/apps/wiki/install")
            .await
            .is_empty(),
        "accepted: never sent again"
    );
    // The poll at start finishes wiki (its event was missed); another finds nothing.
    let wiki = all.iter().find(|t| t.app_name == "wiki").unwrap();
    eventually(WITHIN, "wiki completed by the poll", || async {
        let t = store.task(wiki.id).await.unwrap().unwrap();
        (t.status == TaskStatus::Completed).then_some(())
    })
    .await;
    assert_eq!(
        market::tasks::app_state::poll_once(&m.state).await.unwrap(),
        0
    );
    assert_eq!(store.app_states("alice").await.unwrap()[0].state, "running");
    m.stop().await;
}

/// Olares' `/all/apps` item has no `opType`: the poll ends an accepted upgrade when the
/// app runs the version the task asked for (`spec.settings.version`), not while it
/// still runs the old one.
#[tokio::test]
async fn the_poll_ends_an_upgrade_when_the_listed_version_is_the_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let mock = MockServer::start().await;
    let listed = |app: &str, version: &str| {
        json!({"metadata": {"name": format!("{app}-alice-{app}")},
               "spec": {"name": app, "owner": "alice", "settings": {"version": version}},
               "status": {"state": "running"}})
    };
    Mock::given(method("GET"))
        .and(path("/app-service/v1/all/apps"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([listed("wiki", "2.0.0"), listed("notes", "1.0.0")])),
        )
        .mount(&mock)
        .await;
    let mut ids = Vec::new();
    {
        let db = DatabaseUrl::Sqlite(dir.path().join("market.db"));
        let store = store::connect(&db).await.unwrap();
        store.migrate().await.unwrap();
        let now = Utc::now();
        for app in ["wiki", "notes"] {
            let new = NewTask {
                user: "alice".into(),
                app_name: app.into(),
                kind: TaskKind::Upgrade,
                source: "market.olares".into(),
                version: "2.0.0".into(),
                request: TaskRequest::default(),
                token: None,
                idempotency_key: None,
                request_id: None,
            };
            let task = store.submit_task(&new, now).await.unwrap().task;
            let lease = now + chrono::Duration::seconds(60);
            let leased = store.lease_task("w", now, lease).await.unwrap().unwrap();
            assert_eq!(leased.task.id, task.id);
            assert!(store.accept_task(task.id, "w", "op", now).await.unwrap());
            ids.push(task.id);
        }
    }
    let m = start(dir.path(), &mock.uri()).await;
    market::tasks::app_state::poll_once(&m.state).await.unwrap();
    let wiki = m.state.store.task(ids[0]).await.unwrap().unwrap();
    assert_eq!(wiki.status, TaskStatus::Completed);
    let notes = m.state.store.task(ids[1]).await.unwrap().unwrap();
    assert_eq!(notes.status, TaskStatus::Running, "still on 1.0.0");
    m.stop().await;
}

/// A `MakeWriter` into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn tasks_token_is_never_logged() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(logs.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (_dir, mock, m) = setup().await;
    Mock::given(method("POST"))
        .and(path(INSTALL))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&mock)
        .await;
    Mock::given(method("POST"))
        .and(path(INSTALL))
        .respond_with(
            ResponseTemplate::new(422).set_body_json(json!({"code": 422, "message": "no"})),
        )
        .with_priority(2)
        .mount(&mock)
        .await;
    let (_, b) = m
        .call(
            reqwest::Method::POST,
            "/apps/firefox/install",
            "alice",
            Some(install_body(json!([]))),
            None,
        )
        .await;
    let id = b["data"]["task_id"].as_i64().unwrap();
    m.until_task(id, "failed", |t| t["status"] == "failed")
        .await;
    m.stop().await;
    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("task submitted"), "the capture works: {text}");
    assert!(!text.contains(TOKEN), "the token was logged");
}

/// schemathesis: an id that is not an `i64` was axum's plain-text 400.
#[tokio::test]
async fn a_task_id_that_is_not_an_integer_is_a_400_in_the_envelope() {
    let (_dir, _mock, m) = setup().await;
    for id in ["abc", "9223372036854775808"] {
        let (status, body) = m
            .call(
                reqwest::Method::GET,
                &format!("/tasks/{id}"),
                "alice",
                None,
                None,
            )
            .await;
        assert_eq!(status, 400, "{id}: {body}");
        assert_eq!(body["success"], false, "{body}");
        assert_eq!(body["code"], "bad_request", "{body}");
    }
    m.stop().await;
}

/// schemathesis: app-service's 404 for an app it does not run was a 502. It answered, and
/// refused: stop/resume are 409 `app_service_rejected`, a sync uninstall 409 `task_failed`.
#[tokio::test]
async fn an_operation_app_service_refuses_is_a_409_not_a_502() {
    let (_dir, mock, m) = setup().await;
    let not_found = || {
        ResponseTemplate::new(404)
            .set_body_string("applicationmanagers.app.bytetrade.io \"ghost-alice-ghost\" not found")
    };
    for op in ["suspend", "resume", "uninstall"] {
        Mock::given(method("POST"))
            .and(path(format!("/app-service/v1/apps/ghost/{op}")))
            .respond_with(not_found())
            .mount(&mock)
            .await;
    }
    for route in ["/apps/stop", "/apps/resume"] {
        let (status, body) = m
            .call(
                reqwest::Method::POST,
                route,
                "alice",
                Some(json!({"appName": "ghost"})),
                None,
            )
            .await;
        assert_eq!(status, 409, "{route}: {body}");
        assert_eq!(body["code"], "app_service_rejected", "{body}");
    }
    let (status, body) = m
        .call(
            reqwest::Method::DELETE,
            "/apps/ghost",
            "alice",
            Some(json!({"sync": true})),
            None,
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "task_failed", "{body}");
    assert_eq!(
        body["data"]["task"]["error"]["code"], "app_service_rejected",
        "{body}"
    );
    m.stop().await;
}
