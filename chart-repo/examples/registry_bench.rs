//! Helper of `scripts/bench-registry.sh`: image analysis throughput against the real
//! `docker-registry` on loopback. Pushes N distinct single-arch images (one shared layer,
//! a config each, over the registry's HTTP API), then analyses all of them with a cold
//! cache (a new analyzer and empty cache per round) and once more with the warm cache.
//! Requests are counted from the registry's own access log. For scale, `skopeo inspect`
//! (manifest + config, one process per image) runs over the first images.
//!
//! `registry_bench [IMAGES] [ROUNDS]` prints `name value` lines.

#![allow(clippy::unwrap_used)] // a benchmark helper: a failed step must stop it

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chart_repo::config::RegistryAllow;
use chart_repo::registry::client::USER_AGENT;
use chart_repo::registry::{Analyzer, ImageRef, MemoryImageCache, RegistryConfig};
use market_model::ImageStatus;
use test_harness::{RegistryServer, eventually};

/// Our requests in the access log, once it lists all `sent` of them.
async fn logged(registry: &RegistryServer, sent: u64) -> usize {
    eventually(
        Duration::from_secs(30),
        "the access log to catch up",
        || {
            let n = registry.requests_from(USER_AGENT);
            async move { (n as u64 >= sent).then_some(n) }
        },
    )
    .await
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().map_or(200, |a| a.parse().unwrap());
    let rounds: usize = args.next().map_or(3, |a| a.parse().unwrap());
    let registry = RegistryServer::start();
    let host = registry.host();
    let pushing = Instant::now();
    let images: Vec<ImageRef> = (0..count)
        .map(|i| {
            let repository = format!("bench/app-{i:03}");
            registry.upload_single_arch(&repository, "1.0", &format!("image {i}"));
            ImageRef::parse(&format!("{host}/{repository}:1.0")).unwrap()
        })
        .collect();
    println!("images {count}");
    println!("push_ms {}", pushing.elapsed().as_millis());
    let config = RegistryConfig {
        allow: RegistryAllow::Hosts(vec![host.clone()]),
        ..RegistryConfig::default()
    };
    println!("per_host_concurrency {}", config.per_host_concurrency);
    println!("concurrency {}", config.concurrency);

    let mut cold_rates = Vec::new();
    let mut cache = Arc::new(MemoryImageCache::new());
    let mut analyzer = None;
    for _ in 0..rounds {
        cache = Arc::new(MemoryImageCache::new());
        let a = Analyzer::new(config.clone(), cache.clone()).unwrap();
        let before = logged(&registry, 0).await;
        let started = Instant::now();
        let infos = a.analyze_all(&images).await;
        let took = started.elapsed();
        assert!(
            infos.iter().all(|i| i.status == ImageStatus::Analyzed),
            "{:?}",
            infos.iter().find(|i| i.status != ImageStatus::Analyzed)
        );
        let after = logged(&registry, before as u64 + a.requests_sent()).await;
        cold_rates.push(count as f64 / took.as_secs_f64());
        println!("cold_round_ms {}", took.as_millis());
        println!("cold_requests {}", after - before);
        analyzer = Some(a);
    }
    cold_rates.sort_by(f64::total_cmp);
    println!("cold_images_per_s {:.0}", cold_rates[cold_rates.len() / 2]);

    let analyzer = analyzer.unwrap();
    let before = logged(&registry, 0).await;
    let sent_before = analyzer.requests_sent();
    let started = Instant::now();
    let infos = analyzer.analyze_all(&images).await;
    let took = started.elapsed();
    assert_eq!(infos.len(), count);
    assert_eq!(cache.len(), count);
    let after = logged(&registry, 0).await;
    println!("warm_images_per_s {:.0}", count as f64 / took.as_secs_f64());
    println!(
        "warm_us_per_image {:.1}",
        took.as_secs_f64() * 1e6 / count as f64
    );
    println!("warm_requests {}", after - before);
    println!(
        "warm_requests_sent {}",
        analyzer.requests_sent() - sent_before
    );

    let sample = count.min(20);
    let started = Instant::now();
    for image in &images[..sample] {
        let out = Command::new("skopeo")
            .args(["inspect", "--tls-verify=false"])
            .arg(format!("docker://{image}"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let took = started.elapsed();
    println!("skopeo_images {sample}");
    println!(
        "skopeo_images_per_s {:.1}",
        sample as f64 / took.as_secs_f64()
    );
}
