//! What the simulator tests stand on: the real `chart-repo` binary hydrating fixture apps
//! from an in-process market source, a sink standing in for market's state-event route,
//! a hand-made "repository" serving whatever index and package a test wants, and typed
//! calls of the simulator's routes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use e2e::app_service_sim::StateEvent;
use market_model::protocol::{AppsInfoResponse, app_id};
use market_model::sync::{PendingAppData, SyncAppRequest};
use serde_json::{Value, json};
use test_harness::{RunningBinary, eventually, fixtures};

pub const SOURCE: &str = "market.olares";
pub const WITHIN: Duration = Duration::from_secs(20);

/// A server task aborted on drop.
pub struct Served {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn serve(router: Router) -> Served {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    Served { url, task }
}

/// A temporary catalog folder with copies of the named fixture apps.
pub fn catalog_of(apps: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("catalog");
    for app in apps {
        copy_dir(&fixtures::chart(&format!("olares/{app}")), &dir.join(app));
    }
    (tmp, dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// chart-repo (the real binary, embedded SQLite, no registry) with `catalog` registered as
/// the remote source `market.olares`.
pub struct Repo {
    pub bin: RunningBinary,
    pub source: Served,
    pub client: reqwest::Client,
    _data: tempfile::TempDir,
}

impl Repo {
    pub async fn start(catalog: &Path) -> Self {
        let data = tempfile::tempdir().unwrap();
        let bin = RunningBinary::start(
            &e2e::service_binary("chart-repo"),
            &["serve"],
            &[
                ("CHART_REPO_LISTEN", "127.0.0.1:0"),
                ("CHART_REPO_DATA_DIR", data.path().to_str().unwrap()),
                ("CHART_REPO_WORKERS", "1"),
                ("CHART_REPO_REGISTRY_ALLOW", ""),
            ],
        );
        let dir = catalog.to_owned();
        let catalog = tokio::task::spawn_blocking(move || market_source::Catalog::open(dir))
            .await
            .unwrap()
            .unwrap();
        let source = serve(market_source::router(Arc::new(catalog))).await;
        let repo = Self {
            bin,
            source,
            client: reqwest::Client::new(),
            _data: data,
        };
        let res = repo
            .client
            .post(repo.api("/settings/market-source"))
            .json(&json!({
                "id": SOURCE, "name": "Olares Market", "type": "remote",
                "base_url": repo.source.url, "priority": 100, "is_active": true,
                "description": "simulator test", "updated_at": "2026-11-23T00:00:00Z",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        repo
    }

    pub fn url(&self) -> &str {
        &self.bin.url
    }

    fn api(&self, path: &str) -> String {
        format!("{}/chart-repo/api/v2{path}", self.bin.url)
    }

    /// Renders `app` for `user` as market does (`POST /dcr/sync-app`), waiting for the end.
    pub async fn hydrate(&self, app: &str, user: &str) {
        let id = app_id(app);
        let info: AppsInfoResponse = self
            .client
            .post(format!("{}/api/v1/applications/info", self.source.url))
            .json(&json!({ "app_ids": [id], "version": "1.12.3" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let entry = info
            .apps
            .get(&id)
            .cloned()
            .expect("the source lists the app");
        let request = SyncAppRequest {
            app_info_latest_pending_data: PendingAppData {
                kind: "app-info-latest-pending".into(),
                timestamp: 1,
                version: entry.version.clone(),
                raw_data: Some(entry),
                ..PendingAppData::default()
            },
            source_id: SOURCE.into(),
            user_name: user.into(),
            admin_user: "admin".into(),
        };
        for _ in 0..20 {
            let res = self
                .client
                .post(self.api("/dcr/sync-app"))
                .json(&request)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            if status == 202 {
                continue;
            }
            assert_eq!((status, &body["success"]), (200, &json!(true)), "{body}");
            return;
        }
        panic!("{app} for {user} still hydrating");
    }
}

/// Market's state-event route, standing in: it keeps what it receives.
pub struct Sink {
    pub served: Served,
    events: Arc<Mutex<Vec<StateEvent>>>,
}

impl Sink {
    pub async fn start() -> Self {
        let events = Arc::new(Mutex::new(Vec::new()));
        let router = Router::new()
            .route(
                "/app-store/api/v2/app-state-events",
                post(
                    |State(events): State<Arc<Mutex<Vec<StateEvent>>>>,
                     axum::Json(e): axum::Json<StateEvent>| async move {
                        events.lock().unwrap().push(e);
                        axum::Json(json!({"success": true, "message": "ok"}))
                    },
                ),
            )
            .with_state(Arc::clone(&events));
        Self {
            served: serve(router).await,
            events,
        }
    }

    pub fn url(&self) -> url::Url {
        self.served.url.parse().unwrap()
    }

    pub fn events(&self) -> Vec<StateEvent> {
        self.events.lock().unwrap().clone()
    }

    /// The states reported for `op_id`, in order.
    pub fn states_of(&self, op_id: &str) -> Vec<String> {
        self.events()
            .iter()
            .filter(|e| e.op_id == op_id)
            .map(|e| e.state.as_str())
            .collect()
    }

    /// Waits until `op_id` reported `last`; returns every state it reported.
    pub async fn wait_for(&self, op_id: &str, last: &str) -> Vec<String> {
        eventually(WITHIN, &format!("{op_id} to report {last}"), || {
            let states = self.states_of(op_id);
            let done = states.last().is_some_and(|s| s == last);
            async move { done.then_some(states) }
        })
        .await
    }
}

/// What a hand-made repository serves, and the headers it saw.
#[derive(Clone, Default)]
pub struct RepoContent {
    pub index: String,
    pub package: Vec<u8>,
    pub seen: Arc<Mutex<Vec<(String, String, String)>>>,
}

/// Serves `content` at `/static-index.yaml` and `/charts/ghost-1.0.15.tgz`, recording the
/// path, `X-Market-User` and `X-Market-Source` of every request.
pub async fn hand_made_repo(content: RepoContent) -> Served {
    fn note(c: &RepoContent, path: &str, h: &HeaderMap) {
        let get = |n: &str| {
            h.get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        c.seen
            .lock()
            .unwrap()
            .push((path.into(), get("X-Market-User"), get("X-Market-Source")));
    }
    let router = Router::new()
        .route(
            "/static-index.yaml",
            get(|State(c): State<RepoContent>, h: HeaderMap| async move {
                note(&c, "/static-index.yaml", &h);
                c.index.clone()
            }),
        )
        .route(
            "/charts/ghost-1.0.15.tgz",
            get(|State(c): State<RepoContent>, h: HeaderMap| async move {
                note(&c, "/charts/ghost-1.0.15.tgz", &h);
                c.package.clone()
            }),
        )
        .with_state(content);
    serve(router).await
}

/// The ghost fixture packaged under `top` (its manifest needs no rendering).
pub fn ghost_package(top: &str) -> Vec<u8> {
    let dir = fixtures::chart("olares/ghost");
    let files: Vec<olares_chart::ChartFile> = ["Chart.yaml", "OlaresManifest.yaml", "values.yaml"]
        .iter()
        .map(|f| olares_chart::ChartFile::new(*f, std::fs::read(dir.join(f)).unwrap()))
        .collect();
    olares_chart::write_chart_archive(top, &files).unwrap()
}

/// A Helm index listing ghost 1.0.15 with `digest`; `extra` is appended to the entry.
pub fn ghost_index(digest: &str, version: &str, extra: &str) -> String {
    format!(
        "apiVersion: v1\nentries:\n  ghost:\n  - apiVersion: v2\n    created: \"2026-01-01T00:00:00Z\"\n    \
         digest: {digest}\n    name: ghost\n    urls:\n    - charts/ghost-1.0.15.tgz\n    \
         version: {version}\n{extra}generated: \"2026-01-01T00:00:00Z\"\n"
    )
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A client of the simulator acting as market for `user`.
#[derive(Clone)]
pub struct AppService {
    pub url: String,
    pub client: reqwest::Client,
}

impl AppService {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            client: reqwest::Client::new(),
        }
    }

    /// `POST /app-service/v1/apps/{app}/{op}` as market sends it; status and body text.
    pub async fn op(&self, user: &str, app: &str, op: &str, body: Value) -> (u16, String) {
        let res = self
            .client
            .post(format!("{}/app-service/v1/apps/{app}/{op}", self.url))
            .header("X-Authorization", "token-of-someone")
            .header("X-Bfl-User", user)
            .header("X-Market-User", user)
            .header("X-Market-Source", SOURCE)
            .json(&body)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// The install body beclab/market sends (`InstallOptions`).
    pub async fn install(
        &self,
        user: &str,
        app: &str,
        repo_url: &str,
        envs: Value,
    ) -> (u16, String) {
        let body = json!({
            "appName": app, "repoUrl": repo_url, "source": "market", "version": "",
            "x_market_user": user, "x_market_source": SOURCE, "images": [], "envs": envs,
        });
        self.op(user, app, "install", body).await
    }

    /// The opID of an accepted operation's answer.
    pub fn op_id(answer: &(u16, String)) -> String {
        assert_eq!(answer.0, 200, "{}", answer.1);
        let body: Value = serde_json::from_str(&answer.1).unwrap();
        assert_eq!(body["code"], 200, "{body}");
        body["data"]["opID"].as_str().unwrap().to_owned()
    }

    pub async fn all_apps(&self) -> Vec<Value> {
        self.client
            .get(format!("{}/app-service/v1/all/apps", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until `/all/apps` shows `user`'s `app` in `state`.
    pub async fn wait_state(&self, user: &str, app: &str, state: &str) -> Value {
        eventually(WITHIN, &format!("{user}/{app} to be {state}"), || async {
            self.all_apps().await.into_iter().find(|a| {
                a["spec"]["owner"] == user
                    && a["spec"]["name"] == app
                    && a["status"]["state"] == state
            })
        })
        .await
    }
}
