//! Each peer the harness offers really starts, answers and stops.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use test_harness::{HelmPeer, RegistryServer, fixtures};

#[test]
fn registry_answers_the_distribution_api_and_logs_access() {
    let registry = RegistryServer::start();
    let request = format!(
        "GET /v2/_catalog HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        registry.host()
    );
    let reply =
        test_harness::process::tcp_exchange(registry.port(), request.as_bytes()).expect("a reply");
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let logged = test_harness::wait_until(
        std::time::Duration::from_secs(10),
        "the access log line",
        || Ok(registry.log().contains("/v2/_catalog").then_some(())),
    );
    assert!(logged.is_ok(), "{}", registry.log());
}

#[test]
fn helm_peer_renders_a_fixture_chart() {
    let helm = HelmPeer::locate();
    let out = helm.render([fixtures::chart("helm/hello-world")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rendered.contains_key("hello-world/templates/deployment.yaml"),
        "{rendered:?}"
    );
}

/// GET over plain HTTP/1.1 with `Connection: close`; returns the status line, headers and body.
fn http_get(port: u16, path: &str, accept: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

#[test]
fn synthetic_images_push_to_the_registry_with_their_digests() {
    let registry = RegistryServer::start();
    let single = registry.push_synthetic("beclab/single", "1.0", &["linux/amd64"]);
    let multi = registry.push_synthetic("library/multi", "2.0", &["linux/amd64", "linux/arm64/v8"]);
    assert_eq!(single.platforms.len(), 1);
    assert_eq!(multi.platforms.len(), 2);
    let accept =
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json";
    for (repo, tag, built, media) in [
        (
            "beclab/single",
            "1.0",
            &single,
            "application/vnd.oci.image.manifest.v1+json",
        ),
        (
            "library/multi",
            "2.0",
            &multi,
            "application/vnd.oci.image.index.v1+json",
        ),
    ] {
        let (head, body) = http_get(
            registry.port(),
            &format!("/v2/{repo}/manifests/{tag}"),
            accept,
        );
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let head = head.to_lowercase();
        assert!(
            head.contains(&format!("docker-content-digest: {}", built.digest)),
            "{repo}: the registry keeps the built digest\n{head}"
        );
        let doc: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(doc["mediaType"], media);
    }
    let (_, body) = http_get(registry.port(), "/v2/library/multi/manifests/2.0", accept);
    let index: serde_json::Value = serde_json::from_str(&body).unwrap();
    let arches: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let p = &m["platform"];
            format!(
                "{}/{}{}",
                p["os"].as_str().unwrap(),
                p["architecture"].as_str().unwrap(),
                p["variant"]
                    .as_str()
                    .map(|v| format!("/{v}"))
                    .unwrap_or_default()
            )
        })
        .collect();
    assert_eq!(arches, ["linux/amd64", "linux/arm64/v8"]);
    // Layers are served with their sizes.
    let (layer_platform, _, layer, size, _) = &multi.platforms[1];
    assert_eq!(layer_platform.architecture, "arm64");
    let (head, body) = http_get(
        registry.port(),
        &format!("/v2/library/multi/blobs/{layer}"),
        "*/*",
    );
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body.len() as u64, *size);
}

#[test]
fn uploaded_synthetic_images_equal_pushed_ones() {
    let (pushed_to, uploaded_to) = (RegistryServer::start(), RegistryServer::start());
    let accept =
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json";
    for platforms in [&["linux/amd64"][..], &["linux/amd64", "linux/arm64/v8"]] {
        let pushed = pushed_to.push_synthetic("team/app", "1", platforms);
        let uploaded = uploaded_to.upload_synthetic("team/app", "1", platforms, 0);
        assert_eq!(uploaded.digest, pushed.digest, "{platforms:?}");
        assert_eq!(uploaded.platforms, pushed.platforms);
        let (head, _) = http_get(uploaded_to.port(), "/v2/team/app/manifests/1", accept);
        let head = head.to_lowercase();
        assert!(
            head.contains(&format!("docker-content-digest: {}", uploaded.digest)),
            "{head}"
        );
        for (_, manifest, layer, _, _) in &uploaded.platforms {
            let (head, _) = http_get(
                uploaded_to.port(),
                &format!("/v2/team/app/manifests/{manifest}"),
                accept,
            );
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
            let (head, _) = http_get(
                uploaded_to.port(),
                &format!("/v2/team/app/blobs/{layer}"),
                "*/*",
            );
            assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        }
    }
    // Padding grows the layers by whole tar blocks.
    let padded = uploaded_to.upload_synthetic("team/padded", "1", &["linux/amd64"], 1000);
    let plain = uploaded_to.upload_synthetic("team/plain", "1", &["linux/amd64"], 0);
    assert_eq!(padded.platforms[0].3, plain.platforms[0].3 + 1024);
}
