//! Image analysis against the real `docker-registry` on loopback: single-arch images,
//! multi-arch indexes, missing images, htpasswd Basic auth, Docker Hub names through a
//! mirror, the allow-list, and the cache. Requests are counted from the registry's own
//! access log (our user agent), after it has caught up with what the client sent.

use std::sync::Arc;
use std::time::Duration;

use chart_repo::config::{RegistryAllow, RegistryCredentials};
use chart_repo::registry::client::USER_AGENT;
use chart_repo::registry::{Analyzer, ImageRef, MemoryImageCache, RegistryConfig};
use market_model::{ImageInfo, ImageStatus};
use secrecy::SecretString;
use test_harness::{RegistryServer, eventually};

const CREATED: &str = "2026-01-02T03:04:05Z";

pub fn allowing(hosts: &[&str]) -> RegistryConfig {
    RegistryConfig {
        allow: RegistryAllow::Hosts(hosts.iter().map(|h| (*h).to_owned()).collect()),
        ..RegistryConfig::default()
    }
}

pub fn analyzer(config: RegistryConfig) -> (Analyzer, Arc<MemoryImageCache>) {
    let cache = Arc::new(MemoryImageCache::new());
    (Analyzer::new(config, cache.clone()).unwrap(), cache)
}

async fn analyze(analyzer: &Analyzer, reference: &str) -> ImageInfo {
    analyzer.analyze(&ImageRef::parse(reference).unwrap()).await
}

/// Our requests in the registry's access log, once it lists at least the `sent` our
/// analyzers sent there.
async fn logged(registry: &RegistryServer, sent: u64) -> usize {
    let sent = sent as usize;
    eventually(
        Duration::from_secs(10),
        "the access log to catch up",
        || {
            let n = registry.requests_from(USER_AGENT);
            async move { (n >= sent).then_some(n) }
        },
    )
    .await
}

fn assert_analyzed(info: &ImageInfo) {
    assert_eq!(info.status, ImageStatus::Analyzed, "{info:?}");
    assert!(info.reason.is_empty(), "{info:?}");
}

#[tokio::test]
async fn single_arch_image_costs_two_requests() {
    let registry = RegistryServer::start();
    let built = registry.push_synthetic("team/app", "1.0", &["linux/amd64"]);
    let (analyzer, _) = analyzer(allowing(&[&registry.host()]));
    let info = analyze(&analyzer, &format!("{}/team/app:1.0", registry.host())).await;
    assert_analyzed(&info);
    assert_eq!(info.name, format!("{}/team/app:1.0", registry.host()));
    assert_eq!(info.digest.as_deref(), Some(built.digest.as_str()));
    let [p] = info.platforms.as_slice() else {
        panic!("one platform: {info:?}")
    };
    let (_, manifest, layer, layer_size, created) = &built.platforms[0];
    assert_eq!((p.os.as_str(), p.architecture.as_str()), ("linux", "amd64"));
    assert_eq!(p.variant, None);
    assert_eq!(&p.digest, manifest);
    assert_eq!(p.layers.len(), 1);
    assert_eq!(
        (&p.layers[0].digest, p.layers[0].size),
        (layer, *layer_size)
    );
    assert_eq!((p.size, info.total_size), (*layer_size, *layer_size));
    assert_eq!(
        p.created.unwrap().to_rfc3339(),
        created.replace('Z', "+00:00")
    );
    // Manifest GET and config GET: within the goal of 3 per single-arch image.
    assert_eq!(logged(&registry, analyzer.requests_sent()).await, 2);
    assert_eq!(analyzer.requests_sent(), 2);
}

