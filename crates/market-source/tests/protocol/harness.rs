//! Starting a source: the catalog of a folder, served on `127.0.0.1:0`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use axum::Router;
use market_source::{Catalog, router};
use test_harness::fixtures;

/// The catalog of `fixtures/charts/olares`, read once for the whole binary.
pub fn olares_catalog() -> Arc<Catalog> {
    static CATALOG: OnceLock<Arc<Catalog>> = OnceLock::new();
    Arc::clone(CATALOG.get_or_init(|| Arc::new(Catalog::open(fixtures::chart("olares")).unwrap())))
}

/// A running source.
pub struct TestSource {
    /// `http://127.0.0.1:PORT` (plus the prefix, if any), no trailing slash.
    pub base: String,
    pub catalog: Arc<Catalog>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestSource {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Serves `catalog` at the root.
pub async fn serve(catalog: Arc<Catalog>) -> TestSource {
    serve_app(router(Arc::clone(&catalog)), catalog, "").await
}

/// Serves `catalog` under `prefix` (e.g. `/market`).
pub async fn serve_under(catalog: Arc<Catalog>, prefix: &str) -> TestSource {
    let app = Router::new().nest(prefix, router(Arc::clone(&catalog)));
    serve_app(app, catalog, prefix).await
}

async fn serve_app(app: Router, catalog: Arc<Catalog>, prefix: &str) -> TestSource {
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
        copy_dir(&fixtures::chart(&format!("olares/{app}")), &dir.join(app));
    }
    (tmp, dir)
}

/// A temporary copy of the whole fixture catalog folder.
pub fn copy_of_all() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("catalog");
    copy_dir(&fixtures::chart("olares"), &dir);
    (tmp, dir)
}

pub fn copy_dir(from: &Path, to: &Path) {
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
