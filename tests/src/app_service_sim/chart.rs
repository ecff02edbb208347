//! Getting an app's chart the way app-service does: `{repoUrl}/static-index.yaml` with the
//! market headers, strict index parsing, lookup by name (and version), the package URL
//! resolved against `repoUrl`, the `.tgz` fetched, then the rendered `OlaresManifest.yaml`.
//!
//! Based on beclab/app-service `pkg/utils/app/app.go` (`GetIndexAndDownloadChart`,
//! `loadIndex`: `yaml.UnmarshalStrict` into Helm's `repo.IndexFile`, `apiVersion` required)
//! and `downloadAndUnpack` (the same headers on the package request). Stricter than it in
//! two ways a test wants: the package's SHA-256 must equal the index `digest` (go-getter
//! does not check it), and an entry whose version is not strict semver, or any invalid
//! entry, fails the whole index (Helm would drop it silently).

use std::time::Duration;

use helm_index::{IndexFile, ParseMode, parse_index};
use olares_chart::manifest::OLARES_MANIFEST;
use olares_chart::{Limits, OlaresManifest, read_chart_archive};
use sha2::{Digest, Sha256};

/// Header naming the user whose rendered chart to serve.
pub const MARKET_USER: &str = "X-Market-User";
/// Header naming the market source.
pub const MARKET_SOURCE: &str = "X-Market-Source";

/// What a download is for.
#[derive(Clone, Debug)]
pub struct ChartRequest<'a> {
    pub repo_url: &'a str,
    pub app: &'a str,
    /// Empty: the newest version in the index, as app-service installs.
    pub version: &'a str,
    pub market_user: &'a str,
    pub market_source: &'a str,
}

/// A chart that passed every check.
#[derive(Clone, Debug)]
pub struct FetchedChart {
    pub version: String,
    pub package_url: String,
    pub digest: String,
    pub manifest: OlaresManifest,
}

/// Why a chart could not be obtained. app-service answers each with 400 and the text.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("repoUrl {0:?} is not a URL")]
    BadRepoUrl(String),
    #[error("get {url}: {reason}")]
    Transport { url: String, reason: String },
    #[error("get app config from repo returns unexpected status code, {status} ({url})")]
    Status { url: String, status: u16 },
    #[error("invalid static-index.yaml: {0}")]
    Index(String),
    #[error("static-index.yaml: chart {app} version {version:?} is not strict semver")]
    NotSemver { app: String, version: String },
    #[error("app not found in chart repo: {0}")]
    AppNotFound(String),
    #[error("no chart version found for {app}-{version}")]
    VersionNotFound { app: String, version: String },
    #[error("static-index.yaml: entry {app} {version} has no urls")]
    NoUrl { app: String, version: String },
    #[error("package {url}: sha256 {actual} does not match the index digest {expected}")]
    DigestMismatch {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("package {url}: {reason}")]
    Archive { url: String, reason: String },
    #[error("package {url}: no {OLARES_MANIFEST}")]
    NoManifest { url: String },
    #[error("package {url}: {reason}")]
    Manifest { url: String, reason: String },
}

/// Downloads and checks the chart named by `req`.
pub async fn fetch_chart(
    http: &reqwest::Client,
    req: &ChartRequest<'_>,
) -> Result<FetchedChart, ChartError> {
    // app-service appends `static-index.yaml` after making sure of one trailing slash.
    let mut base = req.repo_url.to_owned();
    if !base.ends_with('/') {
        base.push('/');
    }
    let index_url = format!("{base}static-index.yaml");
    let text = get(http, &index_url, req).await?;
    let text = String::from_utf8(text).map_err(|e| ChartError::Index(e.to_string()))?;
    let index = read_index(&text)?;
    let entry = lookup(&index, req.app, req.version)?;
    let relative = entry.urls.first().ok_or_else(|| ChartError::NoUrl {
        app: req.app.to_owned(),
        version: entry.version().to_owned(),
    })?;
    // Helm's `ResolveReferenceURL(repoURL, url)`: relative to the repo URL with a slash.
    let package_url = url::Url::parse(&base)
        .and_then(|b| b.join(relative))
        .map_err(|_| ChartError::BadRepoUrl(req.repo_url.to_owned()))?
        .to_string();
    let bytes = get(http, &package_url, req).await?;
    let actual = hex::encode(Sha256::digest(&bytes));
    if !actual.eq_ignore_ascii_case(entry.digest.trim_start_matches("sha256:")) {
        return Err(ChartError::DigestMismatch {
            url: package_url,
            expected: entry.digest.clone(),
            actual,
        });
    }
    let manifest = read_package(&bytes, req.app, &package_url)?;
    Ok(FetchedChart {
        version: entry.version().to_owned(),
        package_url,
        digest: actual,
        manifest,
    })
}