#[tokio::test]
async fn multi_arch_index_lists_each_platform() {
    let registry = RegistryServer::start();
    let built = registry.push_synthetic("team/multi", "2", &["linux/amd64", "linux/arm64/v8"]);
    let (analyzer, _) = analyzer(allowing(&[&registry.host()]));
    let info = analyze(&analyzer, &format!("{}/team/multi:2", registry.host())).await;
    assert_analyzed(&info);
    assert_eq!(info.digest.as_deref(), Some(built.digest.as_str()));
    assert_eq!(info.platforms.len(), 2);
    for (p, (want, manifest, layer, size, _)) in info.platforms.iter().zip(&built.platforms) {
        assert_eq!(p.architecture, want.architecture);
        assert_eq!(p.variant, want.variant);
        assert_eq!(&p.digest, manifest);
        assert_eq!((&p.layers[0].digest, p.layers[0].size), (layer, *size));
        assert_eq!(
            p.created.unwrap().to_rfc3339(),
            CREATED.replace('Z', "+00:00")
        );
    }
    assert_eq!(info.platforms[1].variant.as_deref(), Some("v8"));
    let sizes: u64 = built.platforms.iter().map(|p| p.3).sum();
    assert_eq!(info.total_size, sizes);
    assert_eq!(
        info.architectures().into_iter().collect::<Vec<_>>(),
        ["amd64", "arm64"]
    );
    // The index, then per platform its manifest and config.
    assert_eq!(logged(&registry, analyzer.requests_sent()).await, 5);
}

#[tokio::test]
async fn missing_images_are_not_found_and_broken_configs_fail_analysis() {
    let registry = RegistryServer::start();
    registry.push_synthetic("team/app", "1.0", &["linux/amd64"]);
    registry.upload_image("team/broken", "1", b"this is not JSON");
    let (analyzer, cache) = analyzer(allowing(&[&registry.host()]));
    let host = registry.host();
    for missing in [
        format!("{host}/team/app:9.9"),
        format!("{host}/team/none:1"),
    ] {
        let info = analyze(&analyzer, &missing).await;
        assert_eq!(info.status, ImageStatus::NotFound, "{info:?}");
        assert!(info.reason.contains("not found"), "{}", info.reason);
        assert!(!info.retryable);
    }
    let broken = analyze(&analyzer, &format!("{host}/team/broken:1")).await;
    assert_eq!(broken.status, ImageStatus::AnalysisFailed, "{broken:?}");
    assert!(
        broken.reason.starts_with("config sha256:"),
        "{}",
        broken.reason
    );
    // Failures are not cached: the next analysis asks again.
    assert!(cache.is_empty());
}

#[tokio::test]
async fn htpasswd_registry_needs_its_credentials() {
    let registry = RegistryServer::start_with_htpasswd("alice", "wonderland");
    let built = registry.push_synthetic("private/app", "1", &["linux/amd64"]);
    let image = format!("{}/private/app:1", registry.host());

    let (anonymous, _) = analyzer(allowing(&[&registry.host()]));
    let info = analyze(&anonymous, &image).await;
    assert_eq!(info.status, ImageStatus::PrivateRegistry, "{info:?}");
    assert!(
        info.reason.contains("authentication required"),
        "{}",
        info.reason
    );

    let with = |password: &str| {
        let mut config = allowing(&[&registry.host()]);
        let credentials = RegistryCredentials {
            username: "alice".into(),
            password: SecretString::from(password.to_owned()),
        };
        config.credentials.insert(registry.host(), credentials);
        config
    };
    let (wrong, _) = analyzer(with("looking-glass"));
    let info = analyze(&wrong, &image).await;
    assert_eq!(info.status, ImageStatus::PrivateRegistry, "{info:?}");
    assert!(
        info.reason.contains("credentials were refused"),
        "{}",
        info.reason
    );
    assert!(!info.reason.contains("looking-glass"));

    let (right, _) = analyzer(with("wonderland"));
    let info = analyze(&right, &image).await;
    assert_analyzed(&info);
    assert_eq!(info.digest.as_deref(), Some(built.digest.as_str()));
    // The first request learns the challenge; the next image sends Basic at once.
    let before = right.requests_sent();
    registry.push_synthetic("private/other", "1", &["linux/amd64"]);
    let other = analyze(&right, &format!("{}/private/other:1", registry.host())).await;
    assert_analyzed(&other);
    assert_eq!(right.requests_sent() - before, 2);
}

#[tokio::test]
async fn docker_hub_names_are_analysed_through_the_mirror() {
    let registry = RegistryServer::start();
    let built =
        registry.push_synthetic("library/nginx", "1.25", &["linux/amd64", "linux/arm64/v8"]);
    let mut config = allowing(&[&registry.host()]);
    config.mirrors.insert("docker.io".into(), registry.host());
    let (analyzer, _) = analyzer(config);
    let info = analyze(&analyzer, "nginx:1.25").await;
    assert_analyzed(&info);
    assert_eq!(info.name, "docker.io/library/nginx:1.25");
    assert_eq!(info.digest.as_deref(), Some(built.digest.as_str()));
    assert_eq!(info.platforms.len(), 2);
    assert_eq!(logged(&registry, analyzer.requests_sent()).await, 5);
    let logged_paths: Vec<String> = registry
        .access_log()
        .into_iter()
        .filter(|l| l.user_agent == USER_AGENT)
        .map(|l| l.uri)
        .collect();
    assert_eq!(
        logged_paths.first().map(String::as_str),
        Some("/v2/library/nginx/manifests/1.25"),
        "{logged_paths:?}"
    );
}

