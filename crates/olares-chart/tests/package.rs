//! The writer: determinism, Helm's layout, and round trips through the reader, including every
//! fixture chart.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use olares_chart::{
    ArchiveError, ChartFile, HelmIgnore, Limits, PackageError, read_chart_archive,
    write_chart_archive,
};

fn demo_files() -> Vec<ChartFile> {
    vec![
        ChartFile::new("values.yaml", "replicas: 1\n"),
        ChartFile::new("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
        ChartFile::new("templates/deployment.yaml", "kind: Deployment\n"),
    ]
}

#[test]
fn same_input_gives_the_same_bytes() {
    let first = write_chart_archive("demo", &demo_files()).expect("writes");
    let second = write_chart_archive("demo", &demo_files()).expect("writes");
    assert_eq!(first, second);
    // Pinned: a change here means packages changed digest for everyone. A flate2 or
    // zlib-rs upgrade (or a backend switch) may change it; then update the value on purpose.
    use sha2::Digest;
    assert_eq!(
        hex::encode(sha2::Sha256::digest(&first)),
        "0254b96668f0bed8e407716249a33038338299f9803841469bc28ff2f85e4593"
    );
}

#[test]
fn input_order_does_not_matter() {
    let mut reversed = demo_files();
    reversed.reverse();
    assert_eq!(
        write_chart_archive("demo", &reversed).expect("writes"),
        write_chart_archive("demo", &demo_files()).expect("writes")
    );
}

#[test]
// Reads the raw headers to check the writer's layout, which the capped reader hides.
#[allow(clippy::disallowed_methods)]
fn entries_follow_helms_layout() {
    let bytes = write_chart_archive("demo", &demo_files()).expect("writes");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(bytes.as_slice()));
    let mut seen = Vec::new();
    for entry in tar.entries().expect("entries") {
        let entry = entry.expect("entry");
        let header = entry.header();
        assert_eq!(header.entry_type(), tar::EntryType::Regular);
        assert_eq!(header.mode().expect("mode"), 0o644);
        assert_eq!(
            (header.uid().expect("uid"), header.gid().expect("gid")),
            (0, 0)
        );
        assert_eq!(header.username_bytes(), Some(&b""[..]));
        assert_eq!(
            header.mtime().expect("mtime"),
            olares_chart::package::PACKAGE_MTIME
        );
        seen.push(String::from_utf8(entry.path_bytes().into_owned()).expect("utf-8"));
    }
    assert_eq!(
        seen,
        [
            "demo/Chart.yaml",
            "demo/templates/deployment.yaml",
            "demo/values.yaml"
        ]
    );
}

#[test]
fn gzip_header_is_helms() {
    let bytes = write_chart_archive("demo", &demo_files()).expect("writes");
    // magic, deflate, FEXTRA|FCOMMENT, mtime 0, XFL 0, OS unknown, XLEN 44, "rr" subfield.
    assert_eq!(&bytes[..14], b"\x1f\x8b\x08\x14\0\0\0\0\0\xff\x2c\0rr");
    let comment_at = 12 + 44;
    assert_eq!(&bytes[comment_at..comment_at + 5], b"Helm\0");
}

#[test]
fn round_trip_gives_the_same_files() {
    let bytes = write_chart_archive("demo", &demo_files()).expect("writes");
    let archive = read_chart_archive(&bytes, &Limits::default()).expect("reads");
    assert_eq!(archive.top, "demo");
    let mut want = demo_files();
    want.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(archive.files, want);
}

#[test]
fn long_paths_round_trip() {
    let long = format!("templates/{}/{}.yaml", "a".repeat(120), "b".repeat(120));
    let mut files = demo_files();
    files.push(ChartFile::new(long.clone(), "x"));
    let bytes = write_chart_archive("demo", &files).expect("writes");
    let archive = read_chart_archive(&bytes, &Limits::default()).expect("reads");
    assert!(archive.file(&long).is_some());
}

#[test]
fn refuses_paths_the_reader_would_refuse() {
    for bad in ["../x", "/x", "a//b", "./a", "a\\b", ""] {
        let files = [ChartFile::new("Chart.yaml", ""), ChartFile::new(bad, "")];
        let result = write_chart_archive("demo", &files);
        assert!(
            matches!(result, Err(PackageError::InvalidPath { .. })),
            "{bad:?}: {result:?}"
        );
    }
    assert!(matches!(
        write_chart_archive("a/b", &demo_files()),
        Err(PackageError::InvalidTop { .. })
    ));
    assert!(matches!(
        write_chart_archive("..", &demo_files()),
        Err(PackageError::InvalidTop { .. })
    ));
    let twice = [
        ChartFile::new("Chart.yaml", ""),
        ChartFile::new("Chart.yaml", ""),
    ];
    assert!(matches!(
        write_chart_archive("demo", &twice),
        Err(PackageError::DuplicatePath { .. })
    ));
}

/// The files of a chart folder as `helm package` selects them: `.helmignore` plus Helm's
/// default rule, ignored folders skipped whole.
fn chart_folder_files(root: &Path) -> Vec<ChartFile> {
    let rules = fs::read_to_string(root.join(".helmignore")).ok();
    let ignore = HelmIgnore::for_chart(rules.as_deref()).expect("fixture .helmignore parses");
    let mut files = Vec::new();
    walk(root, root, &ignore, &mut files);
    files
}

fn walk(root: &Path, dir: &Path, ignore: &HelmIgnore, out: &mut Vec<ChartFile>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let rel = path
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .into_owned();
        let is_dir = path.is_dir();
        if ignore.ignored(&rel, is_dir) {
            continue;
        }
        if is_dir {
            walk(root, &path, ignore, out);
        } else {
            out.push(ChartFile::new(rel, fs::read(&path).expect("read file")));
        }
    }
}

fn fixture_charts() -> Vec<PathBuf> {
    let base = test_harness::fixtures::fixtures_dir().join("charts");
    let mut charts = Vec::new();
    for group in ["olares", "helm"] {
        let mut dirs: Vec<PathBuf> = fs::read_dir(base.join(group))
            .expect("fixtures")
            .map(|e| e.expect("entry").path())
            .collect();
        dirs.sort();
        charts.extend(dirs.into_iter().filter(|d| d.is_dir()));
    }
    charts
}

#[test]
fn every_fixture_chart_round_trips() {
    let charts = fixture_charts();
    assert!(charts.len() >= 30, "fixtures found: {}", charts.len());
    for chart in charts {
        let name = chart
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let mut files = chart_folder_files(&chart);
        let bytes = write_chart_archive(&name, &files).expect("writes");
        let result = read_chart_archive(&bytes, &Limits::default());
        if !chart.join("Chart.yaml").exists() {
            // The removed-app tombstone has no Chart.yaml.
            assert!(
                matches!(result, Err(ArchiveError::MissingChartYaml { .. })),
                "{name}: {result:?}"
            );
            continue;
        }
        let archive = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        archive
            .require_top(&name)
            .expect("top folder is the chart name");
        files.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(archive.files, files, "{name}");
    }
}
