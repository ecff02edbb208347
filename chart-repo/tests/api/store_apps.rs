//! Contract cases of app records and the transactions that change them (see
//! `store.rs`).

use std::sync::Arc;
use std::time::Duration;

use chart_repo::store::{
    AppRecord, Committed, Download, HydrationCommit, HydrationFailure, JobId, JobState, LeaseToken,
    PutOutcome, RepoStore, StateChangeDraft,
};
use market_model::{AppData, SourceId, StateChange, StateChangeType};
use serde_json::json;

use crate::store::{key, record, source, t};
use crate::store_queue::failure;

/// Enqueues and leases the hydration of `record`.
async fn leased(store: &Arc<dyn RepoStore>, r: &AppRecord, at: i64) -> (JobId, LeaseToken) {
    let k = key(&r.user, &r.app_name, &r.version);
    let id = store.enqueue(&k, &json!({}), t(at)).await.unwrap().job_id;
    let jobs = store
        .lease("w", 1, Duration::from_secs(30), t(at))
        .await
        .unwrap();
    assert_eq!(jobs[0].id, id);
    (id, jobs[0].lease.as_ref().unwrap().token)
}

fn upload_completed(r: &AppRecord) -> StateChangeDraft {
    StateChangeDraft::upload_completed(r.app_data(), r.updated_at)
}

fn commit(r: &AppRecord, status: &str) -> HydrationCommit {
    HydrationCommit {
        record: r.clone(),
        change: Some(upload_completed(r)),
        result: json!({"status": status}),
    }
}

async fn all_changes(store: &Arc<dyn RepoStore>) -> Vec<StateChange> {
    store
        .state_changes(0, 1000)
        .await
        .unwrap()
        .unwrap()
        .state_changes
}

/// Hydrates `r` from enqueue to commit.
async fn hydrate(store: &Arc<dyn RepoStore>, r: &AppRecord) -> Committed {
    let (id, token) = leased(store, r, 0).await;
    store
        .commit_hydration(id, token, &commit(r, "x"))
        .await
        .unwrap()
        .unwrap()
}

