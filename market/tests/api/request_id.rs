//! One `x-request-id` follows a request from market's API into its calls to
//! chart-repo: the caller's id when it sent one, else the id market made up and
//! returned. chart-repo is a wiremock server here: what matters is the header
//! market sends, which the real chart-repo echoes and logs.

use std::time::Duration;

use market::App;
use market::config::{Config, DatabaseUrl, UserSpec};
use serde_json::json;
use service_runtime::server::Shutdown;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn config(dir: &std::path::Path, chart_repo: &str) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.to_owned(),
        database: DatabaseUrl::Sqlite(dir.join("market.db")),
        chart_repo_url: chart_repo.parse().unwrap(),
        chart_repo_public_url: chart_repo.parse().unwrap(),
        chart_repo_token: None,
        app_service_url: "http://127.0.0.1:9/".parse().unwrap(),
        users: vec![UserSpec {
            name: "alice".into(),
            admin: true,
        }],
        remote_source_url: None,
        log_format: Default::default(),
        task_workers: 1,
        hydration_concurrency: 1,
        sync_interval: Duration::from_secs(3600),
        olares_version: "latest".into(),
        tasks: Default::default(),
        public_mode: false,
    }
}

#[tokio::test]
async fn the_callers_request_id_reaches_chart_repo() {
    let chart_repo = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex("^/chart-repo/api/v2/settings/market-source"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "success": true, "message": "", "data": null
        })))
        .mount(&chart_repo)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let shutdown = Shutdown::new();
    let app = App::build(config(dir.path(), &chart_repo.uri()), shutdown.clone())
        .await
        .unwrap();
    let url = format!("http://{}/app-store/api/v2", app.local_addr().unwrap());
    tokio::spawn(app.run());
    let client = reqwest::Client::new();
    let add = |id: &str, request_id: Option<&str>| {
        let mut request = client
            .post(format!("{url}/settings/market-source"))
            .header("X-Bfl-User", "alice")
            .json(&json!({"id": id, "name": id, "type": "remote",
                          "base_url": "http://127.0.0.1:9/", "is_active": false}));
        if let Some(request_id) = request_id {
            request = request.header("x-request-id", request_id);
        }
        request.send()
    };

    let given = add("mine", Some("req-from-the-frontend")).await.unwrap();
    assert_eq!(given.status(), 200);
    assert_eq!(given.headers()["x-request-id"], "req-from-the-frontend");

    let made_up = add("other", None).await.unwrap();
    assert_eq!(made_up.status(), 200);
    let made_up_id = made_up.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(!made_up_id.is_empty());

    // The pushes that those two requests made, each with its request's id. (The
    // syncer's own pushes, off any request, carry none.)
    let pushed: Vec<(String, Option<String>)> = chart_repo
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| {
            let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
            let id = r
                .headers
                .get("x-request-id")
                .map(|v| v.to_str().unwrap().to_owned());
            (body["id"].as_str().unwrap_or_default().to_owned(), id)
        })
        .collect();
    assert!(
        pushed.contains(&("mine".into(), Some("req-from-the-frontend".into()))),
        "{pushed:?}"
    );
    assert!(
        pushed.contains(&("other".into(), Some(made_up_id.clone()))),
        "{pushed:?}"
    );
    shutdown.token.cancel();
}
