//! Contract cases of users, their rendered apps and the hydration driver's
//! query (see `store.rs`).

use std::sync::Arc;

use market::store::{MarketStore, StaleApp, UserApp, UserAppFailure, UserAppKey, UserAppStatus};
use serde_json::json;

use crate::store::{sid, t};
use crate::store_catalog::{app, snapshot};

pub(crate) fn key(user: &str, source: &str, name: &str) -> UserAppKey {
    UserAppKey::new(user, &sid(source), name)
}

pub(crate) fn failure(step: &str, at: i64) -> UserAppFailure {
    UserAppFailure {
        step: step.into(),
        reason: format!("{step} broke"),
        at: t(at),
    }
}

pub(crate) fn payload(user: &str, name: &str, version: &str) -> serde_json::Value {
    json!({"type": "app-info-latest", "version": version, "user": user, "name": name, "values": []})
}

pub(crate) async fn ready(
    store: &Arc<dyn MarketStore>,
    user: &str,
    source: &str,
    name: &str,
    version: &str,
) {
    let k = key(user, source, name);
    let p = payload(user, name, version);
    store
        .put_user_app_ready(&k, &format!("id-{name}"), version, &p, t(0))
        .await
        .unwrap();
}

/// The (user, source, app, catalog version) of every stale app at `now`.
async fn stale(store: &Arc<dyn MarketStore>, now: i64) -> Vec<(String, String, String, String)> {
    let got = store.stale_user_apps(t(now), 1000).await.unwrap();
    got.into_iter()
        .map(|s| (s.user, s.source.to_string(), s.app_name, s.catalog_version))
        .collect()
}

fn row(user: &str, source: &str, name: &str, version: &str) -> (String, String, String, String) {
    (user.into(), source.into(), name.into(), version.into())
}

/// alice and bob, and `upload` (active) listing a@1 and b@1.
async fn two_users_two_apps(store: &Arc<dyn MarketStore>) {
    store.ensure_user("alice", true, t(0)).await.unwrap();
    store.ensure_user("bob", false, t(0)).await.unwrap();
    let apps = vec![app("a", "1", "a1"), app("b", "1", "b1")];
    store
        .replace_catalog(&sid("upload"), &snapshot("h", apps), t(0))
        .await
        .unwrap();
}

pub async fn ensure_user_reports_creation(store: Arc<dyn MarketStore>) {
    assert!(store.users().await.unwrap().is_empty());
    assert_eq!(store.admin().await.unwrap(), None);
    assert!(store.ensure_user("bob", false, t(0)).await.unwrap());
    assert!(!store.ensure_user("bob", false, t(9)).await.unwrap());
    assert!(store.ensure_user("alice", false, t(1)).await.unwrap());
    let users = store.users().await.unwrap();
    let got: Vec<_> = users
        .iter()
        .map(|u| (u.name.as_str(), u.is_admin, u.created_at))
        .collect();
    assert_eq!(got, vec![("alice", false, t(1)), ("bob", false, t(0))]);
    assert_eq!(store.admin().await.unwrap(), None);
}

pub async fn one_admin_at_a_time(store: Arc<dyn MarketStore>) {
    let admins = |users: Vec<market::store::User>| -> Vec<String> {
        users
            .into_iter()
            .filter(|u| u.is_admin)
            .map(|u| u.name)
            .collect()
    };
    assert!(store.ensure_user("alice", true, t(0)).await.unwrap());
    assert_eq!(store.admin().await.unwrap().as_deref(), Some("alice"));
    assert!(store.ensure_user("bob", true, t(1)).await.unwrap());
    assert_eq!(store.admin().await.unwrap().as_deref(), Some("bob"));
    // A plain ensure never demotes.
    assert!(!store.ensure_user("bob", false, t(2)).await.unwrap());
    assert!(!store.ensure_user("alice", false, t(2)).await.unwrap());
    assert_eq!(
        admins(store.users().await.unwrap()),
        vec!["bob".to_string()]
    );
    // An existing user promoted.
    assert!(!store.ensure_user("alice", true, t(3)).await.unwrap());
    assert_eq!(
        admins(store.users().await.unwrap()),
        vec!["alice".to_string()]
    );
}

