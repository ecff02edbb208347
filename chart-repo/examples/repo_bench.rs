//! Helper of `scripts/bench-repo.sh` (DESIGN.md §9): chart-repo's hydration and memory.
//!
//! - `repo_bench hydrate DIR [USERS] [IN_FLIGHT]`: every image of the Olares fixtures
//!   pushed as a synthetic single-arch image to a real `docker-registry` on loopback,
//!   mirrored for `docker.io` and `ghcr.io`; a market source over the fixtures; chart-repo
//!   (`App::build`, as `main` does) with its data in DIR. Syncs every app the source lists
//!   for every user (the first is the admin) with IN_FLIGHT requests at once (cold), then
//!   every one again, one at a time (no change). DIR keeps the result for serving.
//! - `repo_bench seed FROM TO APPS [USERS]`: a store in TO holding APPS synthetic apps per
//!   user, each a copy of a record hydrated in FROM (its chart, payload and size) under a
//!   new name, written through the store's queue: enqueue, lease, `commit_hydration`.
//!
//! Prints `name value` lines.

#![allow(clippy::unwrap_used)] // a benchmark helper: a failed step must stop it

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chart_repo::config::{RegistryAllow, StoreUrl};
use chart_repo::registry::ImageRef;
use chart_repo::store::{self, AppRecord, HydrationCommit, HydrationKey, RepoStore};
use chart_repo::{App, Config};
use chrono::Utc;
use futures_util::StreamExt;
use market_model::protocol::{ApplicationInfoEntry, app_id};
use market_model::sync::{PendingAppData, SyncAppRequest};
use market_source::Catalog;
use serde_json::{Value, json};
use service_runtime::server::Shutdown;
use sha2::{Digest, Sha256};
use test_harness::{RegistryServer, fixtures};

/// As the `chart-repo` binary does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SOURCE: &str = "market.olares";
/// Registry hosts the fixtures' images name; each is mirrored to the local registry.
const MIRRORED: [&str; 2] = ["docker.io", "ghcr.io"];
const DEFAULT_USERS: &str = "alice,bob,carol";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    match arg(0) {
        Some("hydrate") => {
            let users = users(arg(2));
            let in_flight = arg(3).map_or(8, |a| a.parse().unwrap());
            hydrate(Path::new(arg(1).unwrap()), &users, in_flight).await;
        }
        Some("seed") => {
            let apps: usize = arg(3).unwrap().parse().unwrap();
            seed(
                Path::new(arg(1).unwrap()),
                Path::new(arg(2).unwrap()),
                apps,
                &users(arg(4)),
            )
            .await;
        }
        _ => {
            panic!("usage: repo_bench hydrate DIR [USERS] [IN_FLIGHT] | seed FROM TO APPS [USERS]")
        }
    }
}

fn users(arg: Option<&str>) -> Vec<String> {
    arg.unwrap_or(DEFAULT_USERS)
        .split(',')
        .map(str::to_owned)
        .collect()
}

/// Every image the Olares fixtures use (`images.json`: pod specs for the admin and a
/// user, and `options.images`).
fn fixture_images() -> BTreeSet<String> {
    let path = fixtures::shared_dir().join("fixtures/charts/images.json");
    let all: BTreeMap<String, BTreeMap<String, Vec<String>>> =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    all.into_iter()
        .filter(|(chart, _)| chart.starts_with("olares/"))
        .flat_map(|(_, lists)| lists.into_values().flatten())
        .collect()
}

/// Pushes one synthetic single-arch image per fixture image; returns how many.
fn push_images(registry: &RegistryServer) -> usize {
    let images = fixture_images();
    for (i, image) in images.iter().enumerate() {
        let r = ImageRef::parse(image).unwrap();
        assert!(MIRRORED.contains(&r.registry.as_str()), "{image}");
        let tag = r.tag.as_deref().unwrap_or("latest");
        registry.upload_single_arch(&r.repository, tag, &format!("image {i}"));
    }
    images.len()
}

