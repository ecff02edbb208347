//! The Helm repository endpoints (DESIGN.md §4.2), per user and source: chosen by the
//! `X-Market-User` / `X-Market-Source` headers (what app-service sends), or by the path
//! `/u/{user}/{source}/…` for clients that cannot send headers (`helm repo add`).
//!
//! The index is served from the in-memory snapshot with `ETag`/`Last-Modified`, 304s and
//! gzip; packages from disk with a strong `ETag` (their digest), single byte ranges and
//! 304s. A served package is recorded as the user's download.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use market_model::SourceId;
use serde_json::json;

use super::error::ApiError;
use crate::index::served::ServedPackage;
use crate::state::AppState;
use crate::store::Download;

pub const USER_HEADER: &str = "x-market-user";
pub const SOURCE_HEADER: &str = "x-market-source";

const STATIC_INDEX: &str = "/static-index.yaml";
const INDEX: &str = "/index.yaml";
const CHART: &str = "/charts/{file}";
const USER_INDEX: &str = "/u/{user}/{source}/index.yaml";
const USER_STATIC_INDEX: &str = "/u/{user}/{source}/static-index.yaml";
const USER_CHART: &str = "/u/{user}/{source}/charts/{file}";

/// The routes Helm clients poll and download from, hot and read-only: their `request`
/// span is at DEBUG (see `service_runtime::http::StackConfig`).
pub const QUIET_ROUTES: &[&str] = &[
    STATIC_INDEX,
    INDEX,
    CHART,
    USER_INDEX,
    USER_STATIC_INDEX,
    USER_CHART,
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(STATIC_INDEX, get(index))
        .route(INDEX, get(index))
        .route(CHART, get(chart))
        .route("/api/v1/charts/{name}/versions", get(versions))
        .route(USER_INDEX, get(user_index))
        .route(USER_STATIC_INDEX, get(user_index))
        .route(USER_CHART, get(user_chart))
}

/// The repository the headers name.
fn repo_of(headers: &HeaderMap) -> Result<(String, SourceId), ApiError> {
    let get = |name: &'static str, shown: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or(ApiError::MissingHeader(shown))
    };
    let user = get(USER_HEADER, "X-Market-User")?;
    let source = get(SOURCE_HEADER, "X-Market-Source")?;
    Ok((user, parse_source(&source)?))
}

fn parse_source(raw: &str) -> Result<SourceId, ApiError> {
    SourceId::parse(raw).map_err(|e| ApiError::BadRequest(format!("source: {e}")))
}

// The Helm routes take the whole `Request` rather than a `HeaderMap`, which axum would
// clone per request.
async fn index(State(state): State<AppState>, request: Request) -> Response {
    let headers = request.headers();
    chosen_by_headers(
        repo_of(headers).map(|(user, source)| serve_index(&state, &user, &source, headers)),
    )
}

/// A response chosen by `X-Market-User`/`X-Market-Source` says so in `Vary`, so no HTTP
/// cache between us and a client hands one user's index or package to another (their
/// 404s included).
fn chosen_by_headers(result: Result<Response, ApiError>) -> Response {
    let mut response = result.unwrap_or_else(IntoResponse::into_response);
    response.headers_mut().append(
        header::VARY,
        HeaderValue::from_static("X-Market-User, X-Market-Source"),
    );
    response
}

async fn user_index(
    State(state): State<AppState>,
    Path((user, source)): Path<(String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    Ok(serve_index(
        &state,
        &user,
        &parse_source(&source)?,
        request.headers(),
    ))
}

fn serve_index(state: &AppState, user: &str, source: &SourceId, headers: &HeaderMap) -> Response {
    let served = state.indexes.served(user, source.as_str());
    let gzip = accepts_gzip(headers);
    let etag = if gzip {
        &served.etag_gzip
    } else {
        &served.etag
    };
    let mut response = if not_modified(headers, &etag.text, Some(served.held_since())) {
        StatusCode::NOT_MODIFIED.into_response()
    } else if gzip {
        let mut r = Body::from(bytes_of(served.gzip())).into_response();
        r.headers_mut()
            .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        r
    } else {
        Body::from(bytes_of(served.yaml.clone())).into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-yaml"),
    );
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(header::ETAG, etag.header.clone());
    h.insert(header::LAST_MODIFIED, served.last_modified_header.clone());
    response
}

async fn chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
    request: Request,
) -> Response {
    let (method, headers) = (request.method(), request.headers());
    let result = match repo_of(headers) {
        Ok((user, source)) => serve_chart(&state, method, &user, &source, &file, headers).await,
        Err(e) => Err(e),
    };
    chosen_by_headers(result)
}