/// `loadIndex` with the strict rules (see the module doc).
pub fn read_index(text: &str) -> Result<IndexFile, ChartError> {
    let index =
        parse_index(text, ParseMode::Strict).map_err(|e| ChartError::Index(e.to_string()))?;
    for entry in index.entries() {
        if !is_strict_semver(entry.version()) {
            return Err(ChartError::NotSemver {
                app: entry.name().to_owned(),
                version: entry.version().to_owned(),
            });
        }
    }
    Ok(index)
}

/// Helm's `IndexFile.Get`: the exact version, or the newest when none is asked for.
fn lookup<'i>(
    index: &'i IndexFile,
    app: &str,
    version: &str,
) -> Result<&'i helm_index::ChartVersion, ChartError> {
    let versions = index.versions(app);
    if versions.is_empty() {
        return Err(ChartError::AppNotFound(app.to_owned()));
    }
    let found = if version.is_empty() {
        versions.first()
    } else {
        index.get(app, version)
    };
    found.ok_or_else(|| ChartError::VersionNotFound {
        app: app.to_owned(),
        version: version.to_owned(),
    })
}

/// Opens the package with the capped reader, checks its top folder is the app's name
/// (app-service reads `ChartsPath/{name}`), and parses the rendered manifest.
fn read_package(bytes: &[u8], app: &str, url: &str) -> Result<OlaresManifest, ChartError> {
    let archive =
        read_chart_archive(bytes, &Limits::default()).map_err(|e| ChartError::Archive {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    archive.require_top(app).map_err(|e| ChartError::Archive {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    let file = archive
        .file(OLARES_MANIFEST)
        .ok_or_else(|| ChartError::NoManifest {
            url: url.to_owned(),
        })?;
    OlaresManifest::parse(&file.data).map_err(|e| ChartError::Manifest {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}

async fn get(
    http: &reqwest::Client,
    url: &str,
    req: &ChartRequest<'_>,
) -> Result<Vec<u8>, ChartError> {
    let transport = |e: reqwest::Error| ChartError::Transport {
        url: url.to_owned(),
        reason: e.to_string(),
    };
    let res = http
        .get(url)
        .header(MARKET_USER, req.market_user)
        .header(MARKET_SOURCE, req.market_source)
        // app-service's resty client has a 10 s timeout.
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(transport)?;
    let status = res.status().as_u16();
    if status >= 400 {
        return Err(ChartError::Status {
            url: url.to_owned(),
            status,
        });
    }
    Ok(res.bytes().await.map_err(transport)?.to_vec())
}

/// Masterminds' `StrictNewVersion`: MAJOR.MINOR.PATCH, numbers without leading zeros,
/// optional `-pre` and `+build` of dot-separated identifiers. (A copy of the check in
/// chart-repo's `tests/api/helm_repo.rs`, which may not depend on this package.)
pub fn is_strict_semver(v: &str) -> bool {
    let ident = |s: &str| {
        !s.is_empty()
            && s.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
    };
    let (rest, build) = v.split_once('+').map_or((v, None), |(a, b)| (a, Some(b)));
    let (core, pre) = rest
        .split_once('-')
        .map_or((rest, None), |(a, b)| (a, Some(b)));
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers.iter().all(|n| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n.len() == 1 || !n.starts_with('0'))
        })
        && pre.is_none_or(ident)
        && build.is_none_or(ident)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_semver() {
        for good in ["1.0.15", "0.1.0-rc.1", "1.2.3+build.5"] {
            assert!(is_strict_semver(good), "{good}");
        }
        for bad in ["1.0", "v1.0.0", "01.0.0", "1.0.0-", ""] {
            assert!(!is_strict_semver(bad), "{bad}");
        }
    }

    #[test]
    fn an_index_with_an_unknown_key_or_no_api_version_is_refused() {
        let unknown = "apiVersion: v1\nentries: {}\nsurprise: 1\n";
        assert!(matches!(read_index(unknown), Err(ChartError::Index(_))));
        let no_api = "entries: {}\n";
        assert!(matches!(read_index(no_api), Err(ChartError::Index(_))));
    }
}
