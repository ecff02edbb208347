//! Both real binaries, side by side on the embedded profile, as `make run` starts them.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::time::Duration;

use e2e::service_binary;
use nix::sys::signal::Signal;
use test_harness::RunningBinary;

#[tokio::test]
async fn both_services_boot_answer_and_stop() {
    let data = tempfile::tempdir().unwrap();
    let repo_dir = data.path().join("chart-repo");
    let market_dir = data.path().join("market");
    let mut repo = RunningBinary::start(
        &service_binary("chart-repo"),
        &["serve"],
        &[
            ("CHART_REPO_LISTEN", "127.0.0.1:0"),
            ("CHART_REPO_DATA_DIR", repo_dir.to_str().unwrap()),
        ],
    );
    let mut market = RunningBinary::start(
        &service_binary("market"),
        &["serve"],
        &[
            ("MARKET_LISTEN", "127.0.0.1:0"),
            ("MARKET_DATA_DIR", market_dir.to_str().unwrap()),
            ("MARKET_CHART_REPO_URL", &repo.url),
        ],
    );
    for url in [
        format!("{}/chart-repo/api/v2/version", repo.url),
        format!("{}/app-store/api/v2/version", market.url),
    ] {
        let body: serde_json::Value = reqwest::get(&url).await.unwrap().json().await.unwrap();
        assert_eq!(body["success"], true, "{url}: {body}");
        assert_eq!(body["data"]["version"], env!("CARGO_PKG_VERSION"));
    }
    for service in [&mut market, &mut repo] {
        let status = service.stop_with(Signal::SIGINT, Duration::from_secs(5));
        assert!(
            status.is_some_and(|s| s.success()),
            "{status:?}\n{}",
            service.stderr()
        );
    }
}
