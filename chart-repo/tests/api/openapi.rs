//! The OpenAPI document at `/chart-repo/api/v2/openapi.json`: its snapshot, and that it
//! and the router list the same control routes.

use std::collections::BTreeSet;

use regex::Regex;
use serde_json::{Value, json};

use crate::harness::spawn_repo;

const PREFIX: &str = "/chart-repo/api/v2";

async fn document() -> (crate::harness::TestRepo, Value) {
    let repo = spawn_repo(|config, _| {
        config.api_token = Some("t".to_owned().into());
    })
    .await;
    // Served without the token: it describes the API and holds no data.
    let res = repo
        .client
        .get(repo.api("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let doc = res.json().await.unwrap();
    (repo, doc)
}

#[tokio::test]
async fn openapi_document_snapshot() {
    let (_repo, mut doc) = document().await;
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // The package version moves with every release; the rest must not move unnoticed.
    doc["info"]["version"] = json!("[version]");
    insta::assert_json_snapshot!("openapi", doc);
}

/// `(METHOD, path)` of every `.route(…)` in the control API's modules (`src/api/*.rs`
/// but `helm.rs`, which is served at the root), read from the source so a new route
/// cannot be added without this test seeing it.
fn routed_control_operations() -> BTreeSet<(String, String)> {
    let route =
        Regex::new(r#"\.route\(\s*"([^"]+)",\s*([a-z_]+\([a-z_]+\)(?:\s*\.[a-z_]+\([a-z_]+\))*)"#)
            .unwrap();
    let method = Regex::new(r"([a-z]+)\(").unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api");
    let mut ops = BTreeSet::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == "helm.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for r in route.captures_iter(&text) {
            for m in method.captures_iter(&r[2]) {
                ops.insert((m[1].to_uppercase(), format!("{PREFIX}{}", &r[1])));
            }
        }
    }
    ops
}

fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.insert((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn every_control_route_is_documented_and_every_documented_route_is_served() {
    let (repo, doc) = document().await;
    let routed = routed_control_operations();
    assert!(routed.len() >= 14, "the route scan found {routed:?}");
    let documented = documented_operations(&doc);
    let documented_control: BTreeSet<_> = documented
        .iter()
        .filter(|(_, p)| p.starts_with(PREFIX))
        .cloned()
        .collect();
    assert_eq!(
        routed, documented_control,
        "left: routed under {PREFIX}, right: documented"
    );
    // And the other way, against the running router: each documented operation (Helm
    // endpoints included) reaches a handler, not the fallback or a 405.
    let param = Regex::new(r"\{[^}]+\}").unwrap();
    for (method, path) in &documented {
        let concrete = param.replace_all(path, "x");
        let res = repo
            .client
            .request(method.parse().unwrap(), format!("{}{concrete}", repo.url))
            .bearer_auth("t")
            .send()
            .await
            .unwrap();
        assert_ne!(res.status(), 405, "{method} {path}");
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_ne!(body["code"], "route_not_found", "{method} {path}: {body}");
    }
}

/// docs/api.md lists every operation of the document: the control API in its chart-repo
/// section (paths under the prefix), the Helm endpoints in theirs.
#[tokio::test]
async fn docs_api_md_lists_every_operation() {
    let (_repo, doc) = document().await;
    let page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).unwrap();
    let section = |heading| test_harness::api_docs::markdown_section(&page, heading).unwrap();
    let listed = format!(
        "{}\n{}",
        section("## chart-repo control API"),
        section("## Helm repository endpoints")
    );
    let unlisted = test_harness::api_docs::unlisted_operations(&doc, PREFIX, &listed);
    assert!(
        unlisted.is_empty(),
        "docs/api.md does not list {unlisted:?}"
    );
}
