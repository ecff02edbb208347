//! Contract cases of tasks, their history and app states (see `store.rs`).

use std::sync::Arc;

use market::store::{AppStateRecord, MarketStore, NewTask, TaskEnd, TaskFilter, TaskRequest};
use market_model::task::{TaskError, TaskKind, TaskStatus};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::store::t;

fn new(user: &str, app: &str, kind: TaskKind) -> NewTask {
    NewTask {
        user: user.into(),
        app_name: app.into(),
        kind,
        source: "market.olares".into(),
        version: "1.0.0".into(),
        request: TaskRequest {
            envs: vec![market_model::task::AppEnvVar {
                env_name: "A".into(),
                value: "1".into(),
                value_from: None,
            }],
            ..TaskRequest::default()
        },
        token: Some(SecretString::from("tok-secret".to_owned())),
        idempotency_key: None,
        request_id: None,
    }
}

fn err(code: &str) -> TaskError {
    TaskError {
        code: code.into(),
        message: "m".into(),
        retryable: code == "app_service_unavailable",
        backend_response: Some(
            json!({"code": 422, "data": {"type": "appenv", "Data": {"missingValues": [1]}}}),
        ),
    }
}

pub async fn submit_is_idempotent(store: Arc<dyn MarketStore>) {
    let a = store
        .submit_task(&new("alice", "x", TaskKind::Install), t(0))
        .await
        .unwrap();
    assert!(a.created);
    assert_eq!((a.task.status, a.task.attempts), (TaskStatus::Pending, 0));
    let again = store
        .submit_task(&new("alice", "x", TaskKind::Install), t(1))
        .await
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.task.id, a.task.id);
    // Another kind, user or app is another task.
    let up = store
        .submit_task(&new("alice", "x", TaskKind::Upgrade), t(1))
        .await
        .unwrap();
    let bob = store
        .submit_task(&new("bob", "x", TaskKind::Install), t(1))
        .await
        .unwrap();
    assert!(up.created && bob.created && up.task.id != bob.task.id);
    // An idempotency key returns its task, even once it ended.
    let mut keyed = new("alice", "y", TaskKind::Install);
    keyed.idempotency_key = Some("k1".into());
    let k = store.submit_task(&keyed, t(2)).await.unwrap();
    store
        .finish_task(k.task.id, &TaskEnd::Completed, None, t(3))
        .await
        .unwrap();
    let k2 = store.submit_task(&keyed, t(4)).await.unwrap();
    assert_eq!(
        (k2.task.id, k2.created, k2.task.status),
        (k.task.id, false, TaskStatus::Completed)
    );
    // Without the key, a finished task does not block a new one.
    let fresh = store
        .submit_task(&new("alice", "y", TaskKind::Install), t(5))
        .await
        .unwrap();
    assert!(fresh.created && fresh.task.id != k.task.id);
    // Concurrent identical submissions make one task.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let store = store.clone();
        set.spawn(async move {
            store
                .submit_task(&new("carol", "z", TaskKind::Install), t(6))
                .await
                .unwrap()
        });
    }
    let mut ids = Vec::new();
    while let Some(s) = set.join_next().await {
        ids.push(s.unwrap().task.id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
}

pub async fn lease_accept_and_never_again(store: Arc<dyn MarketStore>) {
    let a = store
        .submit_task(&new("alice", "x", TaskKind::Install), t(0))
        .await
        .unwrap()
        .task;
    let leased = store.lease_task("w1", t(1), t(31)).await.unwrap().unwrap();
    assert_eq!(leased.task.id, a.id);
    assert_eq!(
        (leased.task.status, leased.task.attempts),
        (TaskStatus::Running, 1)
    );
    assert_eq!(leased.token.as_ref().unwrap().expose_secret(), "tok-secret");
    assert_eq!(leased.request.envs[0].env_name, "A");
    assert!(store.lease_task("w2", t(2), t(32)).await.unwrap().is_none());
    assert!(store.heartbeat_task(a.id, "w1", t(40)).await.unwrap());
    assert!(!store.heartbeat_task(a.id, "w2", t(40)).await.unwrap());
    // Not expired at 35 (heartbeat moved it to 40).
    assert!(
        store
            .lease_task("w2", t(35), t(65))
            .await
            .unwrap()
            .is_none()
    );
    assert!(!store.accept_task(a.id, "w2", "op", t(3)).await.unwrap());
    assert!(store.accept_task(a.id, "w1", "op-1", t(3)).await.unwrap());
    let got = store.task(a.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.op_id.as_deref()),
        (TaskStatus::Running, Some("op-1"))
    );
    // Accepted: never leased again, whatever the time.
    assert!(
        store
            .lease_task("w2", t(10_000), t(10_030))
            .await
            .unwrap()
            .is_none()
    );
    let done = store
        .finish_task(a.id, &TaskEnd::Completed, Some("running"), t(50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.status, done.app_state.as_deref()),
        (TaskStatus::Completed, Some("running"))
    );
    assert_eq!(done.finished_at, Some(t(50)));
    assert!(
        store
            .finish_task(a.id, &TaskEnd::Completed, None, t(51))
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn expired_lease_is_taken_over(store: Arc<dyn MarketStore>) {
    let a = store
        .submit_task(&new("alice", "x", TaskKind::Install), t(0))
        .await
        .unwrap()
        .task;
    store
        .lease_task("dead", t(1), t(31))
        .await
        .unwrap()
        .unwrap();
    assert!(store.lease_task("w", t(30), t(60)).await.unwrap().is_none());
    let again = store.lease_task("w", t(32), t(62)).await.unwrap().unwrap();
    assert_eq!((again.task.id, again.task.attempts), (a.id, 2));
    assert!(!store.accept_task(a.id, "dead", "op", t(33)).await.unwrap());
}

pub async fn one_running_per_app_and_cancels_beside(store: Arc<dyn MarketStore>) {
    let install = store
        .submit_task(&new("alice", "x", TaskKind::Install), t(0))
        .await
        .unwrap()
        .task;
    let upgrade = store
        .submit_task(&new("alice", "x", TaskKind::Upgrade), t(1))
        .await
        .unwrap()
        .task;
    let other = store
        .submit_task(&new("bob", "x", TaskKind::Install), t(2))
        .await
        .unwrap()
        .task;
    assert_eq!(
        store
            .lease_task("w", t(3), t(33))
            .await
            .unwrap()
            .unwrap()
            .task
            .id,
        install.id
    );
    // The upgrade waits for the install; bob's runs.
    assert_eq!(
        store
            .lease_task("w", t(3), t(33))
            .await
            .unwrap()
            .unwrap()
            .task
            .id,
        other.id
    );
    assert!(store.lease_task("w", t(3), t(33)).await.unwrap().is_none());
    let cancel = store
        .submit_task(&new("alice", "x", TaskKind::Cancel), t(4))
        .await
        .unwrap()
        .task;
    assert_eq!(
        store
            .lease_task("w", t(5), t(35))
            .await
            .unwrap()
            .unwrap()
            .task
            .id,
        cancel.id
    );
    store
        .finish_task(
            install.id,
            &TaskEnd::Canceled {
                by: Some(cancel.id),
            },
            None,
            t(6),
        )
        .await
        .unwrap();
    assert_eq!(
        store.task(install.id).await.unwrap().unwrap().canceled_by,
        Some(cancel.id)
    );
    assert_eq!(
        store
            .lease_task("w", t(7), t(37))
            .await
            .unwrap()
            .unwrap()
            .task
            .id,
        upgrade.id
    );
}

pub async fn retry_waits_for_its_time(store: Arc<dyn MarketStore>) {
    let a = store
        .submit_task(&new("alice", "x", TaskKind::Install), t(0))
        .await
        .unwrap()
        .task;
    store.lease_task("w", t(1), t(31)).await.unwrap().unwrap();
    assert!(
        store
            .retry_task(a.id, "w", &err("app_service_unavailable"), t(10), t(2))
            .await
            .unwrap()
    );
    let got = store.task(a.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status, got.next_attempt_at),
        (TaskStatus::Pending, Some(t(10)))
    );
    assert_eq!(got.error.unwrap().code, "app_service_unavailable");
    assert!(store.lease_task("w", t(9), t(39)).await.unwrap().is_none());
    let again = store.lease_task("w", t(10), t(40)).await.unwrap().unwrap();
    assert_eq!(again.task.attempts, 2);
    let failed = err("app_env_required");
    let done = store
        .finish_task(a.id, &TaskEnd::Failed(failed.clone()), None, t(11))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (done.status, done.error),
        (TaskStatus::Failed, Some(failed))
    );
}

