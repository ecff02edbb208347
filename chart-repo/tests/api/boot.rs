//! The real `chart-repo` binary: start, answer, stop, and refuse bad settings.

use std::path::Path;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::Value;
use test_harness::binary::expect_start_failure;
use test_harness::{RedisServer, RunningBinary, eventually};

fn program() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_chart-repo"))
}

fn start(data: &Path, extra: &[(&str, &str)]) -> RunningBinary {
    let dir = data.to_str().unwrap();
    let mut envs = vec![
        ("CHART_REPO_LISTEN", "127.0.0.1:0"),
        ("CHART_REPO_DATA_DIR", dir),
    ];
    envs.extend_from_slice(extra);
    RunningBinary::start(program(), &["serve"], &envs)
}

async fn get_json(url: &str) -> (u16, Value) {
    let res = reqwest::get(url).await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn answers_version_health_readiness_and_metrics() {
    let data = tempfile::tempdir().unwrap();
    let repo = start(data.path(), &[]);
    let (status, body) = get_json(&format!("{}/chart-repo/api/v2/version", repo.url)).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "success");
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));
    for key in ["build_time", "git_commit"] {
        assert!(
            body["data"][key].as_str().is_some_and(|s| !s.is_empty()),
            "{key}: {body}"
        );
    }
    assert_eq!(get_json(&format!("{}/healthz", repo.url)).await.0, 200);
    assert_eq!(get_json(&format!("{}/readyz", repo.url)).await.0, 200);
    let metrics = reqwest::get(format!("{}/metrics", repo.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("chart_repo_http_request_duration_seconds"),
        "{metrics}"
    );
    assert!(data.path().join("chart-repo.db").is_file());
}

#[tokio::test]
async fn serves_on_redis_and_reports_unready_when_it_goes_away() {
    let mut redis = tokio::task::spawn_blocking(RedisServer::start)
        .await
        .unwrap();
    let data = tempfile::tempdir().unwrap();
    let repo = start(data.path(), &[("CHART_REPO_STORE_URL", &redis.url())]);
    assert_eq!(get_json(&format!("{}/readyz", repo.url)).await.0, 200);
    assert!(
        !data.path().join("chart-repo.db").exists(),
        "no SQLite file on the redis profile"
    );

    redis.kill();
    let readyz = format!("{}/readyz", repo.url);
    let body = eventually(
        Duration::from_secs(20),
        "readyz to report the store gone",
        || {
            let readyz = readyz.clone();
            async move {
                let (status, body) = get_json(&readyz).await;
                (status == 503).then_some(body)
            }
        },
    )
    .await;
    assert!(
        body["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("store:")),
        "{body}"
    );
}

#[tokio::test]
async fn stops_cleanly_on_sigterm_and_sigint() {
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let data = tempfile::tempdir().unwrap();
        let mut repo = start(data.path(), &[]);
        let status = repo.stop_with(signal, Duration::from_secs(5));
        assert!(
            status.is_some_and(|s| s.success()),
            "{signal}: {status:?}\n{}",
            repo.stderr()
        );
    }
}

#[test]
fn refuses_an_unknown_store_scheme() {
    let err = expect_start_failure(
        program(),
        &["serve"],
        &[("CHART_REPO_STORE_URL", "mongodb://127.0.0.1/x")],
    );
    assert!(
        err.contains("CHART_REPO_STORE_URL") && err.contains("unknown store scheme"),
        "{err}"
    );
}

#[test]
fn refuses_an_unreachable_store() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("redis://127.0.0.1:{port}");
    let err = expect_start_failure(program(), &["serve"], &[("CHART_REPO_STORE_URL", &url)]);
    assert!(
        err.contains("CHART_REPO_STORE_URL") && err.contains("cannot reach Redis"),
        "{err}"
    );
}

#[test]
fn refuses_a_bad_mirror_setting() {
    let err = expect_start_failure(
        program(),
        &["serve"],
        &[("CHART_REPO_REGISTRY_MIRRORS", "docker.io")],
    );
    assert!(err.contains("CHART_REPO_REGISTRY_MIRRORS"), "{err}");
}

#[test]
fn refuses_a_port_in_use() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let data = tempfile::tempdir().unwrap();
    let envs = [
        ("CHART_REPO_LISTEN", addr.as_str()),
        ("CHART_REPO_DATA_DIR", data.path().to_str().unwrap()),
    ];
    let err = expect_start_failure(program(), &["serve"], &envs);
    assert!(
        err.contains("CHART_REPO_LISTEN") && err.contains(&addr),
        "{err}"
    );
}
