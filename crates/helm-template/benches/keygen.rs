//! `cargo bench -p helm-template --bench keygen`: what a certificate function costs.
//! `genCA` and `genSignedCert` rendered through the engine (pooled keys drawn faster
//! than the pool refills, so mostly generated on the spot), beside one 2048-bit key from
//! each generator: AWS-LC (what `rsa_keys` uses) and the pure-Rust `rsa` crate (what it
//! replaced), measured in the same run.

use criterion::{Criterion, criterion_group, criterion_main};
use helm_template::chart::{Chart, File};
use helm_template::{RenderOptions, render};

fn render_once(tpl: &str) -> usize {
    let files = vec![
        File::new("Chart.yaml", "apiVersion: v2\nname: t\nversion: 0.1.0\n"),
        File::new("templates/t.yaml", tpl),
    ];
    let chart = Chart::from_files(files).expect("a valid chart");
    let out = render(chart, &Default::default(), &RenderOptions::default()).expect("renders");
    out.values().map(String::len).sum()
}

fn keygen(c: &mut Criterion) {
    let mut g = c.benchmark_group("rsa-2048");
    g.sample_size(20);
    g.bench_function("aws-lc (rsa_keys::generate_now)", |b| {
        b.iter(|| helm_template::rsa_keys::generate_now(2048).expect("a key"))
    });
    g.bench_function("rsa crate (RsaPrivateKey::new)", |b| {
        b.iter(|| rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("a key"))
    });
    g.finish();

    let mut g = c.benchmark_group("template");
    g.sample_size(20);
    g.bench_function("genCA", |b| {
        b.iter(|| render_once(r#"{{ (genCA "bench-ca" 365).Cert | len }}"#))
    });
    g.bench_function("genCA + genSignedCert", |b| {
        b.iter(|| {
            render_once(
                r#"{{ $ca := genCA "bench-ca" 365 }}{{ (genSignedCert "svc" nil (list "svc.ns") 365 $ca).Key | len }}"#,
            )
        })
    });
    g.finish();
}

criterion_group!(benches, keygen);
criterion_main!(benches);
