//! Both storage profiles end to end (DESIGN.md §3): the same hydration flow — sync new →
//! existing → another user → feed → index → package → removal — on the embedded SQLite
//! profile and on the Redis profile against a real `redis-server`; and the `/state-changes`
//! cursor rules, including the 410 for a cursor older than retention on each backend.

use chart_repo::config::{PackageStore, StoreUrl};
use chart_repo::store::{RedisStore, RepoStore, SqliteStore};
use helm_index::{IndexFile, ParseMode, parse_index};
use serde_json::Value;
use sha2::{Digest, Sha256};
use test_harness::RedisServer;

use crate::harness::{
    SOURCE, TestRepo, entry, olares_catalog, serve_source, spawn_repo, sync_request,
};

async fn redis() -> RedisServer {
    tokio::task::spawn_blocking(RedisServer::start)
        .await
        .unwrap()
}

async fn spawn_on_redis(redis: &RedisServer) -> TestRepo {
    let url = redis.url();
    spawn_repo(move |config, _| config.store = StoreUrl::parse(&url).unwrap()).await
}

async fn index_of(repo: &TestRepo, user: &str) -> IndexFile {
    let res = repo
        .helm_get("/static-index.yaml", user)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    parse_index(&res.text().await.unwrap(), ParseMode::Strict).unwrap()
}

async fn feed(repo: &TestRepo, after: i64) -> Vec<Value> {
    let (status, body) = repo
        .get_json(&repo.api(&format!("/state-changes?after_id={after}&limit=1000")))
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"]["state_changes"].as_array().unwrap().clone()
}

