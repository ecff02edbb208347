//! Two chart-repo replicas on one store and one package store: what one hydrates or
//! removes reaches the other's served index (it follows the store's state changes),
//! and a replica whose cursor fell behind the feed's retention rebuilds its indexes
//! from the records. In-process, on a shared SQLite file and packages folder; the
//! e2e reliability suite runs the same on Redis + S3 with real processes.

use std::sync::Arc;
use std::time::Duration;

use chart_repo::config::{PackageStore as PackagesUrl, StoreUrl};
use chart_repo::index::RepoIndexes;
use chart_repo::repo::{follow_once, load_indexes};
use helm_index::{ParseMode, parse_index};
use sha2::{Digest, Sha256};
use test_harness::eventually;

use crate::harness::{SOURCE, TestRepo, olares_catalog, serve_source, spawn_repo};

const WITHIN: Duration = Duration::from_secs(30);

async fn replica(shared: &std::path::Path) -> TestRepo {
    let shared = shared.to_owned();
    spawn_repo(move |config, _| {
        config.store = StoreUrl::Sqlite(shared.join("chart-repo.db"));
        config.packages = PackagesUrl::Dir(shared.join("packages"));
    })
    .await
}

/// The chart names and versions of a user's index on one replica.
async fn listed(repo: &TestRepo, user: &str) -> Vec<(String, String)> {
    let text = repo
        .helm_get("/static-index.yaml", user)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let index = parse_index(&text, ParseMode::Strict).unwrap();
    index
        .entries()
        .map(|e| (e.name().to_owned(), e.version().to_owned()))
        .collect()
}

#[tokio::test]
async fn what_one_replica_hydrates_or_removes_reaches_the_other() {
    let shared = tempfile::tempdir().unwrap();
    let a = replica(shared.path()).await;
    let b = replica(shared.path()).await;
    let source = serve_source(olares_catalog()).await;
    a.put_remote_source(&source.base).await;

    let entries = a.hydrate(&source, &["ghost"], "alice", "alice").await;
    let ghost = ("ghost".to_owned(), entries[0].version.clone());
    eventually(WITHIN, "replica b to list alice's ghost", || async {
        (listed(&b, "alice").await == [ghost.clone()]).then_some(())
    })
    .await;
    // b serves the package a rendered, byte for byte.
    let file = format!("/charts/ghost-{}.tgz", ghost.1);
    let from_a = a.helm_get(&file, "alice").send().await.unwrap();
    let from_b = b.helm_get(&file, "alice").send().await.unwrap();
    assert_eq!(
        (from_a.status().as_u16(), from_b.status().as_u16()),
        (200, 200)
    );
    let (bytes_a, bytes_b) = (from_a.bytes().await.unwrap(), from_b.bytes().await.unwrap());
    assert_eq!(Sha256::digest(&bytes_a), Sha256::digest(&bytes_b));

    // Hydrated on b, seen by a; bob's repository stays bob's.
    b.hydrate(&source, &["ghost"], "bob", "alice").await;
    eventually(WITHIN, "replica a to list bob's ghost", || async {
        (listed(&a, "bob").await == [ghost.clone()]).then_some(())
    })
    .await;

    // Removed through a: gone from b too.
    let res = a
        .client
        .delete(a.api(&format!("/apps/{SOURCE}/ghost?user=alice")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    eventually(WITHIN, "replica b to drop alice's ghost", || async {
        listed(&b, "alice").await.is_empty().then_some(())
    })
    .await;
    assert_eq!(
        b.helm_get(&file, "alice").send().await.unwrap().status(),
        404
    );
    assert_eq!(listed(&b, "bob").await, [ghost]);
}

#[tokio::test]
async fn a_cursor_behind_retention_rebuilds_the_indexes_from_the_records() {
    let shared = tempfile::tempdir().unwrap();
    let a = replica(shared.path()).await;
    let source = serve_source(olares_catalog()).await;
    a.put_remote_source(&source.base).await;
    a.hydrate(&source, &["ghost", "uptimekuma"], "alice", "alice")
        .await;

    // A replica that loaded the indexes before any of that, then lost the feed.
    let store = chart_repo::store::connect(&StoreUrl::Sqlite(shared.path().join("chart-repo.db")))
        .await
        .unwrap();
    let stale = Arc::new(RepoIndexes::new());
    assert_eq!(load_indexes(store.as_ref(), &stale).await.unwrap(), 2);
    let res = a
        .client
        .delete(a.api(&format!("/apps/{SOURCE}/ghost?user=alice")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let latest = store.latest_change_id().await.unwrap();
    store.trim_state_changes(0).await.unwrap();

    let (cursor, more) = follow_once(store.as_ref(), &stale, 0).await.unwrap();
    assert_eq!((cursor, more), (latest, false));
    let served = stale.served("alice", SOURCE);
    let index = parse_index(
        std::str::from_utf8(&served.yaml).unwrap(),
        ParseMode::Strict,
    )
    .unwrap();
    let names: Vec<&str> = index.names().collect();
    assert_eq!(
        names,
        ["uptimekuma"],
        "ghost's removal was trimmed from the feed"
    );
    // Nothing new: following again changes nothing.
    assert_eq!(
        follow_once(store.as_ref(), &stale, cursor).await.unwrap(),
        (cursor, false)
    );
}
