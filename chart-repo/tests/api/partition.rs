//! Partitioning (DESIGN.md §7): chart-repo trusts its caller to name the user, and a
//! request naming bob returns only bob's data, endpoint by endpoint, even though alice has
//! an app of the same name with different content (ollama renders differently for the
//! admin). Plus `CHART_REPO_API_TOKEN`, which guards the control API and not the Helm
//! endpoints.

use helm_index::{IndexFile, ParseMode, parse_index};
use market_model::protocol::app_id;
use olares_chart::{Limits, read_chart_archive};
use secrecy::SecretString;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::harness::{SOURCE, TestRepo, TestSource, olares_catalog, serve_source, spawn_repo};

/// alice (the admin) has ollama, ghost and filebrowser; bob has ollama and ghost. ollama
/// branches on `.Values.admin`, so the two ollama packages differ.
struct Two {
    _source: TestSource,
    repo: TestRepo,
    ollama: String,
    ghost: String,
}

async fn two_users() -> Two {
    let source = serve_source(olares_catalog()).await;
    let repo = spawn_repo(|_, _| {}).await;
    repo.put_remote_source(&source.base).await;
    let alice = repo
        .hydrate(
            &source,
            &["ollama", "ghost", "filebrowser"],
            "alice",
            "alice",
        )
        .await;
    repo.hydrate(&source, &["ollama", "ghost"], "bob", "alice")
        .await;
    Two {
        _source: source,
        repo,
        ollama: alice[0].version.clone(),
        ghost: alice[1].version.clone(),
    }
}

async fn index_of(repo: &TestRepo, user: &str) -> IndexFile {
    let res = repo
        .helm_get("/static-index.yaml", user)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    parse_index(&res.text().await.unwrap(), ParseMode::Strict).unwrap()
}

fn names(index: &IndexFile) -> Vec<String> {
    let mut names: Vec<String> = index.names().map(str::to_owned).collect();
    names.sort();
    names
}

/// The rendered OlaresManifest.yaml inside a package.
fn manifest(bytes: &[u8]) -> String {
    let archive = read_chart_archive(bytes, &Limits::default()).unwrap();
    String::from_utf8(archive.file("OlaresManifest.yaml").unwrap().data.clone()).unwrap()
}

async fn package(repo: &TestRepo, user: &str, file: &str) -> (u16, Vec<u8>) {
    let res = repo
        .helm_get(&format!("/charts/{file}"), user)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.bytes().await.unwrap().to_vec())
}

/// `GET /app/version-for-download-history` for `user`'s ollama.
async fn history(repo: &TestRepo, user: &str) -> (u16, Value) {
    repo.get_json(&repo.api(&format!(
        "/app/version-for-download-history?user={user}&app_name=ollama"
    )))
    .await
}

