//! The capped chart archive reader: a gzip'd tar in, the top folder name and its regular files
//! out. It owns every refusal of hostile archives (traversal, links, devices, bombs, too many
//! entries) and checks limits while decompressing, never after. It never writes to disk and
//! never parses the chart's YAML.

mod entry_path;
mod stream;

use std::collections::HashSet;
use std::io::{self, BufReader, Read};
use std::rc::Rc;

use tar::EntryType;

use entry_path::PathProblem;
use stream::{GzipMembers, HashingReader, Meter, Trip, UnpackedCounter};

pub(crate) use entry_path::check_normal;

/// The name every chart must hold at the root of its top folder.
pub const CHART_YAML: &str = "Chart.yaml";

const MIB: u64 = 1024 * 1024;

/// Limits of the reader. `Default` gives the project's limits (DESIGN.md §4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Most tar entries (files, folders, anything else) an archive may hold.
    pub max_entries: u64,
    /// Most bytes the decompressed tar stream may have (headers and padding included).
    pub max_unpacked_bytes: u64,
    /// Largest single file; Helm's loader refuses files over 5 MiB (`MaxDecompressedFileSize`).
    pub max_file_bytes: u64,
    /// Most compressed bytes read from the input, trailing bytes included.
    pub max_compressed_bytes: u64,
    /// Most unpacked bytes per compressed byte, checked on every read.
    pub max_ratio: u64,
    /// The ratio is only enforced past this many unpacked bytes: a tiny chart's tar padding
    /// compresses very well, and a small output is harmless whatever its ratio.
    pub ratio_grace_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_entries: 10_000,
            max_unpacked_bytes: 100 * MIB,
            max_file_bytes: 5 * MIB,
            max_compressed_bytes: 100 * MIB,
            max_ratio: 100,
            ratio_grace_bytes: MIB,
        }
    }
}

/// One regular file of a chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartFile {
    /// Path inside the top folder, `/`-separated and normal (`templates/deployment.yaml`).
    pub path: String,
    /// The file's bytes, unchanged (a UTF-8 BOM is kept; Helm strips it when loading).
    pub data: Vec<u8>,
}

impl ChartFile {
    pub fn new(path: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self {
            path: path.into(),
            data: data.into(),
        }
    }
}

/// A chart archive that passed every check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartArchive {
    /// The single top folder (Helm names it after the chart).
    pub top: String,
    /// Regular files in archive order; folders are implied by the paths.
    pub files: Vec<ChartFile>,
    /// SHA-256 of the whole compressed input, as `helm repo index` digests a package.
    pub sha256: [u8; 32],
}

impl ChartArchive {
    /// The digest as lower-case hex, the form of an index entry's `digest`.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256)
    }

    /// The file at `path` inside the top folder.
    pub fn file(&self, path: &str) -> Option<&ChartFile> {
        self.files.iter().find(|f| f.path == path)
    }

    /// Refuses an archive whose top folder is not `expected` (app-service reads
    /// `ChartsPath/{name}`, so a package must unpack to a folder named after its chart).
    pub fn require_top(&self, expected: &str) -> Result<(), ArchiveError> {
        if self.top == expected {
            return Ok(());
        }
        Err(ArchiveError::WrongTopFolder {
            expected: expected.to_owned(),
            found: self.top.clone(),
        })
    }
}