async fn user_chart(
    State(state): State<AppState>,
    Path((user, source, file)): Path<(String, String, String)>,
    request: Request,
) -> Result<Response, ApiError> {
    let source = parse_source(&source)?;
    let (method, headers) = (request.method(), request.headers());
    serve_chart(&state, method, &user, &source, &file, headers).await
}

/// A package, whole or a range. A GET is recorded as the user's download; a HEAD (a
/// client checking the package) is not.
async fn serve_chart(
    state: &AppState,
    method: &Method,
    user: &str,
    source: &SourceId,
    file: &str,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let package = state
        .indexes
        .package(user, source.as_str(), file)
        .ok_or_else(|| ApiError::NotFound(format!("{user} has no chart {file} in {source}")))?;
    let etag = &package.etag;
    if not_modified(headers, &etag.text, None) {
        let mut r = StatusCode::NOT_MODIFIED.into_response();
        r.headers_mut().insert(header::ETAG, etag.header.clone());
        return Ok(r);
    }
    let bytes = state
        .packages
        .rendered_to_serve(&package.key, &package.digest)
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .ok_or_else(|| ApiError::NotFound(format!("{user} has no chart {file} in {source}")))?;
    // A HEAD is not a download.
    if method != Method::HEAD {
        record_download(state, &package, source).await;
    }
    let total = bytes.len() as u64;
    let range = if if_range_holds(headers, &etag.text) {
        range_of(headers, total)
    } else {
        Range::Full
    };
    let mut response = match range {
        Range::Full => Body::from(bytes).into_response(),
        Range::Part(start, end) => {
            let part = bytes.slice(start as usize..=end as usize);
            let mut r = (StatusCode::PARTIAL_CONTENT, Body::from(part)).into_response();
            let value = format!("bytes {start}-{end}/{total}");
            r.headers_mut()
                .insert(header::CONTENT_RANGE, header_value(&value));
            r
        }
        Range::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            r.headers_mut().insert(
                header::CONTENT_RANGE,
                header_value(&format!("bytes */{total}")),
            );
            return Ok(r);
        }
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/gzip"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, etag.header.clone());
    Ok(response)
}

/// Adds the download to the user's history, unless it repeats the one just recorded.
async fn record_download(state: &AppState, package: &ServedPackage, source: &SourceId) {
    let key = &package.key;
    let now = std::time::Instant::now();
    if !state
        .downloads
        .should_record(&key.user, &key.name, &key.version, source, now)
    {
        return;
    }
    let download = Download {
        version: key.version.clone(),
        source: source.clone(),
        at: Utc::now(),
    };
    if let Err(e) = state
        .store
        .record_download(&key.user, &key.name, &download)
        .await
    {
        tracing::warn!(error = %e, "could not record a download");
    }
}

async fn versions(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Response {
    chosen_by_headers(chart_versions(&state, &headers, &name))
}

fn chart_versions(state: &AppState, headers: &HeaderMap, name: &str) -> Result<Response, ApiError> {
    let (user, source) = repo_of(headers)?;
    let versions = state.indexes.versions(&user, source.as_str(), name);
    if versions.is_empty() {
        return Err(ApiError::NotFound(format!(
            "{user} has no chart {name} in {source}"
        )));
    }
    Ok(axum::Json(
        json!({ "chart_name": name, "total_count": versions.len(), "versions": versions }),
    )
    .into_response())
}

enum Range {
    Full,
    Part(u64, u64),
    Unsatisfiable,
}

/// A single `bytes=` range; several ranges, or a malformed header, get the whole body
/// (which RFC 9110 allows).
fn range_of(headers: &HeaderMap, total: u64) -> Range {
    let Some(spec) = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().strip_prefix("bytes="))
    else {
        return Range::Full;
    };
    if spec.contains(',') {
        return Range::Full;
    }
    let Some((a, b)) = spec.split_once('-') else {
        return Range::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let range = match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(start), Ok(end)) if start <= end => Some((start, end.min(total.saturating_sub(1)))),
        (Ok(start), Err(_)) if b.is_empty() => Some((start, total.saturating_sub(1))),
        (Err(_), Ok(n)) if a.is_empty() && n > 0 => {
            Some((total.saturating_sub(n), total.saturating_sub(1)))
        }
        _ => return Range::Full,
    };
    match range {
        Some((start, end)) if start < total && start <= end => Range::Part(start, end),
        _ => Range::Unsatisfiable,
    }
}

