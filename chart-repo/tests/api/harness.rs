//! Starting chart-repo in-process (`App::build`, as `main` does) next to a real market
//! source server over the Olares fixtures, and typed helpers for the control API.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use chart_repo::{App, Config};
use market_model::protocol::{ApplicationInfoEntry, AppsInfoResponse, app_id};
use market_model::sync::{PendingAppData, SyncAppRequest};
use market_source::Catalog;
use serde_json::{Value, json};
use service_runtime::server::Shutdown;
use test_harness::fixtures;

/// The remote source id every test uses.
pub const SOURCE: &str = "market.olares";

/// A running chart-repo.
pub struct TestRepo {
    pub url: String,
    pub client: reqwest::Client,
    shutdown: Shutdown,
    dir: tempfile::TempDir,
}

impl Drop for TestRepo {
    fn drop(&mut self) {
        self.shutdown.token.cancel();
    }
}

/// A running market source over a catalog.
pub struct TestSource {
    pub base: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestSource {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub fn olares_catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    CATALOG
        .get_or_init(|| Arc::new(Catalog::open(fixtures::chart("olares")).unwrap()))
        .clone()
}

pub async fn serve_source(catalog: Arc<Catalog>) -> TestSource {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = market_source::router(catalog);
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestSource {
        base: format!("http://{addr}"),
        server,
    }
}

/// chart-repo on the embedded profile in a fresh folder, with `tweak` applied to its config.
pub async fn spawn_repo(tweak: impl FnOnce(&mut Config, &Path)) -> TestRepo {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::embedded(dir.path()).unwrap();
    config.workers = 2;
    tweak(&mut config, dir.path());
    let shutdown = Shutdown::new();
    let app = App::build(config, shutdown.clone()).await.unwrap();
    let url = format!("http://{}", app.local_addr().unwrap());
    tokio::spawn(app.run());
    TestRepo {
        url,
        client: reqwest::Client::new(),
        shutdown,
        dir,
    }
}

impl TestRepo {
    /// The package folder (`CHART_REPO_PACKAGES`).
    pub fn packages_dir(&self) -> std::path::PathBuf {
        self.dir.path().join("packages")
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/chart-repo/api/v2{path}", self.url)
    }

    /// Registers the remote source at `base` as `market.olares`.
    pub async fn put_remote_source(&self, base: &str) {
        let body = json!({
            "id": SOURCE, "name": "Olares Market", "type": "remote", "base_url": base,
            "priority": 100, "is_active": true, "description": "test",
            "updated_at": "2026-11-23T00:00:00Z",
        });
        let res = self
            .client
            .post(self.api("/settings/market-source"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }

    /// `POST /dcr/sync-app`; returns the HTTP status and body.
    pub async fn sync(&self, request: &SyncAppRequest) -> (u16, Value) {
        let res = self
            .client
            .post(self.api("/dcr/sync-app"))
            .json(request)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    pub async fn get_json(&self, url: &str) -> (u16, Value) {
        let res = self.client.get(url).send().await.unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    /// The folder holding this repository's data (its SQLite file and packages).
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A GET of a Helm endpoint (`path` from the root) naming `user` and [`SOURCE`] in the
    /// headers app-service sends.
    pub fn helm_get(&self, path: &str, user: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}{path}", self.url))
            .header("X-Market-User", user)
            .header("X-Market-Source", SOURCE)
    }

    /// Syncs each of `apps` from `source` for `user` (with `admin` as the admin) and
    /// asserts it hydrated; returns the catalog entries in order.
    pub async fn hydrate(
        &self,
        source: &TestSource,
        apps: &[&str],
        user: &str,
        admin: &str,
    ) -> Vec<ApplicationInfoEntry> {
        let mut entries = Vec::new();
        for app in apps {
            let e = entry(source, app).await;
            let (status, body) = self.sync(&sync_request(&e, user, admin)).await;
            assert_eq!(status, 200, "{app}: {body}");
            assert_eq!(body["success"], true, "{app}: {body}");
            entries.push(e);
        }
        entries
    }
}

/// The catalog entry of `app` as the market gets it: `POST /api/v1/applications/info`.
pub async fn entry(source: &TestSource, app: &str) -> ApplicationInfoEntry {
    let id = app_id(app);
    let res: AppsInfoResponse = reqwest::Client::new()
        .post(format!("{}/api/v1/applications/info", source.base))
        .json(&json!({ "app_ids": [id], "version": "1.12.3" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    res.apps
        .get(&id)
        .cloned()
        .unwrap_or_else(|| panic!("the source lists {app}"))
}

/// The sync-app body market sends for `entry`, for `user`, with `admin` as the admin.
pub fn sync_request(entry: &ApplicationInfoEntry, user: &str, admin: &str) -> SyncAppRequest {
    SyncAppRequest {
        app_info_latest_pending_data: PendingAppData {
            kind: "app-info-latest-pending".into(),
            timestamp: 1,
            version: entry.version.clone(),
            raw_data: Some(entry.clone()),
            ..PendingAppData::default()
        },
        source_id: SOURCE.into(),
        user_name: user.into(),
        admin_user: admin.into(),
    }
}