/// Why an archive was refused. Every variant but `Read` is about the bytes themselves, so it
/// is permanent: the same archive fails the same way on every try.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("archive entry `{entry}` climbs out of the chart folder with `..`")]
    PathTraversal { entry: String },
    #[error("archive entry `{entry}` has an absolute path")]
    AbsolutePath { entry: String },
    #[error("archive entry number {index} has an empty name")]
    EmptyName { index: u64 },
    #[error("archive entry `{entry}` has an unsafe name: it {reason}")]
    UnsafeName { entry: String, reason: &'static str },
    #[error("archive entry `{entry}` has a name that is not UTF-8")]
    NonUtf8Name { entry: String },
    #[error("archive entry `{entry}` is a link; a chart may hold only files and folders")]
    Link { entry: String },
    #[error("archive entry `{entry}` is a {kind}; a chart may hold only files and folders")]
    SpecialFile { entry: String, kind: &'static str },
    #[error("archive entry `{entry}` is a file outside the chart's top folder")]
    FileAtTopLevel { entry: String },
    #[error("the archive has more than one top folder: `{first}` and `{second}`")]
    MultipleTopFolders { first: String, second: String },
    #[error("archive entry `{entry}` appears more than once")]
    DuplicateEntry { entry: String },
    #[error("archive entry `{entry}` is both a file and a folder")]
    PathConflict { entry: String },
    #[error("the archive has more than {limit} entries")]
    TooManyEntries { limit: u64 },
    #[error("the archive unpacks to more than {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("archive entry `{entry}` is larger than the {limit} bytes a chart file may have")]
    FileTooLarge { entry: String, limit: u64 },
    #[error("the archive is larger than {limit} bytes")]
    InputTooLarge { limit: u64 },
    #[error("the archive unpacks to more than {limit} times its compressed size")]
    CompressionRatio { limit: u64 },
    #[error("the archive is not a valid gzip-compressed tar: {reason}")]
    Corrupt { reason: String },
    #[error("reading the archive failed: {source}")]
    Read { source: io::Error },
    #[error("the archive holds no files")]
    Empty,
    #[error("the chart folder `{top}` has no Chart.yaml")]
    MissingChartYaml { top: String },
    #[error("the archive's top folder is `{found}`, expected `{expected}`")]
    WrongTopFolder { expected: String, found: String },
}

/// Reads a chart archive held in memory. See [`read_chart_archive_from`].
pub fn read_chart_archive(bytes: &[u8], limits: &Limits) -> Result<ChartArchive, ArchiveError> {
    read_chart_archive_from(bytes, limits)
}

/// Reads a chart archive from a stream (an upload spooled to a file, a download), checking
/// every limit while decompressing. The whole input is read, so `sha256` covers every byte.
pub fn read_chart_archive_from<R: Read>(
    reader: R,
    limits: &Limits,
) -> Result<ChartArchive, ArchiveError> {
    read_chart_archive_selected(reader, limits, &|_| true)
}

/// Reads a chart archive with every check of [`read_chart_archive_from`], but keeps only the
/// files whose path `keep` accepts: the others are decompressed, counted and checked, then
/// dropped. For callers that need a few files of many packages (indexing a folder).
pub fn read_chart_archive_selected<R: Read>(
    reader: R,
    limits: &Limits,
    keep: &dyn Fn(&str) -> bool,
) -> Result<ChartArchive, ArchiveError> {
    let meter = Meter::new(limits);
    let source = HashingReader::new(reader, Rc::clone(&meter));
    let unpacked =
        UnpackedCounter::new(GzipMembers::new(BufReader::new(source)), Rc::clone(&meter));
    // The capped reader itself: the one sanctioned use (clippy.toml).
    #[allow(clippy::disallowed_methods)]
    let mut tar = tar::Archive::new(unpacked);
    let mut collector = Collector::new(limits, keep);
    let fail = |e: io::Error| classify(&meter, e);
    for entry in tar.entries().map_err(fail)? {
        collector.add(entry.map_err(fail)?, &meter)?;
    }
    // Past the end-of-archive marker: read the rest of the gzip stream so its checksum is
    // verified (still counted against the limits), then the raw tail so the digest is whole.
    let mut unpacked = tar.into_inner();
    io::copy(&mut unpacked, &mut io::sink()).map_err(fail)?;
    let mut source = unpacked
        .into_inner()
        .into_inner()
        .ok_or_else(|| corrupt("gzip stream ended abruptly"))?;
    io::copy(&mut source, &mut io::sink()).map_err(fail)?;
    let sha256 = source.into_inner().finish();
    collector.finish(sha256)
}

/// Turns an I/O error from the stream stack into the limit it hit, the caller's read error,
/// or corruption.
fn classify(meter: &Meter, error: io::Error) -> ArchiveError {
    let limits = meter.limits();
    match meter.trip() {
        Some(Trip::Input) => ArchiveError::InputTooLarge {
            limit: limits.max_compressed_bytes,
        },
        Some(Trip::Unpacked) => ArchiveError::TooLarge {
            limit: limits.max_unpacked_bytes,
        },
        Some(Trip::Ratio) => ArchiveError::CompressionRatio {
            limit: limits.max_ratio,
        },
        None => match meter.take_source_error() {
            Some(source) => ArchiveError::Read { source },
            None => corrupt(error),
        },
    }
}

fn corrupt(reason: impl ToString) -> ArchiveError {
    ArchiveError::Corrupt {
        reason: reason.to_string(),
    }
}

/// What the reader learned so far: the top folder, the files, and which paths are taken.
struct Collector<'l> {
    limits: &'l Limits,
    keep: &'l dyn Fn(&str) -> bool,
    entries: u64,
    content_bytes: u64,
    top: Option<String>,
    files: Vec<ChartFile>,
    file_paths: HashSet<String>,
    dir_paths: HashSet<String>,
}

