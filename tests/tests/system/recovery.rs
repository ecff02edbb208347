//! Issue 9 item 5: market killed (`kill -9`) with tasks pending and running, and
//! PostgreSQL restarted under a running market. After either, every task ends exactly
//! once and app-service received each operation at most once per task.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use e2e::app_service_sim::{AppState, OpType};
use e2e::system::{Answer, Profile, System, SystemConfig};
use serde_json::{Value, json};
use test_harness::eventually;

use crate::{RENDERED_WITHIN, WITHIN, call_counts, task_counts};

const APPS: [&str; 3] = ["ghost", "uptimekuma", "paddleocrv3"];

/// Slow enough walks that a test acts while installs are accepted but not yet running
/// (an install walk is four steps), with pending uninstalls queued behind them.
fn slow(profile: Profile) -> SystemConfig {
    SystemConfig {
        profile,
        apps: APPS.iter().map(|a| (*a).to_owned()).collect(),
        step: Duration::from_millis(1500),
        task_workers: 2,
        poll_interval: Duration::from_millis(300),
        lease: Duration::from_secs(2),
        ..SystemConfig::default()
    }
}

/// (user, app) pairs the recovery tests operate on.
fn work() -> Vec<(&'static str, &'static str)> {
    let mut w: Vec<_> = APPS.iter().map(|a| ("alice", *a)).collect();
    w.extend(APPS[..2].iter().map(|a| ("bob", *a)));
    w
}

/// Submits an install then an uninstall of every pair; waits until every install was
/// accepted by app-service (the uninstalls stay pending behind them). The task ids.
async fn installs_running_uninstalls_pending(system: &System) -> Vec<(&'static str, i64)> {
    for (user, app) in work() {
        system.until_rendered(user, app, "", RENDERED_WITHIN).await;
    }
    let mut ids = Vec::new();
    let mut installs = Vec::new();
    for (user, app) in work() {
        let install = system.install(user, app, json!([]), false).await;
        assert_eq!(install.status, 200, "{}", install.body);
        installs.push((user, install.task_id()));
        let uninstall = uninstall(system, user, app).await;
        assert_eq!(uninstall.status, 200, "{}", uninstall.body);
        ids.push((user, install.task_id()));
        ids.push((user, uninstall.task_id()));
    }
    for (user, id) in &installs {
        eventually(WITHIN, &format!("install {id} accepted"), || async {
            let t = system.task(user, *id).await;
            t["op_id"].is_string().then_some(())
        })
        .await;
    }
    // Nothing ended yet: the installs are running, the uninstalls pending.
    for (user, id) in &ids {
        let t = system.task(user, *id).await;
        let expected = if t["type"] == "install" {
            "running"
        } else {
            "pending"
        };
        assert_eq!(t["status"], expected, "the walks are too fast: {t}");
    }
    ids
}

async fn uninstall(system: &System, user: &str, app: &str) -> Answer {
    system
        .call(reqwest::Method::DELETE, &format!("/apps/{app}"), user, None)
        .await
}

/// Every task ended, each with exactly one terminal history row, and app-service got
/// each operation exactly once per task (no task repeated its call).
async fn assert_each_task_ended_once(system: &System, ids: &[(&str, i64)]) {
    for (user, id) in ids {
        let t = system.until_ended(user, *id, WITHIN).await;
        assert_eq!(t["status"], "completed", "{t}");
    }
    let mut tasks: Vec<Value> = Vec::new();
    for user in ["alice", "bob"] {
        let mine = system.tasks(user).await;
        assert_eq!(
            mine.len(),
            ids.iter().filter(|(u, _)| u == &user).count(),
            "nothing lost, nothing added: {mine:#?}"
        );
        let logs = system.get("/logs?size=1000", user).await;
        let mut ends: BTreeMap<i64, usize> = BTreeMap::new();
        for r in logs.body["data"]["records"].as_array().unwrap() {
            let ext: Value = serde_json::from_str(r["extended"].as_str().unwrap()).unwrap();
            if matches!(
                ext["status"].as_str(),
                Some("completed" | "failed" | "canceled")
            ) {
                *ends.entry(ext["task_id"].as_i64().unwrap()).or_insert(0) += 1;
            }
        }
        for t in &mine {
            let id = t["id"].as_i64().unwrap();
            assert_eq!(
                ends.get(&id),
                Some(&1),
                "task {id} ended once: {}",
                logs.body
            );
        }
        tasks.extend(mine);
    }
    let calls = system.sim.calls();
    assert_eq!(call_counts(&calls), task_counts(&tasks), "{calls:#?}");
    assert!(calls.iter().all(|c| c.status == Some(200)), "{calls:#?}");
    assert!(system.sim.apps().is_empty(), "{:?}", system.sim.apps());
}

