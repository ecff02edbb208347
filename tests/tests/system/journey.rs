//! Issue 9 item 6: alice's journey through every task kind, on both profiles.

use std::time::{Duration, Instant};

use e2e::app_service_sim::{AppState, Fault, OpType};
use e2e::system::{Profile, SOURCE, System, SystemConfig, bump_version, copy_dir};
use serde_json::{Value, json};
use test_harness::{eventually, fixtures};

use crate::{RENDERED_WITHIN, WITHIN, assert_calls_well_formed, call_counts, task_counts};

/// The app needing an env (a copy of ghost with a required env added), the one upgraded,
/// and the one cloned (`allowMultipleInstall: true`) and canceled mid-install.
const ENV_APP: &str = "ghost";
const UPGRADED: &str = "uptimekuma";
const CLONED: &str = "paddleocrv3";

const REQUIRED_ENV: &str = "
envs:
- envName: GHOST_E2E_TOKEN
  type: string
  required: true
  description: a token the user must give
";

async fn journey(profile: Profile) {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let catalog = tmp.path().join("catalog");
    for app in [ENV_APP, UPGRADED, CLONED] {
        copy_dir(
            &fixtures::chart(&format!("olares/{app}")),
            &catalog.join(app),
        );
    }
    let manifest = catalog.join(ENV_APP).join("OlaresManifest.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(!text.contains("\nenvs:"), "ghost has no envs of its own");
    std::fs::write(&manifest, format!("{text}{REQUIRED_ENV}")).unwrap();
    let config = SystemConfig {
        profile,
        ..SystemConfig::default()
    };
    let system = System::start_with(config, tmp, catalog).await;
    for app in [ENV_APP, UPGRADED, CLONED] {
        system
            .until_rendered("alice", app, "", RENDERED_WITHIN)
            .await;
    }
    let mut request_ids = Vec::new();

    // Three installs at once: the one needing envs is refused (422 appenv, sync), one
    // completes, one stays mid-install (the simulator stalls it in `downloading`).
    system.sim.set_fault(Some(CLONED), Some(Fault::Stall));
    let (env_app, upgraded, cloned) = tokio::join!(
        system.install("alice", ENV_APP, json!([]), true),
        system.install("alice", UPGRADED, json!([]), false),
        system.install("alice", CLONED, json!([]), false),
    );
    for a in [&env_app, &upgraded, &cloned] {
        request_ids.push(a.request_id.clone());
    }
    assert_eq!(env_app.status, 422, "{}", env_app.body);
    assert_eq!(env_app.body["code"], "app_env_required");
    let refused = &env_app.body["data"]["task"];
    assert_eq!(refused["status"], "failed");
    let backend = &refused["error"]["backend_response"];
    assert_eq!(backend["code"], 422, "{backend}");
    assert_eq!(backend["data"]["type"], "appenv", "{backend}");
    assert_eq!(
        backend["data"]["Data"]["missingValues"][0]["envName"], "GHOST_E2E_TOKEN",
        "{backend}"
    );
    let upgraded_install = system
        .until_ended("alice", upgraded.task_id(), WITHIN)
        .await;
    assert_eq!(
        upgraded_install["status"], "completed",
        "{upgraded_install}"
    );

    // Cancel mid-install: once app-service accepted it and the app is downloading.
    let stalled = cloned.task_id();
    eventually(WITHIN, "the stalled install to be accepted", || async {
        let t = system.task("alice", stalled).await;
        let downloading = system.sim.state_of("alice", CLONED) == Some(AppState::Downloading);
        (t["op_id"].is_string() && downloading).then_some(())
    })
    .await;
    let cancel = system
        .call(
            reqwest::Method::DELETE,
            &format!("/apps/{CLONED}/install"),
            "alice",
            Some(json!({"sync": true})),
        )
        .await;
    request_ids.push(cancel.request_id.clone());
    assert_eq!(cancel.status, 200, "{}", cancel.body);
    assert_eq!(cancel.body["data"]["task"]["type"], "cancel");
    assert_eq!(cancel.body["data"]["task"]["status"], "completed");
    let canceled = system.until_ended("alice", stalled, WITHIN).await;
    assert_eq!(canceled["status"], "canceled", "{canceled}");
    assert_eq!(canceled["canceled_by"], cancel.task_id(), "{canceled}");
    assert_eq!(
        system.sim.state_of("alice", CLONED),
        Some(AppState::DownloadingCanceled)
    );
    system.sim.clear_faults();

    // The env app again, with its env; the canceled app again, then its clone.
    let envs = json!([{"envName": "GHOST_E2E_TOKEN", "value": "s3cret"}]);
    let (with_env, again) = tokio::join!(
        system.install("alice", ENV_APP, envs, true),
        system.install("alice", CLONED, json!([]), true),
    );
    for a in [&with_env, &again] {
        request_ids.push(a.request_id.clone());
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.body["data"]["task"]["status"], "completed", "{}", a.body);
    }
    let clone = system
        .call(
            reqwest::Method::POST,
            &format!("/apps/{CLONED}/clone"),
            "alice",
            Some(
                json!({"source": SOURCE, "app_name": CLONED, "title": "Paddle Two", "sync": true}),
            ),
        )
        .await;
    request_ids.push(clone.request_id.clone());
    assert_eq!(clone.status, 200, "{}", clone.body);
    let clone_name = clone.body["data"]["task"]["app_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        clone_name.len() == CLONED.len() + 6 && clone_name.starts_with(CLONED),
        "{clone_name}"
    );
    assert_eq!(clone.body["data"]["task"]["status"], "completed");
    assert_eq!(
        system.sim.state_of("alice", &clone_name),
        Some(AppState::Running)
    );

    // A new version in the source: reloaded, synced, rendered, then upgraded.
    bump_version(&system.catalog.join(UPGRADED), "1.0.7", "1.0.8");
    system.reload_source();
    system
        .until_rendered("alice", UPGRADED, "1.0.8", RENDERED_WITHIN)
        .await;
    let upgrade = system
        .call(
            reqwest::Method::PUT,
            &format!("/apps/{UPGRADED}/upgrade"),
            "alice",
            Some(json!({"source": SOURCE, "app_name": UPGRADED, "version": "1.0.8", "sync": true})),
        )
        .await;
    request_ids.push(upgrade.request_id.clone());
    assert_eq!(upgrade.status, 200, "{}", upgrade.body);
    assert_eq!(upgrade.body["data"]["task"]["status"], "completed");
    let listed = system
        .sim
        .apps()
        .into_iter()
        .find(|a| a.spec.name == UPGRADED)
        .unwrap();
    assert_eq!(listed.spec.settings["version"], "1.0.8");

    // Uninstall everything, at once.
    let names = [ENV_APP, UPGRADED, CLONED, clone_name.as_str()];
    let sys = &system;
    let uninstalls = futures_util::future::join_all(names.iter().map(|app| async move {
        sys.call(
            reqwest::Method::DELETE,
            &format!("/apps/{app}"),
            "alice",
            Some(json!({"sync": true})),
        )
        .await
    }))
    .await;
    for (app, a) in names.iter().zip(&uninstalls) {
        request_ids.push(a.request_id.clone());
        assert_eq!(a.status, 200, "{app}: {}", a.body);
        assert_eq!(a.body["data"]["task"]["status"], "completed", "{app}");
    }
    assert!(system.sim.apps().is_empty(), "{:?}", system.sim.apps());

    // Every task ended; app-service got each operation once per task, well formed.
    let tasks = system.tasks("alice").await;
    assert_eq!(tasks.len(), 12, "{tasks:#?}");
    for t in &tasks {
        assert!(
            matches!(
                t["status"].as_str(),
                Some("completed" | "failed" | "canceled")
            ),
            "{t}"
        );
    }
    let calls = system.sim.calls();
    assert_eq!(call_counts(&calls), task_counts(&tasks), "{calls:#?}");
    assert_eq!(system.sim.count("alice", ENV_APP, OpType::Install), 2);
    assert_calls_well_formed(&system, &calls, &request_ids);
    let (_, dropped) = system.sim.events_delivered();
    assert_eq!(dropped, 0, "every state event reached market");

    // History and events: alice's are there, bob sees none of it.
    let logs = system.get("/logs?size=1000", "alice").await;
    assert_eq!(logs.status, 200, "{}", logs.body);
    assert!(
        logs.body["data"]["records"].as_array().unwrap().len() >= 2 * tasks.len(),
        "a start and an end per task: {}",
        logs.body
    );
    assert_bob_sees_nothing(&system).await;
    assert!(
        !state_apps(&system, "alice").await.is_empty(),
        "alice's app states are shown to her"
    );
    eprintln!("journey on {profile:?}: {:?}", started.elapsed());
}

