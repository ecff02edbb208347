//! Contract cases of the state-change feed (see `store.rs`).

use std::collections::BTreeSet;
use std::sync::Arc;

use chart_repo::store::{RepoStore, StateChangeDraft};
use market_model::{AppData, StateChangeType, StateChangesGone, StateChangesPage};

use crate::store::t;

fn image_updated(n: i64) -> StateChangeDraft {
    StateChangeDraft::image_updated(format!("docker.io/library/img{n}:1"), t(n))
}

async fn page(store: &Arc<dyn RepoStore>, after: i64, limit: u32) -> StateChangesPage {
    store.state_changes(after, limit).await.unwrap().unwrap()
}

fn ids(page: &StateChangesPage) -> Vec<i64> {
    page.state_changes.iter().map(|c| c.id).collect()
}

pub async fn ids_increase_under_concurrent_appends(store: Arc<dyn RepoStore>) {
    let tasks: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut got = Vec::new();
                for i in 0..25 {
                    got.push(
                        store
                            .append_state_change(&image_updated(w * 100 + i))
                            .await
                            .unwrap(),
                    );
                }
                got
            })
        })
        .collect();
    let mut assigned = BTreeSet::new();
    for task in tasks {
        let got = task.await.unwrap();
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "one writer's ids increase: {got:?}"
        );
        assigned.extend(got);
    }
    assert_eq!(assigned.len(), 100, "no id given twice");

    let mut after = 0;
    let mut read = Vec::new();
    loop {
        let p = page(&store, after, 30).await;
        if p.state_changes.is_empty() {
            break;
        }
        assert!(ids(&p).windows(2).all(|w| w[0] < w[1]));
        assert!(p.state_changes[0].id > after);
        after = *ids(&p).last().unwrap();
        read.extend(ids(&p));
    }
    assert_eq!(read.into_iter().collect::<BTreeSet<_>>(), assigned);
}

pub async fn pages_with_limit(store: Arc<dyn RepoStore>) {
    let empty = page(&store, 0, 10).await;
    assert_eq!(
        (empty.count, empty.total_available, empty.limit),
        (0, 0, 10)
    );
    let drafts = [
        image_updated(1),
        StateChangeDraft {
            kind: StateChangeType::AppRenderFailed,
            app_data: Some(AppData {
                user_id: "alice".into(),
                source: "market.olares".into(),
                app_name: "demo".into(),
                version: "1.0.0".into(),
            }),
            image_data: None,
            failure_step: Some("rendered_chart".into()),
            failure_reason: Some("boom".into()),
            timestamp: t(2),
        },
        image_updated(3),
        image_updated(4),
        image_updated(5),
    ];
    let mut assigned = Vec::new();
    for d in &drafts {
        assigned.push(store.append_state_change(d).await.unwrap());
    }
    assert_eq!(assigned, [1, 2, 3, 4, 5], "a fresh store counts from 1");

    let first = page(&store, 0, 2).await;
    assert_eq!(
        (
            first.after_id,
            first.limit,
            first.count,
            first.total_available
        ),
        (0, 2, 2, 5)
    );
    assert_eq!(first.state_changes[0], drafts[0].clone().with_id(1));
    assert_eq!(first.state_changes[1], drafts[1].clone().with_id(2));
    let second = page(&store, 2, 2).await;
    assert_eq!((ids(&second), second.total_available), (vec![3, 4], 3));
    let last = page(&store, 4, 2).await;
    assert_eq!(
        (ids(&last), last.count, last.total_available),
        (vec![5], 1, 1)
    );
    let past = page(&store, 5, 2).await;
    assert_eq!((past.count, past.total_available), (0, 0));
    assert!(
        page(&store, 99, 10).await.state_changes.is_empty(),
        "past the latest: empty"
    );

    assert_eq!(
        page(&store, 0, 0).await.limit,
        1,
        "limit clamps to 1..=1000"
    );
    assert_eq!(page(&store, 0, 5000).await.limit, 1000);
}

pub async fn retention_makes_old_cursors_gone(store: Arc<dyn RepoStore>) {
    assert_eq!(
        store.latest_change_id().await.unwrap(),
        0,
        "none assigned yet"
    );
    assert_eq!(
        store.trim_state_changes(3).await.unwrap(),
        0,
        "nothing to trim"
    );
    for n in 1..=10 {
        store.append_state_change(&image_updated(n)).await.unwrap();
    }
    assert_eq!(store.latest_change_id().await.unwrap(), 10);
    assert_eq!(store.trim_state_changes(4).await.unwrap(), 6);
    let gone = StateChangesGone {
        oldest_id: 7,
        latest_id: 10,
    };
    assert_eq!(store.state_changes(0, 10).await.unwrap(), Err(gone));
    assert_eq!(store.state_changes(5, 10).await.unwrap(), Err(gone));
    let from_edge = page(&store, 6, 10).await;
    assert_eq!(
        (ids(&from_edge), from_edge.total_available),
        (vec![7, 8, 9, 10], 4)
    );
    assert!(page(&store, 10, 10).await.state_changes.is_empty());
    assert_eq!(store.trim_state_changes(4).await.unwrap(), 0);

    assert_eq!(
        store.append_state_change(&image_updated(11)).await.unwrap(),
        11
    );
    assert_eq!(store.trim_state_changes(0).await.unwrap(), 5);
    assert_eq!(
        store.latest_change_id().await.unwrap(),
        11,
        "the latest id outlives trimming"
    );
    let gone = StateChangesGone {
        oldest_id: 12,
        latest_id: 11,
    };
    assert_eq!(store.state_changes(10, 10).await.unwrap(), Err(gone));
    assert!(page(&store, 11, 10).await.state_changes.is_empty());
    assert_eq!(
        store.append_state_change(&image_updated(12)).await.unwrap(),
        12,
        "ids are never reused after trimming"
    );
    assert_eq!(ids(&page(&store, 11, 10).await), [12]);
}
