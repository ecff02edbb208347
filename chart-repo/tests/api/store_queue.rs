//! Contract cases of the hydration queue (see `store.rs`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use chart_repo::store::{Failure, JobState, QueueCounts, RepoStore};
use serde_json::json;

use crate::store::{key, t};

const LEASE: Duration = Duration::from_secs(30);

pub fn failure(step: &str, at: i64, permanent: bool) -> Failure {
    Failure {
        step: step.into(),
        reason: format!("{step} broke"),
        time: t(at),
        retry_count: 0,
        permanent,
    }
}

pub async fn enqueue_dedups_live_jobs(store: Arc<dyn RepoStore>) {
    let k = key("alice", "demo", "1.0.0");
    let first = store.enqueue(&k, &json!({"n": 1}), t(0)).await.unwrap();
    assert!(!first.deduplicated);
    let again = store.enqueue(&k, &json!({"n": 2}), t(1)).await.unwrap();
    assert_eq!((again.job_id, again.deduplicated), (first.job_id, true));
    let other = store
        .enqueue(&key("alice", "demo", "1.0.1"), &json!({}), t(1))
        .await
        .unwrap();
    assert!(!other.deduplicated);
    assert_ne!(other.job_id, first.job_id);

    let job = store.job(first.job_id).await.unwrap().unwrap();
    assert_eq!(job.key, k);
    assert_eq!(
        job.request,
        json!({"n": 1}),
        "the first request is kept verbatim"
    );
    assert_eq!(
        (job.state, job.attempts, job.next_attempt_at),
        (JobState::Pending, 0, t(0))
    );
    assert_eq!((job.created_at, job.updated_at), (t(0), t(0)));
    assert!(job.lease.is_none() && job.last_failure.is_none() && job.result.is_none());

    // Still deduplicated while leased.
    let leased = store.lease("w1", 1, LEASE, t(2)).await.unwrap();
    assert_eq!(leased[0].id, first.job_id);
    let again = store.enqueue(&k, &json!({}), t(3)).await.unwrap();
    assert_eq!((again.job_id, again.deduplicated), (first.job_id, true));

    // A done job does not block a new one, and job_by_key finds the newest.
    assert!(
        store
            .complete(first.job_id, 1, &json!("ok"), t(4))
            .await
            .unwrap()
    );
    let fresh = store.enqueue(&k, &json!({"n": 3}), t(5)).await.unwrap();
    assert!(!fresh.deduplicated);
    assert!(fresh.job_id > first.job_id);
    let latest = store.job_by_key(&k).await.unwrap().unwrap();
    assert_eq!((latest.id, latest.request), (fresh.job_id, json!({"n": 3})));
    assert!(
        store
            .job_by_key(&key("bob", "demo", "1.0.0"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.job(fresh.job_id + 100).await.unwrap().is_none());
}

pub async fn lease_takes_due_jobs_oldest_first(store: Arc<dyn RepoStore>) {
    let a = store
        .enqueue(&key("u", "a", "1"), &json!({}), t(10))
        .await
        .unwrap()
        .job_id;
    let b = store
        .enqueue(&key("u", "b", "1"), &json!({}), t(5))
        .await
        .unwrap()
        .job_id;
    let c = store
        .enqueue(&key("u", "c", "1"), &json!({}), t(20))
        .await
        .unwrap()
        .job_id;
    let d = store
        .enqueue(&key("u", "d", "1"), &json!({}), t(10))
        .await
        .unwrap()
        .job_id;
    assert!(
        store.lease("w", 10, LEASE, t(4)).await.unwrap().is_empty(),
        "nothing due yet"
    );

    let got = store.lease("w", 10, LEASE, t(15)).await.unwrap();
    let ids: Vec<_> = got.iter().map(|j| j.id).collect();
    assert_eq!(ids, vec![b, a, d], "by due time, then id; c is not due");
    for job in &got {
        assert_eq!((job.state, job.attempts), (JobState::Leased, 1));
        let lease = job.lease.as_ref().unwrap();
        assert_eq!((lease.worker.as_str(), lease.token), ("w", 1));
        assert_eq!(lease.deadline, t(45));
        assert_eq!(job.updated_at, t(15));
    }
    assert_eq!(
        store.job(a).await.unwrap().unwrap(),
        got[1],
        "job() agrees with lease()"
    );
    assert_eq!(
        store.queue_counts().await.unwrap(),
        QueueCounts {
            pending: 1,
            leased: 3,
            done: 0,
            failed: 0
        }
    );
    let later = store.lease("w", 10, LEASE, t(20)).await.unwrap();
    assert_eq!(later.iter().map(|j| j.id).collect::<Vec<_>>(), vec![c]);
}

pub async fn lease_takes_at_most_max(store: Arc<dyn RepoStore>) {
    for i in 0..5 {
        store
            .enqueue(&key("u", &format!("app{i}"), "1"), &json!({}), t(0))
            .await
            .unwrap();
    }
    assert!(store.lease("w", 0, LEASE, t(1)).await.unwrap().is_empty());
    let sizes = [
        store.lease("w", 2, LEASE, t(1)).await.unwrap().len(),
        store.lease("w", 2, LEASE, t(1)).await.unwrap().len(),
        store.lease("w", 2, LEASE, t(1)).await.unwrap().len(),
        store.lease("w", 2, LEASE, t(1)).await.unwrap().len(),
    ];
    assert_eq!(sizes, [2, 2, 1, 0]);
    // Unbounded arguments saturate instead of failing.
    store
        .enqueue(&key("u", "last", "1"), &json!({}), t(0))
        .await
        .unwrap();
    let all = store
        .lease("w", usize::MAX, Duration::MAX, t(1))
        .await
        .unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].lease.as_ref().unwrap().deadline > t(1_000_000_000));
}

