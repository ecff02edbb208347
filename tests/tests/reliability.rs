//! The reliability suite (issue "Operations", part 4): chart-repo as a real
//! process on Redis under a hydration load while faults are injected, then a
//! check that nothing it accepted was lost.
//!
//! - `redis_restarted_under_hydration_load`: Redis is killed (SIGKILL) and
//!   started again on the same port and append-only file, mid-load.
//! - `redis_link_cut_for_ten_seconds`: a TCP proxy between chart-repo and Redis
//!   drops every connection for 10 s; `/readyz` must go 503 meanwhile and come
//!   back by itself, and the process must not panic.
//! - `two_replicas_on_redis_and_s3_under_uploads_and_hydrations`: two chart-repo
//!   processes share Redis and an S3 bucket (`s3s-fs`); sync-app requests and
//!   uploads go to both; each replica's index must list everything either
//!   accepted, the two must agree entry for entry, and every package must come
//!   whole from either.
//! - `chart_repo_killed_under_hydration_load`: chart-repo is killed (SIGKILL)
//!   mid-load and started again on the same Redis and folder; every accepted
//!   hydration completes, and each is committed exactly once (one
//!   `app_upload_completed` per user and app in the feed).
//! - `packages_disk_full`: the packages folder is a small tmpfs; hydrations that
//!   do not fit fail with a clear reason, nothing served is corrupt, and once
//!   there is room again every app hydrates.
//!
//! Load: sync-app requests for the demo catalog (`examples/catalog`, six apps)
//! for new users, as fast as 4 clients can send them, for `RELIABILITY_SECONDS`
//! (default 4 s of load around each fault, so the three runs fit the 5-minute
//! budget of `make test`; `make reliability` sets a longer one). A request that
//! fails is sent again after the fault, as market's hydration driver does. An
//! accepted request (200 or 202) is lost if its app never reaches that user's
//! index. Each test prints one row of the table; `make reliability` shows them.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e::proxy::TcpProxy;
use e2e::service_binary;
use market_model::protocol::{AppsInfoResponse, app_id};
use market_model::sync::{PendingAppData, SyncAppRequest};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use test_harness::fixtures::repo_root;
use test_harness::{RedisServer, RunningBinary, S3Server, eventually};

const SOURCE: &str = "market.olares";
const APPS: [&str; 6] = [
    "ghost",
    "immich",
    "karakeep",
    "nextcloud",
    "searxngv3",
    "uptimekuma",
];
const WITHIN: Duration = Duration::from_secs(120);

