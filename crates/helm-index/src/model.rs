//! The index model: Helm's `IndexFile` (`apiVersion`, `generated`, `entries`, …) holding, per
//! chart name, its `ChartVersion`s newest first. Updates are incremental: adding or removing
//! one version touches that chart's list and drops only that chart's cached text.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset};
use olares_chart::chart_yaml::Metadata;

use crate::order::newest_first;
use crate::time::now;

/// One version of a chart in the index: its `Chart.yaml` metadata plus where to get the
/// package and its digest (Helm's `repo.ChartVersion`).
#[derive(Clone, Debug, PartialEq)]
pub struct ChartVersion {
    pub metadata: Metadata,
    /// Where the package is, relative to the index or absolute.
    pub urls: Vec<String>,
    /// When the entry was added (Go's zero time when an index read lacks it).
    pub created: DateTime<FixedOffset>,
    pub removed: bool,
    /// SHA-256 of the package bytes, lower-case hex.
    pub digest: String,
    /// Fields Helm still reads from old indexes and writes back when present.
    pub legacy: Legacy,
}

/// `checksum`, `engine`, `tillerVersion`, `url`: deprecated keys of Helm v2 indexes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Legacy {
    pub checksum: String,
    pub engine: String,
    pub tiller_version: String,
    pub url: String,
}

impl ChartVersion {
    /// An entry as `helm repo index` adds it: created now, `apiVersion` defaulted to v1.
    pub fn new(mut metadata: Metadata, url: String, digest: String) -> Self {
        if metadata.api_version.is_empty() {
            metadata.api_version = "v1".into();
        }
        Self {
            metadata,
            urls: vec![url],
            created: now(),
            removed: false,
            digest,
            legacy: Legacy::default(),
        }
    }

    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn version(&self) -> &str {
        &self.metadata.version
    }
}

/// One chart name's versions, newest first, with its serialized text cached.
#[derive(Clone, Debug, Default)]
pub(crate) struct Chart {
    pub(crate) versions: Vec<ChartVersion>,
    pub(crate) text: OnceLock<String>,
}

/// Helm's `repo.IndexFile`.
#[derive(Debug, Clone)]
pub struct IndexFile {
    pub api_version: String,
    pub generated: DateTime<FixedOffset>,
    pub(crate) charts: BTreeMap<String, Chart>,
    /// `publicKeys`, written only when non-empty.
    pub public_keys: Vec<String>,
    /// `annotations`, written only when non-empty.
    pub annotations: BTreeMap<String, String>,
    /// Chart names in goyaml's key order, computed when first needed after a name change.
    pub(crate) order: OnceLock<Vec<String>>,
}

impl Default for IndexFile {
    fn default() -> Self {
        Self::new()
    }
}

impl PartialEq for IndexFile {
    fn eq(&self, other: &Self) -> bool {
        self.api_version == other.api_version
            && self.generated == other.generated
            && self.public_keys == other.public_keys
            && self.annotations == other.annotations
            && self.charts.len() == other.charts.len()
            && self
                .charts
                .iter()
                .zip(&other.charts)
                .all(|((a, ca), (b, cb))| a == b && ca.versions == cb.versions)
    }
}

impl IndexFile {
    /// An empty index (`apiVersion: v1`, generated now), as Helm's `NewIndexFile`.
    pub fn new() -> Self {
        Self {
            api_version: "v1".into(),
            generated: now(),
            charts: BTreeMap::new(),
            public_keys: Vec::new(),
            annotations: BTreeMap::new(),
            order: OnceLock::new(),
        }
    }

    /// Adds a version after any of equal precedence, keeping the newest-first order; a second
    /// entry with the same version string is kept, as Helm's `MustAdd` keeps it.
    pub fn add(&mut self, entry: ChartVersion) {
        let name = entry.metadata.name.clone();
        if !self.charts.contains_key(&name) {
            self.order = OnceLock::new();
        }
        let chart = self.charts.entry(name).or_default();
        let at = chart
            .versions
            .partition_point(|v| newest_first(v.version(), entry.version()).is_le());
        chart.versions.insert(at, entry);
        chart.text = OnceLock::new();
    }

    /// Adds a version, replacing the entries with the same version string if there are any
    /// (what a repository that republishes a version wants).
    pub fn upsert(&mut self, entry: ChartVersion) {
        let (name, version) = (entry.name().to_owned(), entry.version().to_owned());
        self.remove(&name, &version);
        self.add(entry);
    }

    /// Removes every entry of `name` at `version`; returns what was removed.
    pub fn remove(&mut self, name: &str, version: &str) -> Vec<ChartVersion> {
        let Some(chart) = self.charts.get_mut(name) else {
            return Vec::new();
        };
        let (gone, kept) = std::mem::take(&mut chart.versions)
            .into_iter()
            .partition(|v| v.version() == version);
        chart.versions = kept;
        chart.text = OnceLock::new();
        if chart.versions.is_empty() {
            self.charts.remove(name);
            self.order = OnceLock::new();
        }
        gone
    }

    /// Removes every version of `name`.
    pub fn remove_chart(&mut self, name: &str) -> Vec<ChartVersion> {
        let gone = self.charts.remove(name).map(|c| c.versions);
        if gone.is_some() {
            self.order = OnceLock::new();
        }
        gone.unwrap_or_default()
    }

    /// The versions of `name`, newest first.
    pub fn versions(&self, name: &str) -> &[ChartVersion] {
        self.charts
            .get(name)
            .map(|c| c.versions.as_slice())
            .unwrap_or_default()
    }

    /// The entry of `name` at `version` (the first one, as Helm's `Get` with an exact version).
    pub fn get(&self, name: &str, version: &str) -> Option<&ChartVersion> {
        self.versions(name).iter().find(|v| v.version() == version)
    }

    pub fn has(&self, name: &str, version: &str) -> bool {
        self.get(name, version).is_some()
    }

    /// Chart names, bytewise order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.charts.keys().map(String::as_str)
    }

    /// Every entry, chart by chart (bytewise names), newest first within a chart.
    pub fn entries(&self) -> impl Iterator<Item = &ChartVersion> {
        self.charts.values().flat_map(|c| c.versions.iter())
    }

    /// How many versions the index lists.
    pub fn len(&self) -> usize {
        self.charts.values().map(|c| c.versions.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.charts.is_empty()
    }

    /// Helm's `Merge`: adds each entry of `other` whose name and version this index lacks.
    pub fn merge(&mut self, other: &IndexFile) {
        for entry in other.entries() {
            if !self.has(entry.name(), entry.version()) {
                self.add(entry.clone());
            }
        }
    }

    /// Sets `generated` to now.
    pub fn touch(&mut self) {
        self.generated = now();
    }
}
