//! The capped reader: one test per refusal, plus the shapes it must accept.

mod common;

use std::io::{self, Read};

use common::{dir, file, gzip, minimal_chart, special, tar, tgz};
use olares_chart::{ArchiveError, Limits, read_chart_archive, read_chart_archive_from};
use tar::EntryType;

const CHART: &[u8] = b"apiVersion: v2\nname: demo\nversion: 0.1.0\n";

fn read(bytes: &[u8]) -> Result<olares_chart::ChartArchive, ArchiveError> {
    read_chart_archive(bytes, &Limits::default())
}

#[test]
fn accepts_a_minimal_chart_and_digests_the_input() {
    let bytes = minimal_chart("demo");
    let archive = read(&bytes).expect("valid chart");
    assert_eq!(archive.top, "demo");
    let paths: Vec<&str> = archive.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["Chart.yaml", "values.yaml"]);
    assert_eq!(
        archive.file("values.yaml").map(|f| f.data.as_slice()),
        Some(&b"a: 1\n"[..])
    );
    use sha2::Digest;
    assert_eq!(
        archive.sha256_hex(),
        hex::encode(sha2::Sha256::digest(&bytes))
    );
}

#[test]
fn accepts_folder_entries_and_dot_slash_names() {
    let bytes = tgz(&[
        dir("./"),
        dir("./demo/"),
        dir("./demo/templates/"),
        file("./demo/Chart.yaml", CHART),
    ]);
    let archive = read(&bytes).expect("valid chart");
    assert_eq!(archive.top, "demo");
    assert_eq!(archive.files.len(), 1);
}

#[test]
fn accepts_long_names_through_tar_extensions() {
    let long = format!("demo/templates/{}/x.yaml", "d".repeat(150));
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in [("demo/Chart.yaml", CHART), (long.as_str(), b"x".as_slice())] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, name, data)
            .expect("append");
    }
    let bytes = gzip(&builder.into_inner().expect("finish"));
    let archive = read(&bytes).expect("long names are fine");
    assert_eq!(archive.files[1].path, long.trim_start_matches("demo/"));
}

#[test]
fn refuses_parent_traversal() {
    let bytes = tgz(&[
        file("demo/Chart.yaml", CHART),
        file("demo/../../etc/cron.d/x", b"x"),
    ]);
    assert!(
        matches!(read(&bytes), Err(ArchiveError::PathTraversal { entry }) if entry == "demo/../../etc/cron.d/x")
    );
}

#[test]
fn refuses_absolute_paths() {
    let bytes = tgz(&[file("/demo/Chart.yaml", CHART)]);
    assert!(
        matches!(read(&bytes), Err(ArchiveError::AbsolutePath { entry }) if entry == "/demo/Chart.yaml")
    );
}

#[test]
fn refuses_empty_names() {
    let bytes = tgz(&[file("demo/Chart.yaml", CHART), file("", b"x")]);
    assert!(matches!(
        read(&bytes),
        Err(ArchiveError::EmptyName { index: 2 })
    ));
}

#[test]
fn refuses_backslash_names() {
    let bytes = tgz(&[file("demo/Chart.yaml", CHART), file("demo\\..\\x", b"x")]);
    assert!(
        matches!(read(&bytes), Err(ArchiveError::UnsafeName { entry, .. }) if entry == "demo\\..\\x")
    );
}

#[test]
fn refuses_symlinks() {
    let bytes = tgz(&[
        file("demo/Chart.yaml", CHART),
        special("demo/values.yaml", EntryType::Symlink, "/etc/passwd"),
    ]);
    assert!(
        matches!(read(&bytes), Err(ArchiveError::Link { entry }) if entry == "demo/values.yaml")
    );
}

#[test]
fn refuses_hardlinks() {
    let bytes = tgz(&[
        file("demo/Chart.yaml", CHART),
        special("demo/x", EntryType::Link, "demo/Chart.yaml"),
    ]);
    assert!(matches!(read(&bytes), Err(ArchiveError::Link { entry }) if entry == "demo/x"));
}

#[test]
fn refuses_devices_and_fifos() {
    for (kind, name) in [
        (EntryType::Char, "character device"),
        (EntryType::Block, "block device"),
        (EntryType::Fifo, "fifo"),
    ] {
        let bytes = tgz(&[
            file("demo/Chart.yaml", CHART),
            special("demo/dev", kind, ""),
        ]);
        match read(&bytes) {
            Err(ArchiveError::SpecialFile { entry, kind }) => {
                assert_eq!((entry.as_str(), kind), ("demo/dev", name));
            }
            other => panic!("expected SpecialFile for {name}, got {other:?}"),
        }
    }
}

#[test]
fn refuses_two_top_folders() {
    let bytes = tgz(&[
        file("demo/Chart.yaml", CHART),
        file("other/Chart.yaml", CHART),
    ]);
    assert!(matches!(
        read(&bytes),
        Err(ArchiveError::MultipleTopFolders { first, second }) if first == "demo" && second == "other"
    ));
}

