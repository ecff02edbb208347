//! One chart folder made into a published app: its package (`write_chart_archive` of the
//! folder under its `.helmignore`, read back through the capped reader chart-repo uses),
//! its entry (from the package's `OlaresManifest.yaml`, rendered first when templated, and
//! its translations), its labels (from the folder's marker files) and its content digest.

use std::fmt;
use std::path::Path;

use axum::body::Bytes;
use chrono::SecondsFormat;
use sha2::{Digest, Sha256};

use market_model::protocol::{
    AppSummary, ApplicationInfoEntry, LABEL_NSFW, LABEL_REMOVE, LABEL_SUSPEND, Text, is_delisted,
};
use olares_chart::chart_yaml::CHART_YAML;
use olares_chart::manifest::OLARES_MANIFEST;
use olares_chart::markers::{REMOVE, SUSPEND};
use olares_chart::{
    ChartArchive, ChartFile, Limits, Metadata, OlaresApp, read_chart_archive, write_chart_archive,
};

use crate::SkipReason;
use crate::compat::Requirement;
use crate::entry;
use crate::folder::read_app_folder;
use crate::render::{Viewer, is_templated, render_manifest};

/// The marker of an app not safe for work.
const NSFW: &str = ".nsfw";

/// The longest `version` the Olares market stores (`app_version varchar(16)`).
const MAX_STORED_VERSION_LEN: usize = 16;

/// An app of the catalog: its entry and its package.
#[derive(Clone)]
pub struct PublishedApp {
    entry: ApplicationInfoEntry,
    package: Bytes,
    package_sha256: String,
    digest: String,
    folder: String,
    pub(crate) requirement: Requirement,
}

impl fmt::Debug for PublishedApp {
    // The package is bytes nobody wants in a log line: its size and digest say enough.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublishedApp")
            .field("name", &self.entry.name)
            .field("version", &self.entry.version)
            .field("labels", &self.entry.app_labels)
            .field("folder", &self.folder)
            .field("package_bytes", &self.package.len())
            .field("package_sha256", &self.package_sha256)
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

impl PublishedApp {
    /// The details served by `POST /api/v1/applications/info`.
    pub fn entry(&self) -> &ApplicationInfoEntry {
        &self.entry
    }

    /// The app name (`metadata.name`, equal to the chart name).
    pub fn name(&self) -> &str {
        &self.entry.name
    }

    /// The app id: the first 8 hex digits of md5(name).
    pub fn id(&self) -> &str {
        &self.entry.id
    }

    /// The chart version.
    pub fn version(&self) -> &str {
        &self.entry.version
    }

    /// The package file name, `{name}-{version}.tgz`.
    pub fn chart_name(&self) -> &str {
        &self.entry.chart_name
    }

    /// `suspend`, `remove`, `nsfw`.
    pub fn labels(&self) -> &[String] {
        &self.entry.app_labels
    }

    /// Whether the Olares market skips this app (a `suspend` or `remove` label).
    pub fn is_delisted(&self) -> bool {
        is_delisted(&self.entry.app_labels)
    }

    /// The package bytes (deterministic: the same folder always gives the same bytes).
    pub fn package(&self) -> &Bytes {
        &self.package
    }

    /// SHA-256 of the package, lower-case hex.
    pub fn package_sha256(&self) -> &str {
        &self.package_sha256
    }

    /// SHA-256 over the entry (times left out) and the package digest, lower-case hex.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// The folder the app was read from, relative to the catalog folder.
    pub fn folder(&self) -> &str {
        &self.folder
    }