pub async fn commit_reports_new_updated_existing(store: Arc<dyn RepoStore>) {
    let v1 = record("alice", "demo", "1.0.0", "d1");
    let (id, token) = leased(&store, &v1, 0).await;
    let got = store
        .commit_hydration(id, token, &commit(&v1, "new"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.outcome, PutOutcome::New);
    let first_change = got.change_id.unwrap();
    assert_eq!(
        store.app("alice", &source(), "demo").await.unwrap(),
        Some(v1.clone())
    );
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!(
        (job.state, job.result),
        (JobState::Done, Some(json!({"status": "new"})))
    );
    assert!(
        !store
            .complete(id, token, &json!("again"), t(9))
            .await
            .unwrap(),
        "already done"
    );

    // The same version and package again: Existing, the stored record kept as it was.
    let mut same = v1.clone();
    same.created = t(50);
    same.payload = json!({"changed": true});
    let (id, token) = leased(&store, &same, 50).await;
    let got = store
        .commit_hydration(id, token, &commit(&same, "existing"))
        .await
        .unwrap();
    assert_eq!(
        got,
        Some(Committed {
            outcome: PutOutcome::Existing,
            change_id: None
        })
    );
    assert_eq!(
        store.app("alice", &source(), "demo").await.unwrap(),
        Some(v1.clone())
    );
    assert_eq!(store.job(id).await.unwrap().unwrap().state, JobState::Done);

    // Same version, another package (a republished chart): Updated.
    let republished = record("alice", "demo", "1.0.0", "d2");
    let (id, token) = leased(&store, &republished, 60).await;
    let got = store
        .commit_hydration(id, token, &commit(&republished, "u"))
        .await
        .unwrap();
    assert_eq!(got.unwrap().outcome, PutOutcome::Updated);

    // A new version: Updated, the record replaced.
    let v2 = record("alice", "demo", "2.0.0", "d3");
    let (id, token) = leased(&store, &v2, 70).await;
    let got = store
        .commit_hydration(id, token, &commit(&v2, "u"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.outcome, PutOutcome::Updated);
    assert!(got.change_id.unwrap() > first_change);
    assert_eq!(store.apps("alice", None).await.unwrap(), vec![v2.clone()]);

    let changes = all_changes(&store).await;
    assert_eq!(changes.len(), 3, "none for Existing");
    assert_eq!(changes[0], upload_completed(&v1).with_id(first_change));
    assert_eq!(changes[2].app_data.as_ref().unwrap().version, "2.0.0");

    // Without a draft, nothing is appended.
    let v3 = record("alice", "demo", "3.0.0", "d4");
    let (id, token) = leased(&store, &v3, 80).await;
    let quiet = HydrationCommit {
        change: None,
        ..commit(&v3, "u")
    };
    let got = store
        .commit_hydration(id, token, &quiet)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((got.outcome, got.change_id), (PutOutcome::Updated, None));
    assert_eq!(all_changes(&store).await.len(), 3);
}

pub async fn stale_commit_writes_nothing(store: Arc<dyn RepoStore>) {
    let r = record("alice", "demo", "1.0.0", "d1");
    let (id, stale) = leased(&store, &r, 0).await;
    assert_eq!(store.reclaim_expired(t(30)).await.unwrap(), 1);
    let token = store
        .lease("w2", 1, Duration::from_secs(30), t(31))
        .await
        .unwrap()[0]
        .lease
        .clone()
        .unwrap()
        .token;
    assert_eq!(
        store
            .commit_hydration(id, stale, &commit(&r, "late"))
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .app("alice", &source(), "demo")
            .await
            .unwrap()
            .is_none()
    );
    assert!(all_changes(&store).await.is_empty());
    assert!(
        store
            .users_with_app(&source(), "demo")
            .await
            .unwrap()
            .is_empty()
    );
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.result), (JobState::Leased, None));

    let got = store
        .commit_hydration(id, token, &commit(&r, "new"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.outcome, PutOutcome::New);
}

pub async fn fail_hydration_appends_render_failed(store: Arc<dyn RepoStore>) {
    let r = record("alice", "demo", "1.0.0", "d1");
    let (id, token) = leased(&store, &r, 0).await;
    let draft = StateChangeDraft::render_failed(r.app_data(), &failure("rendered_chart", 3, true));
    assert_eq!(
        draft.failure_reason.as_deref(),
        Some("rendered_chart broke")
    );
    let failed = HydrationFailure {
        failure: failure("rendered_chart", 3, true),
        retry_at: None,
        change: Some(draft.clone()),
    };
    assert_eq!(
        store.fail_hydration(id, token + 1, &failed).await.unwrap(),
        None,
        "stale"
    );
    assert!(all_changes(&store).await.is_empty());

    let change_id = store
        .fail_hydration(id, token, &failed)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(all_changes(&store).await, vec![draft.with_id(change_id)]);
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!(
        (job.state, job.last_failure),
        (JobState::Failed, Some(failed.failure.clone()))
    );
    assert!(
        store
            .app("alice", &source(), "demo")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .fail_hydration(id, token, &failed.clone())
            .await
            .unwrap(),
        None,
        "once"
    );

    // A retryable failure without a draft appends nothing.
    let r2 = record("alice", "other", "1.0.0", "d1");
    let (id, token) = leased(&store, &r2, 10).await;
    let retry = HydrationFailure {
        failure: failure("image_analysis", 11, false),
        retry_at: Some(t(40)),
        change: None,
    };
    assert_eq!(
        store.fail_hydration(id, token, &retry).await.unwrap(),
        Some(None)
    );
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.next_attempt_at), (JobState::Pending, t(40)));
    assert_eq!(all_changes(&store).await.len(), 1);
}

fn removed(
    user: &str,
    version: &str,
    at: i64,
) -> (StateChangeType, AppData, chrono::DateTime<chrono::Utc>) {
    let data = AppData {
        user_id: user.into(),
        source: "market.olares".into(),
        app_name: "demo".into(),
        version: version.into(),
    };
    (StateChangeType::AppRemoved, data, t(at))
}

fn shape(c: &StateChange) -> (StateChangeType, AppData, chrono::DateTime<chrono::Utc>) {
    (c.kind, c.app_data.clone().unwrap(), c.timestamp)
}

