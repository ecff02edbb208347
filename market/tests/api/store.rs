//! The store contract on every backend, each against its real server.

use std::sync::Arc;

use market::store::{MarketStore, PostgresStore, SqliteStore};
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

mod sqlite {
    market::store_contract!(super::fresh_sqlite());
}

mod postgres {
    market::store_contract!(super::fresh_postgres());
}
