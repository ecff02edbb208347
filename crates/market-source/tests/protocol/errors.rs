//! Bad requests: clear JSON errors, and never a byte from outside the catalog.

use market_model::protocol::app_id;
use serde_json::{Value, json};

use crate::client::{self, assert_content_type};
use crate::harness::{olares_catalog, serve};

/// Sends a request and returns its status and JSON error body (checked to be JSON).
async fn error(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    assert_content_type(&response, "application/json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], false, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    (status, body)
}

#[tokio::test]
async fn more_than_ten_ids_is_a_clear_400() {
    let source = serve(olares_catalog()).await;
    let ids: Vec<String> = (0..11).map(|i| format!("{i:08x}")).collect();
    let request = client::http()
        .post(format!("{}/api/v1/applications/info", source.base))
        .json(&json!({"app_ids": ids, "version": "1.12.6"}));
    let (status, body) = error(request).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "too_many_app_ids");
    assert!(body["message"].as_str().unwrap().contains("11"), "{body}");

    // Ten is fine; unknown ids come back in `not_found`.
    let mut ten: Vec<String> = ids[..9].to_vec();
    ten.push(app_id("mysql"));
    let answer = client::details(&source.base, &ten, "1.12.6").await;
    assert_eq!(answer.apps.len(), 1);
    assert_eq!(answer.not_found.len(), 9);
    assert_eq!(answer.version, "1.12.6");
}

#[tokio::test]
async fn a_body_that_is_not_the_request_is_a_400() {
    let source = serve(olares_catalog()).await;
    let url = format!("{}/api/v1/applications/info", source.base);
    for body in ["not json", "{\"app_ids\": 5}", "[]"] {
        let request = client::http()
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body);
        let (status, answer) = error(request).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["code"], "invalid_request");
    }
    // Without a content type the body is still read as JSON.
    let response = client::http()
        .post(&url)
        .body(json!({"app_ids": [app_id("mysql")]}).to_string())
        .send()
        .await
        .unwrap();
    let answer = client::json(response).await;
    assert!(answer["apps"][app_id("mysql")].is_object());
    // Bodies over 1 MiB are refused.
    let huge = format!("{{\"app_ids\": [\"{}\"]}}", "a".repeat(2 << 20));
    let response = client::http().post(&url).body(huge).send().await.unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn unknown_apps_charts_and_versions_are_404() {
    let source = serve(olares_catalog()).await;
    let chart = |name: &str, query: &[(&str, &str)]| {
        client::http()
            .get(format!("{}/api/v1/applications/{name}/chart", source.base))
            .query(query)
    };
    let (status, body) = error(chart("nosuchapp", &[("fileName", "nosuchapp-1.0.0.tgz")])).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("app_not_found"))
    );
    // The tombstone has no chart.
    let (status, _) = error(chart("dify", &[])).await;
    assert_eq!(status, 404);
    // Another app's package, or another version of this one.
    let (status, body) = error(chart("mysql", &[("fileName", "ghost-1.0.15.tgz")])).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("chart_not_found"))
    );
    let (status, body) = error(chart("mysql", &[("fileName", "mysql-9.9.9.tgz")])).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("chart_not_found"))
    );
    let (status, body) = error(chart("mysql", &[("version", "9.9.9")])).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("version_not_found"))
    );
    // Without fileName, the published version (or none) gives the package.
    for query in [&[("version", "8.0.9")][..], &[]] {
        let response = chart("mysql", query).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_content_type(&response, "application/gzip");
    }
    // Unknown routes and methods answer JSON too.
    let (status, body) = error(client::http().get(format!("{}/api/v1/nothing", source.base))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("route_not_found"))
    );
    let (status, _) =
        error(client::http().get(format!("{}/api/v1/applications/info", source.base))).await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn path_traversal_never_reaches_a_file() {
    let source = serve(olares_catalog()).await;
    let base = &source.base;
    let get = |url: String| async move {
        let response = client::http().get(&url).send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        let body = response.bytes().await.unwrap();
        (url, status, content_type, body)
    };
    let traversals = [
        "../../../../etc/passwd",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "../mysql/Chart.yaml",
        "mysql-8.0.9.tgz/../../../etc/passwd",
        "/etc/passwd",
        "..",
        "mysql%00.tgz",
        "..\\..\\windows\\win.ini",
        "Chart.yaml",
    ];
    for file_name in traversals {
        let url = format!("{base}/api/v1/applications/mysql/chart?fileName={file_name}");
        let (url, status, content_type, body) = get(url).await;
        assert!(matches!(status, 400 | 404), "{url}: {status}");
        assert!(content_type.starts_with("application/json"), "{url}");
        assert!(!String::from_utf8_lossy(&body).contains("root:"), "{url}");
    }
    for name in ["..%2F..%2Fetc", "..", "%2E%2E", "mysql%2F..%2F..%2Fetc"] {
        let url = format!("{base}/api/v1/applications/{name}/chart?fileName=passwd.tgz");
        let (url, status, content_type, _) = get(url).await;
        assert!(matches!(status, 400 | 404), "{url}: {status}");
        assert!(content_type.starts_with("application/json"), "{url}");
    }
    let (url, status, _, body) = get(format!(
        "{base}/api/v1/applications/mysql/chart?fileName=..%2Fmysql-8.0.9.tgz"
    ))
    .await;
    assert_eq!(status, 400, "{url}");
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], "invalid_file_name");
}

#[tokio::test]
async fn charts_answer_head_and_conditional_requests() {
    let source = serve(olares_catalog()).await;
    let snapshot = source.catalog.snapshot();
    let app = snapshot.app("mysql").unwrap();
    let url = format!(
        "{}/api/v1/applications/mysql/chart?fileName={}",
        source.base,
        app.chart_name()
    );
    let head = client::http().head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_content_type(&head, "application/gzip");
    assert_eq!(
        head.headers()["content-length"].to_str().unwrap(),
        app.package().len().to_string()
    );
    let etag = head.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{}\"", app.package_sha256()));
    assert_eq!(
        head.headers()["content-disposition"].to_str().unwrap(),
        format!("attachment; filename=\"{}\"", app.chart_name())
    );
    let again = client::http()
        .get(&url)
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    // The v2 chart path some Olares versions try first answers the same bytes.
    let v2 = client::http()
        .get(url.replace("/api/v1/", "/api/v2/"))
        .send()
        .await
        .unwrap();
    assert_eq!(v2.status(), 200);
    assert_eq!(v2.bytes().await.unwrap(), app.package());
}
