//! The store contract on every backend, each against its real server: the
//! shared market-source contract plus what only market keeps (settings here;
//! catalogs in `store_catalog.rs`, users and their apps in `store_users.rs`,
//! what the API reads of one user's view in `store_views.rs`, the watcher cursor
//! and events in `store_events.rs`).
//!
//! The cases are plain async fns over `Arc<dyn MarketStore>`;
//! [`market_store_contract!`] turns each into a `#[tokio::test]` per backend.
//! Time is simulated: every operation that compares times takes `now`, so no
//! case sleeps.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use market::store::{MarketStore, PostgresStore, SettingKey, SqliteStore};
use market_model::SourceId;
use test_harness::PostgresServer;

/// A fixed instant plus `secs` seconds: the simulated clock of every case.
pub fn t(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

pub fn sid(s: &str) -> SourceId {
    SourceId::parse(s).unwrap()
}

/// One `#[tokio::test]` per `module::case`, over a fresh store from `$fresh`.
macro_rules! market_store_contract {
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

/// Every case of the market-only contract, for one backend.
macro_rules! all_cases {
    ($fresh:expr) => {
        market_store_contract!($fresh;
            store_catalog::replace_reports_added_updated_removed,
            store_catalog::replace_leaves_other_sources_alone,
            store_catalog::incremental_upsert_and_remove,
            store_catalog::looks_up_by_name_and_ids,
            store_catalog::keeps_meta_and_listing,
            store_catalog::unknown_source_is_conflict,
            store_catalog::deleting_a_source_drops_its_catalog,
            store_catalog::large_unchanged_replace_is_empty,
            store_users::ensure_user_reports_creation,
            store_users::one_admin_at_a_time,
            store_users::concurrent_promotions_leave_one_admin,
            store_users::user_app_ready_failed_attempts,
            store_users::user_apps_are_partitioned,
            store_users::removes_user_apps,
            store_users::stale_missing_and_version_changed,
            store_users::stale_when_the_entry_changes_at_the_same_version,
            store_users::stale_failed_retry_due,
            store_users::permanent_failure_waits_for_new_version,
            store_users::pending_is_stale_after_its_deadline,
            store_users::stale_excludes_inactive_sources,
            store_users::new_user_makes_every_app_stale,
            store_users::stale_is_ordered_and_limited,
            store_users::claim_marks_pending_until_its_deadline,
            store_users::concurrent_claims_are_disjoint,
            store_views::view_revision_moves_with_what_users_see,
            store_views::hash_from_heads_matches_the_whole_view,
            store_views::app_details_match_the_whole_view,
            store_events::cursor_starts_at_zero_and_never_moves_back,
            store_events::events_are_partitioned_with_broadcasts,
            store_events::concurrent_appends_get_increasing_ids,
            store_events::trim_keeps_the_newest,
            store_tasks::submit_is_idempotent,
            store_tasks::lease_accept_and_never_again,
            store_tasks::expired_lease_is_taken_over,
            store_tasks::one_running_per_app_and_cancels_beside,
            store_tasks::retry_waits_for_its_time,
            store_tasks::cancel_pending_only,
            store_tasks::lists_filter_and_partition,
            store_tasks::history_on_start_and_end,
            store_tasks::keeps_app_states,
        );
    };
}

async fn fresh_sqlite() -> (Arc<dyn MarketStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("market.db"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    (Arc::new(store), dir)
}

async fn fresh_postgres() -> (Arc<dyn MarketStore>, PostgresServer) {
    let server = tokio::task::spawn_blocking(PostgresServer::start)
        .await
        .unwrap();
    let url = server.create_database("market");
    let store = PostgresStore::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    (Arc::new(store), server)
}

async fn keeps_settings(store: &dyn MarketStore) {
    assert_eq!(
        store.setting(SettingKey::MarketSettings).await.unwrap(),
        None
    );
    let v =
        serde_json::json!({"selected_source": "market.olares", "nested": {"list": [1, "é", null]}});
    store
        .put_setting(SettingKey::MarketSettings, &v)
        .await
        .unwrap();
    assert_eq!(
        store.setting(SettingKey::MarketSettings).await.unwrap(),
        Some(v)
    );
    let w = serde_json::json!({"selected_source": "upload"});
    store
        .put_setting(SettingKey::MarketSettings, &w)
        .await
        .unwrap();
    assert_eq!(
        store.setting(SettingKey::MarketSettings).await.unwrap(),
        Some(w)
    );
}

mod sqlite {
    use market::store::StoreError;

    all_cases!(super::fresh_sqlite());

    test_harness::source_store_contract!(super::fresh_sqlite(), conflict: StoreError::Conflict(_));

    #[tokio::test]
    async fn keeps_settings() {
        let (store, _guard) = super::fresh_sqlite().await;
        super::keeps_settings(&*store).await;
    }
}

mod postgres {
    use market::store::StoreError;

    all_cases!(super::fresh_postgres());

    test_harness::source_store_contract!(super::fresh_postgres(), conflict: StoreError::Conflict(_));

    #[tokio::test]
    async fn keeps_settings() {
        let (store, _guard) = super::fresh_postgres().await;
        super::keeps_settings(&*store).await;
    }
}
