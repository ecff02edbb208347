//! `GET /api/v1/applications/{name}/chart?version=&fileName=`: an app's package. `fileName`
//! (what the market sends: `{name}-{version}.tgz`) must be a plain file name and exactly
//! the app's package; without it, `version` (the app version) must be the published one.
//! Packages live in memory: no request ever reads a path it names.

use std::sync::Arc;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiError;
use crate::Catalog;

/// The longest file name most file systems take.
const MAX_FILE_NAME: usize = 255;

#[derive(Debug, Default, Deserialize)]
pub(super) struct ChartQuery {
    #[serde(default)]
    version: String,
    #[serde(default, rename = "fileName")]
    file_name: Option<String>,
}

pub(super) async fn download(
    State(catalog): State<Arc<Catalog>>,
    name: Result<Path<String>, PathRejection>,
    query: Result<Query<ChartQuery>, QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Path(name) = name.map_err(|e| ApiError::InvalidPath(e.body_text()))?;
    let Query(query) = query.map_err(|e| ApiError::InvalidPath(e.body_text()))?;
    if let Some(file_name) = &query.file_name {
        check_file_name(file_name).map_err(|reason| ApiError::InvalidFileName {
            file_name: file_name.clone(),
            reason,
        })?;
    }
    let snapshot = catalog.snapshot();
    let app = snapshot
        .app(&name)
        .ok_or_else(|| ApiError::AppNotFound(name.clone()))?;
    match &query.file_name {
        Some(file_name) if file_name != app.chart_name() => {
            return Err(ApiError::ChartNotFound {
                app: name,
                file_name: file_name.clone(),
                published: app.chart_name().to_owned(),
            });
        }
        // `fileName` names the package; `version` then only repeats it, as upstream reads it.
        Some(_) => {}
        None if !query.version.is_empty() && query.version != app.version() => {
            return Err(ApiError::VersionNotFound {
                app: name,
                version: query.version,
                published: app.version().to_owned(),
            });
        }
        None => {}
    }
    let etag = format!("\"{}\"", app.package_sha256());
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if unchanged {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        app.package().clone().into_response()
    };
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/gzip"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    let disposition = format!("attachment; filename=\"{}\"", app.chart_name());
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        out.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// A plain `.tgz` file name: no folder part, no `..`, nothing hidden or unprintable.
fn check_file_name(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("is empty");
    }
    if name.len() > MAX_FILE_NAME {
        return Err("is longer than 255 bytes");
    }
    if name.contains(['/', '\\']) {
        return Err("holds a path separator; give the package's file name only");
    }
    if name.contains("..") {
        return Err("holds `..`");
    }
    if name.starts_with('.') {
        return Err("starts with a dot");
    }
    if name.chars().any(char::is_control) || name.contains(['"', '\'']) {
        return Err("holds a control character or a quote");
    }
    if !name.ends_with(".tgz") {
        return Err("is not a .tgz package name");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_plain_package_names() {
        assert!(check_file_name("adguardhome-1.0.12.tgz").is_ok());
        for bad in [
            "",
            "../adguardhome-1.0.12.tgz",
            "..",
            "a/b.tgz",
            "a\\b.tgz",
            "/etc/passwd",
            ".hidden.tgz",
            "x..tgz",
            "a\nb.tgz",
            "chart.tar.gz",
            "Chart.yaml",
        ] {
            assert!(check_file_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_file_name(&format!("{}.tgz", "a".repeat(300))).is_err());
    }
}