pub async fn concurrent_promotions_leave_one_admin(store: Arc<dyn MarketStore>) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let store = store.clone();
        tasks.spawn(async move { store.ensure_user(&format!("u{i}"), true, t(i)).await });
    }
    while let Some(done) = tasks.join_next().await {
        assert!(done.unwrap().unwrap());
    }
    let users = store.users().await.unwrap();
    assert_eq!(users.len(), 8);
    let admins: Vec<_> = users.iter().filter(|u| u.is_admin).collect();
    assert_eq!(admins.len(), 1, "{users:?}");
    assert_eq!(store.admin().await.unwrap().as_ref(), Some(&admins[0].name));
}

pub async fn user_app_ready_failed_attempts(store: Arc<dyn MarketStore>) {
    let k = key("alice", "upload", "a");
    assert_eq!(store.user_app(&k).await.unwrap(), None);

    let n = store
        .put_user_app_failed(&k, "id-a", "1", &failure("render", 1), Some(t(10)), t(1))
        .await
        .unwrap();
    assert_eq!(n, 1);
    let n = store
        .put_user_app_failed(&k, "id-a", "1", &failure("fetch", 2), Some(t(20)), t(2))
        .await
        .unwrap();
    assert_eq!(n, 2);
    let got = store.user_app(&k).await.unwrap().unwrap();
    assert_eq!(
        got,
        UserApp {
            user: "alice".into(),
            source: sid("upload"),
            app_name: "a".into(),
            app_id: "id-a".into(),
            version: "1".into(),
            status: UserAppStatus::Failed,
            payload: None,
            failure: Some(failure("fetch", 2)),
            attempts: 2,
            next_attempt_at: Some(t(20)),
            updated_at: t(2),
        }
    );
    assert_eq!(got.key(), k);

    // Success clears the failure and the attempts.
    let p = payload("alice", "a", "1");
    store
        .put_user_app_ready(&k, "id-a", "1", &p, t(3))
        .await
        .unwrap();
    let got = store.user_app(&k).await.unwrap().unwrap();
    assert_eq!(
        (
            got.status,
            got.payload.as_ref(),
            got.failure.as_ref(),
            got.attempts,
            got.next_attempt_at,
            got.updated_at
        ),
        (UserAppStatus::Ready, Some(&p), None, 0, None, t(3))
    );

    // A failure at a new version counts from 1 and keeps the last good payload.
    let n = store
        .put_user_app_failed(&k, "id-a", "2", &failure("render", 4), None, t(4))
        .await
        .unwrap();
    assert_eq!(n, 1);
    let got = store.user_app(&k).await.unwrap().unwrap();
    assert_eq!(
        (
            got.status,
            got.version.as_str(),
            got.payload.as_ref(),
            got.next_attempt_at
        ),
        (UserAppStatus::Failed, "2", Some(&p), None)
    );

    // Pending at the same version keeps attempts and failure; at a new one resets them.
    store
        .put_user_app_pending(&k, "id-a", "2", t(60), t(5))
        .await
        .unwrap();
    let got = store.user_app(&k).await.unwrap().unwrap();
    assert_eq!(
        (
            got.status,
            got.attempts,
            got.failure.clone(),
            got.next_attempt_at,
            got.payload.as_ref()
        ),
        (
            UserAppStatus::Pending,
            1,
            Some(failure("render", 4)),
            Some(t(60)),
            Some(&p)
        )
    );
    store
        .put_user_app_pending(&k, "id-a", "3", t(70), t(6))
        .await
        .unwrap();
    let got = store.user_app(&k).await.unwrap().unwrap();
    assert_eq!(
        (
            got.status,
            got.version.as_str(),
            got.attempts,
            got.failure,
            got.updated_at
        ),
        (UserAppStatus::Pending, "3", 0, None, t(6))
    );
}

