//! The capped reader on mutated packages: edits of the gzip stream, edits of the tar stream
//! (re-gzipped) with odd headers and inserted entries (pax and GNU long-name records, links,
//! folders, `..`), and raw bytes. Properties: `read_chart_archive` returns a typed result and
//! never panics; an `Ok` archive keeps every invariant (one normal top folder, normal unique
//! paths, `Chart.yaml` present) and every limit (entries, file size, unpacked bytes, ratio,
//! input size); the SHA-256 covers the input; reading in small chunks gives the same answer;
//! and a package whose gzip stream was damaged either fails or still holds the same files.

use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock};

use flate2::Compression;
use flate2::write::GzEncoder;
use olares_chart::{
    ArchiveError, ChartArchive, Limits, read_chart_archive, read_chart_archive_from,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use sha2::{Digest, Sha256};
use tar::{EntryType, Header};
use test_harness::fuzz::{self, Budget, Edit};

use crate::{Packaged, packaged};

/// Small limits, so that fuzzed inputs actually reach them.
fn small_limits() -> Limits {
    Limits {
        max_entries: 12,
        max_unpacked_bytes: 96 * 1024,
        max_file_bytes: 8 * 1024,
        max_compressed_bytes: 48 * 1024,
        max_ratio: 8,
        ratio_grace_bytes: 16 * 1024,
    }
}

/// The fixture packages small enough to mutate quickly (a debug build inflates slowly).
fn corpus() -> Arc<Vec<Packaged>> {
    static CORPUS: OnceLock<Arc<Vec<Packaged>>> = OnceLock::new();
    CORPUS.get_or_init(|| Arc::new(packaged(48 * 1024))).clone()
}

/// A component of a path the reader returned is normal.
fn normal_component(c: &str) -> bool {
    !c.is_empty() && c != "." && c != ".." && !c.contains('\\')
}

/// Everything an `Ok` archive must satisfy, and what an error must say about the limits.
fn check_result(
    input: &[u8],
    limits: &Limits,
    result: &Result<ChartArchive, ArchiveError>,
) -> Result<(), TestCaseError> {
    let archive = match result {
        Ok(archive) => archive,
        Err(e) => {
            prop_assert!(!e.to_string().is_empty());
            let limit = match e {
                ArchiveError::TooManyEntries { limit } => Some((*limit, limits.max_entries)),
                ArchiveError::TooLarge { limit } => Some((*limit, limits.max_unpacked_bytes)),
                ArchiveError::FileTooLarge { limit, .. } => Some((*limit, limits.max_file_bytes)),
                ArchiveError::InputTooLarge { limit } => {
                    Some((*limit, limits.max_compressed_bytes))
                }
                ArchiveError::CompressionRatio { limit } => Some((*limit, limits.max_ratio)),
                _ => None,
            };
            if let Some((said, set)) = limit {
                prop_assert_eq!(said, set, "{} names another limit", e);
            }
            prop_assert!(
                !matches!(e, ArchiveError::Read { .. }),
                "in-memory input cannot fail to read: {e}"
            );
            return Ok(());
        }
    };
    let top = &archive.top;
    prop_assert!(
        normal_component(top) && !top.contains('/'),
        "top folder {top:?}"
    );
    let mut seen = std::collections::HashSet::new();
    let mut total = 0u64;
    for file in &archive.files {
        prop_assert!(!file.path.starts_with('/'), "absolute {:?}", file.path);
        prop_assert!(
            file.path.split('/').all(normal_component),
            "abnormal path {:?}",
            file.path
        );
        prop_assert!(seen.insert(file.path.as_str()), "twice: {:?}", file.path);
        prop_assert!(
            file.data.len() as u64 <= limits.max_file_bytes,
            "{} holds {} bytes",
            file.path,
            file.data.len()
        );
        total += file.data.len() as u64;
    }
    prop_assert!(archive.file("Chart.yaml").is_some(), "no Chart.yaml");
    prop_assert!(archive.files.len() as u64 <= limits.max_entries);
    prop_assert!(total <= limits.max_unpacked_bytes);
    let ratio_cap = limits
        .ratio_grace_bytes
        .max((input.len() as u64).saturating_mul(limits.max_ratio));
    prop_assert!(
        total <= ratio_cap,
        "{total} bytes from {} compressed",
        input.len()
    );
    prop_assert!(input.len() as u64 <= limits.max_compressed_bytes);
    prop_assert_eq!(archive.sha256, <[u8; 32]>::from(Sha256::digest(input)));
    Ok(())
}

/// What a result says, to compare two reads of the same bytes.
fn summary(result: &Result<ChartArchive, ArchiveError>) -> String {
    match result {
        Ok(a) => format!("ok {} {:?}", a.top, a.files),
        Err(e) => format!("error {e}"),
    }
}

/// A reader handing out the input a few bytes at a time, as a socket may.
struct Chunked<'a> {
    data: &'a [u8],
    sizes: &'a [usize],
    turn: usize,
}