async fn market_killed_with_tasks_pending_and_running(profile: Profile) {
    let started = Instant::now();
    let mut system = System::start(slow(profile)).await;
    let ids = installs_running_uninstalls_pending(&system).await;
    system.kill_market();
    // The walks go on while market is dead: their events are lost, so after the
    // restart only the `/all/apps` poll can end the installs.
    eventually(WITHIN, "every install to run", || async {
        work()
            .iter()
            .all(|(u, a)| system.sim.state_of(u, a) == Some(AppState::Running))
            .then_some(())
    })
    .await;
    let (_, dropped) = system.sim.events_delivered();
    assert!(dropped > 0, "events were sent while market was dead");
    system.start_market();
    assert_each_task_ended_once(&system, &ids).await;
    for (user, app) in work() {
        assert_eq!(system.sim.count(user, app, OpType::Install), 1);
        assert_eq!(system.sim.count(user, app, OpType::Uninstall), 1);
    }
    eprintln!("kill -9 on {profile:?}: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_killed_with_tasks_pending_and_running_on_sqlite() {
    market_killed_with_tasks_pending_and_running(Profile::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn market_killed_with_tasks_pending_and_running_on_postgres() {
    market_killed_with_tasks_pending_and_running(Profile::Production).await;
}

/// An answer while the store is down: 503 `store_unavailable`, soon.
async fn assert_unavailable(
    system: &System,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) {
    let asked = Instant::now();
    let a = system.call(method, path, "alice", body).await;
    let took = asked.elapsed();
    assert_eq!(a.status, 503, "{path}: {}", a.body);
    assert_eq!(a.body["code"], "store_unavailable", "{path}: {}", a.body);
    assert_eq!(a.body["success"], false);
    eprintln!("{path}: 503 after {took:?}");
    assert!(took < Duration::from_secs(8), "{path} took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_restart_answers_503_meanwhile_and_work_resumes_by_itself() {
    let started = Instant::now();
    // A lease of 2 s (the kill test's, for a quick takeover) can run out on a busy
    // machine just after PostgreSQL is back; the worker then abandons a call
    // app-service may already have, and the retry is a second (refused) call.
    let config = SystemConfig {
        lease: Duration::from_secs(6),
        ..slow(Profile::Production)
    };
    let mut system = System::start(config).await;
    let pid = system.market().pid();
    let ids = installs_running_uninstalls_pending(&system).await;

    system.postgres.as_mut().unwrap().stop();
    assert_unavailable(&system, reqwest::Method::GET, "/tasks", None).await;
    assert_unavailable(
        &system,
        reqwest::Method::GET,
        &format!("/tasks/{}", ids[0].1),
        None,
    )
    .await;
    assert_unavailable(&system, reqwest::Method::GET, "/market/state", None).await;
    assert_unavailable(
        &system,
        reqwest::Method::POST,
        "/apps/ghost/install",
        Some(json!({"source": e2e::system::SOURCE, "app_name": "ghost", "version": "1.0.15"})),
    )
    .await;
    let ready = reqwest::get(format!("{}/readyz", system.market_url))
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    // The walks end while the store is down: market refuses their events.
    eventually(WITHIN, "every install to run", || async {
        work()
            .iter()
            .all(|(u, a)| system.sim.state_of(u, a) == Some(AppState::Running))
            .then_some(())
    })
    .await;
    eventually(WITHIN, "the simulator to give up on an event", || async {
        (system.sim.events_delivered().1 > 0).then_some(())
    })
    .await;

    system.postgres.as_mut().unwrap().start_again();
    assert_each_task_ended_once(&system, &ids).await;
    assert_eq!(system.market().pid(), pid, "market was not restarted");
    for (user, app) in work() {
        assert_eq!(system.sim.count(user, app, OpType::Install), 1);
        assert_eq!(system.sim.count(user, app, OpType::Uninstall), 1);
    }
    eprintln!("PostgreSQL restart: {:?}", started.elapsed());
}