#[test]
fn refuses_files_at_the_top_level() {
    let bytes = tgz(&[file("Chart.yaml", CHART)]);
    assert!(
        matches!(read(&bytes), Err(ArchiveError::FileAtTopLevel { entry }) if entry == "Chart.yaml")
    );
}

#[test]
fn refuses_duplicate_and_conflicting_paths() {
    let twice = tgz(&[
        file("demo/Chart.yaml", CHART),
        file("demo/Chart.yaml", b"name: evil\n"),
    ]);
    assert!(
        matches!(read(&twice), Err(ArchiveError::DuplicateEntry { entry }) if entry == "demo/Chart.yaml")
    );
    let both = tgz(&[
        file("demo/Chart.yaml", CHART),
        file("demo/a", b""),
        file("demo/a/b", b""),
    ]);
    assert!(
        matches!(read(&both), Err(ArchiveError::PathConflict { entry }) if entry == "demo/a/b")
    );
}

#[test]
fn checks_the_expected_top_folder() {
    let archive = read(&minimal_chart("demo")).expect("valid chart");
    assert!(archive.require_top("demo").is_ok());
    assert!(matches!(
        archive.require_top("other"),
        Err(ArchiveError::WrongTopFolder { expected, found }) if expected == "other" && found == "demo"
    ));
}

#[test]
fn refuses_too_many_entries() {
    let names: Vec<String> = (0..20).map(|i| format!("demo/f{i}")).collect();
    let mut entries = vec![file("demo/Chart.yaml", CHART)];
    entries.extend(names.iter().map(|n| file(n, b"")));
    let limits = Limits {
        max_entries: 10,
        ..Limits::default()
    };
    let result = read_chart_archive(&tgz(&entries), &limits);
    assert!(matches!(
        result,
        Err(ArchiveError::TooManyEntries { limit: 10 })
    ));
}

#[test]
fn refuses_too_many_unpacked_bytes_while_reading() {
    let big = vec![7u8; 64 * 1024];
    let names: Vec<String> = (0..8).map(|i| format!("demo/f{i}")).collect();
    let mut entries = vec![file("demo/Chart.yaml", CHART)];
    entries.extend(names.iter().map(|n| file(n, &big)));
    let limits = Limits {
        max_unpacked_bytes: 200 * 1024,
        max_ratio: u64::MAX,
        ..Limits::default()
    };
    let result = read_chart_archive(&tgz(&entries), &limits);
    assert!(matches!(result, Err(ArchiveError::TooLarge { limit }) if limit == 200 * 1024));
}

#[test]
fn refuses_a_file_over_helms_per_file_limit() {
    let big = vec![b'x'; 6 * 1024 * 1024];
    let bytes = tgz(&[file("demo/Chart.yaml", CHART), file("demo/big.yaml", &big)]);
    assert!(
        matches!(read(&bytes), Err(ArchiveError::FileTooLarge { entry, .. }) if entry == "demo/big.yaml")
    );
}

#[test]
fn refuses_input_over_the_compressed_limit() {
    let bytes = minimal_chart("demo");
    let limits = Limits {
        max_compressed_bytes: 64,
        ..Limits::default()
    };
    let result = read_chart_archive(&bytes, &limits);
    assert!(matches!(
        result,
        Err(ArchiveError::InputTooLarge { limit: 64 })
    ));
}

/// Counts how much of the compressed input the reader pulled before it stopped.
struct Spy<'a> {
    inner: &'a [u8],
    taken: usize,
}

impl Read for Spy<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken += n;
        Ok(n)
    }
}

/// A tar header announcing `size` bytes of zeros, then the zeros, gzip'd as 1 MiB members
/// (compressing 1 MiB once keeps the test fast; concatenated members are one gzip stream).
fn gzip_bomb(mib: usize) -> Vec<u8> {
    let size = mib * 1024 * 1024;
    let zeros = vec![0u8; 1024 * 1024];
    let member = gzip(&zeros);
    let mut head = common::header(&common::Raw {
        name: b"demo/bomb",
        kind: EntryType::Regular,
        data: b"",
        link: b"",
    });
    head.set_size(size as u64);
    head.set_cksum();
    let mut out = tgz_prefix(head.as_bytes());
    for _ in 0..mib {
        out.extend_from_slice(&member);
    }
    out
}

fn tgz_prefix(header: &[u8]) -> Vec<u8> {
    let mut first = tar(&[file("demo/Chart.yaml", CHART)]);
    first.truncate(first.len() - 1024);
    first.extend_from_slice(header);
    gzip(&first)
}

