//! Bytes in, typed chart out: the only way the project opens a Helm chart package (`.tgz`) or an
//! upload. It owns the capped archive reader, the deterministic package writer, Helm's
//! `.helmignore` rules and the typed models of a chart's files (`Chart.yaml`, `values.yaml`).
//! It never touches the network or the file system beyond the reader it is given, and never
//! unpacks to disk.

pub mod archive;
pub mod chart_yaml;
mod go_string;
pub mod helmignore;
pub mod package;
pub mod values;

pub use archive::{
    ArchiveError, ChartArchive, ChartFile, Limits, read_chart_archive, read_chart_archive_from,
};
pub use chart_yaml::{ChartYamlError, Dependency, Maintainer, Metadata, parse_metadata};
pub use helmignore::{HelmIgnore, HelmIgnoreError};
pub use package::{PackageError, write_chart_archive};
