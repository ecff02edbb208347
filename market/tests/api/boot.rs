//! The real `market` binary: start, answer, stop, and refuse bad settings.

use std::path::Path;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::Value;
use test_harness::binary::expect_start_failure;
use test_harness::{PostgresServer, RunningBinary, eventually};

fn program() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_market"))
}

fn start(data: &Path, extra: &[(&str, &str)]) -> RunningBinary {
    let dir = data.to_str().unwrap();
    let mut envs = vec![("MARKET_LISTEN", "127.0.0.1:0"), ("MARKET_DATA_DIR", dir)];
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
    let market = start(data.path(), &[]);
    let (status, body) = get_json(&format!("{}/app-store/api/v2/version", market.url)).await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));
    assert!(
        body["data"]["git_commit"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
    assert!(body["data"]["timestamp"].as_i64().unwrap() > 1_700_000_000);

    assert_eq!(get_json(&format!("{}/healthz", market.url)).await.0, 200);
    let (status, body) = get_json(&format!("{}/readyz", market.url)).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ready")));

    let metrics = reqwest::get(format!("{}/metrics", market.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"market_http_request_duration_seconds_count{method="GET",route="/app-store/api/v2/version",status="200"} 1"#),
        "{metrics}"
    );
    assert!(
        data.path().join("market.db").is_file(),
        "the embedded profile keeps its file in the data dir"
    );
}

#[tokio::test]
async fn unknown_routes_answer_in_the_envelope() {
    let data = tempfile::tempdir().unwrap();
    let market = start(data.path(), &[]);
    let (status, body) = get_json(&format!("{}/app-store/api/v2/nope", market.url)).await;
    assert_eq!(status, 404);
    assert_eq!(body["success"], false);
    assert_eq!(body["code"], "route_not_found");
}

#[tokio::test]
async fn stops_cleanly_on_sigterm_and_sigint() {
    for signal in [Signal::SIGTERM, Signal::SIGINT] {
        let data = tempfile::tempdir().unwrap();
        let mut market = start(data.path(), &[]);
        let status = market.stop_with(signal, Duration::from_secs(5));
        assert!(
            status.is_some_and(|s| s.success()),
            "{signal}: {status:?}\n{}",
            market.stderr()
        );
    }
}

#[tokio::test]
async fn serves_on_postgres_and_reports_unready_when_it_goes_away() {
    let pg = tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap();
    let url = pg.create_database("market");
    let data = tempfile::tempdir().unwrap();
    let market = start(data.path(), &[("MARKET_DATABASE_URL", &url)]);
    let (status, _) = get_json(&format!("{}/readyz", market.url)).await;
    assert_eq!(status, 200);
    assert!(
        !data.path().join("market.db").exists(),
        "no SQLite file on the postgres profile"
    );

    drop(pg);
    let readyz = format!("{}/readyz", market.url);
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

#[test]
fn migrate_applies_migrations_and_exits() {
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(program())
        .arg("migrate")
        .env("MARKET_DATA_DIR", data.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.path().join("market.db").is_file());
}

#[test]
fn refuses_an_unknown_store_scheme() {
    let err = expect_start_failure(
        program(),
        &["serve"],
        &[("MARKET_DATABASE_URL", "mysql://127.0.0.1/db")],
    );
    assert!(
        err.contains("MARKET_DATABASE_URL") && err.contains("unknown store scheme"),
        "{err}"
    );
}

#[test]
fn refuses_an_unparseable_url() {
    let err = expect_start_failure(
        program(),
        &["serve"],
        &[("MARKET_APP_SERVICE_URL", "::not a url")],
    );
    assert!(err.contains("MARKET_APP_SERVICE_URL"), "{err}");
}

#[test]
fn refuses_a_wrongly_typed_setting() {
    let err = expect_start_failure(program(), &["serve"], &[("MARKET_TASK_WORKERS", "many")]);
    assert!(err.contains("MARKET_TASK_WORKERS"), "{err}");
}

#[test]
fn refuses_a_port_in_use() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let data = tempfile::tempdir().unwrap();
    let envs = [
        ("MARKET_LISTEN", addr.as_str()),
        ("MARKET_DATA_DIR", data.path().to_str().unwrap()),
    ];
    let err = expect_start_failure(program(), &["serve"], &envs);
    assert!(
        err.contains("MARKET_LISTEN") && err.contains(&addr),
        "{err}"
    );
}

#[test]
fn refuses_a_missing_config_file() {
    let err = expect_start_failure(
        program(),
        &["--config", "/nonexistent/market.toml", "serve"],
        &[],
    );
    assert!(err.contains("--config"), "{err}");
}

#[test]
fn reads_settings_from_a_toml_file() {
    let data = tempfile::tempdir().unwrap();
    let file = data.path().join("market.toml");
    std::fs::write(
        &file,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = {:?}\n",
            data.path().join("d")
        ),
    )
    .unwrap();
    let mut market = RunningBinary::start(
        program(),
        &["--config", file.to_str().unwrap(), "serve"],
        &[],
    );
    assert!(data.path().join("d/market.db").is_file());
    assert!(
        market
            .stop_with(Signal::SIGTERM, Duration::from_secs(5))
            .is_some_and(|s| s.success())
    );
}
