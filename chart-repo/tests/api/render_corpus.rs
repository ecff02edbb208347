//! The edge and error corpus (`tests/fixtures/render-corpus/<case>/`): each
//! case is a small chart `t` whose templates are the case's files (`values.yaml`,
//! `values.schema.json` and `files/…` go to the chart root). `chart-repo render` must print what
//! real Helm prints — stdout, stderr (`error: …`) and exit status — byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

use test_harness::HelmPeer;

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render-corpus")
}

/// Builds the scratch chart of one case under `dir`.
fn build_chart(case: &Path, dir: &Path) -> PathBuf {
    let chart = dir.join("t");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: t\nversion: 0.1.0\nappVersion: 1.10\n",
    )
    .unwrap();
    copy_case(case, case, &chart);
    chart
}

fn copy_case(root: &Path, dir: &Path, chart: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let rel = path.strip_prefix(root).unwrap();
        if path.is_dir() {
            copy_case(root, &path, chart);
            continue;
        }
        let dest = match rel.to_str().unwrap() {
            "values.yaml" | "values.schema.json" => chart.join(rel),
            other => match other.strip_prefix("files/") {
                Some(file) => chart.join(file),
                None => chart.join("templates").join(other),
            },
        };
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&path, dest).unwrap();
    }
}

fn summary(out: &Output) -> (Option<i32>, String, String) {
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn render_matches_helm_on_the_edge_and_error_corpus() {
    let peer = HelmPeer::locate();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 40, "the corpus has {} cases", cases.len());
    let next = Mutex::new(0usize);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(case) = cases.get(i) else { break };
                    let dir = tempfile::tempdir().unwrap();
                    let chart = build_chart(case, dir.path());
                    let ours = Command::new(env!("CARGO_BIN_EXE_chart-repo"))
                        .arg("render")
                        .arg(&chart)
                        .output()
                        .unwrap();
                    let helm = peer.render([&chart]);
                    let name = case.file_name().unwrap().to_string_lossy().into_owned();
                    results
                        .lock()
                        .unwrap()
                        .push((name, summary(&ours), summary(&helm)));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by(|a, b| a.0.cmp(&b.0));
    let mut table = String::new();
    let mut failed = 0;
    for (name, ours, helm) in &results {
        let kind = if helm.0 == Some(0) { "output" } else { "error" };
        if ours == helm {
            table.push_str(&format!("same {kind:6} {name}\n"));
        } else {
            failed += 1;
            table.push_str(&format!(
                "DIFFERS       {name}\n  ours: {ours:?}\n  helm: {helm:?}\n"
            ));
        }
    }
    table.push_str(&format!(
        "{} passed, {failed} failed\n",
        results.len() - failed
    ));
    println!("{table}");
    assert_eq!(
        failed, 0,
        "chart-repo render differs from Helm on the corpus:\n{table}"
    );
}
