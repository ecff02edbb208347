//! Contract cases of what the API reads for one user without loading the whole view
//! (see `store.rs`): the view revision moves with every change a user's hash covers;
//! the hash from heads ([`user_hash`], kept by [`HashCache`]) and the targeted
//! `POST /apps` read ([`app_details`]) answer exactly what the whole view
//! ([`UserView::load`]) answers, through a sequence of changes.

use std::sync::Arc;

use chrono::Utc;
use market::store::{AppStateRecord, CatalogMeta, MarketStore, UserAppHead};
use market::view::{AppQuery, HashCache, UserView, app_details, user_hash};
use market_model::{MarketSource, SourceType};
use serde_json::{Value, json};

use crate::store::{sid, t};
use crate::store_catalog::{app, snapshot};
use crate::store_users::{failure, key, payload, ready};

/// Runs `change`, then checks the revision moved.
async fn moves<F: std::future::Future<Output = ()>>(
    store: &Arc<dyn MarketStore>,
    what: &str,
    change: F,
) {
    let before = store.view_revision().await.unwrap();
    change.await;
    let after = store.view_revision().await.unwrap();
    assert!(after > before, "{what}: revision {before} → {after}");
}

fn local(id: &str) -> MarketSource {
    MarketSource {
        id: sid(id),
        name: id.into(),
        kind: SourceType::Local,
        base_url: String::new(),
        priority: 10,
        is_active: true,
        description: String::new(),
        updated_at: t(0),
    }
}

pub async fn view_revision_moves_with_what_users_see(store: Arc<dyn MarketStore>) {
    let s = &store;
    moves(s, "a new source", async {
        s.put_source(&local("mine")).await.unwrap();
    })
    .await;
    moves(s, "a changed source", async {
        let mut source = local("mine");
        source.is_active = false;
        s.put_source(&source).await.unwrap();
    })
    .await;
    moves(s, "a first catalog", async {
        let apps = vec![app("a", "1", "a1"), app("b", "1", "b1")];
        s.replace_catalog(&sid("upload"), &snapshot("h1", apps), t(0))
            .await
            .unwrap();
    })
    .await;
    moves(s, "a new catalog hash", async {
        let meta = CatalogMeta {
            hash: "h2".into(),
            version: "1.12.3".into(),
            listing: json!({}),
            updated_at: t(1),
        };
        s.set_catalog_meta(&sid("upload"), &meta).await.unwrap();
    })
    .await;
    s.ensure_user("alice", true, t(0)).await.unwrap();
    moves(s, "claimed apps", async {
        let claimed = s.claim_stale_user_apps(t(1), 10, t(100)).await.unwrap();
        assert_eq!(claimed.len(), 2);
    })
    .await;
    moves(s, "a ready app", async {
        ready(s, "alice", "upload", "a", "1").await;
    })
    .await;
    moves(s, "a pending app", async {
        s.put_user_app_pending(&key("alice", "upload", "a"), "id-a", "2", t(200), t(2))
            .await
            .unwrap();
    })
    .await;
    moves(s, "a failed app", async {
        let f = failure("render", 3);
        s.put_user_app_failed(&key("alice", "upload", "b"), "id-b", "1", &f, None, t(3))
            .await
            .unwrap();
    })
    .await;
    moves(s, "a removed app", async {
        assert_eq!(
            s.remove_user_app(None, &sid("upload"), "b").await.unwrap(),
            1
        );
    })
    .await;
    moves(s, "an app state", async {
        s.put_app_state(&state("alice", "a", "upload", "installing", 5))
            .await
            .unwrap();
    })
    .await;
    moves(s, "a changed app state", async {
        s.put_app_state(&state("alice", "a", "upload", "running", 6))
            .await
            .unwrap();
    })
    .await;
    moves(s, "a deleted source", async {
        assert!(s.delete_source(&sid("mine")).await.unwrap());
    })
    .await;
    // Nothing a user's hash covers: the revision stays.
    let before = s.view_revision().await.unwrap();
    s.append_event(Some("alice"), "e", &json!({}), t(4))
        .await
        .unwrap();
    assert_eq!(s.view_revision().await.unwrap(), before);
}

/// An app state from app-service for `user`'s `app` of `source`.
fn state(user: &str, app: &str, source: &str, state: &str, at: i64) -> AppStateRecord {
    AppStateRecord {
        user: user.into(),
        app_name: app.into(),
        state: state.into(),
        doc: json!({"name": app, "rawAppName": app, "state": state, "opType": "install",
                    "progress": "", "marketSource": source, "createTime": "2026-11-24T10:00:00Z",
                    "reason": "", "message": "", "entranceStatuses": []}),
        updated_at: t(at),
    }
}

