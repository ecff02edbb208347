//! The remote source client and one catalog fetch, against the real `market_source` server
//! over the fixtures (fakes only for what it never answers: 5xx and 429).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use market::catalog::{
    Fetched, FetchedCatalog, RemoteSource, SourceClient, SourceClientConfig, SourceError,
    fetch_catalog,
};
use market::outbound::{CallError, RetryPolicy};
use market_model::protocol::{HASH_PATH, HashResponse, app_id};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::source::{copy_of, olares_dir, open, reload, serve, serve_dir};

/// The six fixture apps whose folders hold `.suspend`.
const SUSPENDED: [&str; 6] = [
    "chaosmesh",
    "deerflow",
    "filebrowser",
    "ollama",
    "sdwebuiforge",
    "wise",
];

async fn fetch_new(client: &SourceClient, known: Option<&str>) -> FetchedCatalog {
    match fetch_catalog(client, "latest", known).await.unwrap() {
        Fetched::Catalog(catalog) => *catalog,
        Fetched::Unchanged { hash } => panic!("expected a new catalog, got unchanged {hash}"),
    }
}

#[tokio::test]
async fn the_fixture_catalog_fetches_to_21_apps_and_then_is_unchanged() {
    let source = serve_dir(&olares_dir()).await;
    let client = source.client();
    let catalog = fetch_new(&client, None).await;

    assert_eq!(
        catalog.listing.apps.len(),
        27,
        "the listing holds every app"
    );
    assert_eq!(catalog.apps.len(), 21);
    let delisted: BTreeSet<String> = catalog.delisted.iter().cloned().collect();
    let want: BTreeSet<String> = SUSPENDED.iter().map(|n| app_id(n)).collect();
    assert_eq!(delisted, want);
    assert!(catalog.not_found.is_empty());
    let names: BTreeSet<&str> = catalog.apps.iter().map(|a| a.name.as_str()).collect();
    for suspended in SUSPENDED {
        assert!(!names.contains(suspended), "{suspended} is dropped");
    }
    assert!(names.contains("ghost"));
    let ids: Vec<&str> = catalog.apps.iter().map(|a| a.id.as_str()).collect();
    assert!(ids.is_sorted(), "apps are sorted by id");
    assert!(catalog.last_updated.is_some());
    assert_eq!(catalog.hash, client.hash("latest").await.unwrap().hash);

    let again = fetch_catalog(&client, "latest", Some(&catalog.hash))
        .await
        .unwrap();
    assert_eq!(
        again,
        Fetched::Unchanged {
            hash: catalog.hash.clone()
        }
    );
}

#[tokio::test]
async fn a_source_under_a_path_prefix_is_fetched_and_charts_download() {
    let (_tmp, dir) = copy_of(&["ghost", "wise", "mysql"]);
    let source = serve(open(&dir).await, "/market").await;
    assert!(source.base.ends_with("/market"));
    let client = source.client();
    let catalog = fetch_new(&client, None).await;
    let names: Vec<&str> = catalog.apps.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names.len(), 2, "wise is suspended: {names:?}");
    assert!(names.contains(&"ghost") && names.contains(&"mysql"));

    let ghost = catalog.apps.iter().find(|a| a.name == "ghost").unwrap();
    let bytes = client
        .chart(&ghost.name, &ghost.version, &ghost.chart_name)
        .await
        .unwrap();
    assert_eq!(&bytes[..2], &[0x1f, 0x8b], "a gzip'd package");

    let missing = client.chart("nope", "1.0.0", "nope-1.0.0.tgz").await;
    let err = missing.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
    assert!(
        matches!(&err, SourceError::Call(e) if e.status() == Some(404)),
        "{err}"
    );
}

#[tokio::test]
async fn editing_the_folder_changes_the_hash_and_the_next_fetch_sees_it() {
    let (_tmp, dir) = copy_of(&["ghost", "mysql"]);
    let source = serve_dir(&dir).await;
    let client = source.client();
    let before = fetch_new(&client, None).await;

    // Any content change moves the hash, a version bump or not.
    let values = dir.join("ghost/values.yaml");
    let mut text = std::fs::read_to_string(&values).unwrap();
    text.push_str("\n# edited by the test\n");
    std::fs::write(&values, text).unwrap();
    reload(&source.catalog).await;

    let after = fetch_new(&client, Some(&before.hash)).await;
    assert_ne!(after.hash, before.hash);
    let commit = |c: &FetchedCatalog| {
        c.apps
            .iter()
            .find(|a| a.name == "ghost")
            .unwrap()
            .last_commit_hash
            .clone()
    };
    assert_ne!(commit(&after), commit(&before), "ghost's entry changed");
    assert_eq!(after.apps.len(), 2);
}

#[tokio::test]
async fn ids_the_source_cannot_detail_are_reported_not_found() {
    let source = serve_dir(&olares_dir()).await;
    let client = source.client();
    let answer = client
        .details(&[app_id("ghost"), app_id("no-such-app")], "latest")
        .await
        .unwrap();
    assert!(answer.apps.contains_key(&app_id("ghost")));
    assert_eq!(answer.not_found, [app_id("no-such-app")]);
}

fn quick_client(base: &str) -> SourceClient {
    let policy = RetryPolicy {
        attempt_timeout: Duration::from_secs(5),
        deadline: Duration::from_secs(20),
        max_attempts: 4,
        first_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    };
    let config = SourceClientConfig {
        json: policy,
        chart: policy,
        ..SourceClientConfig::default()
    };
    SourceClient::new(base.parse().unwrap(), config).unwrap()
}

fn hash_body() -> HashResponse {
    HashResponse {
        hash: "abc".into(),
        last_updated: "2026-11-23T00:00:00Z".into(),
        version: "latest".into(),
    }
}

#[tokio::test]
async fn a_5xx_is_retried_until_the_source_answers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(HASH_PATH))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(HASH_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(hash_body()))
        .expect(1)
        .mount(&server)
        .await;
    let hash = quick_client(&server.uri()).hash("latest").await.unwrap();
    assert_eq!(hash.hash, "abc");
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(HASH_PATH))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(HASH_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(hash_body()))
        .expect(1)
        .mount(&server)
        .await;
    let started = Instant::now();
    let hash = quick_client(&server.uri()).hash("latest").await.unwrap();
    assert_eq!(hash.hash, "abc");
    // The policy's own backoff is at most 50 ms; only Retry-After explains a second.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_source_that_keeps_failing_gives_up_retryable_and_a_404_at_once() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(HASH_PATH))
        .respond_with(ResponseTemplate::new(500))
        .expect(4)
        .mount(&server)
        .await;
    let err = quick_client(&server.uri())
        .hash("latest")
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            SourceError::Call(CallError::GaveUp { attempts: 4, .. })
        ),
        "{err}"
    );
    assert!(err.is_retryable());

    let gone = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&gone)
        .await;
    let err = quick_client(&gone.uri()).hash("latest").await.unwrap_err();
    assert!(!err.is_retryable(), "{err}");
}

#[tokio::test]
async fn nothing_listening_is_a_retryable_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = quick_client(&format!("http://127.0.0.1:{port}"))
        .hash("latest")
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
}