/// The flow market drives, on whichever store `repo` runs.
async fn hydration_flow(repo: &TestRepo) {
    let source = serve_source(olares_catalog()).await;
    repo.put_remote_source(&source.base).await;
    let ollama = entry(&source, "ollama").await;

    let (status, first) = repo.sync(&sync_request(&ollama, "alice", "alice")).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["data"]["status"], "new", "{first}");
    let (_, again) = repo.sync(&sync_request(&ollama, "alice", "alice")).await;
    assert_eq!(again["data"]["status"], "existing", "{again}");
    assert_eq!(
        again["data"]["app_data"]["package_digest"],
        first["data"]["app_data"]["package_digest"]
    );
    let (_, bob) = repo.sync(&sync_request(&ollama, "bob", "alice")).await;
    assert_eq!(bob["data"]["status"], "new", "{bob}");

    // One upload per user; the no-change re-sync added nothing. Ids strictly increase.
    let changes = feed(repo, 0).await;
    let seen: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| {
            (
                c["type"].as_str().unwrap(),
                c["app_data"]["user_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("app_upload_completed", "alice"),
            ("app_upload_completed", "bob")
        ]
    );
    let ids: Vec<i64> = changes.iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(changes[0]["app_data"]["app_name"], "ollama");
    assert_eq!(changes[0]["app_data"]["source"], SOURCE);
    assert_eq!(changes[0]["app_data"]["version"], ollama.version.as_str());

    // Each user's index and package.
    let mut digests = Vec::new();
    for user in ["alice", "bob"] {
        let index = index_of(repo, user).await;
        let e = index.get("ollama", &ollama.version).unwrap().clone();
        let res = repo
            .helm_get(&format!("/charts/ollama-{}.tgz", ollama.version), user)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(
            hex::encode(Sha256::digest(res.bytes().await.unwrap())),
            e.digest
        );
        digests.push(e.digest);
    }
    assert_ne!(digests[0], digests[1], "ollama renders per user");

    // Removal for every user: both indexes empty, one app_removed each.
    let last = *ids.last().unwrap();
    let res = repo
        .client
        .delete(repo.api(&format!("/apps/{SOURCE}/ollama")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    for user in ["alice", "bob"] {
        assert!(index_of(repo, user).await.is_empty(), "{user}");
    }
    let removed = feed(repo, last).await;
    let mut users: Vec<&str> = removed
        .iter()
        .map(|c| {
            assert_eq!(c["type"], "app_removed", "{c}");
            c["app_data"]["user_id"].as_str().unwrap()
        })
        .collect();
    users.sort_unstable();
    assert_eq!(users, ["alice", "bob"]);
}

#[tokio::test]
async fn hydration_flow_on_the_embedded_profile() {
    let repo = spawn_repo(|_, _| {}).await;
    hydration_flow(&repo).await;
}

#[tokio::test]
async fn hydration_flow_on_the_redis_profile() {
    let redis = redis().await;
    let repo = spawn_on_redis(&redis).await;
    hydration_flow(&repo).await;
}

/// A second process over the same store and package folder (a restart, or a replica)
/// serves the same index and packages, rebuilt from the store's records.
async fn restart_serves_the_same_index(first: &TestRepo, store: StoreUrl) {
    let source = serve_source(olares_catalog()).await;
    first.put_remote_source(&source.base).await;
    let ghost = first
        .hydrate(&source, &["ghost"], "alice", "alice")
        .await
        .remove(0);
    let before = index_of(first, "alice").await;

    let packages = first.data_dir().join("packages");
    let second = spawn_repo(move |config, _| {
        config.store = store;
        config.packages = PackageStore::Dir(packages);
    })
    .await;
    let after = index_of(&second, "alice").await;
    let (b, a) = (
        before.get("ghost", &ghost.version).unwrap(),
        after.get("ghost", &ghost.version).unwrap(),
    );
    assert_eq!(a.digest, b.digest);
    assert_eq!(a.urls, b.urls);
    assert_eq!(a.metadata, b.metadata);
    assert!(index_of(&second, "bob").await.is_empty());
    let res = second
        .helm_get(&format!("/charts/ghost-{}.tgz", ghost.version), "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        hex::encode(Sha256::digest(res.bytes().await.unwrap())),
        a.digest
    );
}

#[tokio::test]
async fn a_restart_on_the_embedded_profile_serves_the_same_index() {
    let first = spawn_repo(|_, _| {}).await;
    let db = StoreUrl::Sqlite(first.data_dir().join("chart-repo.db"));
    restart_serves_the_same_index(&first, db).await;
}

#[tokio::test]
async fn a_restart_on_the_redis_profile_serves_the_same_index() {
    let redis = redis().await;
    let first = spawn_on_redis(&redis).await;
    restart_serves_the_same_index(&first, StoreUrl::parse(&redis.url()).unwrap()).await;
}

/// Cursor and limit validation; the limit is clamped, not refused.
async fn cursor_rules(repo: &TestRepo) {
    for bad in ["after_id=-1", "after_id=abc", "limit=-3"] {
        let (status, body) = repo
            .get_json(&repo.api(&format!("/state-changes?{bad}")))
            .await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["success"], false, "{body}");
    }
    let (status, body) = repo
        .get_json(&repo.api("/state-changes?after_id=0&limit=5000"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["limit"], 1000, "{body}");
    assert_eq!(body["data"]["after_id"], 0);
    let (_, body) = repo.get_json(&repo.api("/state-changes")).await;
    assert_eq!(body["data"]["limit"], 100, "the default page: {body}");
}

/// Three changes, the feed trimmed to the newest through `store`, then a cursor before
/// the retained ones is 410 with `{oldest_id, latest_id}` and one inside still pages.
async fn gone_after_trim(repo: &TestRepo, store: &dyn RepoStore) {
    let source = serve_source(olares_catalog()).await;
    repo.put_remote_source(&source.base).await;
    repo.hydrate(&source, &["ghost"], "alice", "alice").await;
    repo.hydrate(&source, &["ghost"], "bob", "alice").await;
    repo.hydrate(&source, &["ghost"], "carol", "alice").await;
    let ids: Vec<i64> = feed(repo, 0)
        .await
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(store.trim_state_changes(1).await.unwrap(), 2);
    let latest = ids[2];

    let (status, body) = repo.get_json(&repo.api("/state-changes?after_id=0")).await;
    assert_eq!(status, 410, "{body}");
    assert_eq!(body["success"], false);
    assert_eq!(body["code"], "cursor_expired", "{body}");
    assert_eq!(body["data"]["oldest_id"], latest, "{body}");
    assert_eq!(body["data"]["latest_id"], latest, "{body}");

    // A cursor at the edge of retention still pages.
    let changes = feed(repo, ids[1]).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["app_data"]["user_id"], "carol");
    assert!(feed(repo, latest).await.is_empty());
}

#[tokio::test]
async fn state_changes_cursor_rules_and_gone_on_the_embedded_profile() {
    let repo = spawn_repo(|_, _| {}).await;
    cursor_rules(&repo).await;
    // The same SQLite file the service uses.
    let store = SqliteStore::open(&repo.data_dir().join("chart-repo.db"))
        .await
        .unwrap();
    gone_after_trim(&repo, &store).await;
}

#[tokio::test]
async fn state_changes_cursor_rules_and_gone_on_the_redis_profile() {
    let redis = redis().await;
    let repo = spawn_on_redis(&redis).await;
    cursor_rules(&repo).await;
    let store = RedisStore::connect(&redis.url(), chart_repo::store::REDIS_PREFIX)
        .await
        .unwrap();
    gone_after_trim(&repo, &store).await;
}
