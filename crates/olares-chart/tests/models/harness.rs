//! Reading fixture folders and rendering manifests the way the hydrator does.

use std::path::{Path, PathBuf};

use helm_template::chart::File;
use helm_template::{Prepared, RenderOptions, load};
use olares_chart::ChartFile;
use olares_chart::values::{Table, load_values};
use test_harness::fixtures;

/// Every file under `dir`, paths relative to it, in lexical order (no `.helmignore`: a
/// catalog folder's marker files count).
pub fn files(dir: &Path) -> Vec<ChartFile> {
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out
}

fn walk(dir: &Path, prefix: &str, out: &mut Vec<ChartFile>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if path.is_dir() {
            walk(&path, &rel, out);
        } else {
            out.push(ChartFile::new(rel, std::fs::read(&path).unwrap()));
        }
    }
}

/// The 28 folders of `olares/` (27 apps and the `dify` tombstone).
pub fn olares_apps() -> Vec<PathBuf> {
    let mut apps: Vec<PathBuf> = std::fs::read_dir(fixtures::chart("olares"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    apps.sort();
    assert_eq!(apps.len(), 28, "olares fixtures");
    apps
}

/// Every `Chart.yaml` under `charts/` (apps, v0.11 sibling folders, vendored subcharts).
pub fn chart_yamls() -> Vec<PathBuf> {
    let mut out = Vec::new();
    find(
        &fixtures::fixtures_dir().join("charts"),
        "Chart.yaml",
        &mut out,
    );
    out.sort();
    out
}

/// Every file named `name` under `dir`.
pub fn find(dir: &Path, name: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            find(&path, name, out);
        } else if path.file_name().is_some_and(|n| n == name) {
            out.push(path);
        }
    }
}

/// The Olares values for user `alice`, the admin.
pub fn olares_values() -> Table {
    let data = std::fs::read(fixtures::fixtures_dir().join("values/olares-user.yaml")).unwrap();
    load_values(&data).unwrap()
}

/// `OlaresManifest.yaml` rendered as a template of its chart (what `chart-repo render
/// --extra OlaresManifest.yaml` prints for it).
pub fn render_manifest(dir: &Path, values: &Table) -> String {
    let mut chart = load::load_path(dir).unwrap();
    let data = std::fs::read(dir.join("OlaresManifest.yaml")).unwrap();
    chart
        .templates
        .push(File::new("templates/OlaresManifest.yaml", data));
    let name = chart.name().to_owned();
    let options = RenderOptions {
        release_name: name.clone(),
        namespace: format!("{name}-alice"),
        ..RenderOptions::default()
    };
    let prepared = Prepared::new(chart, values, &options).unwrap();
    let mut out = prepared.execute(&prepared.scopes()).unwrap();
    out.remove(&format!("{name}/templates/OlaresManifest.yaml"))
        .unwrap()
}