pub async fn concurrent_leases_never_share_a_job(store: Arc<dyn RepoStore>) {
    let mut all = BTreeSet::new();
    for i in 0..60 {
        let id = store
            .enqueue(&key("u", &format!("app{i}"), "1"), &json!({}), t(0))
            .await;
        all.insert(id.unwrap().job_id);
    }
    let workers = (0..2).map(|w| {
        let store = store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = store.lease(&format!("w{w}"), 3, LEASE, t(1)).await.unwrap();
                if got.is_empty() {
                    return mine;
                }
                mine.extend(got.into_iter().map(|j| j.id));
            }
        })
    });
    let mut seen = BTreeSet::new();
    for worker in workers.collect::<Vec<_>>() {
        for id in worker.await.unwrap() {
            assert!(seen.insert(id), "job {id} was leased twice");
        }
    }
    assert_eq!(seen, all);
    assert_eq!(store.queue_counts().await.unwrap().leased, 60);
}

pub async fn expired_lease_is_reclaimed_and_stale_token_is_refused(store: Arc<dyn RepoStore>) {
    let id = store
        .enqueue(&key("u", "a", "1"), &json!({}), t(0))
        .await
        .unwrap()
        .job_id;
    let first = store.lease("w1", 1, LEASE, t(0)).await.unwrap().remove(0);
    let stale = first.lease.unwrap().token;
    assert!(store.heartbeat(id, stale, t(60)).await.unwrap());
    assert_eq!(
        store
            .job(id)
            .await
            .unwrap()
            .unwrap()
            .lease
            .unwrap()
            .deadline,
        t(60)
    );
    assert_eq!(
        store.reclaim_expired(t(59)).await.unwrap(),
        0,
        "the heartbeat extended it"
    );
    assert_eq!(store.reclaim_expired(t(60)).await.unwrap(), 1);
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!(
        (job.state, job.attempts, job.next_attempt_at),
        (JobState::Pending, 1, t(0))
    );
    assert!(job.lease.is_none());

    let second = store.lease("w2", 1, LEASE, t(61)).await.unwrap().remove(0);
    let lease = second.lease.clone().unwrap();
    assert_eq!((second.attempts, lease.worker.as_str()), (2, "w2"));
    assert_ne!(lease.token, stale);

    assert!(!store.heartbeat(id, stale, t(500)).await.unwrap());
    assert!(
        !store
            .complete(id, stale, &json!("late"), t(62))
            .await
            .unwrap()
    );
    assert!(
        !store
            .fail(id, stale, &failure("x", 62, true), None)
            .await
            .unwrap()
    );
    assert!(
        !store
            .fail(id, stale, &failure("x", 62, false), Some(t(70)))
            .await
            .unwrap()
    );
    assert_eq!(
        store.job(id).await.unwrap().unwrap(),
        second,
        "stale calls change nothing"
    );

    assert!(
        store
            .complete(id, lease.token, &json!("ok"), t(63))
            .await
            .unwrap()
    );
}

pub async fn lease_reclaims_expired_jobs_itself(store: Arc<dyn RepoStore>) {
    let id = store
        .enqueue(&key("u", "a", "1"), &json!({}), t(0))
        .await
        .unwrap()
        .job_id;
    store.lease("w1", 1, LEASE, t(0)).await.unwrap();
    assert!(store.lease("w2", 1, LEASE, t(29)).await.unwrap().is_empty());
    let got = store.lease("w2", 1, LEASE, t(30)).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (
            got[0].id,
            got[0].attempts,
            got[0].lease.as_ref().unwrap().token
        ),
        (id, 2, 2)
    );
}

