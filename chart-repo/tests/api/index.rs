//! `chart-repo index`: the same bytes as the real `helm repo index` on the same folder
//! (timestamps masked), every entry present in what Helm's repository client loads, and only
//! keys Helm's `IndexFile`/`ChartVersion` know.

use std::path::Path;
use std::process::Command;

use helm_index::{ParseMode, parse_index};
use test_harness::{HelmPeer, fixtures};

use crate::package::package;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_chart-repo"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chart-repo {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `created` and `generated` hold the time of indexing; everything else must match.
fn mask_times(text: &str) -> String {
    text.lines()
        .map(|line| {
            let trimmed = line.trim_start();
            if trimmed.starts_with("created: ") || trimmed.starts_with("generated: ") {
                let indent = &line[..line.len() - trimmed.len()];
                let key = trimmed.split(':').next().unwrap();
                format!("{indent}{key}: <time>")
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A chart folder with the given `Chart.yaml` and one template.
fn chart(root: &Path, folder: &str, chart_yaml: &str) -> std::path::PathBuf {
    let dir = root.join(folder);
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(dir.join("Chart.yaml"), chart_yaml).unwrap();
    std::fs::write(dir.join("values.yaml"), "a: 1\n").unwrap();
    std::fs::write(
        dir.join("templates/cm.yaml"),
        "kind: ConfigMap\nmetadata:\n  name: x\n",
    )
    .unwrap();
    dir
}

/// Charts whose metadata exercises every field and ordering rule of an index.
fn edge_charts(src: &Path) -> Vec<std::path::PathBuf> {
    let mut dirs = vec![
        chart(
            src,
            "deps",
            "apiVersion: v2\nname: deps\nversion: 0.1.0\n\
             dependencies:\n\
             - name: a\n  version: 1.x\n  repository: \"\"\n  alias: a1\n  tags: [t1, t2]\n  \
               condition: a.enabled\n  enabled: true\n  \
               import-values:\n  - child: x.y\n    parent: z\n  - data\n\
             - name: b\n  repository: file://../b\n",
        ),
        chart(
            src,
            "meta",
            "apiVersion: v2\nname: meta\nversion: 1.0.0\nappVersion: 1.10\n\
             description: \"A long description — with unicode ✓ and enough words to pass the \
             eighty column limit of the YAML emitter, so it folds: yes: no # not a comment\"\n\
             home: https://example.com\nicon: https://example.com/i.png?x=1&y=2\n\
             sources: [https://a.example, 'https://b.example']\nkeywords: [\"y\", \"on\", \"1.0\", plain]\n\
             maintainers:\n- email: only@example.com\n- name: N\n  url: https://n.example\n\
             deprecated: true\nkubeVersion: \">=1.20.0-0\"\n\
             annotations:\n  \"yes\": \"true\"\n  multi: |\n    line one\n    line two\n  empty: \"\"\n\
             type: library\n",
        ),
        chart(src, "legacy", "name: legacy\nversion: 3.0.0\n"),
        chart(src, "app9", "apiVersion: v2\nname: app9\nversion: 1.0.0\n"),
        chart(
            src,
            "app10",
            "apiVersion: v2\nname: app10\nversion: 1.0.0\n",
        ),
        chart(src, "y", "apiVersion: v2\nname: \"y\"\nversion: 1.0.0\n"),
        chart(
            src,
            "123",
            "apiVersion: v2\nname: \"123\"\nversion: 1.0.0\n",
        ),
    ];
    for (i, v) in [
        "1.0.0",
        "1.0.0-rc.1",
        "1.10.0",
        "v1.2.0",
        "0.9.0+build.5",
        "2.0.0-alpha.10",
        "2.0.0-alpha.9",
        "1.2",
    ]
    .iter()
    .enumerate()
    {
        dirs.push(chart(
            src,
            &format!("multi{i}"),
            &format!("apiVersion: v2\nname: multi\nversion: {v}\n"),
        ));
    }
    dirs
}

/// A folder of packages: every fixture chart, the edge charts, one package in a subfolder,
/// and two files named `.tgz` that are not charts.
fn package_folder(root: &Path) -> std::path::PathBuf {
    let out = root.join("packages");
    std::fs::create_dir_all(out.join("sub")).unwrap();
    for dir in fixtures::chart_dirs() {
        package(&dir, &out);
    }
    let src = root.join("src");
    let edges = edge_charts(&src);
    for dir in &edges[1..] {
        package(dir, &out);
    }
    package(&edges[0], &out.join("sub"));
    std::fs::write(out.join("garbage.tgz"), b"not a gzip stream").unwrap();
    std::fs::write(out.join("empty.tgz"), b"").unwrap();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn index_is_byte_identical_to_helm_repo_index() {
    let helm = HelmPeer::locate();
    let tmp = tempfile::tempdir().unwrap();
    let packages = package_folder(tmp.path());
    for url in [None, Some("https://charts.example.com/stable/")] {
        let theirs_dir = tmp.path().join("theirs");
        let ours_dir = tmp.path().join("ours");
        let _ = std::fs::remove_dir_all(&theirs_dir);
        let _ = std::fs::remove_dir_all(&ours_dir);
        copy_dir(&packages, &theirs_dir);
        copy_dir(&packages, &ours_dir);
        let theirs = helm.repo_index_generate(&theirs_dir, url);
        let mut args = vec!["index", "--dir", ours_dir.to_str().unwrap()];
        if let Some(url) = url {
            args.extend(["--url", url]);
        }
        run(&args);
        let ours = std::fs::read_to_string(ours_dir.join("index.yaml")).unwrap();
        let (theirs, ours) = (mask_times(&theirs), mask_times(&ours));
        if theirs != ours {
            let diff: Vec<String> = theirs
                .lines()
                .zip(ours.lines())
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .take(10)
                .map(|(i, (a, b))| format!("line {}: helm {a:?}\n         ours {b:?}", i + 1))
                .collect();
            panic!(
                "index.yaml differs from helm repo index (url {url:?}; {} vs {} lines):\n{}",
                theirs.lines().count(),
                ours.lines().count(),
                diff.join("\n")
            );
        }
        let entries = ours.matches("\n    digest: ").count();
        println!("url {url:?}: {entries} entries identical to helm repo index");
        assert!(entries > 40, "the folder should index every package");
    }
}

#[test]
fn helm_repository_client_loads_every_entry_we_write() {
    let helm = HelmPeer::locate();
    let tmp = tempfile::tempdir().unwrap();
    let packages = package_folder(tmp.path());
    run(&["index", "--dir", packages.to_str().unwrap()]);
    let text = std::fs::read_to_string(packages.join("index.yaml")).unwrap();
    let ours = parse_index(&text, ParseMode::Strict).expect("our index reads strictly");

    let server = helm.serve_dir(&packages);
    let loaded: serde_json::Value = serde_json::from_str(&helm.repo_index(&server.url)).unwrap();
    let entries = loaded["entries"].as_object().expect("entries");
    let mut checked = 0;
    for entry in ours.entries() {
        let found = entries
            .get(entry.name())
            .and_then(|list| list.as_array())
            .and_then(|list| {
                list.iter()
                    .find(|v| v["version"] == entry.version() && v["digest"] == entry.digest)
            })
            .unwrap_or_else(|| {
                panic!(
                    "Helm's client dropped {} {} (digest {})",
                    entry.name(),
                    entry.version(),
                    entry.digest
                )
            });
        assert_eq!(
            found["urls"],
            serde_json::json!(entry.urls),
            "urls of {}",
            entry.name()
        );
        assert_eq!(found["name"], entry.name());
        checked += 1;
    }
    let theirs: usize = entries
        .values()
        .map(|l| l.as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(theirs, checked, "Helm's client sees exactly our entries");
    // The digests are the real SHA-256 of the served bytes.
    for entry in ours.entries() {
        let bytes = std::fs::read(packages.join(&entry.urls[0])).unwrap();
        use sha2::Digest;
        assert_eq!(entry.digest, hex::encode(sha2::Sha256::digest(&bytes)));
    }
    println!(
        "{checked} entries loaded by Helm's repository client with our name, version, digest and urls"
    );
}

#[test]
fn merge_keeps_versions_the_folder_no_longer_holds() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let old = chart(&src, "old", "apiVersion: v2\nname: app\nversion: 1.0.0\n");
    let new = chart(&src, "new", "apiVersion: v2\nname: app\nversion: 2.0.0\n");
    package(&old, &out);
    run(&["index", "--dir", out.to_str().unwrap()]);
    let previous = tmp.path().join("previous.yaml");
    std::fs::rename(out.join("index.yaml"), &previous).unwrap();
    std::fs::remove_file(out.join("app-1.0.0.tgz")).unwrap();
    package(&new, &out);
    run(&[
        "index",
        "--dir",
        out.to_str().unwrap(),
        "--merge",
        previous.to_str().unwrap(),
    ]);
    let index = parse_index(
        &std::fs::read_to_string(out.join("index.yaml")).unwrap(),
        ParseMode::Strict,
    )
    .unwrap();
    let versions: Vec<&str> = index.versions("app").iter().map(|v| v.version()).collect();
    assert_eq!(versions, ["2.0.0", "1.0.0"]);
}

#[test]
fn index_of_a_missing_folder_fails_clearly() {
    let out = Command::new(env!("CARGO_BIN_EXE_chart-repo"))
        .args(["index", "--dir", "/nonexistent/charts"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("/nonexistent/charts is not a directory"),
        "{stderr}"
    );
}
