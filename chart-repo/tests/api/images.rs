//! Image extraction over every fixture chart rendered by our engine: for each chart folder
//! and case (admin, normal user; default values for general charts) the pod images equal
//! `../shared/fixtures/charts/images.json` (produced with real Helm), and so does the
//! manifest's `options.images`. Every reference also normalizes.

use std::collections::BTreeMap;
use std::process::Command;

use chart_repo::registry::{ImageRef, manifest_images, pod_images};
use test_harness::fixtures;

pub fn render(chart: &std::path::Path, args: &[String]) -> BTreeMap<String, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_chart-repo"))
        .arg("render")
        .args(args)
        .arg(chart)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "render {} failed: {}",
        chart.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn extracted_images_equal_what_helm_renders_for_every_fixture() {
    let charts = fixtures::fixtures_dir().join("charts");
    let expected: BTreeMap<String, BTreeMap<String, Vec<String>>> =
        serde_json::from_slice(&std::fs::read(charts.join("images.json")).unwrap()).unwrap();
    let values = fixtures::fixtures_dir()
        .join("values/olares-user.yaml")
        .display()
        .to_string();
    let mut checked = 0;
    let mut failures = Vec::new();
    for (key, lists) in &expected {
        let dir = charts.join(key);
        let base = if key.starts_with("olares/") {
            vec!["--values".to_owned(), values.clone()]
        } else {
            Vec::new()
        };
        for (case, want) in lists {
            let mut args = base.clone();
            match case.as_str() {
                "admin" | "default" => {}
                "user" => args.extend(["--set-json".to_owned(), "admin=\"bob\"".to_owned()]),
                "manifest_options_images" => {
                    args.extend(["--extra".to_owned(), "OlaresManifest.yaml".to_owned()]);
                }
                other => panic!("unknown case {other} in images.json"),
            }
            let rendered = render(&dir, &args);
            let got = if case == "manifest_options_images" {
                let name = rendered
                    .keys()
                    .find(|k| k.ends_with("/OlaresManifest.yaml"))
                    .expect("the rendered manifest")
                    .clone();
                let manifest = helm_yaml::read::parse(&rendered[&name]).unwrap();
                manifest_images(&manifest)
            } else {
                pod_images(&rendered).unwrap()
            };
            if &got != want {
                failures.push(format!("{key} ({case}):\n  want {want:?}\n  got  {got:?}"));
            }
            for image in &got {
                ImageRef::parse(image)
                    .unwrap_or_else(|e| panic!("{key}: {image} does not normalize: {e}"));
            }
            checked += 1;
        }
    }
    println!("{checked} chart cases: images equal to images.json");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let cases: usize = expected.values().map(BTreeMap::len).sum();
    assert_eq!(
        checked, cases,
        "every chart and case of images.json is checked"
    );
    assert_eq!(expected.len(), 38, "images.json lists 38 chart folders");
}
