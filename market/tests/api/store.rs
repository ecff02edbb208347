//! The store contract on every backend, each against its real server: the
//! shared market-source contract plus what only market keeps (settings).

use std::sync::Arc;

use market::store::{MarketStore, PostgresStore, SettingKey, SqliteStore};
use test_harness::PostgresServer;

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

    test_harness::source_store_contract!(super::fresh_sqlite(), conflict: StoreError::Conflict(_));

    #[tokio::test]
    async fn keeps_settings() {
        let (store, _guard) = super::fresh_sqlite().await;
        super::keeps_settings(&*store).await;
    }
}

mod postgres {
    use market::store::StoreError;

    test_harness::source_store_contract!(super::fresh_postgres(), conflict: StoreError::Conflict(_));

    #[tokio::test]
    async fn keeps_settings() {
        let (store, _guard) = super::fresh_postgres().await;
        super::keeps_settings(&*store).await;
    }
}
