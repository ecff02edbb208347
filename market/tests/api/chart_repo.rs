//! market's chart-repo client against the real `chart-repo` binary (market may not depend
//! on the chart-repo package, even for tests: the services share only HTTP). The binary is
//! the one `cargo build` put beside `market` (`make test` builds the whole workspace first).

use std::path::{Path, PathBuf};

use chrono::Utc;
use market::catalog::{Fetched, fetch_catalog};
use market::chart_repo::{
    ChartRepoClient, ChartRepoClientConfig, HttpChartRepo, RemoveFor, SyncOutcome,
};
use market_model::protocol::{ApplicationInfoEntry, app_id};
use market_model::sync::{PendingAppData, SyncAppRequest, SyncStatus};
use market_model::{MarketSource, SourceId, SourceType, StateChangeType};
use secrecy::SecretString;
use test_harness::RunningBinary;

use crate::source::{TestSource, copy_of, serve_dir};

pub(crate) const TOKEN: &str = "test-token";
const SOURCE: &str = "market.olares";

/// `chart-repo` beside this test's `market` binary in the same target directory, or the
/// one `MARKET_TEST_CHART_REPO` names.
pub(crate) fn chart_repo_program() -> PathBuf {
    if let Some(path) = std::env::var_os("MARKET_TEST_CHART_REPO") {
        return PathBuf::from(path);
    }
    let program = Path::new(env!("CARGO_BIN_EXE_market")).with_file_name("chart-repo");
    assert!(
        program.is_file(),
        "{} is missing: run `cargo build -p chart-repo` (same CARGO_TARGET_DIR) first; \
         `make test` builds the whole workspace before the tests",
        program.display()
    );
    // A binary older than chart-repo's sources answers an older API: say so plainly
    // rather than fail on a 404 from a route it does not have yet.
    let built = std::fs::metadata(&program).unwrap().modified().unwrap();
    let root = test_harness::fixtures::repo_root();
    if let Some(newer) = newer_file(&root.join("chart-repo/src"), built) {
        panic!(
            "{} is older than {}: run `cargo build -p chart-repo` (same CARGO_TARGET_DIR) first",
            program.display(),
            newer.display()
        );
    }
    program
}

/// A file under `dir` modified after `than`, if any.
fn newer_file(dir: &Path, than: std::time::SystemTime) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let meta = entry.metadata().ok()?;
        if meta.is_dir() {
            if let Some(found) = newer_file(&path, than) {
                return Some(found);
            }
        } else if meta.modified().ok()? > than {
            return Some(path);
        }
    }
    None
}

pub(crate) fn start_chart_repo(data: &Path) -> RunningBinary {
    start_chart_repo_with(data, &[])
}

/// [`start_chart_repo`] with more settings (e.g. `CHART_REPO_STORE_URL`).
pub(crate) fn start_chart_repo_with(data: &Path, extra: &[(&str, &str)]) -> RunningBinary {
    let mut envs = vec![
        ("CHART_REPO_LISTEN", "127.0.0.1:0"),
        ("CHART_REPO_DATA_DIR", data.to_str().unwrap()),
        ("CHART_REPO_WORKERS", "1"),
        // No registry may be contacted: images end as registry_error, at once.
        ("CHART_REPO_REGISTRY_ALLOW", ""),
        ("CHART_REPO_API_TOKEN", TOKEN),
    ];
    envs.extend_from_slice(extra);
    RunningBinary::start(&chart_repo_program(), &["serve"], &envs)
}

fn client(url: &str, token: Option<&str>) -> HttpChartRepo {
    HttpChartRepo::new(
        url.parse().unwrap(),
        token.map(SecretString::from),
        ChartRepoClientConfig::default(),
    )
    .unwrap()
}

fn remote_source(base: &str) -> MarketSource {
    MarketSource {
        id: SourceId::parse(SOURCE).unwrap(),
        name: "Olares Market".into(),
        kind: SourceType::Remote,
        base_url: base.into(),
        priority: 100,
        is_active: true,
        description: String::new(),
        updated_at: Utc::now(),
    }
}

fn sync_request(entry: &ApplicationInfoEntry, user: &str) -> SyncAppRequest {
    SyncAppRequest {
        app_info_latest_pending_data: PendingAppData {
            kind: "app-info-latest-pending".into(),
            timestamp: Utc::now().timestamp(),
            version: entry.version.clone(),
            raw_data: Some(entry.clone()),
            ..PendingAppData::default()
        },
        source_id: SOURCE.into(),
        user_name: user.into(),
        admin_user: "alice".into(),
    }
}

/// Asks until chart-repo answers something other than "in progress".
async fn sync_to_the_end(repo: &HttpChartRepo, request: &SyncAppRequest) -> SyncOutcome {
    for _ in 0..10 {
        match repo.sync_app(request).await.unwrap() {
            SyncOutcome::InProgress { .. } => continue,
            outcome => return outcome,
        }
    }
    panic!("sync-app still in progress after 10 waits");
}

