//! An Olares app chart as the market sees it: `Chart.yaml`, `values.yaml`, the rendered
//! `OlaresManifest.yaml`, its translations, the v0.11 sibling subcharts, the marker files and
//! `owners`, from the files of one chart folder or package. A tombstone (`.remove` and no
//! chart) is refused with its own reason. Never: rendering (the caller renders the manifest
//! and hands the text to [`OlaresApp::from_rendered`]), templates, network.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::archive::{ArchiveError, ChartFile, Limits, read_chart_archive};
use crate::chart_yaml::{CHART_YAML, ChartYamlError, Metadata, parse_metadata};
use crate::file_error::FileError;
use crate::i18n::{I18nManifest, locale_of};
use crate::manifest::{OLARES_MANIFEST, OlaresManifest};
use crate::markers::{Markers, OWNERS, Owners};
use crate::values::{Table, VALUES_YAML, load_values};

/// An Olares app chart, read and typed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OlaresApp {
    /// `Chart.yaml`.
    pub chart: Metadata,
    /// `values.yaml`, every document merged (empty when the file is absent).
    pub values: Table,
    /// The rendered `OlaresManifest.yaml`.
    pub manifest: OlaresManifest,
    /// `i18n/<locale>/OlaresManifest.yaml` by locale.
    pub i18n: BTreeMap<String, I18nManifest>,
    /// `Chart.yaml` of each `spec.subCharts[]` folder (v0.11 shared apps) by name.
    pub sub_charts: BTreeMap<String, Metadata>,
    /// `owners`, when present.
    pub owners: Option<Owners>,
    /// `.suspend` and `.remove`.
    pub markers: Markers,
    /// What is odd but not fatal.
    pub warnings: Vec<AppWarning>,
}

/// Why a chart folder is not an Olares app the market can list.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the app was removed: its folder holds the `.remove` marker and no Chart.yaml")]
    Removed,
    #[error("Chart.yaml is missing")]
    MissingChartYaml,
    #[error("OlaresManifest.yaml is missing")]
    MissingManifest,
    #[error(
        "OlaresManifest.yaml holds template actions (`{{{{`): render it as a template of its chart, then read it with OlaresApp::from_rendered"
    )]
    ManifestNotRendered,
    /// A file that does not parse, or a field of the wrong type.
    #[error("{0}")]
    File(#[from] FileError),
    /// Helm's `Chart.yaml` validation refused a chart.
    #[error("{file}: validation: {reason}")]
    InvalidChart { file: String, reason: String },
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// What is odd in an app but does not stop the market from listing it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppWarning {
    #[error(
        "olaresManifest.version {found} is newer than this market knows; unknown fields are kept"
    )]
    NewerManifestVersion { found: String },
    #[error("{file}: {field}: unknown field, kept as read")]
    UnknownField { file: String, field: String },
    #[error("spec.subCharts names {name:?} but {name}/Chart.yaml is missing")]
    MissingSubChart { name: String },
}

impl OlaresApp {
    /// Reads an app whose `OlaresManifest.yaml` is plain YAML (no template actions).
    pub fn from_files(files: &[ChartFile]) -> Result<Self, AppError> {
        let chart = read_chart(files)?;
        let manifest = find(files, OLARES_MANIFEST).ok_or(AppError::MissingManifest)?;
        if manifest.windows(2).any(|w| w == b"{{") {
            return Err(AppError::ManifestNotRendered);
        }
        Self::build(files, chart, manifest)
    }

    /// Reads an app with `manifest`, its `OlaresManifest.yaml` rendered by the caller.
    pub fn from_rendered(files: &[ChartFile], manifest: &[u8]) -> Result<Self, AppError> {
        let chart = read_chart(files)?;
        Self::build(files, chart, manifest)
    }

    /// Reads a packaged app through the capped reader ([`OlaresApp::from_files`] rules).
    pub fn from_archive(bytes: &[u8], limits: &Limits) -> Result<Self, AppError> {
        let archive = read_chart_archive(bytes, limits)?;
        Self::from_files(&archive.files)
    }

    fn build(files: &[ChartFile], chart: Metadata, manifest: &[u8]) -> Result<Self, AppError> {
        let values = match find(files, VALUES_YAML) {
            Some(data) => load_values(crate::chart_yaml::strip_bom(data))
                .map_err(|reason| FileError::new(VALUES_YAML, reason))?,
            None => Table::new(),
        };
        let manifest = OlaresManifest::parse(manifest)?;
        let mut warnings = Vec::new();
        if manifest.manifest_version.is_newer_than_supported() {
            warnings.push(AppWarning::NewerManifestVersion {
                found: manifest.manifest_version.to_string(),
            });
        }
        unknown(OLARES_MANIFEST, manifest.unknown_fields(), &mut warnings);
        let mut i18n = BTreeMap::new();
        for file in files {
            if let Some(locale) = locale_of(&file.path) {
                let texts = I18nManifest::parse_file(&file.path, &file.data)?;
                unknown(&file.path, texts.unknown_fields(), &mut warnings);
                i18n.insert(locale.to_owned(), texts);
            }
        }
        let mut sub_charts = BTreeMap::new();
        for sub in &manifest.spec.sub_charts {
            let path = format!("{}/{CHART_YAML}", sub.name);
            match find(files, &path) {
                Some(data) => {
                    sub_charts.insert(sub.name.clone(), chart_metadata(&path, data)?);
                }
                None => warnings.push(AppWarning::MissingSubChart {
                    name: sub.name.clone(),
                }),
            }
        }
        let owners = find(files, OWNERS).map(Owners::parse).transpose()?;
        Ok(OlaresApp {
            chart,
            values,
            manifest,
            i18n,
            sub_charts,
            owners,
            markers: markers(files),
            warnings,
        })
    }
}

/// `Chart.yaml`, or why there is none: a tombstone is [`AppError::Removed`].
fn read_chart(files: &[ChartFile]) -> Result<Metadata, AppError> {
    match find(files, CHART_YAML) {
        Some(data) => chart_metadata(CHART_YAML, data),
        None if markers(files).remove => Err(AppError::Removed),
        None => Err(AppError::MissingChartYaml),
    }
}

fn chart_metadata(path: &str, data: &[u8]) -> Result<Metadata, AppError> {
    parse_metadata(data).map_err(|e| match e {
        ChartYamlError::Read(e) => AppError::File(FileError {
            file: path.to_owned(),
            ..e
        }),
        ChartYamlError::Invalid(reason) => AppError::InvalidChart {
            file: path.to_owned(),
            reason,
        },
    })
}

fn markers(files: &[ChartFile]) -> Markers {
    Markers::from_paths(files.iter().map(|f| f.path.as_str()))
}

fn find<'a>(files: &'a [ChartFile], path: &str) -> Option<&'a [u8]> {
    files
        .iter()
        .find(|f| f.path == path)
        .map(|f| f.data.as_slice())
}

fn unknown(file: &str, fields: Vec<String>, warnings: &mut Vec<AppWarning>) {
    warnings.extend(fields.into_iter().map(|field| AppWarning::UnknownField {
        file: file.to_owned(),
        field,
    }));
}
