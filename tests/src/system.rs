//! A whole market system on loopback, as real processes: `chart-repo`, `market source
//! serve` over a copy of fixture charts, `market`, and the app-service simulator (in
//! this process, so a test reads its call log), on either storage profile. Typed calls
//! of market's API as a user, and what the end-to-end tests and the task benchmark wait
//! on (an app rendered for a user, a task ended).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::{Value, json};
use test_harness::process::free_port;
use test_harness::{PostgresServer, RedisServer, RunningBinary, eventually, fixtures};

use crate::app_service_sim::{SimConfig, Simulator};
use crate::service_binary;

/// The remote market source's id in market.
pub const SOURCE: &str = "market.olares";

/// Which stores the services use (DESIGN.md §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// market on SQLite, chart-repo on SQLite.
    Embedded,
    /// market on PostgreSQL, chart-repo on Redis.
    Production,
}

/// How a system starts.
#[derive(Clone, Debug)]
pub struct SystemConfig {
    pub profile: Profile,
    /// Fixture apps (`../shared/fixtures/charts/olares/<name>`) copied into the catalog.
    pub apps: Vec<String>,
    /// `MARKET_USERS`.
    pub users: Vec<String>,
    /// The simulator's time per state.
    pub step: Duration,
    /// `MARKET_TASK_WORKERS`.
    pub task_workers: usize,
    /// `MARKET_APP_STATE_POLL_INTERVAL`.
    pub poll_interval: Duration,
    /// `MARKET_TASK_LEASE`.
    pub lease: Duration,
    /// `CHART_REPO_WORKERS`.
    pub chart_repo_workers: usize,
    /// `MARKET_SYNC_INTERVAL`: how often market syncs the catalog besides at start and
    /// on a source change ([`System::sync_catalog`]).
    pub sync_interval: Duration,
    /// A registry on loopback (`127.0.0.1:PORT`) that every public registry the fixtures
    /// name ([`MIRRORED_REGISTRIES`]) is mirrored to, and the only host chart-repo may
    /// contact. `None`: no host is allowed, so no image is analysed.
    pub image_registry: Option<String>,
}

/// The registries the fixture charts' images name (`docker.io` also for names without a
/// host), each mirrored to [`SystemConfig::image_registry`].
pub const MIRRORED_REGISTRIES: [&str; 2] = ["docker.io", "ghcr.io"];

impl Default for SystemConfig {
    fn default() -> Self {
        Self {
            profile: Profile::Embedded,
            apps: Vec::new(),
            users: vec!["alice:admin".into(), "bob".into()],
            step: Duration::from_millis(30),
            task_workers: 4,
            poll_interval: Duration::from_millis(500),
            lease: Duration::from_secs(3),
            chart_repo_workers: 2,
            sync_interval: Duration::from_secs(1),
            image_registry: None,
        }
    }
}

/// The running system. Dropping it stops every process.
pub struct System {
    pub config: SystemConfig,
    /// The catalog folder `market source serve` publishes (edit it, then [`Self::reload_source`]).
    pub catalog: PathBuf,
    pub source: RunningBinary,
    pub chart_repo: RunningBinary,
    /// `None` between [`Self::kill_market`] and [`Self::start_market`].
    pub market: Option<RunningBinary>,
    /// `http://127.0.0.1:PORT`, the same across restarts.
    pub market_url: String,
    pub sim: Simulator,
    pub postgres: Option<PostgresServer>,
    pub redis: Option<RedisServer>,
    market_env: Vec<(String, String)>,
    client: reqwest::Client,
    tmp: tempfile::TempDir,
}

/// The token a user's requests carry (`X-Authorization`), passed on to app-service.
pub fn token_of(user: &str) -> String {
    format!("token-of-{user}")
}

/// Copies a folder tree; the copies are writable (the shared fixtures are read-only), so
/// a test can edit them.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
            let mut permissions = std::fs::metadata(&target).expect("stat copy").permissions();
            #[allow(clippy::permissions_set_readonly_false)] // our own scratch copy
            permissions.set_readonly(false);
            std::fs::set_permissions(&target, permissions).expect("make the copy writable");
        }
    }
}

/// Rewrites a copied chart's version (`Chart.yaml` and the manifest's `metadata.version`).
pub fn bump_version(app: &Path, from: &str, to: &str) {
    for file in ["Chart.yaml", "OlaresManifest.yaml"] {
        let path = app.join(file);
        let text = std::fs::read_to_string(&path).expect("read chart file");
        let (single, double, bare) = (
            format!("version: '{from}'"),
            format!("version: \"{from}\""),
            format!("version: {from}"),
        );
        let edited = if text.contains(&single) {
            text.replacen(&single, &format!("version: '{to}'"), 1)
        } else if text.contains(&double) {
            text.replacen(&double, &format!("version: \"{to}\""), 1)
        } else {
            assert!(text.contains(&bare), "{} holds {bare}", path.display());
            text.replacen(&bare, &format!("version: {to}"), 1)
        };
        std::fs::write(&path, edited).expect("write chart file");
    }
}