fn load_seconds() -> Duration {
    let secs = std::env::var("RELIABILITY_SECONDS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(4);
    Duration::from_secs(secs)
}

/// One row of the printed table.
struct Row {
    scenario: &'static str,
    held: Duration,
    faults: String,
    requests: u64,
    errors: u64,
    lost: usize,
}

fn print_row(row: &Row) {
    // One header per test binary run is not possible across processes (nextest
    // runs each test alone), so every row carries its own header line.
    eprintln!(
        "\n| scenario | load held | faults injected | requests | errors | lost items |\n\
         |---|---|---|---|---|---|\n\
         | {} | {:.1} s | {} | {} | {} | {} |\n",
        row.scenario,
        row.held.as_secs_f64(),
        row.faults,
        row.requests,
        row.errors,
        row.lost
    );
}

/// The demo catalog published by `market source serve`, and each app's entry.
struct Source {
    _server: RunningBinary,
    url: String,
    entries: Vec<Value>,
}

async fn source() -> Source {
    let dir = repo_root().join("examples/catalog");
    let server = RunningBinary::start(
        &service_binary("market"),
        &[
            "source",
            "serve",
            "--dir",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    let ids: Vec<String> = APPS.iter().map(|a| app_id(a)).collect();
    let info: AppsInfoResponse = reqwest::Client::new()
        .post(format!("{}/api/v1/applications/info", server.url))
        .json(&json!({"app_ids": ids, "version": "1.12.3"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = ids
        .iter()
        .map(|id| serde_json::to_value(&info.apps[id]).unwrap())
        .collect();
    Source {
        url: server.url.clone(),
        _server: server,
        entries,
    }
}

fn start_repo(data: &Path, store_url: &str, packages: &Path) -> RunningBinary {
    RunningBinary::start(
        &service_binary("chart-repo"),
        &["serve"],
        &[
            ("CHART_REPO_LISTEN", "127.0.0.1:0"),
            ("CHART_REPO_DATA_DIR", data.to_str().unwrap()),
            ("CHART_REPO_STORE_URL", store_url),
            (
                "CHART_REPO_PACKAGES",
                &format!("dir:{}", packages.display()),
            ),
            ("CHART_REPO_REGISTRY_ALLOW", ""),
            ("CHART_REPO_WORKERS", "2"),
            ("CHART_REPO_HYDRATION_LEASE", "5s"),
            ("CHART_REPO_LOG_FORMAT", "json"),
        ],
    )
}

async fn put_source(client: &reqwest::Client, repo: &str, source: &str) {
    let body = json!({
        "id": SOURCE, "name": "Olares Market", "type": "remote", "base_url": source,
        "priority": 100, "is_active": true, "description": "reliability",
        "updated_at": "2026-11-23T00:00:00Z",
    });
    let res = client
        .post(format!("{repo}/chart-repo/api/v2/settings/market-source"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

fn sync_body(entry: &Value, user: &str) -> SyncAppRequest {
    SyncAppRequest {
        app_info_latest_pending_data: PendingAppData {
            kind: "app-info-latest-pending".into(),
            timestamp: 1,
            version: entry["version"].as_str().unwrap().to_owned(),
            raw_data: Some(serde_json::from_value(entry.clone()).unwrap()),
            ..PendingAppData::default()
        },
        source_id: SOURCE.into(),
        user_name: user.into(),
        admin_user: "admin".into(),
    }
}

/// What the load saw.
#[derive(Default)]
struct Load {
    requests: AtomicU64,
    errors: AtomicU64,
    /// (user, app index) answered 200/202.
    accepted: Mutex<BTreeSet<(String, usize)>>,
    /// (user, app index) that failed and must be sent again.
    failed: Mutex<BTreeSet<(String, usize)>>,
    /// 5xx answers other than 503 (a 503 is the honest answer while the store is away).
    server_errors: Mutex<Vec<String>>,
    /// Failure reasons chart-repo reported (`last_failure.reason`, `failure_reason`).
    reasons: Mutex<BTreeSet<String>>,
}

impl Load {
    async fn send(
        &self,
        client: &reqwest::Client,
        repo: &str,
        entry: &Value,
        user: &str,
        app: usize,
    ) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let res = client
            .post(format!("{repo}/chart-repo/api/v2/dcr/sync-app"))
            .json(&sync_body(entry, user))
            // chart-repo holds a sync-app up to 45 s while the hydration runs.
            .timeout(Duration::from_secs(60))
            .send()
            .await;
        let key = (user.to_owned(), app);
        match res {
            Ok(res) if res.status() == 200 || res.status() == 202 => {
                let body: Value = res.json().await.unwrap_or(Value::Null);
                for reason in [
                    &body["data"]["last_failure"]["reason"],
                    &body["data"]["failure_reason"],
                ] {
                    if let Some(reason) = reason.as_str() {
                        self.reasons.lock().unwrap().insert(reason.to_owned());
                    }
                }
                let failed = body["data"]["status"] == "failed";
                if failed {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                    self.failed.lock().unwrap().insert(key);
                } else {
                    self.failed.lock().unwrap().remove(&key);
                    self.accepted.lock().unwrap().insert(key);
                }
            }
            Ok(res) => {
                let status = res.status();
                let body = res.text().await.unwrap_or_default();
                if status.is_server_error() && status != 503 {
                    self.server_errors
                        .lock()
                        .unwrap()
                        .push(format!("{status}: {body}"));
                }
                self.errors.fetch_add(1, Ordering::Relaxed);
                self.failed.lock().unwrap().insert(key);
            }
            Err(_) => {
                self.errors.fetch_add(1, Ordering::Relaxed);
                self.failed.lock().unwrap().insert(key);
            }
        }
    }
}

/// Sends sync-app for new users (`{prefix}-{n}`) × every app from 4 clients
/// until `stop` is set, client `i` to `repos[i % repos.len()]`. Returns how long
/// it ran.
async fn drive(
    load: Arc<Load>,
    repos: Vec<String>,
    entries: Arc<Vec<Value>>,
    prefix: &'static str,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Duration {
    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(0));
    let mut clients = Vec::new();
    for i in 0..4 {
        let (load, repo, entries, next, stop) = (
            load.clone(),
            repos[i % repos.len()].clone(),
            entries.clone(),
            next.clone(),
            stop.clone(),
        );
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed) as usize;
                let (user, app) = (format!("{prefix}-{}", n / APPS.len()), n % APPS.len());
                load.send(&client, &repo, &entries[app], &user, app).await;
            }
        }));
    }
    for c in clients {
        c.await.unwrap();
    }
    started.elapsed()
}

/// Starts [`drive`] in the background against `repos`: the load's counters, its
/// stop switch, and the task that ends (with the load's duration) once stopped.
fn start_load(
    repos: &[&str],
    entries: &Arc<Vec<Value>>,
    prefix: &'static str,
) -> (
    Arc<Load>,
    Arc<std::sync::atomic::AtomicBool>,
    tokio::task::JoinHandle<Duration>,
) {
    let load = Arc::new(Load::default());
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let driver = tokio::spawn(drive(
        load.clone(),
        repos.iter().map(|r| (*r).to_owned()).collect(),
        entries.clone(),
        prefix,
        stop.clone(),
    ));
    (load, stop, driver)
}

/// Sends every failed request again until it is accepted (the fault is over).
async fn resend_failed(load: &Load, repo: &str, entries: &[Value]) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + WITHIN;
    loop {
        let failed: Vec<(String, usize)> = load.failed.lock().unwrap().iter().cloned().collect();
        if failed.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{} requests still fail after the fault ended: {failed:?}",
            failed.len()
        );
        for (user, app) in failed {
            load.send(&client, repo, &entries[app], &user, app).await;
        }
    }
}