/// The app states `/market/state` shows `user`, over every source.
async fn state_apps(system: &System, user: &str) -> Vec<Value> {
    let state = system.get("/market/state", user).await;
    assert_eq!(state.status, 200, "{}", state.body);
    state.body["data"]["user_data"]["sources"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|s| {
            s["app_state_latest"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

async fn assert_bob_sees_nothing(system: &System) {
    assert!(system.tasks("bob").await.is_empty());
    let logs = system.get("/logs?size=1000", "bob").await;
    assert_eq!(logs.status, 200, "{}", logs.body);
    assert_eq!(logs.body["data"]["records"], json!([]), "{}", logs.body);
    assert_eq!(state_apps(system, "bob").await, Vec::<Value>::new());
    // Bob's event stream: whatever it replays, nothing of alice's apps or tasks.
    let events = read_events(system, "bob", Duration::from_secs(2)).await;
    for word in ["task_update", "app_state", "alice", "token-of"] {
        assert!(
            !events.contains(word),
            "bob's /events shows {word}:\n{events}"
        );
    }
    let alice = read_events(system, "alice", Duration::from_secs(2)).await;
    assert!(alice.contains("event: task_update"), "{alice}");
    assert!(!alice.contains("token-of"), "a token in /events");
}

/// What `/events` sends `user` within `within` (the replay, then whatever follows).
async fn read_events(system: &System, user: &str, within: Duration) -> String {
    let mut res = reqwest::Client::new()
        .get(format!("{}/app-store/api/v2/events", system.market_url))
        .header("X-Bfl-User", user)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + within;
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, res.chunk()).await {
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_on_the_embedded_profile() {
    journey(Profile::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn journey_on_the_production_profile() {
    journey(Profile::Production).await;
}
