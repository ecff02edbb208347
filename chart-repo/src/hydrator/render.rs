//! Rendering one app for one user (DESIGN.md §4.3 step 2): the manifest and every
//! template, with the user's Olares values, and the user's package — the source chart's
//! files with the rendered `OlaresManifest.yaml`, under a top folder named after the app.
//!
//! A templated manifest is rendered twice: first with the fixed values only, to learn
//! its entrances, middleware and envs (which the values are built from), then with the
//! full values. Never: I/O; everything here is CPU work for a blocking thread.

use std::collections::BTreeMap;

use helm_template::chart::File;
use helm_template::{Prepared, RenderOptions, load};
use market_model::sync::CustomValue;
use olares_chart::manifest::{OLARES_MANIFEST, OlaresManifest};
use olares_chart::{ChartArchive, ChartFile, OlaresApp, write_chart_archive};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::values::{Viewer, apply_overrides, olares_values};

/// An app rendered for one user.
pub struct RenderedApp {
    /// The rendered `OlaresManifest.yaml`.
    pub manifest_text: String,
    /// The app read from its rendered manifest.
    pub app: OlaresApp,
    /// Every other rendered template, by Helm's output name (`{chart}/templates/…`).
    pub templates: BTreeMap<String, String>,
    /// The user's package, `{app}/…` inside.
    pub package: Vec<u8>,
    /// SHA-256 of `package`, lower-case hex.
    pub package_digest: String,
}

/// Renders the app packaged in `bytes` (already read by the capped reader as `archive`).
pub fn render_app(
    bytes: &[u8],
    archive: &ChartArchive,
    app: &str,
    viewer: &Viewer,
    overrides: &[CustomValue],
) -> Result<RenderedApp, String> {
    let raw = archive
        .file(OLARES_MANIFEST)
        .ok_or_else(|| format!("{OLARES_MANIFEST} is missing"))?;
    let templated = raw.data.windows(2).any(|w| w == b"{{");
    let mut chart = load::load_archive(bytes).map_err(|e| e.to_string())?;
    if chart.name() != app {
        return Err(format!(
            "Chart.yaml names the chart {:?}, but the app is {app:?}; they must be equal",
            chart.name()
        ));
    }
    let first = if templated {
        let base = values_for(app, None, viewer, overrides)?;
        let text = helm_template::render_beside_partials(
            &chart,
            OLARES_MANIFEST,
            &raw.data,
            &base,
            &options(app, viewer),
        )
        .map_err(|e| e.to_string())?;
        OlaresManifest::parse(text.as_bytes()).map_err(|e| e.to_string())?
    } else {
        OlaresManifest::parse(&raw.data).map_err(|e| e.to_string())?
    };
    let values = values_for(app, Some(&first), viewer, overrides)?;
    let manifest_name = format!("{app}/templates/{OLARES_MANIFEST}");
    if templated {
        chart.templates.push(File::new(
            format!("templates/{OLARES_MANIFEST}"),
            raw.data.clone(),
        ));
    }
    let prepared =
        Prepared::new(chart, &values, &options(app, viewer)).map_err(|e| e.to_string())?;
    let mut templates = prepared
        .execute(&prepared.scopes())
        .map_err(|e| e.to_string())?;
    let manifest_text = if templated {
        templates
            .remove(&manifest_name)
            .ok_or_else(|| format!("rendering gave no {OLARES_MANIFEST}"))?
    } else {
        String::from_utf8(raw.data.clone())
            .map_err(|_| format!("{OLARES_MANIFEST} is not UTF-8"))?
    };
    let app_read = OlaresApp::from_rendered(&archive.files, manifest_text.as_bytes())
        .map_err(|e| e.to_string())?;
    let files: Vec<ChartFile> = archive
        .files
        .iter()
        .map(|f| match f.path.as_str() {
            OLARES_MANIFEST => ChartFile::new(OLARES_MANIFEST, manifest_text.as_bytes()),
            _ => f.clone(),
        })
        .collect();
    let package = write_chart_archive(app, &files).map_err(|e| e.to_string())?;
    let package_digest = hex::encode(Sha256::digest(&package));
    Ok(RenderedApp {
        manifest_text,
        app: app_read,
        templates,
        package,
        package_digest,
    })
}

fn values_for(
    app: &str,
    manifest: Option<&OlaresManifest>,
    viewer: &Viewer,
    overrides: &[CustomValue],
) -> Result<Map<String, Value>, String> {
    let mut values = olares_values(app, manifest, viewer)?;
    apply_overrides(&mut values, overrides)?;
    Ok(values)
}

/// Olares installs an app as release `{app}` in namespace `{app}-{user}`.
fn options(app: &str, viewer: &Viewer) -> RenderOptions {
    RenderOptions {
        release_name: app.to_owned(),
        namespace: format!("{app}-{}", viewer.user),
        ..RenderOptions::default()
    }
}
