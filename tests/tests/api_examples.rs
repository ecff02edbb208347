//! `docs/api-examples.md`: one real request and its answer for every operation of both
//! OpenAPI documents (market's and chart-repo's), taken from the running system —
//! `market source serve` over two fixture apps, chart-repo, market and the app-service
//! simulator — in an order that makes each meaningful (an install before its upgrade,
//! an upload before its delete).
//!
//! The page is written by `make api-examples` (this test with `API_EXAMPLES_WRITE=1`).
//! Otherwise the test checks it: every operation of both documents has an example, and
//! every example, run again now, answers the recorded status with the same keys (of
//! `data` in an envelope, else of the answer), so the page cannot drift from the code.
//! Values (times, hashes, ids) are not compared: they differ from run to run.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::time::Duration;

use e2e::service_binary;
use e2e::system::{SOURCE, System, SystemConfig};
use md5::{Digest, Md5};
use serde_json::{Value, json};
use test_harness::eventually;

const PAGE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api-examples.md");
const MARKET_PREFIX: &str = "/app-store/api/v2";
const WITHIN: Duration = Duration::from_secs(120);
/// The app the operation examples install, stop, resume, upgrade, clone and uninstall
/// (it allows several installs, so it can be cloned).
const OPS_APP: &str = "paddleocrv3";

/// Which service an example asks.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Service {
    Market,
    ChartRepo,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Self::Market => "market",
            Self::ChartRepo => "chart-repo",
        }
    }
}