/// What an entry is, once links and devices are refused.
enum Kind {
    File,
    Folder,
    Skip,
}

impl<'l> Collector<'l> {
    fn new(limits: &'l Limits, keep: &'l dyn Fn(&str) -> bool) -> Self {
        Self {
            limits,
            keep,
            entries: 0,
            content_bytes: 0,
            top: None,
            files: Vec::new(),
            file_paths: HashSet::new(),
            dir_paths: HashSet::new(),
        }
    }

    fn add<R: Read>(
        &mut self,
        mut entry: tar::Entry<'_, R>,
        meter: &Meter,
    ) -> Result<(), ArchiveError> {
        self.entries += 1;
        if self.entries > self.limits.max_entries {
            return Err(ArchiveError::TooManyEntries {
                limit: self.limits.max_entries,
            });
        }
        let raw = entry.path_bytes();
        let name = std::str::from_utf8(&raw)
            .map_err(|_| ArchiveError::NonUtf8Name {
                entry: String::from_utf8_lossy(&raw).into_owned(),
            })?
            .to_owned();
        let parts = self.parse_name(&name)?;
        let kind = kind_of(&name, entry.header().entry_type())?;
        let Some((top, rest)) = parts.split_first() else {
            return match kind {
                Kind::File => Err(ArchiveError::EmptyName {
                    index: self.entries,
                }),
                Kind::Folder | Kind::Skip => Ok(()),
            };
        };
        if matches!(kind, Kind::Skip) {
            return Ok(());
        }
        self.check_top(top)?;
        let path = rest.join("/");
        match kind {
            Kind::Folder => self.add_folder(&name, path),
            Kind::File if rest.is_empty() => Err(ArchiveError::FileAtTopLevel { entry: name }),
            _ => {
                self.claim_file_path(&name, &path)?;
                let keep = (self.keep)(&path);
                if let Some(data) = self.read_data(&name, &mut entry, meter, keep)? {
                    self.files.push(ChartFile { path, data });
                }
                Ok(())
            }
        }
    }