/// `If-Range` (RFC 9110 §13.1.5): the range applies only when the client's validator is
/// this package's strong ETag; otherwise (another ETag, or a date, which packages do not
/// carry) the client gets the whole current body instead of a splice of two packages.
fn if_range_holds(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.to_str().is_ok_and(|v| v.trim() == etag))
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|enc| {
            let mut parts = enc.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// `If-None-Match` decides when present; otherwise `If-Modified-Since` (RFC 9110 §13.2.2),
/// which holds from `held_since` on (see `ServedIndex::held_since`).
fn not_modified(headers: &HeaderMap, etag: &str, held_since: Option<DateTime<Utc>>) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        return inm
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag);
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok());
    matches!((since, held_since), (Some(since), Some(held)) if held <= since)
}

fn header_value(s: &str) -> HeaderValue {
    // Our values are ASCII (hex digests, numbers, HTTP dates).
    HeaderValue::from_str(s).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn bytes_of(data: std::sync::Arc<[u8]>) -> axum::body::Bytes {
    axum::body::Bytes::from_owner(ArcBytes(data))
}

struct ArcBytes(std::sync::Arc<[u8]>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(name: header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        let r = |v: &str| match range_of(&with(header::RANGE, v), 100) {
            Range::Full => "full".to_owned(),
            Range::Part(a, b) => format!("{a}-{b}"),
            Range::Unsatisfiable => "416".to_owned(),
        };
        assert_eq!(r("bytes=0-9"), "0-9");
        assert_eq!(r("bytes=90-"), "90-99");
        assert_eq!(r("bytes=-10"), "90-99");
        assert_eq!(r("bytes=50-500"), "50-99");
        assert_eq!(r("bytes=100-"), "416");
        assert_eq!(r("bytes=0-1,5-6"), "full");
        assert_eq!(r("items=0-1"), "full");
        assert_eq!(r("bytes=9-2"), "full");
    }

    #[test]
    fn if_range_needs_the_strong_etag() {
        assert!(if_range_holds(&HeaderMap::new(), "\"d\""));
        assert!(if_range_holds(&with(header::IF_RANGE, "\"d\""), "\"d\""));
        assert!(!if_range_holds(&with(header::IF_RANGE, "\"e\""), "\"d\""));
        assert!(!if_range_holds(&with(header::IF_RANGE, "W/\"d\""), "\"d\""));
        assert!(!if_range_holds(
            &with(header::IF_RANGE, "Mon, 23 Nov 2026 10:00:00 GMT"),
            "\"d\""
        ));
    }

    #[test]
    fn validators() {
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, "\"a\", \"b\""),
            "\"b\"",
            None
        ));
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, "W/\"b\""),
            "\"b\"",
            None
        ));
        assert!(!not_modified(
            &with(header::IF_NONE_MATCH, "\"c\""),
            "\"b\"",
            None
        ));
        let lm = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .to_utc();
        let since = with(header::IF_MODIFIED_SINCE, "Mon, 23 Nov 2026 10:00:00 GMT");
        assert!(not_modified(&since, "\"x\"", Some(lm)));
        assert!(!not_modified(
            &since,
            "\"x\"",
            Some(lm + chrono::Duration::seconds(1))
        ));
        assert!(accepts_gzip(&with(
            header::ACCEPT_ENCODING,
            "br, gzip;q=0.8"
        )));
        assert!(!accepts_gzip(&with(header::ACCEPT_ENCODING, "gzip;q=0")));
    }
}