#[test]
fn stops_a_gzip_bomb_early() {
    let bomb = gzip_bomb(200);
    // Give the file limit room so the ratio is what trips.
    let limits = Limits {
        max_file_bytes: u64::MAX,
        max_unpacked_bytes: u64::MAX,
        ..Limits::default()
    };
    let mut spy = Spy {
        inner: &bomb,
        taken: 0,
    };
    let result = read_chart_archive_from(&mut spy, &limits);
    assert!(
        matches!(result, Err(ArchiveError::CompressionRatio { limit: 100 })),
        "{result:?}"
    );
    assert!(
        spy.taken < bomb.len() / 10,
        "read {} of {} bytes",
        spy.taken,
        bomb.len()
    );
}

#[test]
fn stops_a_single_member_bomb_by_ratio() {
    let mut zeros = tar(&[file("demo/Chart.yaml", CHART)]);
    zeros.resize(zeros.len() + 20 * 1024 * 1024, 0);
    let result = read(&gzip(&zeros));
    assert!(
        matches!(result, Err(ArchiveError::CompressionRatio { limit: 100 })),
        "{result:?}"
    );
}

#[test]
fn refuses_truncated_gzip() {
    let bytes = minimal_chart("demo");
    for cut in [1, 10, bytes.len() / 2, bytes.len() - 4] {
        let result = read(&bytes[..cut]);
        assert!(
            matches!(result, Err(ArchiveError::Corrupt { .. })),
            "cut at {cut}: {result:?}"
        );
    }
}

#[test]
fn refuses_a_truncated_tar_inside_valid_gzip() {
    let whole = tar(&[
        file("demo/Chart.yaml", CHART),
        file("demo/values.yaml", &[b'v'; 2000]),
    ]);
    let result = read(&gzip(&whole[..1500]));
    assert!(
        matches!(result, Err(ArchiveError::Corrupt { .. })),
        "{result:?}"
    );
}

#[test]
fn refuses_corrupt_gzip_and_tar() {
    let mut flipped = minimal_chart("demo");
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0xff;
    assert!(matches!(read(&flipped), Err(ArchiveError::Corrupt { .. })));
    assert!(matches!(
        read(b"not a gzip at all"),
        Err(ArchiveError::Corrupt { .. })
    ));
    let mut bad_checksum = tar(&[file("demo/Chart.yaml", CHART)]);
    bad_checksum[0] = b'X';
    assert!(matches!(
        read(&gzip(&bad_checksum)),
        Err(ArchiveError::Corrupt { .. })
    ));
}

#[test]
fn ignores_trailing_garbage_after_gzip_like_gzip_does() {
    let mut bytes = minimal_chart("demo");
    let digest_before = read(&bytes).expect("valid").sha256;
    bytes.extend_from_slice(b"\0\0\0trailing garbage");
    let archive = read(&bytes).expect("trailing garbage is ignored");
    assert_ne!(
        archive.sha256, digest_before,
        "the digest covers every input byte"
    );
}

#[test]
fn ignores_data_after_the_tar_end_marker() {
    let mut inner = tar(&[file("demo/Chart.yaml", CHART)]);
    inner.extend_from_slice(b"junk after the end-of-archive marker");
    assert!(read(&gzip(&inner)).is_ok());
}

#[test]
fn reads_concatenated_gzip_members() {
    let whole = tar(&[
        file("demo/Chart.yaml", CHART),
        file("demo/values.yaml", b"a: 1\n"),
    ]);
    let (a, b) = whole.split_at(700);
    let mut bytes = gzip(a);
    bytes.extend_from_slice(&gzip(b));
    assert_eq!(read(&bytes).expect("two members").files.len(), 2);
}

#[test]
fn refuses_a_chart_without_chart_yaml() {
    let bytes = tgz(&[file("demo/values.yaml", b"a: 1\n")]);
    assert!(matches!(read(&bytes), Err(ArchiveError::MissingChartYaml { top }) if top == "demo"));
    let nested = tgz(&[file("demo/sub/Chart.yaml", CHART)]);
    assert!(matches!(
        read(&nested),
        Err(ArchiveError::MissingChartYaml { .. })
    ));
}

#[test]
fn refuses_an_empty_archive() {
    assert!(matches!(read(&tgz(&[])), Err(ArchiveError::Empty)));
}

#[test]
fn reports_the_callers_read_error() {
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::new(
                io::ErrorKind::PermissionDenied,
                "disk says no",
            ))
        }
    }
    let result = read_chart_archive_from(Broken, &Limits::default());
    assert!(
        matches!(result, Err(ArchiveError::Read { source }) if source.kind() == io::ErrorKind::PermissionDenied)
    );
}

#[test]
fn error_messages_are_sentences_naming_the_entry() {
    let error = ArchiveError::PathTraversal {
        entry: "demo/../x".into(),
    };
    assert_eq!(
        error.to_string(),
        "archive entry `demo/../x` climbs out of the chart folder with `..`"
    );
}
