//! Contract cases of the image cache and download history (see `store.rs`).

use std::sync::Arc;

use chart_repo::store::{CachedImage, Download, RepoStore};
use market_model::SourceId;
use serde_json::json;

use crate::store::{source, t};

pub async fn image_cache_round_trips(store: Arc<dyn RepoStore>) {
    let reference = "docker.io/library/nginx:1.27";
    assert!(store.image_cache_get(reference).await.unwrap().is_none());
    let first = CachedImage {
        digest: "sha256:aa".into(),
        info: json!({"platforms": [{"architecture": "amd64"}], "layers": []}),
        fetched_at: t(1),
    };
    store.image_cache_put(reference, &first).await.unwrap();
    assert_eq!(store.image_cache_get(reference).await.unwrap(), Some(first));
    let second = CachedImage {
        digest: "sha256:bb".into(),
        info: json!({}),
        fetched_at: t(2),
    };
    store.image_cache_put(reference, &second).await.unwrap();
    assert_eq!(
        store.image_cache_get(reference).await.unwrap(),
        Some(second)
    );
    assert!(
        store
            .image_cache_get("docker.io/library/nginx:1.28")
            .await
            .unwrap()
            .is_none()
    );
}

pub async fn last_download_wins(store: Arc<dyn RepoStore>) {
    assert!(
        store
            .last_download("alice", "demo")
            .await
            .unwrap()
            .is_none()
    );
    let first = Download {
        version: "1.0.0".into(),
        source: source(),
        at: t(10),
    };
    let second = Download {
        version: "1.1.0".into(),
        source: SourceId::parse("upload").unwrap(),
        at: t(20),
    };
    store
        .record_download("alice", "demo", &first)
        .await
        .unwrap();
    store
        .record_download("alice", "demo", &second)
        .await
        .unwrap();
    assert_eq!(
        store.last_download("alice", "demo").await.unwrap(),
        Some(second)
    );
    assert!(
        store
            .last_download("alice", "other")
            .await
            .unwrap()
            .is_none()
    );
}
