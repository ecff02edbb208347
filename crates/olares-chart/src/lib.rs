//! Bytes in, typed chart out: the only way the project opens a Helm chart package (`.tgz`) or an
//! upload. It owns the capped archive reader, the deterministic package writer, Helm's
//! `.helmignore` rules and the typed models of a chart's files: `Chart.yaml` ([`chart_yaml`]),
//! `values.yaml` ([`values`]), `OlaresManifest.yaml` ([`manifest`]), its translations
//! ([`i18n`]) and the market's marker files ([`markers`]), brought together by [`app`].
//! Errors name the file, the line and the field ([`FileError`]). It never renders templates,
//! touches the network or the file system beyond the reader it is given, and never unpacks
//! to disk.

pub mod app;
pub mod archive;
pub mod chart_yaml;
mod file_error;
mod go_string;
pub mod helmignore;
pub mod i18n;
pub mod manifest;
pub mod markers;
pub mod package;
pub mod values;

pub use app::{AppError, AppWarning, OlaresApp};
pub use archive::{
    ArchiveError, ChartArchive, ChartFile, Limits, read_chart_archive, read_chart_archive_from,
    read_chart_archive_selected,
};
pub use chart_yaml::{ChartYamlError, Dependency, Maintainer, Metadata, parse_metadata};
pub use file_error::FileError;
pub use helmignore::{HelmIgnore, HelmIgnoreError};
pub use i18n::I18nManifest;
pub use manifest::{ManifestVersion, OlaresManifest};
pub use markers::{Markers, Owners};
pub use package::{PackageError, write_chart_archive};