pub async fn user_apps_are_partitioned(store: Arc<dyn MarketStore>) {
    ready(&store, "alice", "upload", "a", "1").await;
    ready(&store, "alice", "studio", "z", "1").await;
    ready(&store, "bob", "upload", "a", "2").await;
    let alice = store.user_apps("alice", None).await.unwrap();
    let got: Vec<_> = alice
        .iter()
        .map(|a| {
            (
                a.user.as_str(),
                a.source.as_str(),
                a.app_name.as_str(),
                a.version.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![("alice", "studio", "z", "1"), ("alice", "upload", "a", "1")]
    );
    let bob = store.user_apps("bob", Some(&sid("upload"))).await.unwrap();
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].payload, Some(payload("bob", "a", "2")));
    assert!(
        store
            .user_apps("bob", Some(&sid("studio")))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.user_apps("carol", None).await.unwrap().is_empty());
    let a = store
        .user_app(&key("alice", "upload", "a"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(a.payload, Some(payload("alice", "a", "1")));
}

pub async fn removes_user_apps(store: Arc<dyn MarketStore>) {
    ready(&store, "alice", "upload", "a", "1").await;
    ready(&store, "bob", "upload", "a", "1").await;
    ready(&store, "carol", "upload", "a", "1").await;
    ready(&store, "alice", "upload", "b", "1").await;
    ready(&store, "alice", "studio", "a", "1").await;
    let upload = sid("upload");
    assert_eq!(
        store
            .remove_user_app(Some("alice"), &upload, "a")
            .await
            .unwrap(),
        1
    );
    assert!(
        store
            .user_app(&key("bob", "upload", "a"))
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(store.remove_user_app(None, &upload, "a").await.unwrap(), 2);
    assert_eq!(store.remove_user_app(None, &upload, "a").await.unwrap(), 0);
    let left: Vec<_> = store
        .user_apps("alice", None)
        .await
        .unwrap()
        .into_iter()
        .map(|a| (a.source.to_string(), a.app_name))
        .collect();
    assert_eq!(
        left,
        vec![("studio".into(), "a".into()), ("upload".into(), "b".into())]
    );
}

pub async fn stale_missing_and_version_changed(store: Arc<dyn MarketStore>) {
    two_users_two_apps(&store).await;
    let all = store.stale_user_apps(t(0), 100).await.unwrap();
    assert_eq!(
        all[0],
        StaleApp {
            user: "alice".into(),
            source: sid("upload"),
            app_id: "id-a".into(),
            app_name: "a".into(),
            catalog_version: "1".into(),
            entry_digest: "a1".into(),
            entry: app("a", "1", "a1").entry,
        }
    );
    assert_eq!(all[0].key(), key("alice", "upload", "a"));
    assert_eq!(
        stale(&store, 0).await,
        vec![
            row("alice", "upload", "a", "1"),
            row("alice", "upload", "b", "1"),
            row("bob", "upload", "a", "1"),
            row("bob", "upload", "b", "1"),
        ]
    );
    for (u, n) in [("alice", "a"), ("alice", "b"), ("bob", "a"), ("bob", "b")] {
        ready(&store, u, "upload", n, "1").await;
    }
    assert!(stale(&store, 0).await.is_empty());
    // A new version of a is stale for everyone; b stays rendered.
    store
        .upsert_catalog_apps(&sid("upload"), &[app("a", "2", "a2")], t(1))
        .await
        .unwrap();
    assert_eq!(
        stale(&store, 1).await,
        vec![
            row("alice", "upload", "a", "2"),
            row("bob", "upload", "a", "2")
        ]
    );
    // A user app at a version newer than the catalog's is also "different".
    ready(&store, "alice", "upload", "a", "3").await;
    assert_eq!(stale(&store, 1).await[0], row("alice", "upload", "a", "2"));
}

pub async fn stale_failed_retry_due(store: Arc<dyn MarketStore>) {
    two_users_two_apps(&store).await;
    for (u, n) in [("alice", "b"), ("bob", "a"), ("bob", "b")] {
        ready(&store, u, "upload", n, "1").await;
    }
    let k = key("alice", "upload", "a");
    store
        .put_user_app_failed(&k, "id-a", "1", &failure("render", 0), Some(t(10)), t(0))
        .await
        .unwrap();
    assert!(stale(&store, 9).await.is_empty());
    assert_eq!(
        stale(&store, 10).await,
        vec![row("alice", "upload", "a", "1")]
    );
    assert_eq!(
        stale(&store, 99).await,
        vec![row("alice", "upload", "a", "1")]
    );
}

pub async fn permanent_failure_waits_for_new_version(store: Arc<dyn MarketStore>) {
    two_users_two_apps(&store).await;
    for (u, n) in [("alice", "b"), ("bob", "a"), ("bob", "b")] {
        ready(&store, u, "upload", n, "1").await;
    }
    let k = key("alice", "upload", "a");
    store
        .put_user_app_failed(&k, "id-a", "1", &failure("validate", 0), None, t(0))
        .await
        .unwrap();
    assert!(stale(&store, 1_000_000).await.is_empty());
    // Republishing the same version with other content does not retry it.
    store
        .upsert_catalog_apps(&sid("upload"), &[app("a", "1", "a1-bis")], t(1))
        .await
        .unwrap();
    assert!(stale(&store, 2).await.is_empty());
    store
        .upsert_catalog_apps(&sid("upload"), &[app("a", "2", "a2")], t(2))
        .await
        .unwrap();
    assert_eq!(
        stale(&store, 2).await,
        vec![
            row("alice", "upload", "a", "2"),
            row("bob", "upload", "a", "2")
        ]
    );
}

pub async fn pending_is_stale_after_its_deadline(store: Arc<dyn MarketStore>) {
    two_users_two_apps(&store).await;
    for (u, n) in [("alice", "b"), ("bob", "a"), ("bob", "b")] {
        ready(&store, u, "upload", n, "1").await;
    }
    let k = key("alice", "upload", "a");
    store
        .put_user_app_pending(&k, "id-a", "1", t(30), t(0))
        .await
        .unwrap();
    assert!(stale(&store, 29).await.is_empty());
    assert_eq!(
        stale(&store, 30).await,
        vec![row("alice", "upload", "a", "1")]
    );
}

pub async fn stale_excludes_inactive_sources(store: Arc<dyn MarketStore>) {
    store.ensure_user("alice", false, t(0)).await.unwrap();
    let remote = sid("market.olares");
    store
        .replace_catalog(&remote, &snapshot("h", vec![app("r", "1", "r1")]), t(0))
        .await
        .unwrap();
    assert!(
        stale(&store, 0).await.is_empty(),
        "market.olares is seeded inactive"
    );
    let mut source = store.source(&remote).await.unwrap().unwrap();
    source.is_active = true;
    store.put_source(&source).await.unwrap();
    assert_eq!(
        stale(&store, 0).await,
        vec![row("alice", "market.olares", "r", "1")]
    );
    source.is_active = false;
    store.put_source(&source).await.unwrap();
    assert!(stale(&store, 0).await.is_empty());
}

pub async fn new_user_makes_every_app_stale(store: Arc<dyn MarketStore>) {
    store.ensure_user("alice", true, t(0)).await.unwrap();
    let apps = vec![app("a", "1", "a1"), app("b", "1", "b1")];
    store
        .replace_catalog(&sid("upload"), &snapshot("h", apps), t(0))
        .await
        .unwrap();
    ready(&store, "alice", "upload", "a", "1").await;
    ready(&store, "alice", "upload", "b", "1").await;
    assert!(stale(&store, 0).await.is_empty());
    // An app rendered for a user the market does not know is not a reason either.
    ready(&store, "ghost", "upload", "a", "1").await;
    assert!(stale(&store, 0).await.is_empty());
    assert!(store.ensure_user("bob", false, t(1)).await.unwrap());
    assert_eq!(
        stale(&store, 1).await,
        vec![
            row("bob", "upload", "a", "1"),
            row("bob", "upload", "b", "1")
        ]
    );
    // Bob's stale list never depends on alice's records.
    assert!(store.user_apps("bob", None).await.unwrap().is_empty());
}

pub async fn stale_is_ordered_and_limited(store: Arc<dyn MarketStore>) {
    store.ensure_user("bob", false, t(0)).await.unwrap();
    store.ensure_user("alice", false, t(0)).await.unwrap();
    store
        .replace_catalog(
            &sid("upload"),
            &snapshot("h", vec![app("b", "1", "b"), app("a", "1", "a")]),
            t(0),
        )
        .await
        .unwrap();
    store
        .replace_catalog(
            &sid("studio"),
            &snapshot("h", vec![app("c", "1", "c")]),
            t(0),
        )
        .await
        .unwrap();
    let all = vec![
        row("alice", "studio", "c", "1"),
        row("alice", "upload", "a", "1"),
        row("alice", "upload", "b", "1"),
        row("bob", "studio", "c", "1"),
        row("bob", "upload", "a", "1"),
        row("bob", "upload", "b", "1"),
    ];
    assert_eq!(stale(&store, 0).await, all);
    let first: Vec<_> = store
        .stale_user_apps(t(0), 4)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.user, s.source.to_string(), s.app_name, s.catalog_version))
        .collect();
    assert_eq!(first, all[..4].to_vec());
}

pub async fn claim_marks_pending_until_its_deadline(store: Arc<dyn MarketStore>) {
    two_users_two_apps(&store).await;
    ready(&store, "alice", "upload", "b", "1").await;
    store
        .upsert_catalog_apps(&sid("upload"), &[app("b", "2", "b2")], t(0))
        .await
        .unwrap();
    let claimed = store.claim_stale_user_apps(t(0), 3, t(30)).await.unwrap();
    let got: Vec<_> = claimed
        .iter()
        .map(|s| {
            (
                s.user.clone(),
                s.source.to_string(),
                s.app_name.clone(),
                s.catalog_version.clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            row("alice", "upload", "a", "1"),
            row("alice", "upload", "b", "2"),
            row("bob", "upload", "a", "1"),
        ]
    );
    // Claimed apps are pending at the catalog version; a ready payload stays.
    let b = store
        .user_app(&key("alice", "upload", "b"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (b.status, b.version.as_str(), b.next_attempt_at, b.payload),
        (
            UserAppStatus::Pending,
            "2",
            Some(t(30)),
            Some(payload("alice", "b", "1"))
        )
    );
    assert_eq!(stale(&store, 1).await, vec![row("bob", "upload", "b", "2")]);
    let next = store.claim_stale_user_apps(t(1), 10, t(31)).await.unwrap();
    assert_eq!(next.len(), 1);
    assert!(
        store
            .claim_stale_user_apps(t(2), 10, t(32))
            .await
            .unwrap()
            .is_empty()
    );
    // A claim that was never answered is due again at its deadline.
    assert_eq!(
        stale(&store, 30).await,
        vec![
            row("alice", "upload", "a", "1"),
            row("alice", "upload", "b", "2"),
            row("bob", "upload", "a", "1"),
        ]
    );
}

pub async fn concurrent_claims_are_disjoint(store: Arc<dyn MarketStore>) {
    store.ensure_user("alice", true, t(0)).await.unwrap();
    store.ensure_user("bob", false, t(0)).await.unwrap();
    let apps: Vec<_> = (0..10).map(|i| app(&format!("a{i}"), "1", "d")).collect();
    store
        .replace_catalog(&sid("upload"), &snapshot("h", apps), t(0))
        .await
        .unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.spawn(async move { store.claim_stale_user_apps(t(0), 3, t(60)).await });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(
            done.unwrap()
                .unwrap()
                .into_iter()
                .map(|s| (s.user, s.app_name)),
        );
    }
    let distinct: std::collections::BTreeSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 20, "{all:?}");
    assert_eq!(distinct.len(), 20);
    assert!(stale(&store, 59).await.is_empty());
}

/// New content at the same version (a fixed chart, a new translation) makes the
/// apps claimed at the old content stale again, a permanent failure included;
/// rows never claimed (no digest recorded) go by version alone.
pub async fn stale_when_the_entry_changes_at_the_same_version(store: Arc<dyn MarketStore>) {
    two_users_two_apps(&store).await;
    let claimed = store.claim_stale_user_apps(t(0), 100, t(30)).await.unwrap();
    assert_eq!(claimed.len(), 4);
    ready(&store, "alice", "upload", "a", "1").await;
    ready(&store, "bob", "upload", "a", "1").await;
    ready(&store, "alice", "upload", "b", "1").await;
    store
        .put_user_app_failed(
            &key("bob", "upload", "b"),
            "id-b",
            "1",
            &failure("render", 0),
            None,
            t(0),
        )
        .await
        .unwrap();
    assert_eq!(stale(&store, 100).await, vec![]);

    // b's content changes, its version does not.
    store
        .upsert_catalog_apps(&sid("upload"), &[app("b", "1", "b1-fixed")], t(1))
        .await
        .unwrap();
    assert_eq!(
        stale(&store, 100).await,
        vec![
            row("alice", "upload", "b", "1"),
            row("bob", "upload", "b", "1")
        ]
    );
    let again = store
        .claim_stale_user_apps(t(100), 100, t(130))
        .await
        .unwrap();
    assert!(
        again.iter().all(|s| s.entry_digest == "b1-fixed"),
        "{again:?}"
    );
    // The failure was for the old content: forgotten, attempts start again.
    let bob_b = store
        .user_app(&key("bob", "upload", "b"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (bob_b.status, bob_b.failure, bob_b.attempts),
        (UserAppStatus::Pending, None, 0)
    );
    ready(&store, "alice", "upload", "b", "1").await;
    ready(&store, "bob", "upload", "b", "1").await;
    assert_eq!(stale(&store, 200).await, vec![]);
}