impl Read for Chunked<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let n = size.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The whole contract on one input, with the project's limits and with small ones.
fn check_input(input: &[u8], sizes: &[usize]) -> Result<(), TestCaseError> {
    for limits in [Limits::default(), small_limits()] {
        let whole = read_chart_archive(input, &limits);
        check_result(input, &limits, &whole)?;
        let chunked = read_chart_archive_from(
            Chunked {
                data: input,
                sizes,
                turn: 0,
            },
            &limits,
        );
        prop_assert_eq!(
            summary(&whole),
            summary(&chunked),
            "reading in chunks of {:?} changed the answer",
            sizes
        );
    }
    Ok(())
}

const GZIP_DICTIONARY: &[&[u8]] = &[
    b"\x1f\x8b",
    b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff",
    b"\x1f",
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\x03\x00",
];

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..700, 1..6)
}

#[test]
fn damaged_gzip_streams() {
    let corpus = corpus();
    let seeds: Vec<(String, Vec<u8>)> = corpus
        .iter()
        .map(|p| (p.top.clone(), p.tgz.clone()))
        .collect();
    fuzz::check(
        "chart.damaged_gzip_streams",
        Budget::cases(300),
        (fuzz::mutated(seeds, GZIP_DICTIONARY, 4), chunk_sizes()),
        |(m, sizes)| {
            check_input(&m.bytes, &sizes)?;
            // CRC-32 and the length trailer guard the content: what still reads is the chart.
            if let Ok(archive) = read_chart_archive(&m.bytes, &Limits::default()) {
                let original = corpus.iter().find(|p| p.top == m.source).unwrap();
                prop_assert_eq!(&archive.top, &original.top);
                prop_assert!(
                    archive.files == original.files,
                    "files changed but still read"
                );
            }
            Ok(())
        },
    );
}

/// The uncompressed tar the writer would produce for `p` (same layout, no gzip).
fn tar_of(p: &Packaged) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for file in &p.files {
        let mut header = Header::new_ustar();
        header.set_entry_type(EntryType::Regular);
        header.set_mode(0o644);
        header.set_mtime(946_684_800);
        header.set_size(file.data.len() as u64);
        builder
            .append_data(&mut header, format!("{}/{}", p.top, file.path), &*file.data)
            .unwrap();
    }
    builder.into_inner().unwrap()
}

/// Offsets of the headers of a well-formed tar (before any edit).
fn header_offsets(tar: &[u8]) -> Vec<usize> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 512 <= tar.len() && tar[at..at + 512].iter().any(|&b| b != 0) {
        out.push(at);
        let size = Header::from_byte_slice(&tar[at..at + 512])
            .entry_size()
            .unwrap();
        at += 512 + (size as usize).div_ceil(512) * 512;
    }
    out.push(at);
    out
}

/// A field of a tar header: its offset and length.
#[derive(Clone, Copy, Debug)]
enum Field {
    Name,
    Mode,
    Uid,
    Size,
    Mtime,
    Checksum,
    Type,
    Link,
    Magic,
    Prefix,
}

impl Field {
    fn span(self) -> (usize, usize) {
        match self {
            Field::Name => (0, 100),
            Field::Mode => (100, 8),
            Field::Uid => (108, 8),
            Field::Size => (124, 12),
            Field::Mtime => (136, 12),
            Field::Checksum => (148, 8),
            Field::Type => (156, 1),
            Field::Link => (157, 100),
            Field::Magic => (257, 8),
            Field::Prefix => (345, 155),
        }
    }
}