async fn ghost_entry(source: &TestSource) -> ApplicationInfoEntry {
    let Fetched::Catalog(catalog) = fetch_catalog(&source.client(), "latest", None)
        .await
        .unwrap()
    else {
        panic!("a first fetch is a catalog");
    };
    catalog
        .apps
        .into_iter()
        .find(|a| a.name == "ghost")
        .unwrap()
}

#[tokio::test]
async fn registers_a_source_syncs_an_app_follows_the_feed_and_removes_it() {
    let (_tmp, dir) = copy_of(&["ghost"]);
    let source = serve_dir(&dir).await;
    let data = tempfile::tempdir().unwrap();
    let chart_repo = start_chart_repo(data.path());
    let repo = client(&chart_repo.url, Some(TOKEN));

    repo.put_source(&remote_source(&source.base)).await.unwrap();
    let ghost = ghost_entry(&source).await;

    let SyncOutcome::Done(done) = sync_to_the_end(&repo, &sync_request(&ghost, "alice")).await
    else {
        panic!("ghost renders");
    };
    assert_eq!(done.status, SyncStatus::New);
    assert_eq!(done.app_id, app_id("ghost"));
    assert_eq!(done.user_id, "alice");
    assert_eq!(done.app_data.app_simple_info.app_name, "ghost");
    let again = sync_to_the_end(&repo, &sync_request(&ghost, "alice")).await;
    assert!(
        matches!(&again, SyncOutcome::Done(d) if d.status == SyncStatus::Existing),
        "{again:?}"
    );

    let page = repo.state_changes(0, 100).await.unwrap().unwrap();
    let uploaded = page
        .state_changes
        .iter()
        .find(|c| c.kind == StateChangeType::AppUploadCompleted)
        .expect("an app_upload_completed change");
    let app = uploaded.app_data.as_ref().unwrap();
    assert_eq!(
        (app.user_id.as_str(), app.app_name.as_str()),
        ("alice", "ghost")
    );
    let cursor = page.state_changes.last().unwrap().id;

    let held = repo.repo_data("alice").await.unwrap();
    assert_eq!(held.sources[SOURCE][0].app_id, app_id("ghost"));
    assert!(repo.repo_data("bob").await.unwrap().sources.is_empty());

    let source_id = SourceId::parse(SOURCE).unwrap();
    let removed = repo
        .remove_app(&source_id, "ghost", RemoveFor::User("alice"))
        .await
        .unwrap();
    assert_eq!(removed.removed_for, ["alice"]);
    let page = repo.state_changes(cursor, 100).await.unwrap().unwrap();
    assert!(
        page.state_changes
            .iter()
            .any(|c| c.kind == StateChangeType::AppRemoved),
        "{page:?}"
    );
    assert!(repo.repo_data("alice").await.unwrap().sources.is_empty());
    let removed = repo
        .remove_app(&source_id, "ghost", RemoveFor::AllUsers)
        .await
        .unwrap();
    assert!(removed.removed_for.is_empty());

    assert!(repo.delete_source(&source_id).await.unwrap());
    assert!(!repo.delete_source(&source_id).await.unwrap());
}

#[tokio::test]
async fn a_chart_that_cannot_hydrate_is_a_failure_with_its_step() {
    let (_tmp, dir) = copy_of(&["ghost"]);
    let source = serve_dir(&dir).await;
    let data = tempfile::tempdir().unwrap();
    let chart_repo = start_chart_repo(data.path());
    let repo = client(&chart_repo.url, Some(TOKEN));
    repo.put_source(&remote_source(&source.base)).await.unwrap();

    let mut entry = ghost_entry(&source).await;
    entry.name = "ghost-not-published".into();
    let SyncOutcome::Failed(failure) = sync_to_the_end(&repo, &sync_request(&entry, "bob")).await
    else {
        panic!("an unpublished chart cannot hydrate");
    };
    assert_eq!(failure.failure_step, "source_chart");
    assert_eq!(failure.user_id, "bob");
    assert!(!failure.retryable);
}

#[tokio::test]
async fn without_the_token_calls_are_refused_for_good() {
    let data = tempfile::tempdir().unwrap();
    let chart_repo = start_chart_repo(data.path());
    for token in [None, Some("wrong")] {
        let err = client(&chart_repo.url, token)
            .state_changes(0, 10)
            .await
            .unwrap_err();
        assert!(!err.is_retryable(), "{err}");
        let market::chart_repo::ChartRepoError::Call(call) = &err else {
            panic!("{err}");
        };
        assert_eq!(
            (call.status(), call.code()),
            (Some(401), Some("unauthorized"))
        );
    }
}
