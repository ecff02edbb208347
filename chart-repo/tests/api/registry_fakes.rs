//! What no real registry here produces, played by `wiremock` (DESIGN.md §8): a 429 with
//! `Retry-After`, a Bearer token challenge, a registry that never answers, and one that
//! keeps failing with 503. Waits are measured from the fake's own receive times.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chart_repo::registry::{ImageRef, RetryPolicy};
use market_model::ImageStatus;
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::registry::{allowing, analyzer};

const CONFIG_DIGEST: &str =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const LAYER_DIGEST: &str =
    "sha256:2222222222222222222222222222222222222222222222222222222222222222";

fn manifest() -> ResponseTemplate {
    let body = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": CONFIG_DIGEST, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": LAYER_DIGEST, "size": 1234}],
    });
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/vnd.oci.image.manifest.v1+json")
        .set_body_bytes(body.to_string())
}

fn config() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "created": "2026-01-02T03:04:05Z", "os": "linux", "architecture": "arm64", "variant": "v8",
    }))
}

async fn serve_config(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/blobs/{CONFIG_DIGEST}")))
        .respond_with(config())
        .mount(server)
        .await;
}

fn host(server: &MockServer) -> String {
    server.address().to_string()
}

/// Answers 429 with `Retry-After: 1` first, then the manifest; records when each
/// request arrived.
struct RateLimitedOnce {
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Respond for RateLimitedOnce {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut arrivals = self.arrivals.lock().unwrap();
        arrivals.push(Instant::now());
        if arrivals.len() == 1 {
            ResponseTemplate::new(429).insert_header("retry-after", "1")
        } else {
            manifest()
        }
    }
}

#[tokio::test]
async fn rate_limited_request_waits_for_retry_after() {
    let server = MockServer::start().await;
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/1"))
        .respond_with(RateLimitedOnce {
            arrivals: arrivals.clone(),
        })
        .mount(&server)
        .await;
    serve_config(&server).await;
    let mut config = allowing(&[&host(&server)]);
    // A tiny backoff: any wait of a second comes from Retry-After.
    config.retry = RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(1),
        max_wait: Duration::from_secs(5),
    };
    let (analyzer, _) = analyzer(config);
    let image = ImageRef::parse(&format!("{}/app:1", host(&server))).unwrap();
    let info = analyzer.analyze(&image).await;
    assert_eq!(info.status, ImageStatus::Analyzed, "{info:?}");
    assert_eq!(info.platforms[0].architecture, "arm64");
    assert_eq!(info.platforms[0].variant.as_deref(), Some("v8"));
    assert_eq!(info.total_size, 1234);
    let arrivals = arrivals.lock().unwrap().clone();
    assert_eq!(arrivals.len(), 2);
    let waited = arrivals[1] - arrivals[0];
    assert!(waited >= Duration::from_secs(1), "retried after {waited:?}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_reported_not_awaited() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let (analyzer, _) = analyzer(allowing(&[&host(&server)]));
    let image = ImageRef::parse(&format!("{}/app:1", host(&server))).unwrap();
    let info = analyzer.analyze(&image).await;
    assert_eq!(info.status, ImageStatus::RegistryError);
    assert!(info.reason.contains("rate limited"), "{}", info.reason);
    assert!(info.retryable);
}

#[tokio::test]
async fn server_errors_are_retried_then_reported_as_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let mut config = allowing(&[&host(&server)]);
    config.retry = RetryPolicy {
        attempts: 3,
        base: Duration::from_millis(5),
        max_wait: Duration::from_millis(20),
    };
    let (analyzer, _) = analyzer(config);
    let image = ImageRef::parse(&format!("{}/app:1", host(&server))).unwrap();
    let info = analyzer.analyze(&image).await;
    assert_eq!(info.status, ImageStatus::RegistryError);
    assert!(info.reason.contains("HTTP 503"), "{}", info.reason);
    assert!(info.retryable);
}

#[tokio::test]
async fn bearer_token_is_fetched_once_per_scope_and_reused() {
    let server = MockServer::start().await;
    let realm = format!("http://{}/token", host(&server));
    let challenge = format!(r#"Bearer realm="{realm}",service="fake""#);
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"token": "tok", "expires_in": 300})),
        )
        .expect(2)
        .mount(&server)
        .await;
    for tag in ["1", "2"] {
        Mock::given(method("GET"))
            .and(path(format!("/v2/app/manifests/{tag}")))
            .and(header("authorization", "Bearer tok"))
            .respond_with(manifest())
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/blobs/{CONFIG_DIGEST}")))
        .and(header("authorization", "Bearer tok"))
        .respond_with(config())
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/other/manifests/1"))
        .and(header("authorization", "Bearer tok"))
        .respond_with(ResponseTemplate::new(404))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("www-authenticate", challenge.as_str()),
        )
        .with_priority(10)
        .mount(&server)
        .await;
    let (analyzer, _) = analyzer(allowing(&[&host(&server)]));
    let analyze = |r: &str| {
        let image = ImageRef::parse(&format!("{}/{r}", host(&server))).unwrap();
        let analyzer = analyzer.clone();
        async move { analyzer.analyze(&image).await }
    };
    let first = analyze("app:1").await;
    assert_eq!(first.status, ImageStatus::Analyzed, "{first:?}");
    // Challenge, token, manifest, config.
    assert_eq!(analyzer.requests_sent(), 4);
    let second = analyze("app:2").await;
    assert_eq!(second.status, ImageStatus::Analyzed, "{second:?}");
    assert_eq!(analyzer.requests_sent(), 4 + 2, "the token is reused");
    // Another repository is another scope: a token request, but no challenge round trip.
    let other = analyze("other:1").await;
    assert_eq!(other.status, ImageStatus::NotFound, "{other:?}");
    assert_eq!(analyzer.requests_sent(), 6 + 2);
    let tokens: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/token")
        .map(|r| r.url.query().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        tokens,
        [
            "service=fake&scope=repository%3Aapp%3Apull",
            "service=fake&scope=repository%3Aother%3Apull"
        ]
    );
}