/// Writes the header checksum as tar does.
fn set_checksum(header: &mut [u8]) {
    header[148..156].fill(b' ');
    let sum: u32 = header.iter().map(|&b| u32::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    header[148..156].copy_from_slice(text.as_bytes());
}

/// An edit of the tar stream that knows where headers are.
#[derive(Clone, Debug)]
enum TarEdit {
    /// Overwrites a field of header `entry` (NUL-padded), re-summing unless `keep_sum`.
    SetField {
        entry: usize,
        field: Field,
        value: Vec<u8>,
        keep_sum: bool,
    },
    /// Inserts an entry (header and data) before header `entry`.
    InsertEntry {
        entry: usize,
        name: Vec<u8>,
        kind: u8,
        link: Vec<u8>,
        data: Vec<u8>,
    },
    /// A byte edit anywhere.
    Bytes(Edit),
}

fn raw_header(name: &[u8], kind: u8, link: &[u8], size: usize) -> [u8; 512] {
    let mut h = Header::new_ustar();
    h.set_mode(0o644);
    h.set_size(size as u64);
    h.set_mtime(946_684_800);
    let mut bytes = *h.as_bytes();
    let n = name.len().min(100);
    bytes[..n].copy_from_slice(&name[..n]);
    let l = link.len().min(100);
    bytes[157..157 + l].copy_from_slice(&link[..l]);
    bytes[156] = kind;
    set_checksum(&mut bytes);
    bytes
}

impl TarEdit {
    fn apply(&self, tar: &mut Vec<u8>, offsets: &[usize]) {
        match self {
            TarEdit::SetField {
                entry,
                field,
                value,
                keep_sum,
            } => {
                let at = offsets[entry % offsets.len()];
                if at + 512 > tar.len() {
                    return;
                }
                let (start, len) = field.span();
                let dest = &mut tar[at + start..at + start + len];
                dest.fill(0);
                let n = value.len().min(len);
                dest[..n].copy_from_slice(&value[..n]);
                if !keep_sum {
                    set_checksum(&mut tar[at..at + 512]);
                }
            }
            TarEdit::InsertEntry {
                entry,
                name,
                kind,
                link,
                data,
            } => {
                let at = offsets[entry % offsets.len()].min(tar.len());
                let mut block = raw_header(name, *kind, link, data.len()).to_vec();
                block.extend_from_slice(data);
                block.resize(block.len().div_ceil(512) * 512, 0);
                tar.splice(at..at, block);
            }
            TarEdit::Bytes(edit) => edit.apply(tar),
        }
    }
}

fn bytes_of(items: Vec<&'static str>) -> impl Strategy<Value = Vec<u8>> + Clone {
    prop::sample::select(items).prop_map(|s| s.as_bytes().to_vec())
}

/// Names that test every refusal and odd-but-fine shape; `T` is replaced by the top folder.
fn entry_name() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        bytes_of(vec![
            "T/extra.yaml",
            "T/../../etc/x",
            "/T/abs",
            "T\\..\\x",
            "T/c:/x",
            "",
            "./",
            ".",
            "./T/./templates//a.yaml",
            "T/Chart.yaml",
            "T/Chart.yaml/x",
            "T/templates",
            "other/Chart.yaml",
            "T",
            "T/",
            "..",
            "T/a/../../..",
            "T/\u{e9}.yaml",
        ]),
        prop::collection::vec(any::<u8>(), 0..12),
        (1usize..100).prop_map(|n| format!("T/{}", "d".repeat(n)).into_bytes()),
    ]
}

/// Contents of inserted entries: pax records (good, lying, malformed), long names, bytes.
fn entry_data() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        bytes_of(vec![
            "30 path=T/templates/long.yaml\n",
            "21 path=../../evil\n",
            "16 path=/etc/x\n",
            "21 size=99999999999\n",
            "12 size=-1\n",
            "18 linkpath=/etc\n",
            "5 x\n",
            "0 \n",
            "99999999999999999999 path=x\n",
            "14 path=T/\u{ff}\n",
            "T/templates/from-long-name.yaml",
            "../escape",
            "apiVersion: v2\nname: x\nversion: 1.0.0\n",
        ]),
        prop::collection::vec(any::<u8>(), 0..1200),
        (100usize..2000).prop_map(|n| format!("T/{}", "n".repeat(n)).into_bytes()),
    ]
}

/// Values for header fields: octal, huge, negative and garbage numbers, odd types and magics.
fn field_value() -> impl Strategy<Value = Vec<u8>> + Clone {
    prop_oneof![
        bytes_of(vec![
            "77777777777",
            "00000001000",
            "0",
            "",
            "zzzz",
            " 12 ",
            "-1",
            "1e9",
            "0x10",
            "7777777",
            "ustar\u{0}00",
            "ustar  \u{0}",
            "xxxxxx",
            "../../x",
            "/abs",
        ]),
        Just(vec![0x80, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]),
        Just(vec![0xff; 12]),
        prop::collection::vec(any::<u8>(), 0..16),
    ]
}

fn entry_kind() -> impl Strategy<Value = u8> + Clone {
    prop_oneof![
        prop::sample::select(b"0125673gxLKSVMA\0".to_vec()),
        any::<u8>(),
    ]
}

