//! The store contract on every backend, each against its real server.
//!
//! The cases are plain async fns over `Arc<dyn RepoStore>` (`store_queue.rs`,
//! `store_apps.rs`, `store_changes.rs`, `store_cache.rs`); [`repo_store_contract!`] turns each
//! into a `#[tokio::test]` per backend. Time is simulated: every operation
//! takes an explicit `now`, so no case sleeps.

use std::sync::Arc;

use chart_repo::store::{AppRecord, HydrationKey, RedisStore, RepoStore, SqliteStore};
use chrono::{DateTime, TimeZone, Utc};
use market_model::SourceId;
use test_harness::RedisServer;

async fn fresh_sqlite() -> (Arc<dyn RepoStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("chart-repo.db"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    (Arc::new(store), dir)
}

async fn fresh_redis() -> (Arc<dyn RepoStore>, RedisServer) {
    let server = tokio::task::spawn_blocking(RedisServer::start)
        .await
        .unwrap();
    let store = RedisStore::connect(&server.url(), "contract")
        .await
        .unwrap();
    store.migrate().await.unwrap();
    (Arc::new(store), server)
}

/// A fixed instant plus `secs` seconds: the simulated clock of every case.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

pub fn source() -> SourceId {
    SourceId::parse("market.olares").unwrap()
}

pub fn key(user: &str, app: &str, version: &str) -> HydrationKey {
    HydrationKey {
        user: user.into(),
        source: source(),
        app: app.into(),
        version: version.into(),
    }
}

/// A rendered record whose content depends on every argument.
pub fn record(user: &str, app: &str, version: &str, digest: &str) -> AppRecord {
    AppRecord {
        user: user.into(),
        source: source(),
        app_name: app.into(),
        app_id: format!("id-{app}"),
        version: version.into(),
        source_digest: format!("src-{digest}"),
        package_digest: digest.into(),
        package_size: 1234,
        chart: serde_json::json!({"apiVersion": "v2", "name": app, "version": version}),
        payload: serde_json::json!({"user": user, "digest": digest, "list": [], "map": {}}),
        support_arch: vec!["amd64".into(), "arm64".into()],
        created: t(0),
        updated_at: t(1),
    }
}

/// One `#[tokio::test]` per `module::case`, over a fresh store from `$fresh`.
macro_rules! repo_store_contract {
    ($fresh:expr; $($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let (store, _guard) = $fresh.await;
                crate::$module::$case(store).await;
            }
        )*
    };
}

macro_rules! all_cases {
    ($fresh:expr) => {
        repo_store_contract!($fresh;
            store_queue::enqueue_dedups_live_jobs,
            store_queue::lease_takes_due_jobs_oldest_first,
            store_queue::lease_takes_at_most_max,
            store_queue::concurrent_leases_never_share_a_job,
            store_queue::expired_lease_is_reclaimed_and_stale_token_is_refused,
            store_queue::lease_reclaims_expired_jobs_itself,
            store_queue::completes_exactly_once,
            store_queue::retryable_failure_returns_to_pending_at_retry_time,
            store_queue::permanent_failure_frees_the_key,
            store_queue::purge_finished_keeps_live_jobs,
            store_apps::commit_reports_new_updated_existing,
            store_apps::stale_commit_writes_nothing,
            store_apps::fail_hydration_appends_render_failed,
            store_apps::removes_an_app_for_one_user_or_all,
            store_apps::partitions_records_by_user,
            store_cache::image_cache_round_trips,
            store_cache::last_download_wins,
            store_changes::ids_increase_under_concurrent_appends,
            store_changes::pages_with_limit,
            store_changes::retention_makes_old_cursors_gone,
        );
    };
}

mod sqlite {
    use chart_repo::store::StoreError;

    test_harness::source_store_contract!(super::fresh_sqlite(), conflict: StoreError::Conflict(_));
    all_cases!(super::fresh_sqlite());
}

mod redis {
    use chart_repo::store::StoreError;

    test_harness::source_store_contract!(super::fresh_redis(), conflict: StoreError::Conflict(_));
    all_cases!(super::fresh_redis());
}