#[tokio::test]
async fn a_token_realm_outside_the_allow_list_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).insert_header(
            "www-authenticate",
            r#"Bearer realm="https://auth.example/token",service="x""#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (analyzer, _) = analyzer(allowing(&[&host(&server)]));
    let image = ImageRef::parse(&format!("{}/app:1", host(&server))).unwrap();
    let info = analyzer.analyze(&image).await;
    assert_eq!(info.status, ImageStatus::RegistryError, "{info:?}");
    assert_eq!(info.reason, "token realm host auth.example is not allowed");
    assert_eq!(analyzer.requests_sent(), 1);
}

#[tokio::test]
async fn a_hanging_registry_hits_the_deadline() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(manifest().set_delay(Duration::from_secs(600)))
        .mount(&server)
        .await;
    let mut config = allowing(&[&host(&server)]);
    config.deadline = Duration::from_millis(300);
    let (analyzer, _) = analyzer(config);
    let image = ImageRef::parse(&format!("{}/app:1", host(&server))).unwrap();
    let started = Instant::now();
    let info = analyzer.analyze(&image).await;
    let took = started.elapsed();
    assert_eq!(info.status, ImageStatus::RegistryError);
    assert_eq!(info.reason, "deadline exceeded");
    assert!(info.retryable);
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[tokio::test]
async fn the_token_endpoint_gets_the_hosts_credentials() {
    let server = MockServer::start().await;
    let realm = format!("http://{}/token", host(&server));
    // alice:wonderland
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(header("authorization", "Basic YWxpY2U6d29uZGVybGFuZA=="))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "private"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/1"))
        .and(header("authorization", "Bearer private"))
        .respond_with(manifest())
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/blobs/{CONFIG_DIGEST}")))
        .and(header("authorization", "Bearer private"))
        .respond_with(config())
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).insert_header(
                "www-authenticate",
                format!(r#"Bearer realm="{realm}",service="fake",scope="repository:app:pull""#)
                    .as_str(),
            ),
        )
        .with_priority(10)
        .mount(&server)
        .await;
    let mut config = allowing(&[&host(&server)]);
    config.credentials.insert(
        host(&server),
        chart_repo::config::RegistryCredentials {
            username: "alice".into(),
            password: secrecy::SecretString::from("wonderland".to_owned()),
        },
    );
    let (analyzer, _) = analyzer(config);
    let image = ImageRef::parse(&format!("{}/app:1", host(&server))).unwrap();
    let info = analyzer.analyze(&image).await;
    assert_eq!(info.status, ImageStatus::Analyzed, "{info:?}");
    let (anonymous, _) = crate::registry::analyzer(allowing(&[&host(&server)]));
    let info = anonymous.analyze(&image).await;
    // Without credentials the token endpoint answers 401: a private image.
    assert_eq!(info.status, ImageStatus::PrivateRegistry, "{info:?}");
    assert!(info.reason.contains("token endpoint"), "{}", info.reason);
}

/// A slow registry on a raw listener: every request gets a 404 after `delay`, each on
/// its own connection. It counts requests in flight, dropping the count just before it
/// answers, so the client cannot send its next request before the count is down.
async fn slow_registry(delay: Duration) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let in_flight = Arc::new(AtomicUsize::new(0));
    let max = Arc::new(AtomicUsize::new(0));
    let max_seen = max.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (in_flight, max) = (in_flight.clone(), max.clone());
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
                let reply =
                    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (addr, max_seen)
}

#[tokio::test]
async fn requests_to_one_host_respect_the_concurrency_limit() {
    let (host, max_in_flight) = slow_registry(Duration::from_millis(100)).await;
    let mut config = allowing(&[&host]);
    config.per_host_concurrency = 2;
    config.concurrency = 8;
    let (analyzer, _) = analyzer(config);
    let refs: Vec<ImageRef> = (0..6)
        .map(|i| ImageRef::parse(&format!("{host}/app-{i}:1")).unwrap())
        .collect();
    let infos = analyzer.analyze_all(&refs).await;
    assert!(
        infos.iter().all(|i| i.status == ImageStatus::NotFound),
        "{infos:?}"
    );
    assert_eq!(analyzer.requests_sent(), 6);
    assert_eq!(max_in_flight.load(std::sync::atomic::Ordering::SeqCst), 2);
}
