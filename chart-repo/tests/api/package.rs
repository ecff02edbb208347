//! `chart-repo package`: packages that real Helm loads and renders exactly as
//! the chart folder, with deterministic bytes and `.helmignore` honoured.

use std::path::{Path, PathBuf};
use std::process::Command;

use test_harness::{HelmPeer, fixtures};

/// Functions whose output differs between two renders of the same chart.
const RANDOM: &[&str] = &[
    "randAlphaNum",
    "randAlpha",
    "randNumeric",
    "randAscii",
    "uuidv4",
    "genCA",
    "genSignedCert",
    "htpasswd",
    "now",
];

/// Runs `chart-repo package DIR -d OUT` and returns the written package.
pub(crate) fn package(dir: &Path, out: &Path) -> PathBuf {
    let run = Command::new(env!("CARGO_BIN_EXE_chart-repo"))
        .arg("package")
        .arg(dir)
        .arg("-d")
        .arg(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let line = String::from_utf8(run.stdout).unwrap();
    PathBuf::from(line.trim().rsplit(": ").next().unwrap())
}

fn uses_random_functions(dir: &Path) -> bool {
    let mut found = false;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                found |= RANDOM.iter().any(|f| text.contains(f));
            }
        }
    }
    found
}

fn render(peer: &HelmPeer, chart: &Path, values: &[String]) -> serde_json::Value {
    let mut args = vec![chart.display().to_string()];
    args.extend(values.iter().cloned());
    let out = peer.render(args);
    assert!(
        out.status.success(),
        "{}: {}",
        chart.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn check_one(peer: &HelmPeer, dir: &Path, out: &Path, args: &[String]) {
    let tgz = package(dir, out);
    let (from_dir, from_tgz) = (render(peer, dir, args), render(peer, &tgz, args));
    if uses_random_functions(dir) {
        let keys =
            |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&from_dir), keys(&from_tgz), "{}", dir.display());
    } else {
        assert_eq!(from_dir, from_tgz, "{}", dir.display());
    }
}

#[test]
fn helm_renders_every_packaged_fixture_as_its_folder() {
    let peer = HelmPeer::locate();
    let out = tempfile::tempdir().unwrap();
    let values = fixtures::fixtures_dir()
        .join("values/olares-user.yaml")
        .display()
        .to_string();
    let olares = fixtures::chart("olares");
    let cases: Vec<(PathBuf, Vec<String>)> = fixtures::chart_dirs()
        .into_iter()
        .map(|dir| {
            let args = if dir.starts_with(&olares) {
                vec!["--values".to_owned(), values.clone()]
            } else {
                Vec::new()
            };
            (dir, args)
        })
        .collect();
    assert!(cases.len() >= 30, "found {} charts", cases.len());
    // Two workers: each case is two renders by the Helm library.
    let (first, second) = cases.split_at(cases.len() / 2);
    std::thread::scope(|s| {
        for half in [first, second] {
            let (peer, out) = (&peer, out.path());
            s.spawn(move || {
                half.iter()
                    .for_each(|(dir, args)| check_one(peer, dir, out, args))
            });
        }
    });
}

#[test]
fn packages_are_deterministic_named_and_honour_helmignore() {
    let dir = fixtures::chart("helm/nginx");
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (first, second) = (package(&dir, a.path()), package(&dir, b.path()));
    assert_eq!(first.file_name(), second.file_name());
    assert!(
        first
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("nginx-"),
        "{}",
        first.display()
    );
    let bytes = std::fs::read(&first).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(&second).unwrap(),
        "same input, same bytes"
    );
    let archive =
        olares_chart::read_chart_archive(&bytes, &olares_chart::Limits::default()).unwrap();
    assert_eq!(archive.top, "nginx");
    let names: Vec<&str> = archive.files.iter().map(|f| f.path.as_str()).collect();
    assert!(
        names.contains(&"Chart.yaml") && names.contains(&"charts/common/Chart.yaml"),
        "{names:?}"
    );
    assert!(
        !names.contains(&"CHANGELOG.md"),
        "ignored by nginx's .helmignore: {names:?}"
    );
}

#[test]
fn packaging_a_folder_without_chart_yaml_fails_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_chart-repo"))
        .arg("package")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: Chart.yaml file is missing"
    );
}
