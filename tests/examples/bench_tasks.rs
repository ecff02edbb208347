//! The task engine under load (issue 9 item 6, `scripts/bench-tasks.sh`): the whole
//! system (`e2e::system`: market, chart-repo, `market source serve`, the simulator) on
//! loopback; N users each get every catalog app rendered, then `requests` install
//! requests go out at once, spread over the users (one per (user, app)). Reports, as
//! `key value` lines: the submit latency (request sent → answered, the task committed)
//! percentiles, and tasks/s from the first submit to the moment market showed every task
//! completed (checked on `/tasks` once the simulator ran every app, so the figure
//! includes up to one check round).
//!
//! `bench_tasks [embedded|production] [USERS] [REQUESTS] [STEP_MS]`

#![allow(clippy::unwrap_used)] // a benchmark driver: a failed step must stop it

use std::time::{Duration, Instant};

use e2e::system::{Profile, SOURCE, System, SystemConfig};
use futures_util::future::join_all;
use serde_json::json;

/// Light fixture apps and their chart versions.
const APPS: [(&str, &str); 4] = [
    ("ghost", "1.0.15"),
    ("uptimekuma", "1.0.7"),
    ("photoview", "1.0.13"),
    ("adguardhome", "1.0.12"),
];

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let profile = match args.first().map(String::as_str) {
        Some("production") => Profile::Production,
        _ => Profile::Embedded,
    };
    let users: usize = args.get(1).map_or(50, |s| s.parse().unwrap());
    let requests: usize = args.get(2).map_or(200, |s| s.parse().unwrap());
    let step_ms: u64 = args.get(3).map_or(20, |s| s.parse().unwrap());
    assert!(
        requests <= users * APPS.len(),
        "one install per (user, app)"
    );
    let names: Vec<String> = (0..users).map(|i| format!("user{i:02}")).collect();
    let mut specs = names.clone();
    specs[0] = format!("{}:admin", names[0]);
    let config = SystemConfig {
        profile,
        apps: APPS.iter().map(|(a, _)| (*a).to_owned()).collect(),
        users: specs,
        step: Duration::from_millis(step_ms),
        task_workers: 8,
        poll_interval: Duration::from_secs(5),
        lease: Duration::from_secs(30),
        chart_repo_workers: 2,
        ..SystemConfig::default()
    };
    let started = Instant::now();
    let system = System::start(config).await;
    // Every (user, app) an install will name, rendered first.
    let work: Vec<(&str, &str, &str)> = (0..requests)
        .map(|i| {
            let (app, version) = APPS[i / users];
            (names[i % users].as_str(), app, version)
        })
        .collect();
    for (user, app, version) in &work {
        system
            .until_rendered(user, app, version, Duration::from_secs(600))
            .await;
    }
    let hydrated = started.elapsed();

    let t0 = Instant::now();
    let answers = join_all(work.iter().map(|(user, app, version)| {
        let system = &system;
        async move {
            let body = json!({"source": SOURCE, "app_name": app, "version": version});
            let sent = Instant::now();
            let a = system
                .call(
                    reqwest::Method::POST,
                    &format!("/apps/{app}/install"),
                    user,
                    Some(body),
                )
                .await;
            (sent.elapsed(), a)
        }
    }))
    .await;
    let submitted = t0.elapsed();
    let mut latencies: Vec<Duration> = Vec::new();
    for (took, a) in &answers {
        assert_eq!(a.status, 200, "{}", a.body);
        latencies.push(*took);
    }
    latencies.sort();
    // The simulator runs every app, then market shows every task completed.
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let running = system.sim.apps().len();
        if running >= requests {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{running} of {requests} apps run"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut pending_users: Vec<&str> = names.iter().map(String::as_str).collect();
    while !pending_users.is_empty() {
        let mut still = Vec::new();
        for user in pending_users {
            let tasks = system.tasks(user).await;
            let failed = tasks.iter().find(|t| t["status"] == "failed");
            assert!(failed.is_none(), "{failed:?}");
            if tasks.iter().any(|t| t["status"] != "completed") {
                still.push(user);
            }
        }
        pending_users = still;
        assert!(Instant::now() < deadline, "tasks still running");
    }
    let completed = t0.elapsed();
    let calls = system.sim.calls();
    assert_eq!(calls.len(), requests, "one app-service call per task");

    println!("profile {profile:?}");
    println!("users {users}");
    println!("requests {requests}");
    println!("step_ms {step_ms}");
    println!("hydrated_s {:.1}", hydrated.as_secs_f64());
    println!("submit_wall_ms {}", submitted.as_millis());
    println!(
        "submit_p50_ms {:.1}",
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0
    );
    println!(
        "submit_p99_ms {:.1}",
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0
    );
    println!(
        "submit_max_ms {:.1}",
        latencies.last().unwrap().as_secs_f64() * 1000.0
    );
    println!("completed_s {:.2}", completed.as_secs_f64());
    println!(
        "tasks_per_s {:.1}",
        requests as f64 / completed.as_secs_f64()
    );
}