#[tokio::test]
async fn hosts_outside_the_allow_list_are_never_contacted() {
    let registry = RegistryServer::start();
    registry.push_synthetic("library/nginx", "1.25", &["linux/amd64"]);
    let host = registry.host();
    let image = format!("{host}/library/nginx:1.25");

    let (other_only, _) = analyzer(allowing(&["registry.example"]));
    let info = analyze(&other_only, &image).await;
    assert_eq!(info.status, ImageStatus::RegistryError);
    assert_eq!(info.reason, format!("registry host {host} is not allowed"));
    assert!(!info.retryable);

    let (none, _) = analyzer(allowing(&[]));
    assert_eq!(
        analyze(&none, &image).await.status,
        ImageStatus::RegistryError
    );

    // With a mirror, the mirror is what is contacted, so it is what must be allowed.
    let mut mirrored = allowing(&["docker.io"]);
    mirrored.mirrors.insert("docker.io".into(), host.clone());
    let (mirrored, _) = analyzer(mirrored);
    let info = analyze(&mirrored, "nginx:1.25").await;
    assert_eq!(info.reason, format!("registry host {host} is not allowed"));
    assert_eq!(info.name, "docker.io/library/nginx:1.25");

    for a in [&other_only, &none, &mirrored] {
        assert_eq!(a.requests_sent(), 0);
    }
    // A request of ours would be logged: an allowed analyzer's is, these never were.
    let (allowed, _) = analyzer(allowing(&[&host]));
    assert_analyzed(&analyze(&allowed, &image).await);
    assert_eq!(logged(&registry, allowed.requests_sent()).await, 2);
}

#[tokio::test]
async fn warm_cache_asks_nothing_and_stale_entries_are_revalidated() {
    let registry = RegistryServer::start();
    registry.push_synthetic("team/app", "1.0", &["linux/amd64"]);
    let image = format!("{}/team/app:1.0", registry.host());
    let (warm, cache) = analyzer(allowing(&[&registry.host()]));
    let first = analyze(&warm, &image).await;
    assert_analyzed(&first);
    let cold = logged(&registry, warm.requests_sent()).await;
    assert_eq!(cache.len(), 1);
    let again = analyze(&warm, &image).await;
    assert_eq!(again, first);
    assert_eq!(warm.requests_sent(), 2);
    assert_eq!(
        logged(&registry, warm.requests_sent()).await,
        cold,
        "a warm cache sends nothing"
    );

    // TTL 0: every use revalidates with one HEAD, and keeps the analysis when the
    // digest is unchanged.
    let mut config = allowing(&[&registry.host()]);
    config.cache_ttl = Duration::ZERO;
    let stale = Analyzer::new(config, cache.clone()).unwrap();
    let revalidated = analyze(&stale, &image).await;
    assert_eq!(revalidated, first);
    assert_eq!(stale.requests_sent(), 1);
    assert_eq!(
        logged(&registry, warm.requests_sent() + stale.requests_sent()).await,
        cold + 1
    );
    let heads = registry
        .access_log()
        .into_iter()
        .filter(|l| l.user_agent == USER_AGENT && l.method == "HEAD")
        .count();
    assert_eq!(heads, 1);

    // A new push under the same tag: the HEAD sees another digest, so it is analysed anew.
    let rebuilt = registry.push_synthetic("team/app", "1.0", &["linux/arm64/v8"]);
    let changed = analyze(&stale, &image).await;
    assert_analyzed(&changed);
    assert_eq!(changed.digest.as_deref(), Some(rebuilt.digest.as_str()));
    assert_eq!(changed.platforms[0].architecture, "arm64");
    assert_eq!(stale.requests_sent(), 1 + 3);
}

