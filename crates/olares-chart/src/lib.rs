//! Bytes in, typed chart out: the only way the project opens a Helm chart package (`.tgz`) or an
//! upload. It owns the capped archive reader, the deterministic package writer and Helm's
//! `.helmignore` rules. It never touches the network or the file system beyond the reader it is
//! given, and never unpacks to disk.

pub mod archive;
pub mod helmignore;
pub mod package;

pub use archive::{
    ArchiveError, ChartArchive, ChartFile, Limits, read_chart_archive, read_chart_archive_from,
    read_chart_archive_selected,
};
pub use helmignore::{HelmIgnore, HelmIgnoreError};
pub use package::{PackageError, write_chart_archive};