fn sync_request(entry: &ApplicationInfoEntry, user: &str, admin: &str) -> SyncAppRequest {
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

/// One sync-app answer: how long it took, and its body.
async fn sync(client: &reqwest::Client, url: &str, request: &SyncAppRequest) -> (Duration, Value) {
    let started = Instant::now();
    let res = client.post(url).json(request).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    (started.elapsed(), body)
}

async fn hydrate(dir: &Path, users: &[String], in_flight: usize) {
    let pushing = Instant::now();
    let registry = tokio::task::spawn_blocking(|| {
        let registry = RegistryServer::start();
        let pushed = push_images(&registry);
        (registry, pushed)
    });
    let (registry, pushed) = registry.await.unwrap();
    println!("images {pushed}");
    println!("push_ms {}", pushing.elapsed().as_millis());

    let catalog = Arc::new(Catalog::open(fixtures::chart("olares")).unwrap());
    let entries: Vec<ApplicationInfoEntry> = catalog
        .snapshot()
        .apps()
        .iter()
        .map(|a| a.entry().clone())
        .collect();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let source = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, market_source::router(catalog))
            .await
            .unwrap()
    });

    std::fs::create_dir_all(dir).unwrap();
    let mut config = Config::embedded(dir).unwrap();
    config.registry_allow = RegistryAllow::Hosts(vec![registry.host()]);
    for host in MIRRORED {
        config.registry_mirrors.insert(host.into(), registry.host());
    }
    println!("workers {}", config.workers);
    let shutdown = Shutdown::new();
    let app = App::build(config, shutdown.clone()).await.unwrap();
    let base = format!("http://{}", app.local_addr().unwrap());
    let running = tokio::spawn(app.run());
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/chart-repo/api/v2/settings/market-source"))
        .json(&json!({
            "id": SOURCE, "name": "Olares Market", "type": "remote", "base_url": source,
            "priority": 100, "is_active": true, "description": "bench",
            "updated_at": "2026-11-23T00:00:00Z",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let admin = &users[0];
    let requests: Vec<SyncAppRequest> = users
        .iter()
        .flat_map(|u| entries.iter().map(move |e| sync_request(e, u, admin)))
        .collect();
    let url = format!("{base}/chart-repo/api/v2/dcr/sync-app");
    println!("apps {}", entries.len());
    println!("users {}", users.len());
    println!("syncs {}", requests.len());
    println!("in_flight {in_flight}");

    let started = Instant::now();
    let cold: Vec<(Duration, Value)> = futures_util::stream::iter(&requests)
        .map(|r| sync(&client, &url, r))
        .buffer_unordered(in_flight)
        .collect()
        .await;
    let cold_wall = started.elapsed();
    println!("cold_wall_ms {}", cold_wall.as_millis());
    report("cold", &cold, "new");
    let (analyzed, images) = image_statuses(&cold);
    println!("cold_images_analyzed {analyzed}");
    println!("cold_images_listed {images}");
    println!("registry_requests {}", registry.access_log().len());
    step_seconds(&client, &base).await;

    let mut warm = Vec::new();
    let started = Instant::now();
    for r in &requests {
        warm.push(sync(&client, &url, r).await);
    }
    println!("resync_wall_ms {}", started.elapsed().as_millis());
    report("resync", &warm, "existing");
    let mut latencies: Vec<Duration> = warm.iter().map(|(d, _)| *d).collect();
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!("resync_p50_ms {:.2}", pick(0.5).as_secs_f64() * 1e3);
    println!("resync_p99_ms {:.2}", pick(0.99).as_secs_f64() * 1e3);
    println!("resync_max_ms {:.2}", pick(1.0).as_secs_f64() * 1e3);

    shutdown.token.cancel();
    running.await.unwrap().unwrap();
    shutdown.tracker.close();
    shutdown.tracker.wait().await;
}

/// Time spent in each hydration step so far, from chart-repo's own metrics.
async fn step_seconds(client: &reqwest::Client, base: &str) {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("chart_repo_step_duration_seconds_sum{") else {
            continue;
        };
        let (labels, value) = rest.split_once("} ").unwrap();
        let step = labels.split('"').nth(1).unwrap_or(labels);
        let ms = value.trim().parse::<f64>().unwrap() * 1e3;
        println!("step_ms_{step} {ms:.0}");
    }
}

/// Counts answers by outcome; a failure is printed whole.
fn report(phase: &str, answers: &[(Duration, Value)], expected: &str) {
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    for (_, body) in answers {
        let outcome = if body["success"] == true {
            body["data"]["status"].as_str().unwrap_or("?").to_owned()
        } else {
            eprintln!("{phase}: {body}");
            "failed".to_owned()
        };
        *outcomes.entry(outcome).or_default() += 1;
    }
    for (outcome, n) in &outcomes {
        println!("{phase}_{outcome} {n}");
    }
    println!(
        "{phase}_as_expected {}",
        outcomes.get(expected).copied().unwrap_or(0)
    );
}

/// (analysed, listed) images over every answer's image analysis.
fn image_statuses(answers: &[(Duration, Value)]) -> (usize, usize) {
    let images = answers
        .iter()
        .filter_map(|(_, b)| b["data"]["app_data"]["image_analysis"]["images"].as_object())
        .flat_map(|m| m.values());
    images.fold((0, 0), |(a, n), info| {
        (a + usize::from(info["status"] == "analyzed"), n + 1)
    })
}

async fn open_store(dir: &Path) -> Arc<dyn RepoStore> {
    let store = store::connect(&StoreUrl::Sqlite(dir.join("chart-repo.db")))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store
}

/// How many records one enqueue / lease / commit round writes.
const SEED_BATCH: usize = 500;

async fn seed(from: &Path, to: &Path, apps: usize, users: &[String]) {
    let templates = open_store(from).await.all_apps().await.unwrap();
    assert!(!templates.is_empty(), "no hydrated records in {from:?}");
    std::fs::create_dir_all(to).unwrap();
    let store = open_store(to).await;
    let started = Instant::now();
    let mut records = users.iter().flat_map(|user| {
        let own: Vec<&AppRecord> = templates.iter().filter(|t| &t.user == user).collect();
        let own = if own.is_empty() {
            templates.iter().collect()
        } else {
            own
        };
        (0..apps).map(move |i| synthetic(own[i % own.len()], user, i))
    });
    let mut written = 0;
    loop {
        let batch: Vec<AppRecord> = records.by_ref().take(SEED_BATCH).collect();
        if batch.is_empty() {
            break;
        }
        written += commit_all(store.as_ref(), batch).await;
    }
    println!("seeded_records {written}");
    println!("seed_ms {}", started.elapsed().as_millis());
    println!("db_bytes {}", file_size(&to.join("chart-repo.db")));
}

/// A copy of `template` for `user` named `{name}{i}`, with its own digests.
fn synthetic(template: &AppRecord, user: &str, i: usize) -> AppRecord {
    let mut record = template.clone();
    let name = format!("{}{i}", template.app_name);
    record.user = user.to_owned();
    record.app_id = app_id(&name);
    record.chart["name"] = json!(name);
    record.package_digest = hex::encode(Sha256::digest(format!("{user}/{name}")));
    record.source_digest = hex::encode(Sha256::digest(&name));
    record.app_name = name;
    record.updated_at = Utc::now();
    record
}

/// Writes the records through the queue, as a hydration does; how many committed.
async fn commit_all(store: &dyn RepoStore, records: Vec<AppRecord>) -> usize {
    let now = Utc::now();
    let mut by_key = HashMap::new();
    for record in records {
        let key = HydrationKey {
            user: record.user.clone(),
            source: record.source.clone(),
            app: record.app_name.clone(),
            version: record.version.clone(),
        };
        store.enqueue(&key, &json!({}), now).await.unwrap();
        by_key.insert(key, record);
    }
    let jobs = store
        .lease("seed", by_key.len(), Duration::from_secs(600), now)
        .await
        .unwrap();
    assert_eq!(jobs.len(), by_key.len());
    let mut committed = 0;
    for job in jobs {
        let record = by_key.remove(&job.key).unwrap();
        let token = job.lease.unwrap().token;
        let commit = HydrationCommit {
            record,
            change: None,
            result: json!({}),
        };
        let done = store
            .commit_hydration(job.id, token, &commit)
            .await
            .unwrap();
        committed += usize::from(done.is_some());
    }
    committed
}

fn file_size(path: &PathBuf) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}