/// alice and bob with apps in `upload` and `studio` (visible) and in `market.olares`
/// (an inactive remote: not visible), in every status.
async fn seed(store: &Arc<dyn MarketStore>) {
    store.ensure_user("alice", true, t(0)).await.unwrap();
    store.ensure_user("bob", false, t(0)).await.unwrap();
    for (source, hash) in [("upload", "hu"), ("studio", "hs"), ("market.olares", "hr")] {
        let apps = vec![
            app("a", "1", "a1"),
            app("b", "1", "b1"),
            app("c", "1", "c1"),
        ];
        store
            .replace_catalog(&sid(source), &snapshot(hash, apps), t(0))
            .await
            .unwrap();
    }
    for user in ["alice", "bob"] {
        ready(store, user, "upload", "a", "1").await;
        ready(store, user, "upload", "b", "1").await;
        ready(store, user, "studio", "a", "1").await;
        ready(store, user, "market.olares", "c", "1").await;
    }
    // Pending at a new version, keeping its last ready payload; failed, never rendered.
    store
        .put_user_app_pending(&key("alice", "upload", "b"), "id-b", "2", t(100), t(1))
        .await
        .unwrap();
    let f = failure("render", 2);
    store
        .put_user_app_failed(&key("alice", "upload", "c"), "id-c", "1", &f, None, t(2))
        .await
        .unwrap();
}

/// The hash three ways (whole view, heads, kept), all equal; returns it.
async fn hash_agrees(store: &Arc<dyn MarketStore>, kept: &HashCache, user: &str) -> String {
    let whole = UserView::load(store.as_ref(), user).await.unwrap().hash();
    assert_eq!(
        user_hash(store.as_ref(), user).await.unwrap(),
        whole,
        "{user}"
    );
    assert_eq!(
        kept.hash(store.as_ref(), user).await.unwrap(),
        whole,
        "{user}"
    );
    whole
}

pub async fn hash_from_heads_matches_the_whole_view(store: Arc<dyn MarketStore>) {
    seed(&store).await;
    let heads = store.user_app_heads("alice").await.unwrap();
    let apps = store.user_apps("alice", None).await.unwrap();
    let expected: Vec<UserAppHead> = apps.iter().map(UserAppHead::from).collect();
    assert_eq!(heads, expected);

    let kept = HashCache::default();
    let (alice, bob) = (
        hash_agrees(&store, &kept, "alice").await,
        hash_agrees(&store, &kept, "bob").await,
    );
    assert_ne!(alice, bob);
    assert_eq!(hash_agrees(&store, &kept, "alice").await, alice, "kept");

    // Every kind of change reaches the kept hash of the user it concerns.
    let mut seen = vec![alice.clone()];
    let mut changed = |hash: String| {
        assert!(!seen.contains(&hash), "the hash moved");
        seen.push(hash);
    };
    ready(&store, "alice", "upload", "b", "2").await;
    changed(hash_agrees(&store, &kept, "alice").await);
    store
        .remove_user_app(Some("alice"), &sid("studio"), "a")
        .await
        .unwrap();
    changed(hash_agrees(&store, &kept, "alice").await);
    let mut meta = store.catalog_meta(&sid("upload")).await.unwrap().unwrap();
    meta.hash = "hu2".into();
    store.set_catalog_meta(&sid("upload"), &meta).await.unwrap();
    changed(hash_agrees(&store, &kept, "alice").await);
    let mut remote = store.source(&sid("market.olares")).await.unwrap().unwrap();
    remote.is_active = true;
    remote.updated_at = Utc::now();
    store.put_source(&remote).await.unwrap();
    changed(hash_agrees(&store, &kept, "alice").await);
    // App states from app-service are part of what alice sees.
    store
        .put_app_state(&state("alice", "a", "upload", "installing", 10))
        .await
        .unwrap();
    changed(hash_agrees(&store, &kept, "alice").await);
    store
        .put_app_state(&state("alice", "a", "upload", "running", 11))
        .await
        .unwrap();
    changed(hash_agrees(&store, &kept, "alice").await);
    // bob's kept hash follows too (his apps did not change, the sources did).
    assert_ne!(hash_agrees(&store, &kept, "bob").await, bob);
    // A user with no apps.
    hash_agrees(&store, &kept, "carol").await;
}

fn ask(pairs: &[(&str, &str)]) -> Vec<AppQuery> {
    pairs
        .iter()
        .map(|(appid, source)| AppQuery {
            appid: (*appid).into(),
            source_data_name: (*source).into(),
        })
        .collect()
}

pub async fn app_details_match_the_whole_view(store: Arc<dyn MarketStore>) {
    seed(&store).await;
    let asked = ask(&[
        ("a", "upload"),
        ("id-a", "studio"),
        ("b", "upload"),
        ("c", "upload"),
        ("c", "market.olares"),
        ("a", "nowhere"),
        ("zzz", "upload"),
        ("a", "upload"),
        ("id-b", "upload"),
    ]);
    for user in ["alice", "bob", "carol"] {
        let whole = UserView::load(store.as_ref(), user).await.unwrap();
        let expected = serde_json::to_value(whole.app_details(&asked)).unwrap();
        let got = app_details(store.as_ref(), user, &asked).await.unwrap();
        assert_eq!(serde_json::to_value(&got).unwrap(), expected, "{user}");
    }
    let got = app_details(store.as_ref(), "alice", &asked).await.unwrap();
    let found: Vec<&str> = got
        .apps
        .iter()
        .map(|a| a.app_simple_info["app_name"].as_str().unwrap())
        .collect();
    // alice's pending `b` still shows its last ready render; her failed `c` and the
    // inactive remote's apps do not show.
    assert_eq!(found, ["a", "a", "b", "a", "b"]);
    assert_eq!(got.not_found.len(), 4);
    let payload_of_b: Value = payload("alice", "b", "1");
    assert_eq!(got.apps[2].version, payload_of_b["version"]);
}