pub async fn removes_an_app_for_one_user_or_all(store: Arc<dyn RepoStore>) {
    for (user, version) in [("carol", "1"), ("alice", "2"), ("bob", "3")] {
        hydrate(&store, &record(user, "demo", version, "d")).await;
    }
    let other = record("alice", "other", "1", "d");
    hydrate(&store, &other).await;
    let before = all_changes(&store).await.len();

    let gone = store
        .remove_app(&source(), "demo", Some("bob"), t(100))
        .await
        .unwrap();
    assert_eq!(gone, vec![record("bob", "demo", "3", "d")]);
    assert_eq!(
        store.users_with_app(&source(), "demo").await.unwrap(),
        ["alice", "carol"]
    );
    let changes = all_changes(&store).await;
    assert_eq!(
        changes[before..].iter().map(shape).collect::<Vec<_>>(),
        [removed("bob", "3", 100)]
    );

    let gone = store
        .remove_app(&source(), "demo", None, t(200))
        .await
        .unwrap();
    let users: Vec<_> = gone.iter().map(|r| r.user.as_str()).collect();
    assert_eq!(users, ["alice", "carol"]);
    let changes = all_changes(&store).await;
    assert_eq!(
        changes[before + 1..].iter().map(shape).collect::<Vec<_>>(),
        [removed("alice", "2", 200), removed("carol", "1", 200)],
    );
    assert!(
        store
            .users_with_app(&source(), "demo")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.apps("alice", None).await.unwrap(),
        vec![other.clone()]
    );
    assert_eq!(store.all_apps().await.unwrap(), vec![other]);

    // Nothing left to remove: nothing appended.
    assert!(
        store
            .remove_app(&source(), "demo", None, t(300))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .remove_app(&source(), "other", Some("bob"), t(300))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(all_changes(&store).await.len(), before + 3);
}

pub async fn partitions_records_by_user(store: Arc<dyn RepoStore>) {
    let alice = record("alice", "demo", "1.0.0", "alice-digest");
    let bob = record("bob", "demo", "1.0.0", "bob-digest");
    let elsewhere = AppRecord {
        source: SourceId::parse("upload").unwrap(),
        ..record("bob", "tool", "0.1.0", "t")
    };
    for r in [&alice, &bob, &elsewhere] {
        assert_eq!(
            hydrate(&store, r).await.outcome,
            PutOutcome::New,
            "per user: {}",
            r.user
        );
    }
    assert_eq!(
        store.app("bob", &source(), "demo").await.unwrap(),
        Some(bob.clone())
    );
    assert_eq!(
        store.app("alice", &source(), "demo").await.unwrap(),
        Some(alice.clone())
    );
    assert!(
        store
            .app("carol", &source(), "demo")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .app("alice", &elsewhere.source, "tool")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.apps("alice", None).await.unwrap(),
        vec![alice.clone()]
    );
    assert_eq!(
        store.apps("bob", None).await.unwrap(),
        vec![bob.clone(), elsewhere.clone()]
    );
    assert_eq!(
        store.apps("bob", Some(&source())).await.unwrap(),
        vec![bob.clone()]
    );
    assert_eq!(
        store.apps("bob", Some(&elsewhere.source)).await.unwrap(),
        vec![elsewhere.clone()]
    );
    assert!(store.apps("carol", None).await.unwrap().is_empty());
    let everything = vec![alice.clone(), bob.clone(), elsewhere.clone()];
    assert_eq!(store.all_apps().await.unwrap(), everything);
    for limit in [1, 2, 5] {
        let mut paged = Vec::new();
        let mut after = None;
        loop {
            let page = store.apps_page(after.as_ref(), limit).await.unwrap();
            assert!(page.len() <= limit);
            let Some(last) = page.last() else { break };
            after = Some(last.key());
            paged.extend(page);
        }
        assert_eq!(paged, everything, "pages of {limit}");
    }
    assert_eq!(
        store.users_with_app(&source(), "demo").await.unwrap(),
        ["alice", "bob"]
    );

    let d = Download {
        version: "1.0.0".into(),
        source: source(),
        at: t(5),
    };
    store.record_download("alice", "demo", &d).await.unwrap();
    assert!(store.last_download("bob", "demo").await.unwrap().is_none());
    assert_eq!(store.last_download("alice", "demo").await.unwrap(), Some(d));
}
