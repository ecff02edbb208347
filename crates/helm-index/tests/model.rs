//! The index model: incremental updates equal a rebuild, strict reading refuses keys Helm
//! does not know, and what we write reads back unchanged.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use helm_index::{ChartVersion, IndexError, IndexFile, ParseMode, parse_go_time, parse_index};
use olares_chart::chart_yaml::Metadata;

fn entry(name: &str, version: &str) -> ChartVersion {
    let metadata = Metadata {
        name: name.into(),
        version: version.into(),
        api_version: "v2".into(),
        description: format!("{name} at {version}"),
        ..Metadata::default()
    };
    let mut cv = ChartVersion::new(
        metadata,
        format!("charts/{name}-{version}.tgz"),
        format!("{:064x}", name.len() * 1000 + version.len()),
    );
    cv.created = parse_go_time("2026-01-02T03:04:05.5Z").unwrap();
    cv
}

fn fixed(mut index: IndexFile) -> IndexFile {
    index.generated = parse_go_time("2026-01-02T03:04:05Z").unwrap();
    index
}

#[test]
fn incremental_updates_equal_a_rebuild() {
    let all: Vec<(&str, &str)> = (0..50)
        .map(|i| {
            let name: &'static str = Box::leak(format!("app{}", i % 7).into_boxed_str());
            let version: &'static str = Box::leak(format!("1.{}.{}", i % 5, i).into_boxed_str());
            (name, version)
        })
        .collect();
    let mut live = fixed(IndexFile::new());
    for (n, v) in &all {
        live.add(entry(n, v));
        // Serialize between updates so stale cached text would show.
        let _ = live.to_yaml();
    }
    for (n, v) in all.iter().step_by(3) {
        assert_eq!(live.remove(n, v).len(), 1);
        let _ = live.to_yaml();
    }
    let mut rebuilt = fixed(IndexFile::new());
    for (i, (n, v)) in all.iter().enumerate() {
        if i % 3 != 0 {
            rebuilt.add(entry(n, v));
        }
    }
    assert_eq!(live.to_yaml(), rebuilt.to_yaml());
    assert_eq!(live, rebuilt);
    // Newest first within each chart.
    let versions: Vec<&str> = live.versions("app1").iter().map(|v| v.version()).collect();
    let mut sorted = versions.clone();
    helm_index::sort_newest_first(&mut sorted, |s| s);
    assert_eq!(versions, sorted);
}

#[test]
fn removing_the_last_version_removes_the_chart() {
    let mut index = fixed(IndexFile::new());
    index.add(entry("a", "1.0.0"));
    index.add(entry("b", "1.0.0"));
    assert!(index.to_yaml().contains("\n  a:\n"));
    index.remove("a", "1.0.0");
    let text = index.to_yaml();
    assert!(!text.contains("\n  a:\n"), "{text}");
    index.remove_chart("b");
    assert_eq!(
        index.to_yaml(),
        "apiVersion: v1\nentries: {}\ngenerated: \"2026-01-02T03:04:05Z\"\n"
    );
}

#[test]
fn upsert_replaces_a_republished_version() {
    let mut index = fixed(IndexFile::new());
    index.add(entry("a", "1.0.0"));
    let mut again = entry("a", "1.0.0");
    again.digest = "f".repeat(64);
    index.upsert(again);
    assert_eq!(index.versions("a").len(), 1);
    assert_eq!(index.get("a", "1.0.0").unwrap().digest, "f".repeat(64));
}

#[test]
fn what_we_write_reads_back_strictly_and_unchanged() {
    let mut index = fixed(IndexFile::new());
    for (n, v) in [
        ("x", "2.0.0"),
        ("x", "10.0.0-rc.1"),
        ("y", "0.1.0"),
        ("10", "1.0.0"),
    ] {
        index.add(entry(n, v));
    }
    index.annotations.insert("owner".into(), "market".into());
    let text = index.to_yaml();
    let back = parse_index(&text, ParseMode::Strict).unwrap();
    assert_eq!(back.to_yaml(), text);
    assert_eq!(back, index);
}

#[test]
fn strict_reading_refuses_keys_helm_does_not_know() {
    let good = "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a-1.0.0.tgz]\n    digest: abc\ngenerated: \"2026-01-02T03:04:05Z\"\n";
    parse_index(good, ParseMode::Strict).unwrap();
    for (text, path, key) in [
        (
            good.replace("apiVersion: v1", "apiVersion: v1\nextra: 1"),
            "",
            "extra",
        ),
        (
            good.replace("    digest: abc", "    digest: abc\n    appId: x"),
            "entries.a[0]",
            "appId",
        ),
        (
            good.replace(
                "    digest: abc",
                "    digest: abc\n    maintainers:\n    - name: m\n      phone: 1",
            ),
            "entries.a[0].maintainers[0]",
            "phone",
        ),
    ] {
        match parse_index(&text, ParseMode::Strict) {
            Err(IndexError::UnknownField { path: p, key: k }) => {
                assert_eq!((p.as_str(), k.as_str()), (path, key));
            }
            other => panic!("expected an unknown field error, got {other:?}"),
        }
        // Helm itself ignores unknown keys.
        parse_index(&text, ParseMode::Lenient).unwrap();
    }
}

#[test]
fn invalid_entries_are_dropped_leniently_and_refused_strictly() {
    let text = "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: not.a.version\n  - name: a\n    version: 1.0.0\ngenerated: \"2026-01-02T03:04:05Z\"\n";
    let lenient = parse_index(text, ParseMode::Lenient).unwrap();
    assert_eq!(lenient.len(), 1);
    assert!(matches!(
        parse_index(text, ParseMode::Strict),
        Err(IndexError::InvalidEntry { .. })
    ));
    assert!(matches!(
        parse_index("entries: {}\n", ParseMode::Lenient),
        Err(IndexError::NoApiVersion)
    ));
    assert!(matches!(
        parse_index("", ParseMode::Lenient),
        Err(IndexError::Syntax(_))
    ));
    assert!(matches!(
        parse_index(
            "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    created: yesterday\n",
            ParseMode::Lenient
        ),
        Err(IndexError::BadField { .. })
    ));
}
