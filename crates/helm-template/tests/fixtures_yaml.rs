//! Every YAML file Helm reads in the shared fixture charts loads.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::path::Path;

use helm_template::yaml;
use test_harness::fixtures;

fn visit(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() && path.file_name().is_some_and(|n| n != "templates") {
            visit(&path, found);
        } else if path
            .file_name()
            .is_some_and(|n| n == "values.yaml" || n == "Chart.yaml" || n == "OlaresManifest.yaml")
        {
            found.push(path);
        }
    }
}

#[test]
fn fixture_values_and_chart_files_load() {
    let mut files = vec![fixtures::fixtures_dir().join("values/olares-user.yaml")];
    visit(&fixtures::fixtures_dir().join("charts"), &mut files);
    assert!(files.len() > 60, "found only {}", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // OlaresManifest.yaml files are templates; only those without actions
        // are plain YAML.
        if text.contains("{{") {
            continue;
        }
        if let Err(e) = yaml::parse(&text) {
            failures.push(format!("{}: {e}", file.display()));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