pub async fn completes_exactly_once(store: Arc<dyn RepoStore>) {
    let id = store
        .enqueue(&key("u", "a", "1"), &json!({}), t(0))
        .await
        .unwrap()
        .job_id;
    let token = store.lease("w", 1, LEASE, t(1)).await.unwrap()[0]
        .lease
        .clone()
        .unwrap()
        .token;
    assert!(
        store
            .complete(id, token, &json!({"status": "new"}), t(2))
            .await
            .unwrap()
    );
    assert!(
        !store
            .complete(id, token, &json!({"status": "again"}), t(3))
            .await
            .unwrap()
    );
    assert!(
        !store
            .fail(id, token, &failure("x", 3, true), None)
            .await
            .unwrap()
    );
    assert!(!store.heartbeat(id, token, t(100)).await.unwrap());
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!(job.result, Some(json!({"status": "new"})));
    assert_eq!(job.updated_at, t(2));
    assert!(job.lease.is_none());
    assert_eq!(
        store.queue_counts().await.unwrap(),
        QueueCounts {
            pending: 0,
            leased: 0,
            done: 1,
            failed: 0
        }
    );
    assert!(
        store
            .lease("w", 1, LEASE, t(1000))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn retryable_failure_returns_to_pending_at_retry_time(store: Arc<dyn RepoStore>) {
    let k = key("u", "a", "1");
    let id = store.enqueue(&k, &json!({}), t(0)).await.unwrap().job_id;
    let token = store.lease("w", 1, LEASE, t(0)).await.unwrap()[0]
        .lease
        .clone()
        .unwrap()
        .token;
    let f = failure("source_chart", 5, false);
    assert!(store.fail(id, token, &f, Some(t(100))).await.unwrap());
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!(
        (job.state, job.attempts, job.next_attempt_at),
        (JobState::Pending, 1, t(100))
    );
    assert_eq!(job.last_failure, Some(f));
    assert!(job.lease.is_none());
    assert_eq!(
        store.enqueue(&k, &json!({}), t(6)).await.unwrap().job_id,
        id,
        "still live"
    );

    assert!(store.lease("w", 1, LEASE, t(99)).await.unwrap().is_empty());
    let again = store.lease("w", 1, LEASE, t(100)).await.unwrap();
    assert_eq!((again[0].id, again[0].attempts), (id, 2));
    assert!(
        again[0].last_failure.is_some(),
        "the last failure stays visible while retrying"
    );
}

pub async fn permanent_failure_frees_the_key(store: Arc<dyn RepoStore>) {
    let k = key("u", "a", "1");
    let id = store.enqueue(&k, &json!({}), t(0)).await.unwrap().job_id;
    let token = store.lease("w", 1, LEASE, t(0)).await.unwrap()[0]
        .lease
        .clone()
        .unwrap()
        .token;
    let f = failure("rendered_chart", 1, true);
    assert!(store.fail(id, token, &f, None).await.unwrap());
    let job = store.job(id).await.unwrap().unwrap();
    assert_eq!((job.state, job.last_failure), (JobState::Failed, Some(f)));
    assert_eq!(
        store.queue_counts().await.unwrap(),
        QueueCounts {
            pending: 0,
            leased: 0,
            done: 0,
            failed: 1
        }
    );
    assert!(
        store
            .lease("w", 1, LEASE, t(1000))
            .await
            .unwrap()
            .is_empty()
    );
    // The documented rule: a failed job never blocks a new one for its key.
    let next = store.enqueue(&k, &json!({}), t(2)).await.unwrap();
    assert!(!next.deduplicated);
    assert_eq!(store.job_by_key(&k).await.unwrap().unwrap().id, next.job_id);
}

pub async fn purge_finished_keeps_live_jobs(store: Arc<dyn RepoStore>) {
    let done_key = key("u", "done", "1");
    let done = store
        .enqueue(&done_key, &json!({}), t(0))
        .await
        .unwrap()
        .job_id;
    let failed = store
        .enqueue(&key("u", "failed", "1"), &json!({}), t(0))
        .await
        .unwrap()
        .job_id;
    let leased = store.lease("w", 2, LEASE, t(0)).await.unwrap();
    assert!(
        store
            .complete(done, leased[0].attempts.into(), &json!(1), t(10))
            .await
            .unwrap()
    );
    assert!(
        store
            .fail(failed, 1, &failure("x", 20, true), None)
            .await
            .unwrap()
    );
    let pending = store
        .enqueue(&key("u", "pending", "1"), &json!({}), t(30))
        .await
        .unwrap();
    let held = store
        .enqueue(&key("u", "leased", "1"), &json!({}), t(0))
        .await
        .unwrap();
    assert_eq!(
        store.lease("w", 1, LEASE, t(1)).await.unwrap()[0].id,
        held.job_id
    );

    assert_eq!(
        store.purge_finished(t(10)).await.unwrap(),
        0,
        "strictly before"
    );
    assert_eq!(store.purge_finished(t(15)).await.unwrap(), 1);
    assert!(store.job(done).await.unwrap().is_none());
    assert!(store.job_by_key(&done_key).await.unwrap().is_none());
    assert_eq!(
        store.queue_counts().await.unwrap(),
        QueueCounts {
            pending: 1,
            leased: 1,
            done: 0,
            failed: 1
        }
    );
    assert_eq!(store.purge_finished(t(1000)).await.unwrap(), 1);
    assert!(store.job(failed).await.unwrap().is_none());
    assert_eq!(
        store.queue_counts().await.unwrap(),
        QueueCounts {
            pending: 1,
            leased: 1,
            done: 0,
            failed: 0
        }
    );
    assert!(store.job(pending.job_id).await.unwrap().is_some());
    assert!(store.job(held.job_id).await.unwrap().is_some());
}