#[tokio::test]
async fn every_helm_endpoint_answers_only_for_the_user_it_names() {
    let Two {
        repo,
        ollama,
        ghost,
        ..
    } = two_users().await;
    let (alice, bob) = (index_of(&repo, "alice").await, index_of(&repo, "bob").await);
    assert_eq!(names(&alice), ["filebrowser", "ghost", "ollama"]);
    assert_eq!(names(&bob), ["ghost", "ollama"]);
    let digest = |i: &IndexFile| i.get("ollama", &ollama).unwrap().digest.clone();
    assert_ne!(
        digest(&alice),
        digest(&bob),
        "the two ollama packages differ"
    );

    // /index.yaml and /u/bob/… serve bob's index byte for byte.
    let bob_text = repo
        .helm_get("/static-index.yaml", "bob")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let via_header = repo.helm_get("/index.yaml", "bob").send().await.unwrap();
    assert_eq!(via_header.text().await.unwrap(), bob_text);
    for path in ["index.yaml", "static-index.yaml"] {
        let url = format!("{}/u/bob/{SOURCE}/{path}", repo.url);
        let res = repo.client.get(&url).send().await.unwrap();
        assert_eq!(res.text().await.unwrap(), bob_text, "{url}");
    }

    // Packages: bob's bytes under his name, alice's under hers.
    let file = format!("ollama-{ollama}.tgz");
    let (status, bob_bytes) = package(&repo, "bob", &file).await;
    assert_eq!(status, 200);
    assert_eq!(hex::encode(Sha256::digest(&bob_bytes)), digest(&bob));
    let (_, alice_bytes) = package(&repo, "alice", &file).await;
    assert_eq!(hex::encode(Sha256::digest(&alice_bytes)), digest(&alice));
    assert_ne!(manifest(&bob_bytes), manifest(&alice_bytes));
    let by_path = repo
        .client
        .get(format!("{}/u/bob/{SOURCE}/charts/{file}", repo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(by_path.bytes().await.unwrap(), bob_bytes);
    let ghost_file = format!("ghost-{ghost}.tgz");
    assert_eq!(package(&repo, "bob", &ghost_file).await.0, 200);

    // alice's filebrowser is nowhere in bob's repository.
    let filebrowser = alice.versions("filebrowser")[0].urls[0].clone();
    let fb_file = filebrowser.trim_start_matches("charts/");
    assert_eq!(package(&repo, "bob", fb_file).await.0, 404);
    let by_path = repo
        .client
        .get(format!("{}/u/bob/{SOURCE}/charts/{fb_file}", repo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(by_path.status(), 404);
    let versions = |user: &'static str, name: &'static str| {
        repo.helm_get(&format!("/api/v1/charts/{name}/versions"), user)
            .send()
    };
    assert_eq!(versions("bob", "filebrowser").await.unwrap().status(), 404);
    let bob_ollama: Value = versions("bob", "ollama")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bob_ollama["versions"], json!([ollama]));
    assert_eq!(
        versions("alice", "filebrowser").await.unwrap().status(),
        200
    );
    // Responses chosen by the headers say so, so no HTTP cache mixes the users up.
    let vary = |res: &reqwest::Response| {
        res.headers()
            .get_all("vary")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let index = repo
        .helm_get("/static-index.yaml", "bob")
        .send()
        .await
        .unwrap();
    let etag = index.headers()["etag"].clone();
    let mut checked = vec![index];
    checked.push(
        repo.helm_get("/index.yaml", "bob")
            .header("If-None-Match", etag)
            .send()
            .await
            .unwrap(),
    );
    for path in [
        format!("/charts/{file}"),
        format!("/charts/{fb_file}"),
        "/api/v1/charts/ollama/versions".to_owned(),
        "/api/v1/charts/filebrowser/versions".to_owned(),
    ] {
        checked.push(repo.helm_get(&path, "bob").send().await.unwrap());
    }
    let statuses: Vec<u16> = checked.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses, [200, 304, 200, 404, 200, 404]);
    for res in &checked {
        let vary = vary(res);
        assert!(
            vary.contains("X-Market-User") && vary.contains("X-Market-Source"),
            "{}: Vary {vary:?}",
            res.url()
        );
    }
    assert!(vary(&checked[0]).contains("Accept-Encoding"));

    // Another source of bob's is empty, not alice's.
    let other = repo
        .client
        .get(format!("{}/u/bob/upload/index.yaml", repo.url))
        .send()
        .await
        .unwrap();
    let other = parse_index(&other.text().await.unwrap(), ParseMode::Strict).unwrap();
    assert!(other.is_empty());
}

#[tokio::test]
async fn every_control_endpoint_answers_only_for_the_user_it_names() {
    let Two {
        repo,
        ollama,
        ghost,
        ..
    } = two_users().await;

    // POST /apps: bob's payloads only; alice's filebrowser is not found for bob.
    let ask = |user: &str| {
        json!({
            "userid": user,
            "apps": [
                { "appid": app_id("ollama"), "sourceDataName": SOURCE },
                { "appid": "filebrowser", "sourceDataName": SOURCE },
            ],
        })
    };
    let post = |body: Value| repo.client.post(repo.api("/apps")).json(&body).send();
    let bob: Value = post(ask("bob")).await.unwrap().json().await.unwrap();
    let alice: Value = post(ask("alice")).await.unwrap().json().await.unwrap();
    assert_eq!(bob["success"], true, "{bob}");
    assert_eq!(bob["data"]["apps"].as_array().unwrap().len(), 1, "{bob}");
    assert_eq!(bob["data"]["not_found"], json!(["filebrowser"]));
    assert_eq!(
        alice["data"]["apps"].as_array().unwrap().len(),
        2,
        "{alice}"
    );
    let ollama_of = |v: &Value| v["data"]["apps"][0].clone();
    assert_ne!(
        ollama_of(&bob)["raw_data_ex"],
        ollama_of(&alice)["raw_data_ex"],
        "bob got alice's ollama"
    );

    // GET /repo/data?user=bob: his two apps.
    let (status, data) = repo.get_json(&repo.api("/repo/data?user=bob")).await;
    assert_eq!(status, 200);
    let listed = data["user_data"]["sources"][SOURCE]["app_info_latest"]
        .as_array()
        .unwrap();
    let mut ids: Vec<&str> = listed
        .iter()
        .map(|a| a["app_simple_info"]["app_id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    let mut want = vec![app_id("ghost"), app_id("ollama")];
    want.sort();
    assert_eq!(ids, want, "{data}");

    // GET /status?user=bob&include=apps.
    let (_, status) = repo
        .get_json(&repo.api("/status?user=bob&include=apps"))
        .await;
    let apps = status["data"]["apps"].as_array().unwrap();
    assert_eq!(apps.len(), 2, "{status}");
    assert!(apps.iter().all(|a| a["user_id"] == "bob"), "{status}");

    // Download history: alice downloads, bob has none.
    assert_eq!(history(&repo, "alice").await.0, 404);
    // A HEAD checks the package; it is not a download.
    let head = repo
        .client
        .head(format!("{}/charts/ollama-{ollama}.tgz", repo.url))
        .header("X-Market-User", "alice")
        .header("X-Market-Source", SOURCE)
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(
        history(&repo, "alice").await.0,
        404,
        "a HEAD counted as a download"
    );
    let file = format!("ollama-{ollama}.tgz");
    assert_eq!(package(&repo, "alice", &file).await.0, 200);
    let (status, alice_history) = history(&repo, "alice").await;
    assert_eq!(status, 200);
    assert_eq!(alice_history["data"]["version"], ollama.as_str());
    assert_eq!(
        history(&repo, "bob").await.0,
        404,
        "bob sees alice's download"
    );

    // An empty user is refused, not read as "every user".
    let res = repo
        .client
        .delete(repo.api(&format!("/apps/{SOURCE}/ollama?user=")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = repo
        .client
        .delete(repo.api("/local-apps/delete"))
        .header("X-Bfl-User", "")
        .json(&json!({ "app_name": "ollama", "app_version": "", "source_id": SOURCE }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert!(index_of(&repo, "bob").await.has("ollama", &ollama));
    assert!(index_of(&repo, "alice").await.has("ollama", &ollama));

    // DELETE /apps/{source}/ollama?user=bob removes bob's only.
    let (_, feed) = repo
        .get_json(&repo.api("/state-changes?after_id=0&limit=1000"))
        .await;
    let cursor = feed["data"]["state_changes"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let alice_before = repo
        .helm_get("/static-index.yaml", "alice")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let (_, alice_package) = package(&repo, "alice", &file).await;
    let res = repo
        .client
        .delete(repo.api(&format!("/apps/{SOURCE}/ollama?user=bob")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["data"]["removed_for"], json!(["bob"]), "{body}");
    assert_eq!(names(&index_of(&repo, "bob").await), ["ghost"]);
    assert_eq!(package(&repo, "bob", &file).await.0, 404);
    let alice_after = repo
        .helm_get("/static-index.yaml", "alice")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(alice_after, alice_before, "alice's index changed");
    assert_eq!(package(&repo, "alice", &file).await, (200, alice_package));
    let (_, feed) = repo
        .get_json(&repo.api(&format!("/state-changes?after_id={cursor}")))
        .await;
    let changes = feed["data"]["state_changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{feed}");
    assert_eq!(changes[0]["type"], "app_removed");
    assert_eq!(changes[0]["app_data"]["user_id"], "bob");
    assert_eq!(changes[0]["app_data"]["app_name"], "ollama");

    // DELETE /local-apps/delete as bob (X-Bfl-User): his ghost goes, alice's stays.
    let delete_local = |user: &str, app: &str, version: &str| {
        repo.client
            .delete(repo.api("/local-apps/delete"))
            .header("X-Bfl-User", user)
            .json(&json!({ "app_name": app, "app_version": version, "source_id": SOURCE }))
            .send()
    };
    // bob has no filebrowser: alice's is not his to delete.
    assert_eq!(
        delete_local("bob", "filebrowser", "")
            .await
            .unwrap()
            .status(),
        404
    );
    let fb_version = index_of(&repo, "alice").await.versions("filebrowser")[0]
        .version()
        .to_owned();
    assert_eq!(
        delete_local("bob", "filebrowser", &fb_version)
            .await
            .unwrap()
            .status(),
        404
    );
    assert!(
        index_of(&repo, "alice")
            .await
            .has("filebrowser", &fb_version)
    );
    let res = delete_local("bob", "ghost", &ghost).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(index_of(&repo, "bob").await.is_empty());
    assert!(index_of(&repo, "alice").await.has("ghost", &ghost));
    assert_eq!(
        package(&repo, "alice", &format!("ghost-{ghost}.tgz"))
            .await
            .0,
        200
    );
    let (_, status) = repo
        .get_json(&repo.api("/status?user=alice&include=apps"))
        .await;
    assert_eq!(
        status["data"]["apps"].as_array().unwrap().len(),
        3,
        "{status}"
    );
}

#[tokio::test]
async fn history_without_its_parameters_is_an_enveloped_400() {
    let repo = spawn_repo(|_, _| {}).await;
    for query in ["", "?user=bob", "?app_name=ollama"] {
        let res = repo
            .client
            .get(repo.api(&format!("/app/version-for-download-history{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{query}");
        let text = res.text().await.unwrap();
        let body: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{query}: not the JSON envelope ({e}): {text}"));
        assert_eq!(body["success"], false, "{body}");
        assert_eq!(body["code"], "bad_request", "{body}");
    }
}

#[tokio::test]
async fn the_api_token_guards_the_control_api_and_not_the_helm_endpoints() {
    let repo = spawn_repo(|config, _| {
        config.api_token = Some(SecretString::from("s3cret-token".to_owned()));
    })
    .await;
    for path in [
        "/version",
        "/status",
        "/state-changes?after_id=0",
        "/settings/market-source",
    ] {
        let url = repo.api(path);
        let none = repo.client.get(&url).send().await.unwrap();
        assert_eq!(none.status(), 401, "{path}");
        let body: Value = none.json().await.unwrap();
        assert_eq!(body["success"], false, "{body}");
        assert_eq!(body["code"], "unauthorized", "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("token"),
            "{body}"
        );
        for wrong in [
            "Bearer nope",
            "Bearer s3cret-token-",
            "s3cret-token",
            "Basic s3cret-token",
        ] {
            let res = repo
                .client
                .get(&url)
                .header("Authorization", wrong)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 401, "{path} with {wrong}");
        }
        let ok = repo
            .client
            .get(&url)
            .bearer_auth("s3cret-token")
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200, "{path}");
        let body: Value = ok.json().await.unwrap();
        assert_eq!(body["success"], true, "{body}");
    }
    let sync = repo
        .client
        .post(repo.api("/dcr/sync-app"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(sync.status(), 401, "the token is checked before the body");

    // The Helm endpoints are app-service's and the helm client's: no token.
    for path in ["/static-index.yaml".to_owned(), "/index.yaml".to_owned()] {
        let res = repo.helm_get(&path, "alice").send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    let res = repo
        .client
        .get(format!("{}/u/alice/{SOURCE}/index.yaml", repo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = repo
        .helm_get("/api/v1/charts/ghost/versions", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "a Helm 404, not a 401");
    let health = repo
        .client
        .get(format!("{}/healthz", repo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn the_admin_market_names_decides_each_render() {
    let source = serve_source(olares_catalog()).await;
    let repo = spawn_repo(|_, _| {}).await;
    repo.put_remote_source(&source.base).await;
    let ollama = crate::harness::entry(&source, "ollama").await;
    let sync = |user: &str, admin: &str| crate::harness::sync_request(&ollama, user, admin);

    let (_, as_admin) = repo.sync(&sync("alice", "alice")).await;
    assert_eq!(as_admin["data"]["status"], "new", "{as_admin}");
    let digest = |v: &Value| v["data"]["app_data"]["package_digest"].clone();
    // Market now says carol is the admin: alice's ollama renders as a normal user's.
    let (_, demoted) = repo.sync(&sync("alice", "carol")).await;
    assert_eq!(demoted["data"]["status"], "updated", "{demoted}");
    assert_ne!(
        demoted["data"]["app_data"]["raw_data_ex"],
        as_admin["data"]["app_data"]["raw_data_ex"]
    );
    assert_ne!(digest(&demoted), digest(&as_admin));
    let index = index_of(&repo, "alice").await;
    let e = index.get("ollama", &ollama.version).unwrap();
    assert_eq!(Value::String(e.digest.clone()), digest(&demoted));

    // Two users at once, and the same user twice at once: each gets their own render, the
    // duplicate joins the first.
    let (b1, b2, d) = (sync("bob", "bob"), sync("bob", "bob"), sync("dave", "bob"));
    let (bob, bob_again, dave) = tokio::join!(repo.sync(&b1), repo.sync(&b2), repo.sync(&d));
    for (_, body) in [&bob, &bob_again, &dave] {
        assert_eq!(body["success"], true, "{body}");
    }
    assert_eq!(digest(&bob.1), digest(&bob_again.1));
    let mut statuses = [
        bob.1["data"]["status"].as_str().unwrap(),
        bob_again.1["data"]["status"].as_str().unwrap(),
    ];
    statuses.sort_unstable();
    assert!(
        statuses == ["existing", "new"] || statuses == ["new", "new"],
        "{statuses:?}"
    );
    assert_ne!(
        digest(&bob.1),
        digest(&dave.1),
        "bob is the admin, dave is not"
    );
    assert_eq!(
        digest(&dave.1),
        digest(&demoted),
        "two normal users render alike"
    );
    for user in ["bob", "dave"] {
        let index = index_of(&repo, user).await;
        assert_eq!(index.len(), 1, "{user}");
    }
}

#[tokio::test]
async fn a_sync_naming_an_unsafe_user_is_refused() {
    let source = serve_source(olares_catalog()).await;
    let repo = spawn_repo(|_, _| {}).await;
    repo.put_remote_source(&source.base).await;
    let ghost = crate::harness::entry(&source, "ghost").await;
    for user in ["", "../alice", "a/b", "..", "al ice"] {
        let (status, body) = repo
            .sync(&crate::harness::sync_request(&ghost, user, "alice"))
            .await;
        assert_eq!(status, 400, "{user:?}: {body}");
        assert_eq!(body["success"], false, "{body}");
    }
    // The app's name and version name its package on disk too.
    for (name, version) in [("../ghost", "1.0.15"), ("ghost", "1.0.15/../../x")] {
        let mut bad = ghost.clone();
        bad.name = name.into();
        bad.version = version.into();
        let (status, body) = repo
            .sync(&crate::harness::sync_request(&bad, "alice", "alice"))
            .await;
        assert_eq!(status, 400, "{name} {version}: {body}");
    }
    let (_, status) = repo.get_json(&repo.api("/status?include=tasks")).await;
    assert_eq!(
        status["data"]["tasks"]["queue"],
        json!({ "pending": 0, "leased": 0, "done": 0, "failed": 0 }),
        "nothing was queued: {status}"
    );
}
