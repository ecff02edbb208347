//! Contract cases of the data watcher's cursor and the live events (see
//! `store.rs`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use market::store::{Event, MarketStore};
use serde_json::json;

use crate::store::t;

pub async fn cursor_starts_at_zero_and_never_moves_back(store: Arc<dyn MarketStore>) {
    assert_eq!(store.watcher_cursor().await.unwrap(), 0);
    assert_eq!(store.set_watcher_cursor(7).await.unwrap(), 7);
    assert_eq!(store.watcher_cursor().await.unwrap(), 7);
    assert_eq!(store.set_watcher_cursor(3).await.unwrap(), 7);
    assert_eq!(store.watcher_cursor().await.unwrap(), 7);
    assert_eq!(store.set_watcher_cursor(7).await.unwrap(), 7);
    assert_eq!(store.set_watcher_cursor(12).await.unwrap(), 12);
    // Concurrent writers: the largest wins, whatever the order.
    let mut tasks = tokio::task::JoinSet::new();
    for c in [40, 15, 38, 20] {
        let store = store.clone();
        tasks.spawn(async move { store.set_watcher_cursor(c).await });
    }
    while let Some(done) = tasks.join_next().await {
        assert!(done.unwrap().unwrap() >= 15);
    }
    assert_eq!(store.watcher_cursor().await.unwrap(), 40);
}

pub async fn events_are_partitioned_with_broadcasts(store: Arc<dyn MarketStore>) {
    let a1 = store
        .append_event(
            Some("alice"),
            "task_progress",
            &json!({"task": 1, "p": 50}),
            t(1),
        )
        .await
        .unwrap();
    let all = store
        .append_event(
            None,
            "image_state",
            &json!({"image": "nginx", "é": [1, null]}),
            t(2),
        )
        .await
        .unwrap();
    let b1 = store
        .append_event(Some("bob"), "new_app_ready", &json!({"app": "a"}), t(3))
        .await
        .unwrap();
    let a2 = store
        .append_event(
            Some("alice"),
            "app_state",
            &json!({"state": "running"}),
            t(4),
        )
        .await
        .unwrap();
    assert!(a1 < all && all < b1 && b1 < a2);

    let alice = store.events_after("alice", 0, 100).await.unwrap();
    assert_eq!(
        alice.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![a1, all, a2]
    );
    assert_eq!(
        alice[1],
        Event {
            id: all,
            user: None,
            kind: "image_state".into(),
            data: json!({"image": "nginx", "é": [1, null]}),
            at: t(2),
        }
    );
    assert_eq!(alice[0].user.as_deref(), Some("alice"));
    let bob = store.events_after("bob", 0, 100).await.unwrap();
    assert_eq!(bob.iter().map(|e| e.id).collect::<Vec<_>>(), vec![all, b1]);
    let carol = store.events_after("carol", 0, 100).await.unwrap();
    assert_eq!(carol.iter().map(|e| e.id).collect::<Vec<_>>(), vec![all]);

    // Resume after an id, and page.
    let after = store.events_after("alice", a1, 100).await.unwrap();
    assert_eq!(
        after.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![all, a2]
    );
    let page = store.events_after("alice", 0, 2).await.unwrap();
    assert_eq!(page.iter().map(|e| e.id).collect::<Vec<_>>(), vec![a1, all]);
    assert!(
        store
            .events_after("alice", a2, 100)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn concurrent_appends_get_increasing_ids(store: Arc<dyn MarketStore>) {
    // A reader that follows the stream while the writers append, resuming
    // after the last id it saw (as an SSE client does): it must miss nothing,
    // so no event may become visible after one with a higher id.
    let done = Arc::new(AtomicBool::new(false));
    let reader = {
        let (store, done) = (store.clone(), done.clone());
        tokio::spawn(async move {
            let (mut last, mut got) = (0, Vec::new());
            loop {
                // Read the flag before the page: a page read after the
                // writers finished holds everything they appended.
                let writers_done = done.load(Ordering::SeqCst);
                let page = store.events_after("alice", last, 1000).await.unwrap();
                if let Some(e) = page.last() {
                    last = e.id;
                }
                got.extend(page.into_iter().map(|e| e.id));
                if writers_done {
                    return got;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..32 {
        let store = store.clone();
        tasks.spawn(async move {
            let user = if i % 2 == 0 { Some("alice") } else { None };
            let mut ids = Vec::new();
            for j in 0..4 {
                let data = json!({"i": i, "j": j});
                ids.push(store.append_event(user, "tick", &data, t(i)).await.unwrap());
            }
            ids
        });
    }
    let mut seen = BTreeSet::new();
    while let Some(done) = tasks.join_next().await {
        let ids = done.unwrap();
        // Each writer's own appends are strictly increasing.
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
        seen.extend(ids);
    }
    assert_eq!(seen.len(), 128, "every id distinct");
    done.store(true, Ordering::SeqCst);
    let followed = reader.await.unwrap();
    assert_eq!(followed, seen.iter().copied().collect::<Vec<_>>());
    let got: Vec<_> = store
        .events_after("alice", 0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(got, seen.into_iter().collect::<Vec<_>>());
}

pub async fn trim_keeps_the_newest(store: Arc<dyn MarketStore>) {
    assert_eq!(store.trim_events(10).await.unwrap(), 0);
    let mut ids = Vec::new();
    for i in 0..6 {
        let user = if i % 2 == 0 {
            Some("alice")
        } else {
            Some("bob")
        };
        ids.push(
            store
                .append_event(user, "tick", &json!(i), t(i))
                .await
                .unwrap(),
        );
    }
    assert_eq!(store.trim_events(10).await.unwrap(), 0);
    assert_eq!(store.trim_events(4).await.unwrap(), 2);
    let alice: Vec<_> = store
        .events_after("alice", 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(alice, vec![ids[2], ids[4]]);
    // Ids are never reused after a trim.
    assert_eq!(store.trim_events(0).await.unwrap(), 4);
    let next = store
        .append_event(None, "tick", &json!(null), t(9))
        .await
        .unwrap();
    assert!(next > ids[5]);
}
