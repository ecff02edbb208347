//! Each peer the harness offers really starts, answers and stops.

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