#[tokio::test]
async fn analyze_all_keeps_order() {
    let registry = RegistryServer::start();
    let host = registry.host();
    registry.push_synthetic("a/one", "1", &["linux/amd64"]);
    let (analyzer, _) = analyzer(allowing(&[&host]));
    let refs: Vec<ImageRef> = [
        format!("{host}/a/one:1"),
        format!("{host}/a/missing:1"),
        "ghcr.io/x/y:1".to_owned(),
    ]
    .iter()
    .map(|r| ImageRef::parse(r).unwrap())
    .collect();
    let infos = analyzer.analyze_all(&refs).await;
    let statuses: Vec<ImageStatus> = infos.iter().map(|i| i.status).collect();
    assert_eq!(
        statuses,
        [
            ImageStatus::Analyzed,
            ImageStatus::NotFound,
            ImageStatus::RegistryError
        ]
    );
    assert_eq!(infos[2].name, "ghcr.io/x/y:1");
}

/// Every image a fixture chart uses (all cases of images.json), and its declared
/// `spec.supportArch`.
fn fixture_images(chart: &str) -> (Vec<String>, Option<Vec<String>>) {
    let charts = test_harness::fixtures::fixtures_dir().join("charts");
    let all: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<String>>> =
        serde_json::from_slice(&std::fs::read(charts.join("images.json")).unwrap()).unwrap();
    let images: std::collections::BTreeSet<String> =
        all[chart].values().flatten().cloned().collect();
    // The manifest is a template: render it for a user, as the hydrator does.
    let declared = chart.starts_with("olares/").then(|| {
        let values = test_harness::fixtures::fixtures_dir().join("values/olares-user.yaml");
        let args = [
            "--values".to_owned(),
            values.display().to_string(),
            "--extra".to_owned(),
            "OlaresManifest.yaml".to_owned(),
        ];
        let rendered = crate::images::render(&charts.join(chart), &args);
        let (_, text) = rendered
            .iter()
            .find(|(k, _)| k.ends_with("/OlaresManifest.yaml"))
            .unwrap();
        let value = helm_yaml::read::parse(text).unwrap();
        let archs = value["spec"]["supportArch"].as_array().unwrap().clone();
        archs
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect()
    });
    (images.into_iter().collect(), declared)
}

#[tokio::test]
async fn fixture_images_are_analysed_through_mirrors_and_give_the_apps_arches() {
    let registry = RegistryServer::start();
    let mut config = allowing(&[&registry.host()]);
    for hub in ["docker.io", "ghcr.io"] {
        config.mirrors.insert(hub.into(), registry.host());
    }
    let (analyzer, _) = analyzer(config);
    // One image per chart is amd64 only; the others are multi-arch.
    let cases = [
        ("olares/ollama", "docker.io/beclab/terminal:v0.0.4"),
        ("helm/podinfo", "ghcr.io/stefanprodan/podinfo:6.14.1"),
    ];
    for (chart, amd64_only) in cases {
        let (images, declared) = fixture_images(chart);
        let refs: Vec<ImageRef> = images.iter().map(|i| ImageRef::parse(i).unwrap()).collect();
        for r in &refs {
            let platforms: &[&str] = if r.to_string() == amd64_only {
                &["linux/amd64"]
            } else {
                &["linux/amd64", "linux/arm64/v8"]
            };
            registry.push_synthetic(&r.repository, r.tag.as_deref().unwrap(), platforms);
        }
        let infos = analyzer.analyze_all(&refs).await;
        for info in &infos {
            assert_analyzed(info);
        }
        let names: Vec<&str> = infos.iter().map(|i| i.name.as_str()).collect();
        let want: Vec<String> = refs.iter().map(ImageRef::to_string).collect();
        assert_eq!(names, want, "{chart}: reported under their own names");
        let support = chart_repo::registry::arch_support(declared.as_deref(), &infos);
        match chart {
            "olares/ollama" => {
                assert_eq!(
                    declared.as_deref(),
                    Some(&["amd64".to_owned(), "arm64".to_owned()][..])
                );
                assert_eq!(support.support_arch, ["amd64", "arm64"]);
                assert_eq!(
                    support.arch_warnings,
                    [format!(
                        "declared architecture arm64 is missing from {amd64_only}"
                    )]
                );
            }
            _ => {
                assert_eq!(declared, None);
                assert_eq!(support.support_arch, ["amd64"]);
                assert!(support.arch_warnings.is_empty());
            }
        }
    }
}
