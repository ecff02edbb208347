//! The store contract on every backend, each against its real server.

use std::sync::Arc;

use chart_repo::store::{RedisStore, RepoStore, SqliteStore};
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

mod sqlite {
    use chart_repo::store::StoreError;

    test_harness::source_store_contract!(super::fresh_sqlite(), conflict: StoreError::Conflict(_));
}

mod redis {
    use chart_repo::store::StoreError;

    test_harness::source_store_contract!(super::fresh_redis(), conflict: StoreError::Conflict(_));
}