    /// The app in the listing of `GET /api/v1/appstore/info`.
    pub fn summary(&self) -> AppSummary {
        let e = &self.entry;
        let plain = |t: &Text| t.get("en-US").unwrap_or_default().to_owned();
        AppSummary {
            id: e.id.clone(),
            name: e.name.clone(),
            version: e.version.clone(),
            title: plain(&e.title),
            description: plain(&e.description),
            icon: e.icon.clone(),
            category: e.categories.first().cloned().unwrap_or_default(),
            categories: e.categories.clone(),
            app_labels: e.app_labels.clone(),
            cfg_type: e.cfg_type.clone(),
            chart_name: e.chart_name.clone(),
            source: 1,
            updated_at: e.updated_at.clone(),
            extra: Default::default(),
        }
    }
}

/// Reads the app in `dir` (the folder `folder` of the catalog).
pub(crate) fn publish(dir: &Path, folder: &str) -> Result<PublishedApp, SkipReason> {
    let marker = |name: &str| dir.join(name).is_file();
    let (removed, suspended, nsfw) = (marker(REMOVE), marker(SUSPEND), marker(NSFW));
    if !dir.join(CHART_YAML).is_file() {
        return Err(if removed {
            SkipReason::Tombstone
        } else {
            SkipReason::NotAChart
        });
    }
    let labels: Vec<&str> = [
        (removed, LABEL_REMOVE),
        (suspended, LABEL_SUSPEND),
        (nsfw, LABEL_NSFW),
    ]
    .into_iter()
    .filter_map(|(on, label)| on.then_some(label))
    .collect();
    let read = read_app_folder(dir)?;
    let package = Package::build(&read.files)?;
    let mut entry = package.entry(&labels)?;
    let requirement = Requirement::of(&entry).map_err(SkipReason::InvalidApp)?;
    if entry.version.len() > MAX_STORED_VERSION_LEN {
        tracing::warn!(
            folder,
            version = entry.version,
            "version is longer than the 16 characters the Olares market stores"
        );
    }
    let package_sha256 = package.archive.sha256_hex();
    let digest = content_digest(&entry, &package_sha256);
    entry.last_commit_hash = digest[..40].to_owned();
    entry.create_time = read.oldest.timestamp();
    entry.update_time = read.newest.timestamp();
    entry.updated_at = read.newest.to_rfc3339_opts(SecondsFormat::Secs, true);
    Ok(PublishedApp {
        entry,
        package: Bytes::from(package.bytes),
        package_sha256,
        digest,
        folder: folder.to_owned(),
        requirement,
    })
}

/// A chart's package, read back as chart-repo will read it.
struct Package {
    chart: Metadata,
    bytes: Vec<u8>,
    archive: ChartArchive,
}

impl Package {
    fn build(files: &[ChartFile]) -> Result<Package, SkipReason> {
        let chart = files
            .iter()
            .find(|f| f.path == CHART_YAML)
            .ok_or(SkipReason::NotAChart)
            .and_then(|f| {
                olares_chart::parse_metadata(&f.data)
                    .map_err(|e| SkipReason::InvalidApp(format!("{CHART_YAML}: {e}")))
            })?;
        let bytes = write_chart_archive(&chart.name, files)
            .map_err(|e| SkipReason::Package(e.to_string()))?;
        // What chart-repo will do with the package: refuse it if it breaks a limit.
        let archive = read_chart_archive(&bytes, &Limits::default())
            .map_err(|e| SkipReason::Package(e.to_string()))?;
        Ok(Package {
            chart,
            bytes,
            archive,
        })
    }

    /// The entry of the packaged app; a templated manifest is rendered for the admin and
    /// for another user, and the two views merged.
    fn entry(&self, labels: &[&str]) -> Result<ApplicationInfoEntry, SkipReason> {
        let manifest = self.archive.file(OLARES_MANIFEST).ok_or_else(|| {
            SkipReason::InvalidApp(format!(
                "{OLARES_MANIFEST} is missing (or .helmignore drops it)"
            ))
        })?;
        let chart_name = format!("{}-{}.tgz", self.chart.name, self.chart.version);
        let files = &self.archive.files;
        if !is_templated(&manifest.data) {
            let app = OlaresApp::from_files(files).map_err(invalid)?;
            check_names(&app, &self.chart)?;
            return Ok(entry::build(&app, &chart_name, labels));
        }
        let view = |viewer| {
            let text = render_manifest(&self.bytes, &manifest.data, viewer)
                .map_err(|e| SkipReason::InvalidApp(format!("rendering {OLARES_MANIFEST}: {e}")))?;
            let app = OlaresApp::from_rendered(files, text.as_bytes()).map_err(invalid)?;
            check_names(&app, &self.chart)?;
            Ok(entry::build(&app, &chart_name, labels))
        };
        Ok(entry::merge_views(
            view(Viewer::Admin)?,
            &view(Viewer::User)?,
        ))
    }
}

fn invalid(e: olares_chart::AppError) -> SkipReason {
    SkipReason::InvalidApp(e.to_string())
}

/// The chart and the manifest must agree on name and version: the package unpacks to a
/// folder named after the chart, and the market asks for `{metadata.name}-{metadata.version}.tgz`.
fn check_names(app: &OlaresApp, chart: &Metadata) -> Result<(), SkipReason> {
    let meta = &app.manifest.metadata;
    if meta.name != chart.name || meta.version != chart.version {
        return Err(SkipReason::InvalidApp(format!(
            "{OLARES_MANIFEST} names {}-{} but Chart.yaml names {}-{}; they must agree",
            meta.name, meta.version, chart.name, chart.version
        )));
    }
    Ok(())
}

/// SHA-256 of the entry as served (its times and revision still zero) and of the package
/// digest: changes with any served byte, never with the clock.
fn content_digest(entry: &ApplicationInfoEntry, package_sha256: &str) -> String {
    let mut hasher = Sha256::new();
    // Serializing a tree of strings, numbers and string-keyed maps cannot fail; should it
    // ever, the digest still covers the package.
    if let Ok(json) = serde_json::to_vec(entry) {
        hasher.update(&json);
    }
    hasher.update(b"\npackage:");
    hasher.update(package_sha256.as_bytes());
    hex::encode(hasher.finalize())
}
