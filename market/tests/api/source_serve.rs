//! The real `market source serve` over the fixture catalog: it answers the protocol,
//! serves charts, reloads on SIGHUP, and stops on SIGTERM.

use std::path::Path;
use std::time::Duration;

use market::catalog::{RemoteSource, SourceClient, SourceClientConfig};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use test_harness::binary::expect_start_failure;
use test_harness::{RunningBinary, eventually};

use crate::source::{copy_of, olares_dir};

fn program() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_market"))
}

fn start(dir: &Path, extra: &[&str]) -> RunningBinary {
    let mut args = vec![
        "source",
        "serve",
        "--dir",
        dir.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ];
    args.extend_from_slice(extra);
    RunningBinary::start(program(), &args, &[])
}

fn client(url: &str) -> SourceClient {
    SourceClient::new(url.parse().unwrap(), SourceClientConfig::default()).unwrap()
}

#[tokio::test]
async fn serves_the_fixture_catalog_and_its_charts_then_stops_on_sigterm() {
    let mut source = start(&olares_dir(), &[]);
    let hash: serde_json::Value = reqwest::get(format!(
        "{}/api/v1/appstore/hash?version=latest",
        source.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert!(
        hash["hash"].as_str().is_some_and(|h| !h.is_empty()),
        "{hash}"
    );

    let client = client(&source.url);
    let info = client.info("latest").await.unwrap();
    assert_eq!(info.data.apps.len(), 27);
    let ghost = info.data.apps.values().find(|a| a.name == "ghost").unwrap();
    let bytes = client
        .chart(&ghost.name, &ghost.version, &ghost.chart_name)
        .await
        .unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip'd package");

    let status = source.stop_with(Signal::SIGTERM, Duration::from_secs(5));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}\n{}",
        source.stderr()
    );
}

#[tokio::test]
async fn reloads_the_folder_on_sighup() {
    let (_tmp, dir) = copy_of(&["ghost"]);
    let mut source = start(&dir, &[]);
    let client = client(&source.url);
    let before = client.hash("latest").await.unwrap().hash;

    let values = dir.join("ghost/values.yaml");
    let mut text = std::fs::read_to_string(&values).unwrap();
    text.push_str("\n# edited by the test\n");
    std::fs::write(&values, text).unwrap();
    kill(Pid::from_raw(source.pid() as i32), Signal::SIGHUP).unwrap();

    let after = eventually(Duration::from_secs(20), "the hash to change", || {
        let client = client.clone();
        let before = before.clone();
        async move {
            let hash = client.hash("latest").await.ok()?.hash;
            (hash != before).then_some(hash)
        }
    })
    .await;
    assert_ne!(after, before);
    let status = source.stop_with(Signal::SIGINT, Duration::from_secs(5));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?}\n{}",
        source.stderr()
    );
}

#[tokio::test]
async fn reloads_the_folder_periodically_with_reload_every() {
    let (_tmp, dir) = copy_of(&["ghost"]);
    let source = start(&dir, &["--reload-every", "1s"]);
    let client = client(&source.url);
    let before = client.hash("latest").await.unwrap().hash;
    std::fs::remove_dir_all(dir.join("ghost")).unwrap();
    eventually(
        Duration::from_secs(20),
        "ghost to leave the listing",
        || {
            let client = client.clone();
            async move {
                let info = client.info("latest").await.ok()?;
                info.data.apps.is_empty().then_some(())
            }
        },
    )
    .await;
    assert_ne!(client.hash("latest").await.unwrap().hash, before);
}

#[test]
fn refuses_a_missing_folder_in_one_line() {
    let err = expect_start_failure(
        program(),
        &[
            "source",
            "serve",
            "--dir",
            "/nonexistent/charts",
            "--listen",
            "127.0.0.1:0",
        ],
        &[],
    );
    assert!(
        err.contains("--dir") && err.contains("/nonexistent/charts"),
        "{err}"
    );
}
