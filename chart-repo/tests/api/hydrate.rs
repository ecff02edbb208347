//! The hydrator end to end, in-process, against a real market source over the fixtures:
//! sync-app answers new → existing → new for another user, renders per user, packages
//! under the app's folder, indexes and serves the result, and reports a bad chart with
//! its step and reason.

use helm_index::{ParseMode, parse_index};
use olares_chart::{Limits, read_chart_archive};

use crate::harness::{SOURCE, entry, olares_catalog, serve_source, spawn_repo, sync_request};

#[tokio::test]
async fn sync_app_renders_per_user_and_serves_the_package() {
    let source = serve_source(olares_catalog()).await;
    let repo = spawn_repo(|_, _| {}).await;
    repo.put_remote_source(&source.base).await;
    let ollama = entry(&source, "ollama").await;

    let (status, body) = repo.sync(&sync_request(&ollama, "alice", "alice")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true, "{body}");
    let data = &body["data"];
    assert_eq!(data["status"], "new");
    assert_eq!(data["user_id"], "alice");
    assert_eq!(
        data["app_data"]["rendered_package"],
        format!("charts/ollama-{}.tgz", ollama.version)
    );
    let admin_manifest = data["app_data"]["raw_data_ex"].clone();
    assert!(admin_manifest.is_object());

    let (_, again) = repo.sync(&sync_request(&ollama, "alice", "alice")).await;
    assert_eq!(again["data"]["status"], "existing", "{again}");
    assert_eq!(
        again["data"]["app_data"]["package_digest"],
        data["app_data"]["package_digest"]
    );

    let (_, bob) = repo.sync(&sync_request(&ollama, "bob", "alice")).await;
    assert_eq!(bob["data"]["status"], "new", "{bob}");
    assert_ne!(
        bob["data"]["app_data"]["raw_data_ex"], admin_manifest,
        "ollama branches on .Values.admin"
    );

    // alice's index lists the package with its real digest; bob's is his own.
    let index = repo
        .client
        .get(format!("{}/static-index.yaml", repo.url))
        .header("X-Market-User", "alice")
        .header("X-Market-Source", SOURCE)
        .send()
        .await
        .unwrap();
    assert_eq!(index.status(), 200);
    let index = parse_index(&index.text().await.unwrap(), ParseMode::Strict).unwrap();
    let e = index.get("ollama", &ollama.version).unwrap();
    assert_eq!(e.urls, [format!("charts/ollama-{}.tgz", ollama.version)]);
    let package = repo
        .client
        .get(format!(
            "{}/u/alice/{SOURCE}/charts/ollama-{}.tgz",
            repo.url, ollama.version
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(package.status(), 200);
    let bytes = package.bytes().await.unwrap();
    assert_eq!(
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        e.digest
    );
    let archive = read_chart_archive(&bytes, &Limits::default()).unwrap();
    assert_eq!(archive.top, "ollama");
    assert!(
        !String::from_utf8_lossy(&archive.file("OlaresManifest.yaml").unwrap().data).contains("{{")
    );

    // The feed has one upload per user, in order.
    let (_, feed) = repo.get_json(&repo.api("/state-changes?after_id=0")).await;
    let changes = feed["data"]["state_changes"].as_array().unwrap();
    let users: Vec<&str> = changes
        .iter()
        .map(|c| c["app_data"]["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(users, ["alice", "bob"], "{feed}");
    assert!(changes.iter().all(|c| c["type"] == "app_upload_completed"));

    let (_, history) = repo
        .get_json(&repo.api("/app/version-for-download-history?user=alice&app_name=ollama"))
        .await;
    assert_eq!(
        history["data"]["version"],
        ollama.version.as_str(),
        "{history}"
    );
}

#[tokio::test]
async fn a_chart_the_source_does_not_have_fails_with_its_step() {
    let source = serve_source(olares_catalog()).await;
    let repo = spawn_repo(|_, _| {}).await;
    repo.put_remote_source(&source.base).await;
    let mut ghost = entry(&source, "ghost").await;
    ghost.name = "ghost-not-published".into();
    let (status, body) = repo.sync(&sync_request(&ghost, "alice", "alice")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["code"], "render_failed");
    assert_eq!(body["data"]["failure_step"], "source_chart", "{body}");
    let (_, feed) = repo.get_json(&repo.api("/state-changes?after_id=0")).await;
    let change = &feed["data"]["state_changes"][0];
    assert_eq!(change["type"], "app_render_failed", "{feed}");
    assert_eq!(change["failure_step"], "source_chart");
}

#[tokio::test]
async fn images_are_analysed_through_the_mirror_and_remembered_in_the_store() {
    use chart_repo::config::RegistryAllow;
    use test_harness::RegistryServer;
    let registry = tokio::task::spawn_blocking(|| {
        let r = RegistryServer::start();
        r.upload_single_arch("beclab/aboveos-busybox", "1.37.0", "busybox");
        r.upload_single_arch("beclab/aboveos-ghost", "6.0.5-alpine", "ghost");
        r
    })
    .await
    .unwrap();
    let host = registry.host();
    let source = serve_source(olares_catalog()).await;
    let repo = spawn_repo(|config, _| {
        config.registry_allow = RegistryAllow::Hosts(vec![host.clone()]);
        config
            .registry_mirrors
            .insert("docker.io".into(), host.clone());
    })
    .await;
    repo.put_remote_source(&source.base).await;
    let ghost = entry(&source, "ghost").await;
    let uploads = registry.access_log().len();
    let (_, body) = repo.sync(&sync_request(&ghost, "alice", "alice")).await;
    let payload = &body["data"]["app_data"];
    let images = payload["image_analysis"]["images"].as_object().unwrap();
    assert_eq!(images.len(), 2, "{payload}");
    for (name, info) in images {
        assert_eq!(info["status"], "analyzed", "{name}: {info}");
        assert_eq!(
            info["platforms"][0]["architecture"], "amd64",
            "{name}: {info}"
        );
    }
    // ghost declares amd64 and arm64; the images offer amd64 only.
    assert_eq!(
        payload["app_simple_info"]["support_arch"],
        serde_json::json!(["amd64", "arm64"])
    );
    let warnings = payload["arch_warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w.as_str().unwrap().contains("arm64")),
        "{payload}"
    );

    // Every request the registry logged is counted by outcome on /metrics.
    let metrics = reqwest::get(format!("{}/metrics", repo.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counted: u64 = metrics
        .lines()
        .filter(|l| l.starts_with("chart_repo_registry_requests_total{"))
        .map(|l| l.rsplit(' ').next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert!(
        metrics.contains("chart_repo_registry_requests_total{outcome=\"ok\"}"),
        "{metrics}"
    );
    assert_eq!(
        counted,
        (registry.access_log().len() - uploads) as u64,
        "{metrics}"
    );

    let (_, feed) = repo.get_json(&repo.api("/state-changes?after_id=0")).await;
    let updated: Vec<&str> = feed["data"]["state_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "image_info_updated")
        .map(|c| c["image_data"]["image_name"].as_str().unwrap())
        .collect();
    assert_eq!(updated.len(), 2, "{feed}");
    let (status, image) = repo
        .get_json(&repo.api("/images?imageName=beclab/aboveos-ghost:6.0.5-alpine"))
        .await;
    assert_eq!(status, 200, "{image}");
    assert_eq!(
        image["data"]["image_info"]["name"],
        "docker.io/beclab/aboveos-ghost:6.0.5-alpine"
    );

    // Another user's hydration finds the analyses in the store: no registry request.
    let asked = registry.access_log().len();
    let (_, bob) = repo.sync(&sync_request(&ghost, "bob", "alice")).await;
    assert_eq!(bob["data"]["status"], "new", "{bob}");
    assert_eq!(registry.access_log().len(), asked, "the cache answered");
    let (status, _) = repo.get_json(&repo.api("/images?imageName=nginx")).await;
    assert_eq!(status, 404);
}