fn tar_edit() -> impl Strategy<Value = TarEdit> {
    let field = prop::sample::select(vec![
        Field::Name,
        Field::Mode,
        Field::Uid,
        Field::Size,
        Field::Mtime,
        Field::Checksum,
        Field::Type,
        Field::Link,
        Field::Magic,
        Field::Prefix,
    ]);
    prop_oneof![
        3 => (0usize..64, field, prop_oneof![field_value(), entry_name(), entry_kind().prop_map(|k| vec![k])], any::<bool>())
            .prop_map(|(entry, field, value, keep)| TarEdit::SetField {
                entry,
                field,
                value,
                keep_sum: keep && entry % 4 == 0,
            }),
        3 => (0usize..64, entry_name(), entry_kind(), entry_name(), entry_data())
            .prop_map(|(entry, name, kind, link, data)| TarEdit::InsertEntry { entry, name, kind, link, data }),
        2 => fuzz::edit(&[b"\0", b"ustar", b"../", b"/"]).prop_map(TarEdit::Bytes),
    ]
}

/// A mutated tar: the fixture it came from and its edits (the bytes are rebuilt in the test).
#[derive(Clone, Debug)]
struct TarCase {
    chart: usize,
    edits: Vec<TarEdit>,
}

impl TarCase {
    fn tgz(&self, corpus: &[Packaged]) -> Vec<u8> {
        let p = &corpus[self.chart % corpus.len()];
        let mut tar = tar_of(p);
        let offsets = header_offsets(&tar);
        for edit in &self.edits {
            let mut edit = edit.clone();
            // Names spelled with `T` mean "under this chart's top folder".
            let top = p.top.as_bytes();
            let fix = |v: &mut Vec<u8>| {
                if let Some(i) = v.iter().position(|&b| b == b'T') {
                    v.splice(i..=i, top.iter().copied());
                }
            };
            match &mut edit {
                TarEdit::InsertEntry {
                    name, link, data, ..
                } => {
                    fix(name);
                    fix(link);
                    fix(data);
                }
                TarEdit::SetField { value, .. } => fix(value),
                TarEdit::Bytes(_) => {}
            }
            edit.apply(&mut tar, &offsets);
        }
        let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
        gz.write_all(&tar).unwrap();
        gz.finish().unwrap()
    }
}

#[test]
fn odd_tar_streams() {
    let corpus = corpus();
    fuzz::check(
        "chart.odd_tar_streams",
        Budget::cases(300),
        (
            0..corpus.len(),
            prop::collection::vec(tar_edit(), 1..5),
            chunk_sizes(),
        )
            .prop_map(|(chart, edits, sizes)| (TarCase { chart, edits }, sizes)),
        |(case, sizes)| check_input(&case.tgz(&corpus), &sizes),
    );
}

#[test]
fn raw_bytes_and_gzipped_garbage() {
    fuzz::check(
        "chart.raw_bytes",
        Budget::cases(300),
        (
            prop::collection::vec(any::<u8>(), 0..4096),
            any::<bool>(),
            chunk_sizes(),
        ),
        |(bytes, gzip, sizes)| {
            let input = if gzip {
                crate::common::gzip(&bytes)
            } else {
                bytes
            };
            check_input(&input, &sizes)
        },
    );
}

/// Regression, found while writing `damaged_gzip_streams`' chunked-read property: trailing
/// bytes after the last gzip member starting with 0x1f were an error when the source handed
/// out that byte alone (the boundary check took a lone 0x1f for a new member) and ignored
/// otherwise. Fixed in `archive/stream.rs` (`member_prefix`).
#[test]
fn regression_trailing_bytes_read_alike_in_any_chunking() {
    let tgz = crate::common::minimal_chart("demo");
    for tail in [
        &b"\x1f"[..],
        b"\x1f\x00",
        b"\x00\x1f",
        b"garbage",
        b"\x1f\x8b",
    ] {
        let mut input = tgz.clone();
        input.extend_from_slice(tail);
        for sizes in [&[1usize][..], &[tgz.len()], &[tgz.len() - 1, 1, 1]] {
            let whole = read_chart_archive(&input, &Limits::default());
            let chunked = read_chart_archive_from(
                Chunked {
                    data: &input,
                    sizes,
                    turn: 0,
                },
                &Limits::default(),
            );
            assert_eq!(
                summary(&whole),
                summary(&chunked),
                "tail {tail:?}, reads of {sizes:?}"
            );
        }
    }
}
