//! schemathesis (PyPI, pinned and installed by scripts/install-test-deps.sh) against both
//! OpenAPI documents, as real processes on the embedded profile: no 5xx, and every 4xx in
//! the error envelope `{success: false, message, code}` (the `envelope_on_4xx` check in
//! tests/schemathesis/hooks.py).
//!
//! Nothing leaves the machine: chart-repo may contact no registry
//! (`CHART_REPO_REGISTRY_ALLOW=`), market's app-service is the simulator on loopback, and
//! both services get a dead loopback HTTP proxy for every other host, so a market source
//! that schemathesis invents is never fetched from the internet.
//!
//! Bounded: `SCHEMATHESIS_MAX_EXAMPLES` (20) examples per operation, a fixed seed
//! (`SCHEMATHESIS_SEED`, to explore others), and each run killed after 150 s.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e::app_service_sim::{SimConfig, Simulator};
use e2e::service_binary;
use test_harness::process::free_port;
use test_harness::{RunningBinary, fixtures, wait_until};

/// chart-repo's control API token in these runs.
const TOKEN: &str = "schemathesis-token";
/// The longest one schemathesis run may take.
const RUN_LIMIT: Duration = Duration::from_secs(150);

#[tokio::test(flavor = "multi_thread")]
async fn chart_repo_document_no_5xx_and_enveloped_4xx() {
    let data = tempfile::tempdir().unwrap();
    let repo = start_chart_repo(data.path());
    let report = run_schemathesis(
        &format!("{}/chart-repo/api/v2/openapi.json", repo.url),
        &repo.url,
        &[&format!("Authorization: Bearer {TOKEN}")],
        &[],
        data.path(),
    );
    assert_passed("chart-repo", &report, &[&repo]);
}

#[tokio::test(flavor = "multi_thread")]
async fn market_document_no_5xx_and_enveloped_4xx() {
    let data = tempfile::tempdir().unwrap();
    let repo = start_chart_repo(data.path());
    let sim = Simulator::start(SimConfig::default()).await.unwrap();
    let sim_url = sim.url();
    let market_dir = data.path().join("market");
    let proxy = dead_proxy();
    let market = RunningBinary::start(
        &service_binary("market"),
        &["serve"],
        &[
            ("MARKET_LISTEN", "127.0.0.1:0"),
            ("MARKET_DATA_DIR", market_dir.to_str().unwrap()),
            ("MARKET_CHART_REPO_URL", &repo.url),
            ("MARKET_CHART_REPO_TOKEN", TOKEN),
            ("MARKET_APP_SERVICE_URL", &sim_url),
            ("MARKET_USERS", "admin:admin,alice"),
            ("MARKET_TASK_SYNC_WAIT", "2s"),
            ("HTTP_PROXY", &proxy),
            ("HTTPS_PROXY", &proxy),
            ("ALL_PROXY", &proxy),
            ("NO_PROXY", "127.0.0.1,localhost"),
        ],
    );
    let report = run_schemathesis(
        &format!("{}/app-store/api/v2/openapi.json", market.url),
        &format!("{}/app-store/api/v2", market.url),
        &["X-Bfl-User: alice"],
        // A Server-Sent Events stream never ends: every case would wait out the timeout.
        &["/events"],
        data.path(),
    );
    assert_passed("market", &report, &[&market, &repo]);
}

/// chart-repo on SQLite in `data/chart-repo`, with a token, no registry, no way out.
fn start_chart_repo(data: &Path) -> RunningBinary {
    let dir = data.join("chart-repo");
    let proxy = dead_proxy();
    RunningBinary::start(
        &service_binary("chart-repo"),
        &["serve"],
        &[
            ("CHART_REPO_LISTEN", "127.0.0.1:0"),
            ("CHART_REPO_DATA_DIR", dir.to_str().unwrap()),
            ("CHART_REPO_API_TOKEN", TOKEN),
            ("CHART_REPO_REGISTRY_ALLOW", ""),
            ("CHART_REPO_WORKERS", "2"),
            ("HTTP_PROXY", &proxy),
            ("HTTPS_PROXY", &proxy),
            ("ALL_PROXY", &proxy),
            ("NO_PROXY", "127.0.0.1,localhost"),
        ],
    )
}

/// A loopback port nothing listens on: every non-loopback request fails at once.
fn dead_proxy() -> String {
    format!("http://127.0.0.1:{}", free_port())
}

/// What one schemathesis run printed, and whether it passed.
struct Report {
    passed: bool,
    output: String,
    took: Duration,
}

fn run_schemathesis(
    schema: &str,
    base: &str,
    headers: &[&str],
    exclude_paths: &[&str],
    work: &Path,
) -> Report {
    let max_examples =
        std::env::var("SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| "20".to_owned());
    let seed = std::env::var("SCHEMATHESIS_SEED").unwrap_or_else(|_| "1".to_owned());
    let hooks = fixtures::repo_root().join("tests/schemathesis/hooks.py");
    let out_path = work.join("schemathesis.out");
    let mut cmd = Command::new(schemathesis());
    cmd.arg("run")
        .arg(schema)
        .args(["--url", base])
        .args(["--checks", "not_a_server_error,envelope_on_4xx"])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", &max_examples])
        .args(["--seed", &seed])
        .args(["--request-timeout", "20"])
        .args(["--generation-database", "none"])
        .args(["--workers", "2"])
        .arg("--no-color");
    for h in headers {
        cmd.args(["-H", h]);
    }
    for p in exclude_paths {
        cmd.args(["--exclude-path", p]);
    }
    // Its reports and caches go to the temporary folder, not the work tree.
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = cmd
        .current_dir(work)
        .env("SCHEMATHESIS_HOOKS", &hooks)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = wait_until(RUN_LIMIT, "schemathesis to finish", || {
        child.try_wait().map_err(|e| e.to_string())
    });
    let took = started.elapsed();
    let status = status.unwrap_or_else(|e| {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "{e}\n{}",
            std::fs::read_to_string(&out_path).unwrap_or_default()
        )
    });
    Report {
        passed: status.success(),
        output: std::fs::read_to_string(&out_path).unwrap(),
        took,
    }
}

fn assert_passed(service: &str, report: &Report, services: &[&RunningBinary]) {
    // The summary, so a passing run in CI still shows what it covered and how long it took.
    println!(
        "{service}: schemathesis took {:.1} s\n{}",
        report.took.as_secs_f64(),
        report.output
    );
    if !report.passed {
        let logs: Vec<String> = services.iter().map(|s| s.stderr()).collect();
        panic!(
            "schemathesis found failures in {service}:\n{}\n--- service logs ---\n{}",
            report.output,
            logs.join("\n---\n")
        );
    }
}

/// The `schemathesis` of the venv scripts/install-test-deps.sh makes.
fn schemathesis() -> PathBuf {
    let venv = std::env::var_os("SCHEMATHESIS_VENV").map_or_else(
        || {
            let home =
                std::env::var_os("HOME").map_or_else(|| PathBuf::from("/root"), PathBuf::from);
            home.join(".cache/olares-market/schemathesis-venv")
        },
        PathBuf::from,
    );
    let bin = venv.join("bin/schemathesis");
    assert!(
        bin.is_file(),
        "{} is missing: run scripts/install-test-deps.sh (make test does)",
        bin.display()
    );
    bin
}