static REQUEST: AtomicU64 = AtomicU64::new(0);

/// A market answer: status, body and the `x-request-id` the request carried.
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub request_id: String,
}

impl Answer {
    /// `data.task_id` of an accepted submission.
    pub fn task_id(&self) -> i64 {
        self.body["data"]["task_id"]
            .as_i64()
            .unwrap_or_else(|| panic!("no task id in {} {}", self.status, self.body))
    }
}

impl System {
    /// Starts every part and waits until market answers.
    pub async fn start(config: SystemConfig) -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let catalog = tmp.path().join("catalog");
        for app in &config.apps {
            copy_dir(
                &fixtures::chart(&format!("olares/{app}")),
                &catalog.join(app),
            );
        }
        Self::start_with(config, tmp, catalog).await
    }

    /// [`Self::start`] over a catalog folder the caller prepared inside `tmp`.
    pub async fn start_with(
        config: SystemConfig,
        tmp: tempfile::TempDir,
        catalog: PathBuf,
    ) -> Self {
        let (postgres, redis) = match config.profile {
            Profile::Embedded => (None, None),
            Profile::Production => (Some(PostgresServer::start()), Some(RedisServer::start())),
        };
        let source = RunningBinary::start(
            &service_binary("market"),
            &[
                "source",
                "serve",
                "--dir",
                catalog.to_str().expect("utf-8 path"),
                "--listen",
                "127.0.0.1:0",
            ],
            &[],
        );
        let repo_dir = tmp.path().join("chart-repo");
        let workers = config.chart_repo_workers.to_string();
        let mut repo_env = vec![
            ("CHART_REPO_LISTEN", "127.0.0.1:0".to_owned()),
            ("CHART_REPO_DATA_DIR", repo_dir.display().to_string()),
            ("CHART_REPO_WORKERS", workers),
        ];
        match &config.image_registry {
            Some(host) => {
                let mirrors: Vec<String> = MIRRORED_REGISTRIES
                    .iter()
                    .map(|from| format!("{from}={host}"))
                    .collect();
                repo_env.push(("CHART_REPO_REGISTRY_ALLOW", host.clone()));
                repo_env.push(("CHART_REPO_REGISTRY_MIRRORS", mirrors.join(",")));
            }
            None => repo_env.push(("CHART_REPO_REGISTRY_ALLOW", String::new())),
        }
        if let Some(redis) = &redis {
            repo_env.push(("CHART_REPO_STORE_URL", redis.url()));
        }
        let repo_env: Vec<(&str, &str)> = repo_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let chart_repo = RunningBinary::start(&service_binary("chart-repo"), &["serve"], &repo_env);

        let port = free_port();
        let market_url = format!("http://127.0.0.1:{port}");
        let sim = Simulator::start(SimConfig {
            market_url: Some(market_url.parse().expect("market URL")),
            step: config.step,
            admin: "alice".into(),
            ..SimConfig::default()
        })
        .await
        .expect("start the simulator");
        let database = match &postgres {
            Some(pg) => pg.create_database("market"),
            None => format!("sqlite://{}", tmp.path().join("market.db").display()),
        };
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        let market_env = [
            ("MARKET_LISTEN", format!("127.0.0.1:{port}")),
            (
                "MARKET_DATA_DIR",
                tmp.path().join("market").display().to_string(),
            ),
            ("MARKET_DATABASE_URL", database),
            ("MARKET_CHART_REPO_URL", chart_repo.url.clone()),
            ("MARKET_CHART_REPO_PUBLIC_URL", chart_repo.url.clone()),
            ("MARKET_REMOTE_SOURCE_URL", source.url.clone()),
            ("MARKET_APP_SERVICE_URL", sim.url()),
            ("MARKET_USERS", config.users.join(",")),
            ("MARKET_TASK_WORKERS", config.task_workers.to_string()),
            ("MARKET_HYDRATION_CONCURRENCY", "4".into()),
            ("MARKET_SYNC_INTERVAL", ms(config.sync_interval)),
            ("MARKET_APP_SERVICE_TIMEOUT", "10s".into()),
            ("MARKET_APP_STATE_POLL_INTERVAL", ms(config.poll_interval)),
            ("MARKET_TASK_SYNC_WAIT", "30s".into()),
            ("MARKET_TASK_RETRY_BACKOFF", "200ms".into()),
            ("MARKET_TASK_LEASE", ms(config.lease)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let mut system = Self {
            config,
            catalog,
            source,
            chart_repo,
            market: None,
            market_url,
            sim,
            postgres,
            redis,
            market_env,
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("HTTP client"),
            tmp,
        };
        system.start_market();
        system
    }

    /// Starts `market serve` (again) on the same port, store and settings.
    pub fn start_market(&mut self) {
        let env: Vec<(&str, &str)> = self
            .market_env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.market = Some(RunningBinary::start(
            &service_binary("market"),
            &["serve"],
            &env,
        ));
    }

    /// `kill -9` market and waits for it to be gone.
    pub fn kill_market(&mut self) {
        let mut market = self.market.take().expect("market is running");
        let status = market.stop_with(Signal::SIGKILL, Duration::from_secs(10));
        assert!(status.is_some(), "market did not die");
    }

    pub fn market(&self) -> &RunningBinary {
        self.market.as_ref().expect("market is running")
    }

    /// The scratch folder of this system.
    pub fn dir(&self) -> &Path {
        self.tmp.path()
    }

    /// Makes `market source serve` read its folder again (SIGHUP).
    pub fn reload_source(&self) {
        let pid = nix::unistd::Pid::from_raw(self.source.pid() as i32);
        nix::sys::signal::kill(pid, Signal::SIGHUP).expect("SIGHUP the source server");
    }

    /// Makes market sync the catalog now, once: the active remote source posted back
    /// unchanged through `POST /settings/market-source` as `user` (a source change).
    pub async fn sync_catalog(&self, user: &str) {
        let sources = self.get("/settings/market-source", user).await;
        assert_eq!(sources.status, 200, "{}", sources.body);
        let source = sources.body["data"]["sources"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["id"] == SOURCE))
            .unwrap_or_else(|| panic!("no {SOURCE} in {}", sources.body))
            .clone();
        let posted = self
            .call(
                reqwest::Method::POST,
                "/settings/market-source",
                user,
                Some(source),
            )
            .await;
        assert_eq!(posted.status, 200, "{}", posted.body);
    }

    /// A request to market's API as `user` with its token and a fresh `x-request-id`.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        user: &str,
        body: Option<Value>,
    ) -> Answer {
        let request_id = format!("e2e-{}", REQUEST.fetch_add(1, Ordering::Relaxed));
        let mut req = self
            .client
            .request(
                method,
                format!("{}/app-store/api/v2{path}", self.market_url),
            )
            .header("X-Bfl-User", user)
            .header("X-Authorization", token_of(user))
            .header("x-request-id", &request_id);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap_or_else(|e| panic!("{path}: {e}"));
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
            request_id,
        }
    }

    pub async fn get(&self, path: &str, user: &str) -> Answer {
        self.call(reqwest::Method::GET, path, user, None).await
    }

    /// `POST /apps/{app}/install` of the version rendered for `user`.
    pub async fn install(&self, user: &str, app: &str, envs: Value, sync: bool) -> Answer {
        let version = self.rendered_version(user, app).await.unwrap_or_default();
        let body = json!({"source": SOURCE, "app_name": app, "version": version, "sync": sync, "envs": envs});
        self.call(
            reqwest::Method::POST,
            &format!("/apps/{app}/install"),
            user,
            Some(body),
        )
        .await
    }

    /// `GET /tasks/{id}` as `user`: the task.
    pub async fn task(&self, user: &str, id: i64) -> Value {
        let a = self.get(&format!("/tasks/{id}"), user).await;
        assert_eq!(a.status, 200, "task {id}: {}", a.body);
        a.body["data"].clone()
    }

    /// Waits until task `id` is terminal; the task.
    pub async fn until_ended(&self, user: &str, id: i64, within: Duration) -> Value {
        eventually(within, &format!("task {id} to end"), || async move {
            let t = self.task(user, id).await;
            matches!(
                t["status"].as_str(),
                Some("completed" | "failed" | "canceled")
            )
            .then_some(t)
        })
        .await
    }

    /// The version of `app` rendered for `user`, if any.
    pub async fn rendered_version(&self, user: &str, app: &str) -> Option<String> {
        let a = self
            .call(
                reqwest::Method::POST,
                "/apps",
                user,
                Some(json!({"apps": [{"appid": app, "sourceDataName": SOURCE}]})),
            )
            .await;
        a.body["data"]["apps"][0]["version"]
            .as_str()
            .map(str::to_owned)
    }

    /// Waits until `user` has `app` rendered at `version` (any version when empty).
    pub async fn until_rendered(&self, user: &str, app: &str, version: &str, within: Duration) {
        eventually(
            within,
            &format!("{app} {version} rendered for {user}"),
            || async move {
                let a = self
                    .call(
                        reqwest::Method::POST,
                        "/apps",
                        user,
                        Some(json!({"apps": [{"appid": app, "sourceDataName": SOURCE}]})),
                    )
                    .await;
                let apps = a.body["data"]["apps"].as_array()?;
                let found = apps
                    .iter()
                    .any(|x| version.is_empty() || x["version"] == version);
                found.then_some(())
            },
        )
        .await;
    }

    /// The `/tasks` list of `user`.
    pub async fn tasks(&self, user: &str) -> Vec<Value> {
        let a = self.get("/tasks?limit=1000", user).await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["data"].as_array().cloned().unwrap_or_default()
    }
}