/// The (user, app) pairs accepted but absent from the user's index once the
/// queue has drained (polled up to [`WITHIN`]); also checks every served package
/// against its digest.
async fn lost(load: &Load, repo: &str) -> Vec<(String, usize)> {
    let accepted: Vec<(String, usize)> = load.accepted.lock().unwrap().iter().cloned().collect();
    let users: BTreeSet<String> = accepted.iter().map(|(u, _)| u.clone()).collect();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + WITHIN;
    loop {
        let mut missing = Vec::new();
        for user in &users {
            let index = client
                .get(format!("{repo}/static-index.yaml"))
                .header("X-Market-User", user)
                .header("X-Market-Source", SOURCE)
                .send()
                .await
                .ok();
            let text = match index {
                Some(res) if res.status() == 200 => res.text().await.unwrap_or_default(),
                _ => String::new(),
            };
            for (u, app) in accepted.iter().filter(|(u, _)| u == user) {
                if !text.contains(&format!("charts/{}-", APPS[*app])) {
                    missing.push((u.clone(), *app));
                }
            }
        }
        if missing.is_empty() || Instant::now() >= deadline {
            return missing;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every package a user's index lists downloads with the digest the index gives.
async fn packages_match_their_digests(repo: &str, user: &str) -> usize {
    let client = reqwest::Client::new();
    let get = |path: String| {
        client
            .get(format!("{repo}/{path}"))
            .header("X-Market-User", user)
            .header("X-Market-Source", SOURCE)
            .send()
    };
    let index = get("static-index.yaml".into())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let index = helm_yaml::read::parse(&index).unwrap();
    let mut checked = 0;
    for versions in index["entries"]
        .as_object()
        .into_iter()
        .flat_map(|e| e.values())
    {
        for version in versions.as_array().unwrap() {
            let url = version["urls"][0].as_str().unwrap().to_owned();
            let bytes = get(url.clone()).await.unwrap().bytes().await.unwrap();
            let digest = hex::encode(Sha256::digest(&bytes));
            assert_eq!(
                version["digest"],
                digest.as_str(),
                "{user}: {url} is corrupt"
            );
            checked += 1;
        }
    }
    checked
}

fn no_panic(repo: &RunningBinary) {
    let stderr = repo.stderr();
    assert!(
        !stderr.contains("panicked"),
        "chart-repo panicked:\n{stderr}"
    );
}

async fn ready(client: &reqwest::Client, repo: &str) -> Option<u16> {
    client
        .get(format!("{repo}/readyz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_restarted_under_hydration_load() {
    let mut redis = tokio::task::spawn_blocking(RedisServer::start_persistent)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let source = source().await;
    let repo = start_repo(data.path(), &redis.url(), &data.path().join("packages"));
    let client = reqwest::Client::new();
    put_source(&client, &repo.url, &source.url).await;

    let entries = Arc::new(source.entries.clone());
    let (load, stop, driver) = start_load(&[&repo.url], &entries, "restart");
    let half = load_seconds() / 2;
    tokio::time::sleep(half).await; // the load runs meanwhile: this is its duration, not a wait for an event
    let before = load.requests.load(Ordering::Relaxed);
    redis = tokio::task::spawn_blocking(move || {
        redis.restart();
        redis
    })
    .await
    .unwrap();
    tokio::time::sleep(half).await; // more load after the restart
    stop.store(true, Ordering::Relaxed);
    let held = driver.await.unwrap();
    assert!(before > 0 && load.requests.load(Ordering::Relaxed) > before);

    resend_failed(&load, &repo.url, &entries).await;
    let lost = lost(&load, &repo.url).await;
    let first = load
        .accepted
        .lock()
        .unwrap()
        .iter()
        .next()
        .unwrap()
        .0
        .clone();
    assert!(packages_match_their_digests(&repo.url, &first).await > 0);
    no_panic(&repo);
    let row = Row {
        scenario: "Redis killed and restarted (AOF) under hydration load",
        held,
        faults: "1 Redis SIGKILL + restart".into(),
        requests: load.requests.load(Ordering::Relaxed),
        errors: load.errors.load(Ordering::Relaxed),
        lost: lost.len(),
    };
    print_row(&row);
    assert!(lost.is_empty(), "lost: {lost:?}");
    let unexpected = load.server_errors.lock().unwrap().clone();
    assert!(unexpected.is_empty(), "5xx other than 503: {unexpected:?}");
    drop(redis);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_link_cut_for_ten_seconds() {
    let redis = tokio::task::spawn_blocking(RedisServer::start_persistent)
        .await
        .unwrap();
    let proxy = TcpProxy::start(format!("127.0.0.1:{}", redis.port()).parse().unwrap())
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let source = source().await;
    let repo = start_repo(
        data.path(),
        &format!("redis://{}", proxy.addr()),
        &data.path().join("packages"),
    );
    let client = reqwest::Client::new();
    put_source(&client, &repo.url, &source.url).await;
    assert_eq!(ready(&client, &repo.url).await, Some(200));

    let entries = Arc::new(source.entries.clone());
    let (load, stop, driver) = start_load(&[&repo.url], &entries, "cut");
    tokio::time::sleep(load_seconds() / 2).await; // load before the cut

    proxy.cut();
    let cut_at = Instant::now();
    eventually(
        Duration::from_secs(15),
        "/readyz to fail during the cut",
        || async { (ready(&client, &repo.url).await != Some(200)).then_some(()) },
    )
    .await;
    let readyz_down = ready(&client, &repo.url).await;
    // The cut lasts 10 s, the load going on throughout.
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(cut_at.elapsed())).await;
    proxy.restore();
    eventually(
        Duration::from_secs(60),
        "/readyz to recover by itself",
        || async { (ready(&client, &repo.url).await == Some(200)).then_some(()) },
    )
    .await;
    tokio::time::sleep(load_seconds() / 2).await; // load after the cut
    stop.store(true, Ordering::Relaxed);
    let held = driver.await.unwrap();

    resend_failed(&load, &repo.url, &entries).await;
    let lost = lost(&load, &repo.url).await;
    no_panic(&repo);
    let row = Row {
        scenario: "chart-repo ↔ Redis link cut for 10 s",
        held,
        faults: format!("1 cut of 10 s (readyz {readyz_down:?} meanwhile)"),
        requests: load.requests.load(Ordering::Relaxed),
        errors: load.errors.load(Ordering::Relaxed),
        lost: lost.len(),
    };
    print_row(&row);
    assert_eq!(readyz_down, Some(503), "readiness during the cut");
    assert!(lost.is_empty(), "lost: {lost:?}");
    let unexpected = load.server_errors.lock().unwrap().clone();
    assert!(unexpected.is_empty(), "5xx other than 503: {unexpected:?}");
}

/// A tmpfs of `size` at `dir`; unmounted on drop.
struct Tmpfs(std::path::PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cannot mount a tmpfs for the disk-full test (needs root, as `make test` runs): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Self(dir.to_owned())
    }

    fn resize(&self, size: &str) {
        let out = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn packages_disk_full() {
    let redis = tokio::task::spawn_blocking(RedisServer::start_persistent)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let packages = data.path().join("packages");
    // Room for a few packages (source + rendered are tens of KiB each), not for
    // the load.
    let disk = Tmpfs::mount(&packages, "256k");
    let source = source().await;
    let repo = start_repo(data.path(), &redis.url(), &packages);
    let client = reqwest::Client::new();
    put_source(&client, &repo.url, &source.url).await;

    let entries = Arc::new(source.entries.clone());
    let (load, stop, driver) = start_load(&[&repo.url], &entries, "full");
    // Until hydrations fail for the full disk, with the reason said (bounded by
    // WITHIN). chart-repo keeps them and retries with backoff: none is dropped.
    let reason = eventually(WITHIN, "a hydration to report the full disk", || async {
        load.reasons
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.contains("No space left on device"))
            .cloned()
    })
    .await;
    tokio::time::sleep(load_seconds() / 2).await; // the load goes on against the full disk
    stop.store(true, Ordering::Relaxed);
    let held = driver.await.unwrap();
    assert!(reason.starts_with("package storage:"), "{reason}");
    // What was served meanwhile is whole.
    let users: BTreeSet<String> = load
        .accepted
        .lock()
        .unwrap()
        .iter()
        .map(|(u, _)| u.clone())
        .collect();
    for user in users {
        packages_match_their_digests(&repo.url, &user).await;
    }
    no_panic(&repo);

    // Room again: the kept hydrations complete, and failed requests succeed when
    // sent again.
    disk.resize("64m");
    resend_failed(&load, &repo.url, &entries).await;
    let lost = lost(&load, &repo.url).await;
    let row = Row {
        scenario: "packages disk full (256 KiB tmpfs), then room again",
        held,
        faults:
            "disk full: hydrations kept and retried (\"package storage: No space left on device\")"
                .into(),
        requests: load.requests.load(Ordering::Relaxed),
        errors: load.errors.load(Ordering::Relaxed),
        lost: lost.len(),
    };
    print_row(&row);
    assert!(lost.is_empty(), "lost: {lost:?}");
    let unexpected = load.server_errors.lock().unwrap().clone();
    assert!(unexpected.is_empty(), "5xx other than 503: {unexpected:?}");
    drop(redis);
}

/// A chart-repo replica on Redis with its packages in the S3 bucket `charts`.
fn start_replica(data: &Path, store_url: &str, s3: &S3Server) -> RunningBinary {
    RunningBinary::start(
        &service_binary("chart-repo"),
        &["serve"],
        &[
            ("CHART_REPO_LISTEN", "127.0.0.1:0"),
            ("CHART_REPO_DATA_DIR", data.to_str().unwrap()),
            ("CHART_REPO_STORE_URL", store_url),
            ("CHART_REPO_PACKAGES", "s3://charts/olares"),
            ("CHART_REPO_S3_ENDPOINT", &s3.endpoint()),
            (
                "CHART_REPO_S3_ACCESS_KEY_ID",
                test_harness::s3::ACCESS_KEY_ID,
            ),
            (
                "CHART_REPO_S3_SECRET_ACCESS_KEY",
                test_harness::s3::SECRET_ACCESS_KEY,
            ),
            ("CHART_REPO_REGISTRY_ALLOW", ""),
            ("CHART_REPO_WORKERS", "2"),
            ("CHART_REPO_HYDRATION_LEASE", "5s"),
            ("CHART_REPO_LOG_FORMAT", "json"),
        ],
    )
}

/// Each demo app packaged by `chart-repo package`: (app, file name, bytes).
fn packaged_demo_apps() -> Vec<(&'static str, String, Vec<u8>)> {
    APPS.iter()
        .map(|app| {
            let dir = repo_root().join("examples/catalog").join(app);
            let (file, bytes) =
                test_harness::binary::package_chart(&service_binary("chart-repo"), &dir);
            (*app, file, bytes)
        })
        .collect()
}

/// Uploads the packaged apps for new users (`up-{n}`) to the replicas in turn until
/// `stop`; (user, app) of each accepted upload.
async fn upload_load(
    repos: Vec<String>,
    packages: Arc<Vec<(&'static str, String, Vec<u8>)>>,
    load: Arc<Load>,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> BTreeSet<(String, usize)> {
    let client = reqwest::Client::new();
    let mut accepted = BTreeSet::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let app = n % packages.len();
        let user = format!("up-{}", n / packages.len());
        let (_, file, bytes) = &packages[app];
        let form = reqwest::multipart::Form::new()
            .part(
                "chart",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(file.clone()),
            )
            .text("source", "upload");
        load.requests.fetch_add(1, Ordering::Relaxed);
        let res = client
            .post(format!(
                "{}/chart-repo/api/v2/apps/upload",
                repos[n % repos.len()]
            ))
            .header("X-Bfl-User", &user)
            .multipart(form)
            .timeout(Duration::from_secs(60))
            .send()
            .await;
        match res {
            Ok(res) if res.status() == 200 => {
                accepted.insert((user, app));
            }
            Ok(res) => {
                let status = res.status();
                let body = res.text().await.unwrap_or_default();
                load.errors.fetch_add(1, Ordering::Relaxed);
                load.server_errors
                    .lock()
                    .unwrap()
                    .push(format!("upload {status}: {body}"));
            }
            Err(e) => {
                load.errors.fetch_add(1, Ordering::Relaxed);
                load.server_errors
                    .lock()
                    .unwrap()
                    .push(format!("upload: {e}"));
            }
        }
        n += 1;
    }
    accepted
}

/// The accepted uploads absent from their user's `upload` index on `repo` (polled up
/// to [`WITHIN`]).
async fn uploads_missing(
    repo: &str,
    uploaded: &BTreeSet<(String, usize)>,
    packages: &[(&'static str, String, Vec<u8>)],
) -> Vec<(String, usize)> {
    let deadline = Instant::now() + WITHIN;
    loop {
        let mut missing = Vec::new();
        for (user, app) in uploaded {
            let listed = entries_of(repo, user, "upload").await;
            if !listed.iter().any(|(n, _, _)| n == packages[*app].0) {
                missing.push((user.clone(), *app));
            }
        }
        if missing.is_empty() || Instant::now() >= deadline {
            return missing;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A user's index for a source on one replica: (name, version, digest) of each entry.
async fn entries_of(repo: &str, user: &str, source: &str) -> Vec<(String, String, String)> {
    let text = reqwest::Client::new()
        .get(format!("{repo}/static-index.yaml"))
        .header("X-Market-User", user)
        .header("X-Market-Source", source)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let index = helm_index::parse_index(&text, helm_index::ParseMode::Strict).unwrap();
    index
        .entries()
        .map(|e| {
            (
                e.name().to_owned(),
                e.version().to_owned(),
                e.digest.clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_on_redis_and_s3_under_uploads_and_hydrations() {
    let redis = tokio::task::spawn_blocking(RedisServer::start)
        .await
        .unwrap();
    let s3 = tokio::task::spawn_blocking(S3Server::start).await.unwrap();
    let (data_a, data_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let source = source().await;
    let a = start_replica(data_a.path(), &redis.url(), &s3);
    let b = start_replica(data_b.path(), &redis.url(), &s3);
    let client = reqwest::Client::new();
    // Sources live in the store: set on one replica, known to both.
    put_source(&client, &a.url, &source.url).await;
    let packages = Arc::new(packaged_demo_apps());

    let entries = Arc::new(source.entries.clone());
    let repos = [a.url.as_str(), b.url.as_str()];
    let (load, stop, driver) = start_load(&repos, &entries, "both");
    let uploads = tokio::spawn(upload_load(
        repos.iter().map(|r| (*r).to_owned()).collect(),
        packages.clone(),
        load.clone(),
        stop.clone(),
    ));
    tokio::time::sleep(load_seconds()).await; // the load's duration, not a wait for an event
    stop.store(true, Ordering::Relaxed);
    let held = driver.await.unwrap();
    let uploaded = uploads.await.unwrap();
    assert!(!uploaded.is_empty(), "no upload was accepted");

    resend_failed(&load, &a.url, &entries).await;
    // Every accepted hydration is in the index of both replicas...
    let mut lost_items = lost(&load, &a.url).await;
    lost_items.extend(lost(&load, &b.url).await);
    // ...and every accepted upload too.
    for repo in [&a.url, &b.url] {
        lost_items.extend(uploads_missing(repo, &uploaded, &packages).await);
    }
    // The same index on both: every user's entries (name, version, digest) agree.
    let mut users: BTreeSet<(String, &str)> = load
        .accepted
        .lock()
        .unwrap()
        .iter()
        .map(|(u, _)| (u.clone(), SOURCE))
        .collect();
    users.extend(uploaded.iter().map(|(u, _)| (u.clone(), "upload")));
    for (user, source_id) in &users {
        let same = eventually(WITHIN, "both replicas to list the same entries", || async {
            let (on_a, on_b) = (
                entries_of(&a.url, user, source_id).await,
                entries_of(&b.url, user, source_id).await,
            );
            (on_a == on_b && !on_a.is_empty()).then_some(())
        });
        same.await;
    }
    // Packages are whole from either replica, whichever rendered them.
    let first = users.iter().next().unwrap().0.clone();
    assert!(packages_match_their_digests(&a.url, &first).await > 0);
    assert!(packages_match_their_digests(&b.url, &first).await > 0);
    // Everything rendered is in the bucket, nothing in either replica's folder.
    let rendered = s3.objects("charts", "olares/rendered");
    let indexed: usize = load.accepted.lock().unwrap().len() + uploaded.len();
    assert_eq!(rendered.len(), indexed, "{rendered:?}");
    for data in [data_a.path(), data_b.path()] {
        assert!(!data.join("packages").exists(), "{}", data.display());
    }
    no_panic(&a);
    no_panic(&b);
    let row = Row {
        scenario: "two replicas on Redis + S3 (s3s-fs), sync-app and uploads to both",
        held,
        faults: format!(
            "none: {} hydrations and {} uploads split over 2 replicas",
            load.accepted.lock().unwrap().len(),
            uploaded.len()
        ),
        requests: load.requests.load(Ordering::Relaxed),
        errors: load.errors.load(Ordering::Relaxed),
        lost: lost_items.len(),
    };
    print_row(&row);
    assert!(lost_items.is_empty(), "lost: {lost_items:?}");
    let unexpected = load.server_errors.lock().unwrap().clone();
    assert!(unexpected.is_empty(), "errors: {unexpected:?}");
    drop(redis);
}

/// How many `app_upload_completed` changes the feed holds for each (user, app).
async fn completions(repo: &str) -> std::collections::BTreeMap<(String, String), usize> {
    let client = reqwest::Client::new();
    let mut counts = std::collections::BTreeMap::new();
    let mut after = 0;
    loop {
        let page: Value = client
            .get(format!(
                "{repo}/chart-repo/api/v2/state-changes?after_id={after}&limit=1000"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let changes = page["data"]["state_changes"].as_array().unwrap().clone();
        let Some(last) = changes.last() else {
            return counts;
        };
        after = last["id"].as_i64().unwrap();
        for change in &changes {
            if change["type"] == "app_upload_completed" {
                let data = &change["app_data"];
                let key = (
                    data["user_id"].as_str().unwrap().to_owned(),
                    data["app_name"].as_str().unwrap().to_owned(),
                );
                *counts.entry(key).or_default() += 1;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn chart_repo_killed_under_hydration_load() {
    let redis = tokio::task::spawn_blocking(RedisServer::start)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let packages = data.path().join("packages");
    let source = source().await;
    let mut repo = start_repo(data.path(), &redis.url(), &packages);
    let client = reqwest::Client::new();
    put_source(&client, &repo.url, &source.url).await;

    let entries = Arc::new(source.entries.clone());
    let (load, stop, driver) = start_load(&[&repo.url], &entries, "kill");
    // Until hydrations are in flight, then kill -9 mid-load.
    eventually(WITHIN, "a hydration to complete under load", || async {
        (!load.accepted.lock().unwrap().is_empty()).then_some(())
    })
    .await;
    tokio::time::sleep(load_seconds() / 2).await; // more load, so some hydrations run at the kill
    let status = repo.stop_with(nix::sys::signal::Signal::SIGKILL, Duration::from_secs(10));
    assert!(status.is_some(), "chart-repo did not die");
    // The load meets a dead service for a moment (each request fails), then stops.
    let before_restart = load.requests.load(Ordering::Relaxed);
    eventually(
        WITHIN,
        "requests to fail against the dead service",
        || async { (load.requests.load(Ordering::Relaxed) > before_restart + 4).then_some(()) },
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    let held = driver.await.unwrap();

    // Started again on the same store and folder (a new port): jobs leased by the
    // killed process return to the queue when their lease (5 s) expires.
    let repo = start_repo(data.path(), &redis.url(), &packages);
    resend_failed(&load, &repo.url, &entries).await;
    let lost = lost(&load, &repo.url).await;
    // Nothing doubled: each accepted (user, app) was committed exactly once.
    let counts = completions(&repo.url).await;
    let doubled: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    let accepted = load.accepted.lock().unwrap().clone();
    for (user, app) in &accepted {
        let n = counts.get(&(user.clone(), APPS[*app].to_owned()));
        assert_eq!(n, Some(&1), "{user}/{}: committed {n:?} times", APPS[*app]);
    }
    let first = accepted.iter().next().unwrap().0.clone();
    assert!(packages_match_their_digests(&repo.url, &first).await > 0);
    no_panic(&repo);
    let row = Row {
        scenario: "chart-repo killed (SIGKILL) under hydration load, restarted",
        held,
        faults: format!(
            "1 kill -9 mid-load; {} commits checked, {} doubled",
            counts.len(),
            doubled.len()
        ),
        requests: load.requests.load(Ordering::Relaxed),
        errors: load.errors.load(Ordering::Relaxed),
        lost: lost.len(),
    };
    print_row(&row);
    assert!(lost.is_empty(), "lost: {lost:?}");
    assert!(doubled.is_empty(), "doubled: {doubled:?}");
    let unexpected = load.server_errors.lock().unwrap().clone();
    assert!(unexpected.is_empty(), "5xx other than 503: {unexpected:?}");
    drop(redis);
}
