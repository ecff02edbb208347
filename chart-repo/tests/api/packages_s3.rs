//! The `s3://` package store against a real S3 service (`s3s-fs`, which checks every
//! request's Signature Version 4): objects round-trip under the prefix, refusals name
//! what failed, and a whole hydration stores and serves its packages from the bucket.

use std::path::Path;

use chart_repo::config::PackageStore as PackagesUrl;
use chart_repo::packages::{
    PackageStore, PackageStoreError, RenderedKey, S3Credentials, S3Error, S3Settings,
};
use sha2::{Digest, Sha256};
use test_harness::S3Server;
use test_harness::s3::{ACCESS_KEY_ID, SECRET_ACCESS_KEY};

use crate::harness::{olares_catalog, serve_source, spawn_repo};

fn settings(endpoint: &str, bucket: &str, prefix: &str, secret: &str) -> S3Settings {
    S3Settings {
        endpoint: endpoint.parse().unwrap(),
        bucket: bucket.into(),
        prefix: prefix.into(),
        region: "us-east-1".into(),
        credentials: Some(S3Credentials {
            access_key_id: ACCESS_KEY_ID.into(),
            secret_access_key: secret.to_owned().into(),
        }),
    }
}

async fn start_s3() -> S3Server {
    tokio::task::spawn_blocking(S3Server::start).await.unwrap()
}

fn key(user: &str, version: &str) -> RenderedKey {
    RenderedKey {
        user: user.into(),
        source: "market.olares".into(),
        name: "ghost".into(),
        version: version.into(),
    }
}

#[tokio::test]
async fn packages_round_trip_through_a_real_bucket_under_the_prefix() {
    let s3 = start_s3().await;
    let uploads = tempfile::tempdir().unwrap();
    let config = settings(&s3.endpoint(), "charts", "prod/", SECRET_ACCESS_KEY);
    // The bucket does not exist yet: opening creates it.
    let store = PackageStore::open_s3(config.clone(), uploads.path())
        .await
        .unwrap();
    assert!(s3.root().join("charts").is_dir());
    // Opening again finds it.
    PackageStore::open_s3(config, uploads.path()).await.unwrap();

    let digest = store.put_source(b"source chart").await.unwrap();
    assert_eq!(digest, hex::encode(Sha256::digest(b"source chart")));
    assert_eq!(store.put_source(b"source chart").await.unwrap(), digest);
    assert_eq!(
        store.source(&digest).await.unwrap().unwrap(),
        b"source chart"
    );
    assert!(store.source(&"0".repeat(64)).await.unwrap().is_none());

    // A version with build metadata: `+` must be encoded once, signed as sent.
    let alice = key("alice", "1.0.0+build.7");
    store.put_rendered(&alice, b"rendered v1").await.unwrap();
    assert!(store.has_rendered(&alice).await.unwrap());
    assert!(!store.has_rendered(&key("bob", "1.0.0")).await.unwrap());
    let want = hex::encode(Sha256::digest(b"rendered v1"));
    let served = store.rendered_to_serve(&alice, &want).await.unwrap();
    assert_eq!(served.unwrap(), &b"rendered v1"[..]);
    assert_eq!(
        s3.objects("charts", ""),
        [
            "prod/rendered/alice/market.olares/ghost-1.0.0+build.7.tgz".to_owned(),
            format!("prod/sources/{digest}.tgz"),
        ]
    );
    store.put_rendered(&alice, b"rendered v2").await.unwrap();
    assert_eq!(
        store.rendered(&alice).await.unwrap().unwrap(),
        b"rendered v2"
    );
    store.remove_rendered(&alice).await.unwrap();
    store.remove_rendered(&alice).await.unwrap();
    assert!(!store.has_rendered(&alice).await.unwrap());
    assert!(store.rendered(&alice).await.unwrap().is_none());
    assert_eq!(store.uploads_dir(), uploads.path());
}

#[tokio::test]
async fn a_wrong_secret_or_no_service_is_refused_naming_what_failed() {
    let s3 = start_s3().await;
    let uploads = tempfile::tempdir().unwrap();
    let wrong = settings(&s3.endpoint(), "charts", "", "not-the-secret");
    let err = PackageStore::open_s3(wrong, uploads.path())
        .await
        .unwrap_err();
    let PackageStoreError::S3(S3Error::Refused { status, code, .. }) = &err else {
        panic!("{err}")
    };
    assert_eq!(*status, 403, "{err}");
    assert_eq!(code, "SignatureDoesNotMatch", "{err}");
    assert!(!err.is_retryable());

    let port = test_harness::process::free_port();
    let nobody = settings(&format!("http://127.0.0.1:{port}"), "charts", "", "x");
    let err = PackageStore::open_s3(nobody, uploads.path())
        .await
        .unwrap_err();
    assert!(
        matches!(err, PackageStoreError::S3(S3Error::Transport { .. })),
        "{err}"
    );
    assert!(err.is_retryable());
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
}

#[tokio::test]
async fn a_hydrated_app_is_stored_in_and_served_from_the_bucket() {
    let s3 = start_s3().await;
    let endpoint = s3.endpoint();
    let repo = spawn_repo(|config, _| {
        config.packages = PackagesUrl::S3(settings(&endpoint, "charts", "repo", SECRET_ACCESS_KEY));
    })
    .await;
    let source = serve_source(olares_catalog()).await;
    repo.put_remote_source(&source.base).await;
    let entries = repo.hydrate(&source, &["ghost"], "alice", "alice").await;
    let file = format!("ghost-{}.tgz", entries[0].version);
    let objects = s3.objects("charts", "");
    assert!(
        objects.contains(&format!("repo/rendered/alice/market.olares/{file}")),
        "{objects:?}"
    );
    assert!(
        objects.iter().any(|o| o.starts_with("repo/sources/")),
        "{objects:?}"
    );
    assert!(
        !local_packages(&repo.packages_dir()),
        "nothing is written to the local folder"
    );

    let index = repo
        .helm_get("/static-index.yaml", "alice")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = repo
        .helm_get(&format!("/charts/{file}"), "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let digest = hex::encode(Sha256::digest(res.bytes().await.unwrap()));
    assert!(index.contains(&format!("digest: {digest}")), "{index}");
}

/// Whether any package file exists under the local packages folder.
fn local_packages(dir: &Path) -> bool {
    walk(dir)
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "tgz"))
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        .flat_map(|e| {
            let p = e.path();
            if p.is_dir() { walk(&p) } else { vec![p] }
        })
        .collect()
}
