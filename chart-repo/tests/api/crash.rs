//! kill -9 in the middle of hydrating: the queue lives in the store, so after a restart
//! every queued hydration completes, and each exactly once (one `app_upload_completed`
//! per user and app; the lease token stops a second commit).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::Value;
use test_harness::{RunningBinary, eventually};

use crate::harness::{SOURCE, entry, olares_catalog, serve_source, sync_request};

const APPS: [&str; 10] = [
    "ghost",
    "ollama",
    "karakeep",
    "immich",
    "plane",
    "mastodon",
    "nextcloud",
    "filebrowser",
    "uptimekuma",
    "wise",
];
const USERS: [&str; 3] = ["alice", "bob", "carol"];

fn start(data: &Path) -> RunningBinary {
    let dir = data.to_str().unwrap();
    let envs = [
        ("CHART_REPO_LISTEN", "127.0.0.1:0"),
        ("CHART_REPO_DATA_DIR", dir),
        ("CHART_REPO_WORKERS", "1"),
        ("CHART_REPO_HYDRATION_LEASE", "2s"),
    ];
    RunningBinary::start(
        Path::new(env!("CARGO_BIN_EXE_chart-repo")),
        &["serve"],
        &envs,
    )
}

async fn queue(client: &reqwest::Client, url: &str) -> Value {
    let body: Value = client
        .get(format!("{url}/chart-repo/api/v2/status?include=tasks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["data"]["tasks"]["queue"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_mid_hydration_loses_nothing_and_doubles_nothing() {
    let source = serve_source(olares_catalog()).await;
    let data = tempfile::tempdir().unwrap();
    let mut repo = start(data.path());
    let client = reqwest::Client::new();
    let body = serde_json::json!({
        "id": SOURCE, "name": "Olares Market", "type": "remote", "base_url": source.base,
        "priority": 100, "is_active": true, "description": "", "updated_at": "2026-11-23T00:00:00Z",
    });
    let put = client
        .post(format!(
            "{}/chart-repo/api/v2/settings/market-source",
            repo.url
        ))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);

    let total = APPS.len() * USERS.len();
    for app in APPS {
        let e = entry(&source, app).await;
        for user in USERS {
            let (client, url, request) = (
                client.clone(),
                repo.url.clone(),
                sync_request(&e, user, "alice"),
            );
            // The answers do not matter: the process dies under most of them.
            tokio::spawn(async move {
                let _ = client
                    .post(format!("{url}/chart-repo/api/v2/dcr/sync-app"))
                    .json(&request)
                    .send()
                    .await;
            });
        }
    }
    let at_kill = eventually(
        Duration::from_secs(60),
        "every hydration queued and one done",
        || {
            let (client, url) = (client.clone(), repo.url.clone());
            async move {
                let q = queue(&client, &url).await;
                let n = |k: &str| q[k].as_u64().unwrap_or(0);
                let queued = n("pending") + n("leased") + n("done") + n("failed");
                (queued == total as u64 && n("done") >= 1).then_some(q)
            }
        },
    )
    .await;
    repo.stop_with(Signal::SIGKILL, Duration::from_secs(10))
        .expect("killed");
    let unfinished = at_kill["pending"].as_u64().unwrap() + at_kill["leased"].as_u64().unwrap();
    assert!(unfinished > 0, "the kill came mid-queue: {at_kill}");

    let repo = start(data.path());
    let done = eventually(
        Duration::from_secs(120),
        "every hydration done after the restart",
        || {
            let (client, url) = (client.clone(), repo.url.clone());
            async move {
                let q = queue(&client, &url).await;
                (q["done"].as_u64() == Some(total as u64)).then_some(q)
            }
        },
    )
    .await;
    assert_eq!(done["failed"], 0, "{done}");
    assert_eq!(
        done["pending"].as_u64().unwrap() + done["leased"].as_u64().unwrap(),
        0
    );

    let feed: Value = client
        .get(format!(
            "{}/chart-repo/api/v2/state-changes?after_id=0&limit=1000",
            repo.url
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut uploads: BTreeMap<(String, String), usize> = BTreeMap::new();
    for change in feed["data"]["state_changes"].as_array().unwrap() {
        assert_eq!(change["type"], "app_upload_completed", "{change}");
        let app = &change["app_data"];
        let key = (
            app["user_id"].as_str().unwrap().to_owned(),
            app["app_name"].as_str().unwrap().to_owned(),
        );
        *uploads.entry(key).or_default() += 1;
    }
    assert_eq!(
        uploads.len(),
        total,
        "every (user, app) hydrated: {uploads:?}"
    );
    assert!(
        uploads.values().all(|&n| n == 1),
        "each exactly once: {uploads:?}"
    );
}
