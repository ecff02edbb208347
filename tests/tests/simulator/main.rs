//! The app-service simulator against the real chart-repo: an install downloads the user's
//! rendered chart and walks to `running` (in `/all/apps` and as events to a market sink),
//! required envs answer 422 `appenv`, broken repositories are refused, and every fault
//! switch does what it says, in the library and in the `app-service-sim` binary.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

mod harness;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use e2e::app_service_sim::{AppState, FailedState, Fault, OpType, SimConfig, Simulator};
use serde_json::{Value, json};
use test_harness::{eventually, wait_until};

use harness::{
    AppService, Repo, RepoContent, SOURCE, Sink, WITHIN, catalog_of, ghost_index, ghost_package,
    hand_made_repo, sha256_hex,
};

const INSTALL_WALK: [&str; 5] = [
    "pending",
    "downloading",
    "installing",
    "initializing",
    "running",
];

async fn sim_with(sink: Option<&Sink>, step_ms: u64) -> (Simulator, AppService) {
    let sim = Simulator::start(SimConfig {
        market_url: sink.map(Sink::url),
        step: Duration::from_millis(step_ms),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let client = AppService::new(&sim.url());
    (sim, client)
}

#[tokio::test]
async fn install_downloads_from_chart_repo_walks_to_running_and_reports_each_state() {
    let (_tmp, catalog) = catalog_of(&["ghost"]);
    let repo = Repo::start(&catalog).await;
    repo.hydrate("ghost", "alice").await;
    let sink = Sink::start().await;
    let (sim, app_service) = sim_with(Some(&sink), 30).await;

    let answer = app_service
        .install("alice", "ghost", repo.url(), json!([]))
        .await;
    let body: Value = serde_json::from_str(&answer.1).unwrap();
    assert_eq!(body["data"]["uid"], "ghost", "{body}");
    let op_id = AppService::op_id(&answer);
    assert_eq!(sink.wait_for(&op_id, "running").await, INSTALL_WALK);
    let listed = app_service.wait_state("alice", "ghost", "running").await;
    assert_eq!(listed["metadata"]["name"], "ghost-alice-ghost");
    assert_eq!(listed["spec"]["settings"]["version"], "1.0.15");
    assert_eq!(listed["status"]["entranceStatuses"][0]["state"], "running");

    let events = sink.events();
    let last = events.last().unwrap();
    assert_eq!(
        (
            last.name.as_str(),
            last.user.as_str(),
            last.op_type,
            last.market_source.as_str()
        ),
        ("ghost", "alice", OpType::Install, SOURCE)
    );
    assert!(
        last.event_id.starts_with("alice-ghost-"),
        "{}",
        last.event_id
    );
    assert_eq!(last.entrance_statuses[0].name, "ghost");
    assert_eq!(sim.count("alice", "ghost", OpType::Install), 1);

    // Installing what runs is refused as app-service refuses it.
    let again = app_service
        .install("alice", "ghost", repo.url(), json!([]))
        .await;
    assert_eq!(again.0, 400, "{}", again.1);
    assert!(
        again
            .1
            .contains("install operation is not allowed for running state")
    );
    // bob has no rendered ghost: his index lacks it.
    let bob = app_service
        .install("bob", "ghost", repo.url(), json!([]))
        .await;
    assert_eq!(bob.0, 400, "{}", bob.1);
    assert!(
        bob.1.contains("app not found in chart repo: ghost"),
        "{}",
        bob.1
    );

    let suspend = app_service.op("alice", "ghost", "suspend", json!({})).await;
    let suspended = sink.wait_for(&AppService::op_id(&suspend), "stopped").await;
    assert_eq!(suspended, ["stopping", "stopped"]);
    let resume = app_service.op("alice", "ghost", "resume", json!({})).await;
    let resumed = sink.wait_for(&AppService::op_id(&resume), "running").await;
    assert_eq!(resumed, ["resuming", "initializing", "running"]);
    let upgrade = app_service
        .op(
            "alice",
            "ghost",
            "upgrade",
            json!({"repoUrl": repo.url(), "version": "1.0.15", "source": "market", "envs": []}),
        )
        .await;
    let upgraded = sink.wait_for(&AppService::op_id(&upgrade), "running").await;
    assert_eq!(upgraded, ["upgrading", "initializing", "running"]);

    let uninstall = app_service
        .op(
            "alice",
            "ghost",
            "uninstall",
            json!({"all": false, "deleteData": false}),
        )
        .await;
    let gone = sink
        .wait_for(&AppService::op_id(&uninstall), "uninstalled")
        .await;
    assert_eq!(gone, ["uninstalling", "uninstalled"]);
    assert!(
        app_service.all_apps().await.is_empty(),
        "uninstalled apps are not listed"
    );
    assert_eq!(sim.state_of("alice", "ghost"), Some(AppState::Uninstalled));
    let (delivered, dropped) = sim.events_delivered();
    assert_eq!((delivered as usize, dropped), (sink.events().len(), 0));
}

/// The ghost fixture with required envs added: one without a value, one referring to an
/// env nobody set, one whose default is not an int.
const ENVS: &str = "envs:
- envName: SIM_TOKEN
  type: string
  required: true
  regex: '^[a-z]+$'
  description: a token the user must give
- envName: SIM_HF
  required: true
  valueFrom:
    envName: OLARES_USER_SIM_MISSING
- envName: SIM_PORT
  type: int
  default: eighty
- envName: SIM_MODE
  options:
  - title: Fast
    value: fast
  - title: Safe
    value: safe
";

#[tokio::test]
async fn required_envs_answer_422_appenv_then_the_install_succeeds_with_them() {
    let (_tmp, catalog) = catalog_of(&["ghost"]);
    let manifest = catalog.join("ghost/OlaresManifest.yaml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push('\n');
    text.push_str(ENVS);
    std::fs::write(&manifest, text).unwrap();
    let repo = Repo::start(&catalog).await;
    repo.hydrate("ghost", "alice").await;
    let sink = Sink::start().await;
    let (sim, app_service) = sim_with(Some(&sink), 20).await;

    let (status, body) = app_service
        .install("alice", "ghost", repo.url(), json!([]))
        .await;
    assert_eq!(status, 422, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], 422);
    assert_eq!(body["data"]["type"], "appenv");
    let check = &body["data"]["Data"];
    assert_eq!(
        check["missingValues"],
        json!([{"envName": "SIM_TOKEN", "type": "string", "required": true,
                "regex": "^[a-z]+$", "description": "a token the user must give"}])
    );
    assert_eq!(
        check["missingRefs"],
        json!([{"envName": "SIM_HF", "required": true,
                "valueFrom": {"envName": "OLARES_USER_SIM_MISSING"}}])
    );
    assert_eq!(check["invalidValues"][0]["envName"], "SIM_PORT");
    assert_eq!(check["invalidValues"][0]["default"], "eighty");
    assert!(sim.apps().is_empty(), "a refused install creates nothing");

    // A value outside the options is invalid; a name the manifest lacks is a 400.
    let bad = json!([
        {"envName": "SIM_TOKEN", "value": "abc"}, {"envName": "SIM_PORT", "value": "8080"},
        {"envName": "SIM_HF", "valueFrom": {"envName": "OLARES_SYSTEM_CDN_SERVICE"}},
        {"envName": "SIM_MODE", "value": "reckless"},
    ]);
    let (status, body) = app_service.install("alice", "ghost", repo.url(), bad).await;
    assert_eq!(status, 422, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        body["data"]["Data"]["invalidValues"][0]["envName"],
        "SIM_MODE"
    );
    assert_eq!(body["data"]["Data"]["missingValues"], Value::Null);
    let unknown = json!([{"envName": "NOPE", "value": "x"}]);
    let (status, body) = app_service
        .install("alice", "ghost", repo.url(), unknown)
        .await;
    assert_eq!(
        (status, body.trim()),
        (400, "app env 'NOPE' not found in app config")
    );

    let good = json!([
        {"envName": "SIM_TOKEN", "value": "abc"}, {"envName": "SIM_PORT", "value": "8080"},
        {"envName": "SIM_HF", "valueFrom": {"envName": "OLARES_SYSTEM_CDN_SERVICE"}},
        {"envName": "SIM_MODE", "value": "safe"},
    ]);
    let answer = app_service
        .install("alice", "ghost", repo.url(), good)
        .await;
    let op_id = AppService::op_id(&answer);
    assert_eq!(sink.wait_for(&op_id, "running").await, INSTALL_WALK);
    assert_eq!(sim.count("alice", "ghost", OpType::Install), 4);
}

/// A clone (`rawAppName`) installs the original's chart at the version the owner runs,
/// only once the original is installed and only when the app allows several installs;
/// its record and events name the original.
#[tokio::test]
async fn a_clone_installs_the_original_chart_under_its_own_name() {
    let (_tmp, catalog) = catalog_of(&["ghost"]);
    let manifest = catalog.join("ghost/OlaresManifest.yaml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    assert!(!text.contains("allowMultipleInstall"));
    std::fs::write(
        &manifest,
        text.replacen(
            "\noptions:\n",
            "\noptions:\n  allowMultipleInstall: true\n",
            1,
        ),
    )
    .unwrap();
    let repo = Repo::start(&catalog).await;
    repo.hydrate("ghost", "alice").await;
    let sink = Sink::start().await;
    let (sim, app_service) = sim_with(Some(&sink), 20).await;
    let clone_body = |title: &str| {
        json!({"repoUrl": repo.url(), "source": "market", "rawAppName": "ghost",
               "title": title, "envs": [], "images": []})
    };

    let early = app_service
        .op("alice", "ghost1a2b3c", "install", clone_body("Ghost 2"))
        .await;
    assert_eq!(early, (400, "rawApp ghost not found\n".to_owned()));

    let install = app_service
        .install("alice", "ghost", repo.url(), json!([]))
        .await;
    sink.wait_for(&AppService::op_id(&install), "running").await;
    let clone = app_service
        .op("alice", "ghost1a2b3c", "install", clone_body("Ghost 2"))
        .await;
    let op_id = AppService::op_id(&clone);
    assert_eq!(sink.wait_for(&op_id, "running").await, INSTALL_WALK);
    let event = sink
        .events()
        .into_iter()
        .rfind(|e| e.op_id == op_id)
        .unwrap();
    assert_eq!(
        (
            event.name.as_str(),
            event.raw_app_name.as_str(),
            event.title.as_str()
        ),
        ("ghost1a2b3c", "ghost", "Ghost 2")
    );
    let listed = app_service
        .wait_state("alice", "ghost1a2b3c", "running")
        .await;
    assert_eq!(listed["spec"]["rawAppName"], "ghost");
    let call = sim
        .calls()
        .into_iter()
        .rfind(|c| c.app == "ghost1a2b3c")
        .unwrap();
    let chart = call.chart.unwrap();
    assert_eq!(chart.version, "1.0.15");
    assert!(chart.package_url.contains("ghost-1.0.15.tgz"), "{chart:?}");
}

#[tokio::test]
async fn broken_repositories_are_refused_with_a_clear_reason() {
    let (_sim, app_service) = sim_with(None, 10).await;
    let good = ghost_package("ghost");
    let digest = sha256_hex(&good);
    let cases = [
        (
            "digest mismatch",
            ghost_index(&sha256_hex(b"other bytes"), "1.0.15", ""),
            good.clone(),
            "does not match the index digest",
        ),
        (
            "wrong top folder",
            ghost_index(&sha256_hex(&ghost_package("ghostly")), "1.0.15", ""),
            ghost_package("ghostly"),
            "top folder is `ghostly`, expected `ghost`",
        ),
        (
            "unknown key",
            ghost_index(&digest, "1.0.15", "    surprise: true\n"),
            good.clone(),
            "unknown field \"surprise\"",
        ),
        (
            "no apiVersion",
            ghost_index(&digest, "1.0.15", "").replace("apiVersion: v1\n", ""),
            good.clone(),
            "no API version specified",
        ),
        (
            "not semver",
            ghost_index(&digest, "\"1.0\"", ""),
            good.clone(),
            "strict semver",
        ),
        (
            "not a gzip",
            ghost_index(&sha256_hex(b"junk"), "1.0.15", ""),
            b"junk".to_vec(),
            "not a valid gzip",
        ),
    ];
    for (what, index, package, reason) in cases {
        let served = hand_made_repo(RepoContent {
            index,
            package,
            ..RepoContent::default()
        })
        .await;
        let (status, body) = app_service
            .install("alice", "ghost", &served.url, json!([]))
            .await;
        assert_eq!(status, 400, "{what}: {body}");
        assert!(body.contains(reason), "{what}: {body}");
    }

    // The same repository with nothing wrong installs, and both downloads carried the
    // market headers.
    let content = RepoContent {
        index: ghost_index(&digest, "1.0.15", ""),
        package: good,
        ..RepoContent::default()
    };
    let served = hand_made_repo(content.clone()).await;
    let answer = app_service
        .install("alice", "ghost", &format!("{}/", served.url), json!([]))
        .await;
    AppService::op_id(&answer);
    let seen = content.seen.lock().unwrap().clone();
    let headers = |p: &str| (p.to_owned(), "alice".to_owned(), SOURCE.to_owned());
    assert_eq!(
        seen,
        [
            headers("/static-index.yaml"),
            headers("/charts/ghost-1.0.15.tgz")
        ]
    );
}

/// A hand-made repository serving a good ghost package.
async fn ghost_repo() -> harness::Served {
    let package = ghost_package("ghost");
    hand_made_repo(RepoContent {
        index: ghost_index(&sha256_hex(&package), "1.0.15", ""),
        package,
        ..RepoContent::default()
    })
    .await
}

#[tokio::test]
async fn fault_switches_hang_fail_500_and_fail_states_per_app_and_globally() {
    let repo = ghost_repo().await;
    let sink = Sink::start().await;
    let (sim, app_service) = sim_with(Some(&sink), 10).await;
    let control = reqwest::Client::new();
    let set = |body: Value| {
        control
            .post(format!("{}/sim/faults", sim.url()))
            .json(&body)
            .send()
    };

    // fail500 for ghost, over HTTP; another app's switch leaves ghost alone.
    set(json!({"app": "ghost", "fault": {"kind": "fail500"}}))
        .await
        .unwrap();
    set(json!({"app": "other", "fault": {"kind": "hang"}}))
        .await
        .unwrap();
    let (status, body) = app_service
        .install("alice", "ghost", &repo.url, json!([]))
        .await;
    assert_eq!((status, body.trim()), (500, "Internal Server Error"));

    // hang: the connection is accepted and never answered.
    sim.set_fault(Some("ghost"), Some(Fault::Hang));
    let hung = app_service
        .client
        .post(format!("{}/app-service/v1/apps/ghost/install", sim.url()))
        .header("X-Bfl-User", "alice")
        .timeout(Duration::from_millis(300))
        .json(&json!({"repoUrl": repo.url, "source": "market"}))
        .send()
        .await;
    assert!(hung.unwrap_err().is_timeout());
    let calls = sim.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!((calls[0].status, calls[1].status), (Some(500), None));

    // A global fail500 reaches the read routes too; the app's own switch wins for it.
    sim.set_fault(None, Some(Fault::Fail500));
    let all = control
        .get(format!("{}/app-service/v1/all/apps", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(all.status(), 500);
    sim.clear_faults();

    // fail_state: the walk ends in the failed state; a new install is then allowed.
    sim.set_fault(
        Some("ghost"),
        Some(Fault::FailState {
            state: FailedState::InstallFailed,
        }),
    );
    let first = app_service
        .install("alice", "ghost", &repo.url, json!([]))
        .await;
    let states = sink
        .wait_for(&AppService::op_id(&first), "installFailed")
        .await;
    assert_eq!(
        states,
        ["pending", "downloading", "installing", "installFailed"]
    );
    let failed = app_service
        .wait_state("alice", "ghost", "installFailed")
        .await;
    assert_eq!(failed["metadata"]["name"], "ghost-alice-ghost");
    sim.set_fault(
        Some("ghost"),
        Some(Fault::FailState {
            state: FailedState::DownloadFailed,
        }),
    );
    let second = app_service
        .install("alice", "ghost", &repo.url, json!([]))
        .await;
    let states = sink
        .wait_for(&AppService::op_id(&second), "downloadFailed")
        .await;
    assert_eq!(states, ["pending", "downloading", "downloadFailed"]);
    sim.set_fault(Some("ghost"), None);
    let third = app_service
        .install("alice", "ghost", &repo.url, json!([]))
        .await;
    sink.wait_for(&AppService::op_id(&third), "running").await;
    assert_eq!(sim.count("alice", "ghost", OpType::Install), 5);
    let op_ids: Vec<_> = sim.calls().into_iter().filter_map(|c| c.op_id).collect();
    assert_eq!(op_ids.len(), 3, "one opID per accepted install");
}

#[tokio::test]
async fn cancel_stops_an_install_midway() {
    let repo = ghost_repo().await;
    let sink = Sink::start().await;
    let (sim, app_service) = sim_with(Some(&sink), 400).await;
    let install = app_service
        .install("alice", "ghost", &repo.url, json!([]))
        .await;
    let install_id = AppService::op_id(&install);
    let cancel = app_service.op("alice", "ghost", "cancel", json!({})).await;
    let cancel_id = AppService::op_id(&cancel);
    let states = sink.wait_for(&cancel_id, "pendingCanceled").await;
    assert_eq!(states, ["pendingCanceling", "pendingCanceled"]);
    // The install's walk ended: it never got past pending.
    assert_eq!(sink.states_of(&install_id), ["pending"]);
    // Nothing is left to cancel.
    let again = app_service.op("alice", "ghost", "cancel", json!({})).await;
    assert_eq!(again.0, 400, "{}", again.1);
    assert!(
        again
            .1
            .contains("cancel operation is not allowed for pendingCanceled state")
    );
    let missing = app_service.op("bob", "ghost", "uninstall", json!({})).await;
    assert_eq!(missing.0, 404, "{}", missing.1);
    assert!(
        missing.1.contains("\"ghost-bob-ghost\" not found"),
        "{}",
        missing.1
    );
    assert_eq!(sim.count("alice", "ghost", OpType::Cancel), 2);
}

#[tokio::test]
async fn crash_mid_install_in_the_library_stops_serving_after_accepting() {
    let repo = ghost_repo().await;
    let sink = Sink::start().await;
    let (sim, app_service) = sim_with(Some(&sink), 10).await;
    sim.set_fault(Some("ghost"), Some(Fault::CrashMidInstall));
    let answer = app_service
        .install("alice", "ghost", &repo.url, json!([]))
        .await;
    let op_id = AppService::op_id(&answer);
    eventually(WITHIN, "the simulator to stop", || {
        let stopped = sim.is_stopped();
        async move { stopped.then_some(()) }
    })
    .await;
    let states = sink.states_of(&op_id);
    assert!(!states.contains(&"running".to_owned()), "{states:?}");
    let refused = eventually(WITHIN, "new connections to be refused", || async {
        reqwest::get(format!("{}/healthz", sim.url())).await.err()
    })
    .await;
    assert!(refused.is_connect(), "{refused}");
}

/// The binary as a child we watch ourselves: `RunningBinary` kills on drop, and this test
/// needs to see the process end on its own.
struct Child {
    child: std::process::Child,
    url: String,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_binary(args: &[&str]) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_app-service-sim"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_owned();
    Child { child, url }
}

#[tokio::test]
async fn the_binary_takes_faults_by_flag_serves_installs_and_exits_on_crash_mid_install() {
    let repo = ghost_repo().await;
    let sink = Sink::start().await;
    let market = sink.url().to_string();
    let mut bin = start_binary(&[
        "--market-url",
        &market,
        "--step",
        "20ms",
        "--crash-mid-install",
        "ghost",
        "--fail-state",
        "other=downloadFailed",
        "--hang",
        "slow",
    ]);
    let faults: Value = reqwest::get(format!("{}/sim/faults", bin.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        faults,
        json!({"global": null, "apps": {
            "ghost": {"kind": "crash_mid_install"},
            "other": {"kind": "fail_state", "state": "downloadFailed"},
            "slow": {"kind": "hang"},
        }})
    );
    let admin: Value = reqwest::get(format!("{}/app-service/v1/users/admin/username", bin.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin, json!({"code": 200, "data": {"username": "admin"}}));
    let oam: Value = reqwest::get(format!("{}/app-service/v1/apps/oamvalues", bin.url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(oam["bfl"]["username"], "admin");

    let app_service = AppService::new(&bin.url);
    let answer = app_service
        .install("alice", "ghost", &repo.url, json!([]))
        .await;
    let op_id = AppService::op_id(&answer);
    let status = wait_until(WITHIN, "the simulator to exit", || {
        bin.child.try_wait().map_err(|e| e.to_string())
    })
    .unwrap();
    assert_eq!(status.code(), Some(70), "{status:?}");
    assert!(!sink.states_of(&op_id).contains(&"running".to_owned()));
}

#[tokio::test]
async fn the_binary_stops_on_sigterm_and_a_dead_market_does_not_wedge_it() {
    // Nothing listens at the market URL: events are dropped after their retries, and the
    // install still walks to running.
    let repo = ghost_repo().await;
    let mut bin = start_binary(&["--market-url", "http://127.0.0.1:9", "--step", "10ms"]);
    let app_service = AppService::new(&bin.url);
    let answer = app_service
        .install("alice", "ghost", &repo.url, json!([]))
        .await;
    AppService::op_id(&answer);
    app_service.wait_state("alice", "ghost", "running").await;
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(bin.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = wait_until(WITHIN, "the simulator to exit", || {
        bin.child.try_wait().map_err(|e| e.to_string())
    })
    .unwrap();
    assert!(status.success(), "{status:?}");
}