    fn parse_name<'n>(&self, name: &'n str) -> Result<Vec<&'n str>, ArchiveError> {
        entry_path::components(name).map_err(|problem| {
            let entry = name.to_owned();
            match problem {
                PathProblem::Empty => ArchiveError::EmptyName {
                    index: self.entries,
                },
                PathProblem::Absolute => ArchiveError::AbsolutePath { entry },
                PathProblem::Traversal => ArchiveError::PathTraversal { entry },
                PathProblem::Backslash | PathProblem::DriveLetter => ArchiveError::UnsafeName {
                    entry,
                    reason: problem.describe(),
                },
            }
        })
    }

    fn check_top(&mut self, top: &str) -> Result<(), ArchiveError> {
        match &self.top {
            None => {
                self.top = Some(top.to_owned());
                Ok(())
            }
            Some(first) if first == top => Ok(()),
            Some(first) => Err(ArchiveError::MultipleTopFolders {
                first: first.clone(),
                second: top.to_owned(),
            }),
        }
    }

    fn add_folder(&mut self, name: &str, path: String) -> Result<(), ArchiveError> {
        if self.file_paths.contains(&path) {
            return Err(ArchiveError::PathConflict {
                entry: name.to_owned(),
            });
        }
        self.dir_paths.insert(path);
        Ok(())
    }

    /// Refuses a second file at `path`, or a file where a folder is (or the reverse).
    fn claim_file_path(&mut self, name: &str, path: &str) -> Result<(), ArchiveError> {
        if self.file_paths.contains(path) {
            return Err(ArchiveError::DuplicateEntry {
                entry: name.to_owned(),
            });
        }
        let ancestors = path.match_indices('/').map(|(i, _)| &path[..i]);
        let conflict =
            self.dir_paths.contains(path) || ancestors.clone().any(|a| self.file_paths.contains(a));
        if conflict {
            return Err(ArchiveError::PathConflict {
                entry: name.to_owned(),
            });
        }
        self.dir_paths.extend(ancestors.map(str::to_owned));
        self.file_paths.insert(path.to_owned());
        Ok(())
    }

    /// Reads one file's bytes (or only counts them when not kept), refusing before reading
    /// when its declared size is already over a limit. The declared size is never trusted for
    /// allocation.
    fn read_data<R: Read>(
        &mut self,
        name: &str,
        entry: &mut tar::Entry<'_, R>,
        meter: &Meter,
        keep: bool,
    ) -> Result<Option<Vec<u8>>, ArchiveError> {
        let declared = entry.size();
        if declared > self.limits.max_file_bytes {
            return Err(ArchiveError::FileTooLarge {
                entry: name.to_owned(),
                limit: self.limits.max_file_bytes,
            });
        }
        if self.content_bytes.saturating_add(declared) > self.limits.max_unpacked_bytes {
            return Err(ArchiveError::TooLarge {
                limit: self.limits.max_unpacked_bytes,
            });
        }
        if !keep {
            let read = io::copy(entry, &mut io::sink()).map_err(|e| classify(meter, e))?;
            self.content_bytes += read;
            return Ok(None);
        }
        let mut data = Vec::with_capacity(declared.min(64 * 1024) as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| classify(meter, e))?;
        self.content_bytes += data.len() as u64;
        Ok(Some(data))
    }

    fn finish(self, sha256: [u8; 32]) -> Result<ChartArchive, ArchiveError> {
        let top = self.top.ok_or(ArchiveError::Empty)?;
        if !self.file_paths.contains(CHART_YAML) {
            return Err(ArchiveError::MissingChartYaml { top });
        }
        Ok(ChartArchive {
            top,
            files: self.files,
            sha256,
        })
    }
}

/// Sorts an entry into file, folder or skipped metadata, refusing links and devices.
fn kind_of(name: &str, kind: EntryType) -> Result<Kind, ArchiveError> {
    let entry = name.to_owned();
    match kind {
        EntryType::Regular | EntryType::Continuous => Ok(Kind::File),
        EntryType::Directory => Ok(Kind::Folder),
        // A pax global header carries metadata for the whole archive (git archive writes the
        // commit id there); Helm skips it too.
        EntryType::XGlobalHeader => Ok(Kind::Skip),
        EntryType::Symlink | EntryType::Link => Err(ArchiveError::Link { entry }),
        EntryType::Char => Err(ArchiveError::SpecialFile {
            entry,
            kind: "character device",
        }),
        EntryType::Block => Err(ArchiveError::SpecialFile {
            entry,
            kind: "block device",
        }),
        EntryType::Fifo => Err(ArchiveError::SpecialFile {
            entry,
            kind: "fifo",
        }),
        EntryType::GNUSparse => Err(ArchiveError::SpecialFile {
            entry,
            kind: "sparse file",
        }),
        _ => Err(ArchiveError::SpecialFile {
            entry,
            kind: "special tar entry",
        }),
    }
}