pub async fn cancel_pending_only(store: Arc<dyn MarketStore>) {
    let a = store
        .submit_task(&new("alice", "x", TaskKind::Install), t(0))
        .await
        .unwrap()
        .task;
    let c = store
        .cancel_pending_task(a.id, None, t(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.status, TaskStatus::Canceled);
    assert!(
        store
            .cancel_pending_task(a.id, None, t(2))
            .await
            .unwrap()
            .is_none()
    );
    let b = store
        .submit_task(&new("alice", "y", TaskKind::Install), t(3))
        .await
        .unwrap()
        .task;
    store.lease_task("w", t(4), t(34)).await.unwrap().unwrap();
    assert!(
        store
            .cancel_pending_task(b.id, None, t(5))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.task(b.id).await.unwrap().unwrap().status,
        TaskStatus::Running
    );
}

pub async fn lists_filter_and_partition(store: Arc<dyn MarketStore>) {
    let a = store
        .submit_task(&new("alice", "x", TaskKind::Install), t(0))
        .await
        .unwrap()
        .task;
    let b = store
        .submit_task(&new("alice", "y", TaskKind::Uninstall), t(1))
        .await
        .unwrap()
        .task;
    store
        .submit_task(&new("bob", "x", TaskKind::Install), t(2))
        .await
        .unwrap();
    store
        .finish_task(a.id, &TaskEnd::Completed, None, t(3))
        .await
        .unwrap();
    let all = TaskFilter {
        limit: 100,
        ..TaskFilter::default()
    };
    let ids: Vec<_> = store
        .tasks("alice", &all)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(ids, vec![b.id, a.id]);
    let f = TaskFilter {
        status: Some(TaskStatus::Completed),
        ..all.clone()
    };
    assert_eq!(store.tasks("alice", &f).await.unwrap().len(), 1);
    let f = TaskFilter {
        kind: Some(TaskKind::Uninstall),
        ..all.clone()
    };
    assert_eq!(store.tasks("alice", &f).await.unwrap()[0].id, b.id);
    let f = TaskFilter {
        app: Some("x".into()),
        ..all.clone()
    };
    assert_eq!(store.tasks("alice", &f).await.unwrap()[0].id, a.id);
    let f = TaskFilter {
        limit: 1,
        ..all.clone()
    };
    assert_eq!(store.tasks("alice", &f).await.unwrap().len(), 1);
    assert_eq!(store.active_tasks(Some("alice")).await.unwrap().len(), 1);
    assert_eq!(store.active_tasks(None).await.unwrap().len(), 2);
}

pub async fn history_on_start_and_end(store: Arc<dyn MarketStore>) {
    let a = store
        .submit_task(&new("alice", "x", TaskKind::Install), t(0))
        .await
        .unwrap()
        .task;
    store
        .submit_task(&new("bob", "x", TaskKind::Install), t(0))
        .await
        .unwrap();
    store.lease_task("w", t(1), t(31)).await.unwrap().unwrap();
    store
        .finish_task(
            a.id,
            &TaskEnd::Failed(err("app_service_rejected")),
            None,
            t(2),
        )
        .await
        .unwrap();
    let h = store.history("alice", 100).await.unwrap();
    assert_eq!(h.len(), 2, "{h:?}");
    assert_eq!((h[0].kind.as_str(), h[0].app.as_str()), ("install", "x"));
    assert!(h[0].message.contains("started") && h[1].message.contains("failed"));
    assert_eq!(h[1].extended["task_id"], a.id);
    assert_eq!(h[1].at, t(2));
    assert!(store.history("bob", 100).await.unwrap().is_empty());
    assert_eq!(store.history("alice", 1).await.unwrap()[0].id, h[1].id);
}

pub async fn keeps_app_states(store: Arc<dyn MarketStore>) {
    let rec = |user: &str, app: &str, state: &str, at| AppStateRecord {
        user: user.into(),
        app_name: app.into(),
        state: state.into(),
        doc: json!({"state": state, "é": [1]}),
        updated_at: t(at),
    };
    store
        .put_app_state(&rec("alice", "b", "installing", 1))
        .await
        .unwrap();
    store
        .put_app_state(&rec("alice", "a", "running", 2))
        .await
        .unwrap();
    store
        .put_app_state(&rec("bob", "a", "stopped", 2))
        .await
        .unwrap();
    store
        .put_app_state(&rec("alice", "b", "running", 3))
        .await
        .unwrap();
    let got = store.app_states("alice").await.unwrap();
    assert_eq!(
        got,
        vec![
            rec("alice", "a", "running", 2),
            rec("alice", "b", "running", 3)
        ]
    );
    assert_eq!(store.app_states("bob").await.unwrap().len(), 1);
}
