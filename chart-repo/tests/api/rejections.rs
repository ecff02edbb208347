//! Requests axum's extractors refuse get the error envelope `{success: false, message,
//! code}` like every other 4xx, never axum's plain text or an empty body (each case was
//! found by schemathesis, tests/tests/schemathesis.rs).

use reqwest::Method;
use serde_json::Value;

use crate::harness::{TestRepo, spawn_repo};

async fn envelope_of(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status);
    let text = res.text().await.unwrap();
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text:?}"));
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body
}

async fn repo() -> TestRepo {
    spawn_repo(|_, _| {}).await
}

#[tokio::test]
async fn images_without_image_name_is_a_400_in_the_envelope() {
    let repo = repo().await;
    let res = repo.client.get(repo.api("/images")).send().await.unwrap();
    let body = envelope_of(res, 400, "bad_request").await;
    assert!(
        body["message"].as_str().unwrap().contains("imageName"),
        "{body}"
    );
}

#[tokio::test]
async fn an_upload_that_is_not_multipart_is_a_400_in_the_envelope() {
    let repo = repo().await;
    for content_type in ["text/plain", "multipart/form-data"] {
        let res = repo
            .client
            .post(repo.api("/apps/upload"))
            .header("X-Bfl-User", "alice")
            .header("Content-Type", content_type)
            .body("chart")
            .send()
            .await
            .unwrap();
        envelope_of(res, 400, "bad_request").await;
    }
}

#[tokio::test]
async fn a_method_a_route_lacks_is_a_405_in_the_envelope() {
    let repo = repo().await;
    for url in [repo.api("/version"), format!("{}/index.yaml", repo.url)] {
        let res = repo
            .client
            .request(Method::TRACE, &url)
            .send()
            .await
            .unwrap();
        envelope_of(res, 405, "method_not_allowed").await;
    }
}