enum Body {
    None,
    Json(Value),
    /// A multipart form: the `chart` file and text fields.
    Upload {
        file_name: String,
        bytes: Vec<u8>,
        fields: Vec<(&'static str, String)>,
    },
}

/// One example: the operation it shows (as its document names it) and the request.
struct Example {
    service: Service,
    method: &'static str,
    /// The document's path template (market's relative to its prefix).
    template: &'static str,
    /// The concrete path and query (market's relative to its prefix).
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Body,
    /// Read only the first event of a stream.
    first_event: bool,
    /// After the answer, wait until alice's [`OPS_APP`] is in this app-service state.
    settle: Option<&'static str>,
}

fn example(service: Service, method: &'static str, template: &'static str, path: &str) -> Example {
    Example {
        service,
        method,
        template,
        path: path.to_owned(),
        headers: Vec::new(),
        body: Body::None,
        first_event: false,
        settle: None,
    }
}

impl Example {
    fn user(mut self, user: &str) -> Self {
        self.headers.push(("X-Bfl-User", user.to_owned()));
        self
    }
    fn header(mut self, name: &'static str, value: &str) -> Self {
        self.headers.push((name, value.to_owned()));
        self
    }
    fn json(mut self, body: Value) -> Self {
        self.body = Body::Json(body);
        self
    }
    fn settle(mut self, state: &'static str) -> Self {
        self.settle = Some(state);
        self
    }
}

/// What an example answered, as the page shows it and as the check compares it.
struct Recorded {
    status: u16,
    content_type: String,
    /// The answer as shown: JSON abbreviated, text cut, binary described.
    shown: String,
    /// The keys compared: of `data` in an envelope, else of the JSON answer.
    keys: String,
}

fn app_id(name: &str) -> String {
    hex::encode(Md5::digest(name.as_bytes()))[..8].to_owned()
}

/// Cuts long strings and arrays so an answer stays readable.
fn abbreviate(value: &Value, depth: usize) -> Value {
    match value {
        Value::String(s) if s.chars().count() > 100 => {
            Value::String(format!("{}…", s.chars().take(97).collect::<String>()))
        }
        Value::Array(items) => {
            let mut out: Vec<Value> = items
                .iter()
                .take(1)
                .map(|v| abbreviate(v, depth + 1))
                .collect();
            if items.len() > 1 {
                out.push(json!(format!("… {} more", items.len() - 1)));
            }
            Value::Array(out)
        }
        Value::Object(map) if depth >= 10 && !map.is_empty() => json!("{…}"),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), abbreviate(v, depth + 1)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Loopback ports differ from run to run.
fn without_ports(text: &str) -> String {
    let re = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    re.replace_all(text, "127.0.0.1:PORT").into_owned()
}

fn keys_of(value: &Value) -> String {
    let object = match value.get("data") {
        Some(data) if value.get("success").is_some() => data,
        _ => value,
    };
    match object.as_object() {
        Some(map) if map.is_empty() => "{}".to_owned(),
        Some(map) => map.keys().cloned().collect::<Vec<_>>().join(","),
        None => "-".to_owned(),
    }
}

async fn run(system: &System, client: &reqwest::Client, ex: &Example) -> Recorded {
    let url = match ex.service {
        Service::Market => format!("{}{MARKET_PREFIX}{}", system.market_url, ex.path),
        Service::ChartRepo => format!("{}{}", system.chart_repo.url, ex.path),
    };
    let method = reqwest::Method::from_bytes(ex.method.as_bytes()).unwrap();
    let mut request = client.request(method, &url);
    for (name, value) in &ex.headers {
        request = request.header(*name, value);
    }
    request = match &ex.body {
        Body::None => request,
        Body::Json(body) => request.json(body),
        Body::Upload {
            file_name,
            bytes,
            fields,
        } => {
            let mut form = reqwest::multipart::Form::new().part(
                "chart",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(file_name.clone()),
            );
            for (name, value) in fields {
                form = form.text(*name, value.clone());
            }
            request.multipart(form)
        }
    };
    let mut response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    if ex.first_event {
        let mut text = String::new();
        while !text.contains("\ndata:") || !text.ends_with("\n\n") {
            let chunk = tokio::time::timeout(WITHIN, response.chunk())
                .await
                .expect("an event within the deadline")
                .unwrap()
                .expect("the stream goes on");
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        let first: String = text
            .split("\n\n")
            .find(|e| e.contains("data:"))
            .unwrap()
            .to_owned();
        let shown = first
            .lines()
            .map(|l| match l.strip_prefix("data:") {
                Some(data) => {
                    let v: Value = serde_json::from_str(data.trim()).unwrap();
                    format!("data: {}", abbreviate(&v, 0))
                }
                None => l.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("\n");
        return Recorded {
            status,
            content_type,
            shown: format!("{shown}\n\n… (the stream stays open)"),
            keys: "-".into(),
        };
    }
    let bytes = response.bytes().await.unwrap();
    let (shown, keys) = if content_type.starts_with("application/json") {
        let value: Value = serde_json::from_slice(&bytes).unwrap();
        (
            serde_json::to_string_pretty(&abbreviate(&value, 0)).unwrap(),
            keys_of(&value),
        )
    } else if content_type.starts_with("application/gzip")
        || content_type.starts_with("application/octet-stream")
    {
        (
            format!("({} bytes of {content_type})", bytes.len()),
            "-".into(),
        )
    } else {
        let text = String::from_utf8_lossy(&bytes);
        let lines: Vec<&str> = text.lines().collect();
        let mut shown = lines
            .iter()
            .take(30)
            .copied()
            .collect::<Vec<_>>()
            .join("\n");
        if lines.len() > 30 {
            let _ = write!(shown, "\n… ({} more lines)", lines.len() - 30);
        }
        (shown, "-".into())
    };
    Recorded {
        status,
        content_type,
        shown: without_ports(&shown),
        keys,
    }
}

fn request_text(ex: &Example) -> String {
    let base = match ex.service {
        Service::Market => MARKET_PREFIX.to_owned(),
        Service::ChartRepo => String::new(),
    };
    let mut text = format!("{} {base}{}\n", ex.method, ex.path);
    for (name, value) in &ex.headers {
        let _ = writeln!(text, "{name}: {value}");
    }
    match &ex.body {
        Body::None => {}
        Body::Json(body) => {
            let _ = write!(
                text,
                "Content-Type: application/json\n\n{}\n",
                serde_json::to_string_pretty(&abbreviate(body, 0)).unwrap()
            );
        }
        Body::Upload {
            file_name,
            bytes,
            fields,
        } => {
            let _ = writeln!(text, "Content-Type: multipart/form-data; boundary=…\n");
            let _ = writeln!(
                text,
                "chart: {file_name} ({} bytes, the chart package)",
                bytes.len()
            );
            for (name, value) in fields {
                let _ = writeln!(text, "{name}: {value}");
            }
        }
    }
    without_ports(text.trim_end())
}

/// The examples, in the order they run.
fn examples(
    catalog: &std::path::Path,
    entry: &Value,
    catalog_version: &str,
    ops_version: &str,
) -> Vec<Example> {
    use Service::{ChartRepo, Market};
    let (upload_file, upload_bytes) = test_harness::binary::package_chart(
        &service_binary("chart-repo"),
        &catalog.join("photoview"),
    );
    let upload = |service| Body::Upload {
        file_name: upload_file.clone(),
        bytes: upload_bytes.clone(),
        fields: match service {
            Market => vec![("source", "upload".to_owned())],
            ChartRepo => vec![
                ("source", "upload".to_owned()),
                ("admin_user", "alice".to_owned()),
            ],
        },
    };
    let install = json!({"source": SOURCE, "app_name": OPS_APP, "version": ops_version, "sync": true, "envs": []});
    let op = |method, template, path: &str| {
        example(Market, method, template, path)
            .user("alice")
            .header("X-Authorization", "alice-token")
    };
    let helm = |ex: Example| {
        ex.header("X-Market-User", "alice")
            .header("X-Market-Source", SOURCE)
    };
    let cr = "/chart-repo/api/v2";
    vec![
        // market: the catalog.
        example(Market, "GET", "/version", "/version"),
        example(Market, "GET", "/market/hash", "/market/hash").user("alice"),
        example(Market, "GET", "/market/data", "/market/data").user("alice"),
        example(Market, "GET", "/market/state", "/market/state").user("alice"),
        example(Market, "GET", "/market/statesimple", "/market/statesimple").user("alice"),
        example(Market, "POST", "/apps", "/apps").user("alice").json(json!({"apps": [
            {"appid": "uptimekuma", "sourceDataName": SOURCE},
            {"appid": "nosuchapp", "sourceDataName": SOURCE}]})),
        example(Market, "POST", "/apps/version-history", "/apps/version-history")
            .user("alice")
            .json(json!({"appName": "uptimekuma"})),
        // market: operations and tasks.
        op("POST", "/apps/{id}/install", &format!("/apps/{OPS_APP}/install"))
            .json(install.clone())
            .settle("running"),
        op("POST", "/apps/stop", "/apps/stop")
            .json(json!({"appName": OPS_APP, "all": false}))
            .settle("stopped"),
        op("POST", "/apps/resume", "/apps/resume")
            .json(json!({"appName": OPS_APP}))
            .settle("running"),
        op("PUT", "/apps/{id}/upgrade", &format!("/apps/{OPS_APP}/upgrade"))
            .json(install)
            .settle("running"),
        // Nothing in progress to cancel: the answer says what the latest task was.
        op("DELETE", "/apps/{id}/install", &format!("/apps/{OPS_APP}/install")),
        op("POST", "/apps/{id}/clone", &format!("/apps/{OPS_APP}/clone")).json(json!({
            "source": SOURCE, "app_name": OPS_APP, "title": "PaddleOCR 2", "sync": true,
            "entrances": [{"name": "paddleocr", "title": "PaddleOCR 2"}]})),
        op("DELETE", "/apps/{id}", &format!("/apps/{OPS_APP}"))
            .json(json!({"sync": true, "all": false, "deleteData": false})),
        example(Market, "GET", "/tasks", &format!("/tasks?app={OPS_APP}&limit=2")).user("alice"),
        example(Market, "GET", "/tasks/{id}", "/tasks/1").user("alice"),
        example(Market, "POST", "/app-state-events", "/app-state-events").json(json!({
            "eventID": "ev-1", "createTime": "2026-11-24T10:00:00Z", "name": "photoview",
            "rawAppName": "photoview", "opID": "", "opType": "install", "state": "running",
            "user": "bob", "progress": "", "marketSource": SOURCE, "reason": "", "message": "",
            "entranceStatuses": []})),
        example(Market, "GET", "/runtime/state", "/runtime/state").user("alice"),
        example(Market, "GET", "/logs", "/logs?size=2").user("alice"),
        Example {
            first_event: true,
            ..example(Market, "GET", "/events", "/events").user("alice")
        },
        // market: uploads.
        Example {
            body: upload(Market),
            ..example(Market, "POST", "/apps/upload", "/apps/upload").user("bob")
        },
        example(Market, "DELETE", "/local-apps/delete", "/local-apps/delete")
            .user("bob")
            .json(json!({"app_name": "photoview", "app_version": "", "source_id": "upload"})),
        // market: settings.
        example(Market, "GET", "/settings/market-source", "/settings/market-source").user("alice"),
        example(Market, "POST", "/settings/market-source", "/settings/market-source")
            .user("alice")
            .json(json!({"id": "team", "name": "Team charts", "type": "local", "priority": 80,
                         "is_active": true, "description": "charts the team publishes"})),
        example(Market, "DELETE", "/settings/market-source/{id}", "/settings/market-source/team")
            .user("alice"),
        example(Market, "GET", "/settings/market-settings", "/settings/market-settings").user("alice"),
        example(Market, "PUT", "/settings/market-settings", "/settings/market-settings")
            .user("alice")
            .json(json!({"selected_source": SOURCE})),
        // chart-repo: the control API.
        example(ChartRepo, "GET", "/chart-repo/api/v2/version", &format!("{cr}/version")),
        example(ChartRepo, "POST", "/chart-repo/api/v2/dcr/sync-app", &format!("{cr}/dcr/sync-app"))
            .json(json!({
                "app_info_latest_pending_data": {"type": "app-info-latest-pending", "timestamp": 1_795_000_000,
                    "version": catalog_version, "raw_data": entry},
                "source_id": SOURCE, "user_name": "alice", "admin_user": "alice"})),
        example(ChartRepo, "GET", "/chart-repo/api/v2/state-changes", &format!("{cr}/state-changes?after_id=0&limit=2")),
        example(ChartRepo, "POST", "/chart-repo/api/v2/apps", &format!("{cr}/apps"))
            .json(json!({"apps": [{"appid": "uptimekuma", "sourceDataName": SOURCE}], "userid": "alice"})),
        example(ChartRepo, "GET", "/chart-repo/api/v2/images",
            &format!("{cr}/images?imageName=docker.io/beclab/louislam-uptime-kuma:1")),
        example(ChartRepo, "GET", "/chart-repo/api/v2/repo/data", &format!("{cr}/repo/data?user=alice")),
        example(ChartRepo, "GET", "/chart-repo/api/v2/status",
            &format!("{cr}/status?user=alice&source={SOURCE}&include=apps,tasks")),
        example(ChartRepo, "GET", "/chart-repo/api/v2/settings/market-source", &format!("{cr}/settings/market-source")),
        example(ChartRepo, "POST", "/chart-repo/api/v2/settings/market-source", &format!("{cr}/settings/market-source"))
            .json(json!({"id": "team", "name": "Team charts", "type": "local", "base_url": "", "priority": 80,
                         "is_active": true, "description": "charts the team publishes",
                         "updated_at": "2026-11-24T10:00:00Z"})),
        example(ChartRepo, "DELETE", "/chart-repo/api/v2/settings/market-source/{id}",
            &format!("{cr}/settings/market-source/team")),
        Example {
            body: upload(ChartRepo),
            ..example(ChartRepo, "POST", "/chart-repo/api/v2/apps/upload", &format!("{cr}/apps/upload")).user("bob")
        },
        example(ChartRepo, "DELETE", "/chart-repo/api/v2/local-apps/delete", &format!("{cr}/local-apps/delete"))
            .user("bob")
            .json(json!({"app_name": "photoview", "app_version": "", "source_id": "upload"})),
        // chart-repo: the Helm repository.
        helm(example(ChartRepo, "GET", "/index.yaml", "/index.yaml")),
        helm(example(ChartRepo, "GET", "/static-index.yaml", "/static-index.yaml")),
        helm(example(ChartRepo, "GET", "/charts/{file}", "/charts/uptimekuma-1.0.7.tgz")),
        example(ChartRepo, "GET", "/u/{user}/{source}/index.yaml", &format!("/u/alice/{SOURCE}/index.yaml")),
        example(ChartRepo, "GET", "/u/{user}/{source}/static-index.yaml", &format!("/u/alice/{SOURCE}/static-index.yaml")),
        example(ChartRepo, "GET", "/u/{user}/{source}/charts/{file}", &format!("/u/alice/{SOURCE}/charts/uptimekuma-1.0.7.tgz")),
        helm(example(ChartRepo, "GET", "/api/v1/charts/{name}/versions", "/api/v1/charts/uptimekuma/versions")),
        example(ChartRepo, "GET", "/chart-repo/api/v2/app/version-for-download-history",
            &format!("{cr}/app/version-for-download-history?user=alice&app_name=uptimekuma")),
        example(ChartRepo, "DELETE", "/chart-repo/api/v2/apps/{source}/{name}",
            &format!("{cr}/apps/{SOURCE}/photoview?user=bob")),
    ]
}

/// `(service, METHOD, template)` of every operation in a document.
fn operations(service: Service, doc: &Value) -> BTreeSet<(Service, String, String)> {
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            out.insert((service, method.to_uppercase(), path.clone()));
        }
    }
    out
}

/// The `<!-- example … -->` lines of the page: service, method, template, status, keys.
fn recorded_lines(page: &str) -> Vec<(String, String, String, u16, String)> {
    page.lines()
        .filter_map(|l| l.strip_prefix("<!-- example ")?.strip_suffix(" -->"))
        .map(|l| {
            let parts: Vec<&str> = l.split(' ').collect();
            assert_eq!(parts.len(), 5, "a malformed example line: {l}");
            (
                parts[0].to_owned(),
                parts[1].to_owned(),
                parts[2].to_owned(),
                parts[3].parse().unwrap(),
                parts[4].to_owned(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_has_a_current_example() {
    let system = System::start(SystemConfig {
        apps: vec!["uptimekuma".into(), "photoview".into(), OPS_APP.into()],
        users: vec!["alice:admin".into(), "bob".into()],
        sync_interval: Duration::from_secs(3600),
        ..SystemConfig::default()
    })
    .await;
    for user in ["alice", "bob"] {
        for app in ["uptimekuma", "photoview", OPS_APP] {
            system.until_rendered(user, app, "", WITHIN).await;
        }
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    // The catalog entry sync-app is asked to render, as the source serves it.
    let details: Value = client
        .post(format!("{}/api/v1/applications/info", system.source.url))
        .json(&json!({"app_ids": [app_id("uptimekuma")], "version": "1.12.3"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entry = details["apps"][app_id("uptimekuma")].clone();
    assert!(entry.is_object(), "{details}");
    let catalog_version = entry["version"].as_str().unwrap_or("1.0.7").to_owned();

    let mut documented = operations(
        Service::Market,
        &client
            .get(format!("{}{MARKET_PREFIX}/openapi.json", system.market_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    );
    documented.extend(operations(
        Service::ChartRepo,
        &client
            .get(format!(
                "{}/chart-repo/api/v2/openapi.json",
                system.chart_repo.url
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    ));

    let ops_version = system.rendered_version("alice", OPS_APP).await.unwrap();
    let examples = examples(&system.catalog, &entry, &catalog_version, &ops_version);
    let shown: BTreeSet<(Service, String, String)> = examples
        .iter()
        .map(|e| (e.service, e.method.to_owned(), e.template.to_owned()))
        .collect();
    let missing: Vec<_> = documented.difference(&shown).collect();
    assert!(
        missing.is_empty(),
        "operations without an example: {missing:?}"
    );
    let unknown: Vec<_> = shown.difference(&documented).collect();
    assert!(
        unknown.is_empty(),
        "examples of undocumented operations: {unknown:?}"
    );

    let mut answers = Vec::new();
    for ex in &examples {
        let recorded = run(&system, &client, ex).await;
        assert!(
            recorded.status < 500,
            "{} {}: {}\n{}",
            ex.method,
            ex.path,
            recorded.status,
            recorded.shown
        );
        answers.push(recorded);
        if let Some(state) = ex.settle {
            eventually(WITHIN, &format!("{OPS_APP} {state}"), || async {
                let now = system.sim.state_of("alice", OPS_APP)?;
                (now.as_str() == state).then_some(())
            })
            .await;
        }
    }

    if std::env::var_os("API_EXAMPLES_WRITE").is_some() {
        std::fs::write(PAGE, page(&examples, &answers)).unwrap();
        return;
    }
    let page = std::fs::read_to_string(PAGE)
        .unwrap_or_else(|e| panic!("{PAGE}: {e}; write it with `make api-examples`"));
    let lines = recorded_lines(&page);
    let live: Vec<(String, String, String, u16, String)> = examples
        .iter()
        .zip(&answers)
        .map(|(ex, a)| {
            (
                ex.service.name().to_owned(),
                ex.method.to_owned(),
                ex.template.to_owned(),
                a.status,
                a.keys.clone(),
            )
        })
        .collect();
    assert_eq!(
        lines, live,
        "docs/api-examples.md is not what the services answer now; \
         run `make api-examples` and review the diff"
    );
}

fn page(examples: &[Example], answers: &[Recorded]) -> String {
    let mut out = String::from(
        "# API examples\n\n\
         <!-- Written by `make api-examples` (tests/tests/api_examples.rs); `make test` checks it. -->\n\n\
         One real request and answer for every operation of both OpenAPI documents, taken\n\
         from the running system (`market source serve` over the fixture apps `uptimekuma`,\n\
         `photoview` and `paddleocrv3`, chart-repo on SQLite without a token or a registry, market with\n\
         `MARKET_USERS=alice:admin,bob`, the app-service simulator) in the order shown.\n\
         Long strings are cut (`…`), lists shown by their first item, deep objects shown as `{…}`, loopback ports as\n\
         `PORT`. Times, hashes and ids differ from run to run; `make test` checks that each\n\
         request still answers the status shown with the same fields. What each field means\n\
         is in `docs/api.md` and the OpenAPI documents.\n",
    );
    let mut section = None;
    for (ex, answer) in examples.iter().zip(answers) {
        let heading = match (ex.service, ex.template.starts_with("/chart-repo/")) {
            (Service::Market, _) => "## market (`/app-store/api/v2`)",
            (Service::ChartRepo, true) => "## chart-repo control API",
            (Service::ChartRepo, false) => "## chart-repo Helm repository",
        };
        if section != Some(heading) {
            let _ = write!(out, "\n{heading}\n");
            section = Some(heading);
        }
        let _ = write!(
            out,
            "\n### `{} {}`\n\n<!-- example {} {} {} {} {} -->\n```http\n{}\n```\n\n",
            ex.method,
            ex.template,
            ex.service.name(),
            ex.method,
            ex.template,
            answer.status,
            answer.keys,
            request_text(ex),
        );
        let fence = if answer.content_type.starts_with("application/json") {
            "json"
        } else {
            "text"
        };
        let _ = write!(
            out,
            "`{}` {}\n\n```{fence}\n{}\n```\n",
            answer.status,
            if answer.content_type.is_empty() {
                String::new()
            } else {
                format!("`{}`", answer.content_type)
            },
            answer.shown
        );
    }
    out
}
