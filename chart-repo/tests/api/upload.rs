//! `POST /apps/upload`: every fixture chart, packaged, uploads and hydrates for the
//! uploader; every hostile or broken archive is refused with its reason (400/413/422) and
//! leaves nothing behind — no temporary file, no stored package, no job, no record.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;
use test_harness::fixtures;

use crate::harness::{TestRepo, spawn_repo};

async fn upload(repo: &TestRepo, user: &str, file_name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned());
    let form = reqwest::multipart::Form::new()
        .part("chart", part)
        .text("source", "upload");
    let res = repo
        .client
        .post(repo.api("/apps/upload"))
        .header("X-Bfl-User", user)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn every_fixture_chart_uploads_and_hydrates_for_the_uploader() {
    let repo = spawn_repo(|_, _| {}).await;
    let mut uploaded = 0;
    for entry in std::fs::read_dir(fixtures::chart("olares")).unwrap() {
        let dir = entry.unwrap().path();
        if !dir.join("Chart.yaml").exists() {
            continue;
        }
        let (file, bytes) = chart_repo::package::package(&dir).unwrap();
        let (status, body) = upload(&repo, "carol", &file, bytes).await;
        assert_eq!(status, 200, "{file}: {body}");
        assert_eq!(body["data"]["status"], "new", "{file}: {body}");
        uploaded += 1;
    }
    assert_eq!(uploaded, 27);
    let (_, repo_data) = repo.get_json(&repo.api("/repo/data?user=carol")).await;
    let apps = repo_data["user_data"]["sources"]["upload"]["app_info_latest"]
        .as_array()
        .unwrap();
    assert_eq!(apps.len(), 27);
    let (_, other) = repo.get_json(&repo.api("/repo/data?user=dave")).await;
    assert_eq!(
        other["user_data"]["sources"],
        serde_json::json!({}),
        "uploads are the uploader's"
    );
    let (_, feed) = repo
        .get_json(&repo.api("/state-changes?after_id=0&limit=1000"))
        .await;
    let uploads = feed["data"]["state_changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "app_upload_completed" && c["app_data"]["source"] == "upload")
        .count();
    assert_eq!(uploads, 27);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A tar entry with the name copied in verbatim (tar::Builder refuses hostile names).
fn raw_entry(out: &mut Vec<u8>, name: &str, kind: tar::EntryType, data: &[u8], link: &str) {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_mode(0o644);
    header.set_size(data.len() as u64);
    header.set_mtime(0);
    let old = header.as_old_mut();
    old.name = [0; 100];
    old.name[..name.len()].copy_from_slice(name.as_bytes());
    old.linkname[..link.len()].copy_from_slice(link.as_bytes());
    header.set_cksum();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn tgz(entries: &[(&str, tar::EntryType, &[u8], &str)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, data, link) in entries {
        raw_entry(&mut out, name, *kind, data, link);
    }
    out.extend_from_slice(&[0; 1024]);
    gzip(&out)
}

const CHART: &[u8] = b"apiVersion: v2\nname: demo\nversion: 0.1.0\n";
const MANIFEST: &[u8] =
    b"olaresManifest.version: '0.10.0'\nmetadata: {name: demo, title: Demo, version: 0.1.0}\n";

#[tokio::test]
async fn hostile_and_broken_archives_are_refused_and_leave_nothing() {
    use tar::EntryType::{Regular, Symlink};
    let repo = spawn_repo(|_, _| {}).await;
    let bomb = {
        // A header announcing 200 MiB of zeros, then the zeros: the ratio check trips.
        let mut t = Vec::new();
        raw_entry(&mut t, "demo/Chart.yaml", Regular, CHART, "");
        let mut head = tar::Header::new_ustar();
        head.set_path("demo/bomb").unwrap();
        head.set_size(200 * 1024 * 1024);
        head.set_cksum();
        t.extend_from_slice(head.as_bytes());
        let mut gz = gzip(&t);
        let member = gzip(&vec![0u8; 1024 * 1024]);
        for _ in 0..200 {
            gz.extend_from_slice(&member);
        }
        gz
    };
    let good = tgz(&[
        ("demo/Chart.yaml", Regular, CHART, ""),
        ("demo/OlaresManifest.yaml", Regular, MANIFEST, ""),
    ]);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "traversal",
            tgz(&[
                ("demo/Chart.yaml", Regular, CHART, ""),
                ("demo/../../etc/x", Regular, b"x", ""),
            ]),
            "..",
        ),
        (
            "absolute",
            tgz(&[("/etc/demo", Regular, b"x", "")]),
            "absolute",
        ),
        (
            "symlink",
            tgz(&[
                ("demo/Chart.yaml", Regular, CHART, ""),
                ("demo/link", Symlink, b"", "/etc/passwd"),
            ]),
            "link",
        ),
        (
            "two tops",
            tgz(&[
                ("demo/Chart.yaml", Regular, CHART, ""),
                ("other/Chart.yaml", Regular, CHART, ""),
            ]),
            "top folder",
        ),
        ("bomb", bomb, "larger than"),
        (
            "truncated",
            good[..good.len() / 2].to_vec(),
            "not a valid gzip",
        ),
        (
            "not gzip",
            b"this is not a chart".to_vec(),
            "not a valid gzip",
        ),
        (
            "no Chart.yaml",
            tgz(&[("demo/OlaresManifest.yaml", Regular, MANIFEST, "")]),
            "Chart.yaml",
        ),
        (
            "no manifest",
            tgz(&[("demo/Chart.yaml", Regular, CHART, "")]),
            "OlaresManifest.yaml",
        ),
        (
            "bad manifest",
            tgz(&[
                ("demo/Chart.yaml", Regular, CHART, ""),
                ("demo/OlaresManifest.yaml", Regular, b"metadata: [", ""),
            ]),
            "OlaresManifest.yaml",
        ),
    ];
    for (what, bytes, reason) in cases {
        let (status, body) = upload(&repo, "alice", "demo-0.1.0.tgz", bytes).await;
        assert!(status == 400 || status == 422, "{what}: {status} {body}");
        assert_eq!(body["success"], false, "{what}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains(reason),
            "{what}: {message:?} should mention {reason:?}"
        );
    }
    let big = vec![0u8; 100 * 1024 * 1024 + 1];
    let (status, body) = upload(&repo, "alice", "big.tgz", big).await;
    assert_eq!(status, 413, "{body}");

    let packages = repo.packages_dir();
    assert_eq!(
        files_in(&packages.join("uploads")),
        0,
        "no temporary file is left"
    );
    assert_eq!(
        files_in(&packages.join("sources")),
        0,
        "no refused package is stored"
    );
    let (_, status) = repo.get_json(&repo.api("/status?include=tasks")).await;
    assert_eq!(
        status["data"]["tasks"]["queue"],
        serde_json::json!({"pending": 0, "leased": 0, "done": 0, "failed": 0})
    );
    let (_, feed) = repo.get_json(&repo.api("/state-changes?after_id=0")).await;
    assert_eq!(feed["data"]["count"], 0, "{feed}");

    // The same minimal chart, well formed, is accepted.
    let (status, body) = upload(&repo, "alice", "demo-0.1.0.tgz", good).await;
    assert_eq!(status, 200, "{body}");
}
