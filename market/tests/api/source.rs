//! A market source in-process: `market_source`'s catalog of a folder served on
//! `127.0.0.1:0` (at the root or under a prefix), and temporary copies of fixture folders.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use market::catalog::{SourceClient, SourceClientConfig};
use market_source::{Catalog, router};
use test_harness::fixtures;

/// A running source; the server stops when it is dropped.
pub struct TestSource {
    /// `http://127.0.0.1:PORT` plus the prefix, if any; no trailing slash.
    pub base: String,
    pub catalog: Arc<Catalog>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestSource {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestSource {
    /// A market client of this source with the default timeouts and retries.
    pub fn client(&self) -> SourceClient {
        SourceClient::new(self.base.parse().unwrap(), SourceClientConfig::default()).unwrap()
    }
}

/// Serves the catalog of `dir` at the root.
pub async fn serve_dir(dir: &Path) -> TestSource {
    serve(open(dir).await, "").await
}

/// Serves `catalog` under `prefix` (`""` for the root).
pub async fn serve(catalog: Arc<Catalog>, prefix: &str) -> TestSource {
    let app = if prefix.is_empty() {
        router(Arc::clone(&catalog))
    } else {
        Router::new().nest(prefix, router(Arc::clone(&catalog)))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    TestSource {
        base: format!("http://{addr}{prefix}"),
        catalog,
        server,
    }
}

/// The fixture catalog folder `../shared/fixtures/charts/olares`.
pub fn olares_dir() -> PathBuf {
    fixtures::chart("olares")
}

/// Reads a folder into a catalog off the async threads.
pub async fn open(dir: &Path) -> Arc<Catalog> {
    let dir = dir.to_owned();
    Arc::new(
        tokio::task::spawn_blocking(move || Catalog::open(dir).unwrap())
            .await
            .unwrap(),
    )
}

/// Reloads off the async threads.
pub async fn reload(catalog: &Arc<Catalog>) {
    let catalog = Arc::clone(catalog);
    tokio::task::spawn_blocking(move || catalog.reload().unwrap())
        .await
        .unwrap();
}

/// A temporary catalog folder holding copies of the named fixture apps.
pub fn copy_of(apps: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("catalog");
    std::fs::create_dir(&dir).unwrap();
    for app in apps {
        copy_dir(&olares_dir().join(app), &dir.join(app));
    }
    (tmp, dir)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}
