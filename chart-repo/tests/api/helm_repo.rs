//! The Helm repository endpoints (DESIGN.md §4.2) as their two clients use them: the real
//! Helm library (`helm repo add` + `helm pull` against `/u/{user}/{source}/`, then a
//! render of what it pulled), and app-service's rules over `/static-index.yaml` (Go-strict
//! `repo.IndexFile`, semver versions, relative URLs, top folder = app name). Plus the HTTP
//! semantics both rely on: validators, 304, gzip, ranges, and a new version replacing
//! the old one.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use helm_index::{IndexFile, ParseMode, parse_index};
use olares_chart::{Limits, read_chart_archive};
use sha2::{Digest, Sha256};
use test_harness::{HelmPeer, fixtures};

use crate::harness::{
    SOURCE, TestRepo, TestSource, entry, olares_catalog, serve_source, spawn_repo, sync_request,
};

/// Three fixture apps of different shapes: a plain web app, one that branches on the
/// admin, and a file manager.
const APPS: [&str; 3] = ["ghost", "ollama", "filebrowser"];

async fn hydrated(
    apps: &[&str],
) -> (
    TestSource,
    TestRepo,
    Vec<market_model::protocol::ApplicationInfoEntry>,
) {
    let source = serve_source(olares_catalog()).await;
    let repo = spawn_repo(|_, _| {}).await;
    repo.put_remote_source(&source.base).await;
    let entries = repo.hydrate(&source, apps, "alice", "alice").await;
    (source, repo, entries)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Decodes a gzip HTTP body (the index, not a chart archive: charts are only opened with
/// the capped reader, which is why clippy.toml forbids the decoder elsewhere).
#[allow(clippy::disallowed_methods)]
fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// Masterminds' strict semver (what app-service requires): MAJOR.MINOR.PATCH, numbers
/// without leading zeros, optional `-pre` and `+build` of dot-separated identifiers.
fn is_strict_semver(v: &str) -> bool {
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

#[test]
fn strict_semver_as_app_service_reads_it() {
    for good in ["1.0.15", "0.1.0-rc.1", "1.2.3+build.5", "10.20.30-a-b+c"] {
        assert!(is_strict_semver(good), "{good}");
    }
    for bad in [
        "1.0",
        "v1.0.0",
        "01.0.0",
        "1.0.0-",
        "1.0.0+",
        "1.0.0-a..b",
        "",
    ] {
        assert!(!is_strict_semver(bad), "{bad}");
    }
}

#[tokio::test]
async fn helm_adds_the_user_repository_pulls_a_chart_checks_its_digest_and_renders_it() {
    let (_source, repo, entries) = hydrated(&APPS).await;
    let repo_url = format!("{}/u/alice/{SOURCE}", repo.url);
    let out = tempfile::tempdir().unwrap();
    let ghost = entries[0].clone();

    let peer = HelmPeer::locate();
    let (index, pulled, render) = tokio::task::spawn_blocking({
        let (peer, repo_url, dest) = (peer.clone(), repo_url.clone(), out.path().to_owned());
        let version = ghost.version.clone();
        move || {
            // `helm repo add` / `helm repo update`: Helm's repository client loads the index.
            let index: serde_json::Value =
                serde_json::from_str(&peer.repo_index(&repo_url)).unwrap();
            // `helm pull ghost --repo URL --version V -d DEST`.
            let pulled = peer.python_snippet(
                "r = h.pull(sys.argv[1], repo_url=sys.argv[2], version=sys.argv[3], destination=sys.argv[4])\n\
                 print(json.dumps({'pull': r, 'digest': h.digest(sys.argv[4] + '/' + sys.argv[1] + '-' + sys.argv[3] + '.tgz')}))",
                &["ghost", &repo_url, &version, dest.to_str().unwrap()],
            );
            let pulled: serde_json::Value = serde_json::from_str(&pulled).unwrap();
            let tgz = dest.join(format!("ghost-{version}.tgz"));
            let values = fixtures::fixtures_dir().join("values/olares-user.yaml");
            let render = peer.render([
                tgz.as_os_str(),
                "--values".as_ref(),
                values.as_os_str(),
            ]);
            (index, pulled, render)
        }
    })
    .await
    .unwrap();

    // Helm's client keeps every entry we serve (it drops invalid ones silently).
    assert_eq!(index["apiVersion"], "v1", "{index}");
    for e in &entries {
        let versions = index["entries"][&e.name].as_array().unwrap_or_else(|| {
            panic!("Helm's client lost {}: {index}", e.name);
        });
        assert_eq!(versions.len(), 1, "{}: {versions:?}", e.name);
        let v = &versions[0];
        assert_eq!(v["version"], e.version.as_str());
        assert_eq!(v["urls"][0], format!("charts/{}-{}.tgz", e.name, e.version));
    }

    let tgz = out.path().join(format!("ghost-{}.tgz", ghost.version));
    let bytes = std::fs::read(&tgz).unwrap();
    let want = index["entries"]["ghost"][0]["digest"].as_str().unwrap();
    assert_eq!(sha256_hex(&bytes), want, "pulled bytes vs index digest");
    assert_eq!(
        pulled["digest"]
            .as_str()
            .unwrap()
            .trim_start_matches("sha256:"),
        want,
        "Helm's own digest of the pulled file: {pulled}"
    );

    assert!(
        render.status.success(),
        "Helm could not render what it pulled: {}",
        String::from_utf8_lossy(&render.stderr)
    );
    let rendered: serde_json::Value = serde_json::from_slice(&render.stdout).unwrap();
    let files = rendered.as_object().unwrap();
    assert!(
        files.keys().any(|k| k.starts_with("ghost/templates/")),
        "{:?}",
        files.keys().collect::<Vec<_>>()
    );
    assert!(
        files
            .values()
            .any(|t| t.as_str().is_some_and(|t| t.contains("kind:"))),
        "no manifest rendered"
    );
}

/// The relative `charts/…` URL of an entry, resolved against the index URL as app-service
/// (and Helm) resolve it.
fn resolve(index_url: &str, relative: &str) -> String {
    url::Url::parse(index_url)
        .unwrap()
        .join(relative)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn static_index_passes_app_service_rules() {
    let (_source, repo, entries) = hydrated(&APPS).await;
    let index_url = format!("{}/static-index.yaml", repo.url);
    let res = repo
        .helm_get("/static-index.yaml", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-yaml");
    let text = res.text().await.unwrap();

    // Go's strict YAML into repo.IndexFile: an unknown key anywhere is an error.
    let index: IndexFile = parse_index(&text, ParseMode::Strict)
        .unwrap_or_else(|e| panic!("app-service would refuse the index: {e}\n{text}"));
    assert!(
        text.lines().any(|l| l == "apiVersion: v1"),
        "apiVersion missing:\n{text}"
    );
    assert_eq!(index.api_version, "v1");
    assert_eq!(index.len(), entries.len(), "{text}");
    for e in index.entries() {
        assert!(
            is_strict_semver(e.version()),
            "{} {}",
            e.name(),
            e.version()
        );
        assert_eq!(e.digest.len(), 64);
        assert_eq!(e.digest, e.digest.to_lowercase());
    }

    for wanted in &entries {
        // Lookup by name and version, as app-service does before downloading.
        let e = index
            .get(&wanted.name, &wanted.version)
            .unwrap_or_else(|| panic!("{} {} not in the index", wanted.name, wanted.version));
        let relative = format!("charts/{}-{}.tgz", wanted.name, wanted.version);
        assert_eq!(e.urls, std::slice::from_ref(&relative));
        let url = resolve(&index_url, &relative);
        assert_eq!(url, format!("{}/{relative}", repo.url));
        let package = repo
            .client
            .get(&url)
            .header("X-Market-User", "alice")
            .header("X-Market-Source", SOURCE)
            .send()
            .await
            .unwrap();
        assert_eq!(package.status(), 200, "{url}");
        assert_eq!(package.headers()["content-type"], "application/gzip");
        let bytes = package.bytes().await.unwrap();
        assert_eq!(sha256_hex(&bytes), e.digest, "{url}");
        // app-service reads ChartsPath/{name}: the single top folder is the app name.
        let archive = read_chart_archive(&bytes, &Limits::default()).unwrap();
        assert_eq!(archive.top, wanted.name);
        assert!(archive.file("Chart.yaml").is_some());
        assert!(archive.file("OlaresManifest.yaml").is_some());
    }

    // The same index under /u/{user}/{source}/ and /index.yaml.
    for path in ["/index.yaml".to_owned()] {
        let other = repo.helm_get(&path, "alice").send().await.unwrap();
        assert_eq!(other.text().await.unwrap(), text, "{path}");
    }
    let by_path = repo
        .client
        .get(format!("{}/u/alice/{SOURCE}/index.yaml", repo.url))
        .send()
        .await
        .unwrap();
    assert_eq!(by_path.text().await.unwrap(), text);
}

#[tokio::test]
async fn the_index_has_validators_304s_and_gzip() {
    let (source, repo, _) = hydrated(&APPS[..1]).await;
    let first = repo
        .helm_get("/static-index.yaml", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    let last_modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let yaml = first.bytes().await.unwrap();

    let again = repo
        .helm_get("/static-index.yaml", "alice")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());

    // If-Modified-Since: a date after the last change is a 304, one before it a 200. (The
    // Last-Modified second itself is a 304 only when no earlier state shares that second,
    // which depends on timing: see `ServedIndex::held_since`.)
    let lm = chrono::DateTime::parse_from_rfc2822(&last_modified).unwrap();
    let http_date = |d: chrono::DateTime<chrono::FixedOffset>| {
        d.to_utc().format("%a, %d %b %Y %H:%M:%S GMT").to_string()
    };
    for (date, want) in [
        (lm + chrono::Duration::seconds(1), 304),
        (lm + chrono::Duration::days(1), 304),
        (lm - chrono::Duration::seconds(1), 200),
    ] {
        let since = repo
            .helm_get("/static-index.yaml", "alice")
            .header("If-Modified-Since", http_date(date))
            .send()
            .await
            .unwrap();
        assert_eq!(since.status(), want, "If-Modified-Since {date}");
    }
    // If-None-Match decides when both are sent.
    let both = repo
        .helm_get("/static-index.yaml", "alice")
        .header("If-None-Match", "\"something-else\"")
        .header(
            "If-Modified-Since",
            http_date(lm + chrono::Duration::days(1)),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 200);

    let stale = repo
        .helm_get("/static-index.yaml", "alice")
        .header("If-None-Match", "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), 200);

    let gz = repo
        .helm_get("/static-index.yaml", "alice")
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gz.status(), 200);
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.headers()["vary"], "Accept-Encoding");
    let gz_etag = gz.headers()["etag"].to_str().unwrap().to_owned();
    assert_ne!(gz_etag, etag, "a gzip body needs its own validator");
    let body = gz.bytes().await.unwrap();
    assert!(body.len() < yaml.len());
    assert_eq!(gunzip(&body), yaml.as_ref());
    let gz_again = repo
        .helm_get("/static-index.yaml", "alice")
        .header("Accept-Encoding", "gzip")
        .header("If-None-Match", &gz_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(gz_again.status(), 304);

    // Another change, likely within the same second: the old validators no longer hold,
    // not even the old Last-Modified when the change falls within its second.
    repo.hydrate(&source, &["filebrowser"], "alice", "alice")
        .await;
    for (name, value) in [
        ("If-None-Match", etag.as_str()),
        ("If-Modified-Since", last_modified.as_str()),
    ] {
        let changed = repo
            .helm_get("/static-index.yaml", "alice")
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), 200, "{name}: {value}");
    }
}

#[tokio::test]
async fn packages_have_a_strong_etag_ranges_and_304s() {
    let (_source, repo, entries) = hydrated(&APPS[..1]).await;
    let ghost = &entries[0];
    let path = format!("/charts/ghost-{}.tgz", ghost.version);
    let full = repo.helm_get(&path, "alice").send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    let bytes = full.bytes().await.unwrap();
    assert_eq!(
        etag,
        format!("\"{}\"", sha256_hex(&bytes)),
        "strong ETag = digest"
    );

    let part = repo
        .helm_get(&path, "alice")
        .header("Range", "bytes=0-99")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 0-99/{}", bytes.len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap(), bytes.slice(0..100));

    let tail = repo
        .helm_get(&path, "alice")
        .header("Range", "bytes=-10")
        .send()
        .await
        .unwrap();
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.bytes().await.unwrap(), bytes.slice(bytes.len() - 10..));

    let beyond = repo
        .helm_get(&path, "alice")
        .header("Range", "bytes=999999999-")
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", bytes.len()).as_str()
    );

    // If-Range: a resumed download of the same package gets the part; one of another
    // package (a stale validator) gets the whole new body, never a splice of two.
    let resumed = repo
        .helm_get(&path, "alice")
        .header("Range", "bytes=100-")
        .header("If-Range", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(resumed.status(), 206);
    assert_eq!(resumed.bytes().await.unwrap(), bytes.slice(100..));
    let stale = repo
        .helm_get(&path, "alice")
        .header("Range", "bytes=100-")
        .header("If-Range", "\"0000\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        200,
        "If-Range with a stale ETag must send it all"
    );
    assert_eq!(stale.bytes().await.unwrap(), bytes);

    let cached = repo
        .helm_get(&path, "alice")
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert_eq!(cached.headers()["etag"], etag.as_str());

    let missing = repo
        .helm_get("/charts/ghost-9.9.9.tgz", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn helm_endpoints_without_the_headers_are_400s_naming_them() {
    let (_source, repo, entries) = hydrated(&APPS[..1]).await;
    let chart = format!("/charts/ghost-{}.tgz", entries[0].version);
    for path in [
        "/static-index.yaml",
        "/index.yaml",
        chart.as_str(),
        "/api/v1/charts/ghost/versions",
    ] {
        let url = format!("{}{path}", repo.url);
        let none = repo.client.get(&url).send().await.unwrap();
        assert_eq!(none.status(), 400, "{path}");
        let body: serde_json::Value = none.json().await.unwrap();
        assert_eq!(body["success"], false);
        assert!(
            body["message"].as_str().unwrap().contains("X-Market-User"),
            "{path}: {body}"
        );
        let no_source = repo
            .client
            .get(&url)
            .header("X-Market-User", "alice")
            .send()
            .await
            .unwrap();
        assert_eq!(no_source.status(), 400, "{path}");
        let body: serde_json::Value = no_source.json().await.unwrap();
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("X-Market-Source"),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn chart_versions_lists_the_users_versions_and_404s_an_unknown_chart() {
    let (_source, repo, entries) = hydrated(&APPS[..1]).await;
    let res = repo
        .helm_get("/api/v1/charts/ghost/versions", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["chart_name"], "ghost");
    assert_eq!(body["versions"], serde_json::json!([entries[0].version]));
    assert_eq!(body["total_count"], 1);

    let unknown = repo
        .helm_get("/api/v1/charts/no-such-chart/versions", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(body["success"], false, "{body}");
}

/// Rewrites `from` to `to` in a file (the version fields of a copied fixture).
fn bump(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn a_new_version_replaces_the_old_in_the_index_and_on_the_wire() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("catalog");
    copy_dir(&fixtures::chart("olares/ghost"), &dir.join("ghost"));
    let catalog = {
        let dir = dir.clone();
        Arc::new(
            tokio::task::spawn_blocking(move || market_source::Catalog::open(dir).unwrap())
                .await
                .unwrap(),
        )
    };
    let source = serve_source(catalog.clone()).await;
    let repo = spawn_repo(|_, _| {}).await;
    repo.put_remote_source(&source.base).await;
    let old = repo
        .hydrate(&source, &["ghost"], "alice", "alice")
        .await
        .remove(0);
    assert_eq!(old.version, "1.0.15");
    let old_file = format!("ghost-{}.tgz", old.version);
    let before = repo
        .helm_get("/static-index.yaml", "alice")
        .send()
        .await
        .unwrap();
    let before_etag = before.headers()["etag"].to_str().unwrap().to_owned();

    bump(
        &dir.join("ghost/Chart.yaml"),
        "version: 1.0.15",
        "version: 1.0.16",
    );
    bump(
        &dir.join("ghost/OlaresManifest.yaml"),
        "  version: '1.0.15'",
        "  version: '1.0.16'",
    );
    tokio::task::spawn_blocking({
        let catalog = catalog.clone();
        move || catalog.reload().unwrap()
    })
    .await
    .unwrap();
    let new = entry(&source, "ghost").await;
    assert_eq!(new.version, "1.0.16");
    let (status, body) = repo.sync(&sync_request(&new, "alice", "alice")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["status"], "updated", "{body}");

    let res = repo
        .helm_get("/static-index.yaml", "alice")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["etag"].to_str().unwrap(), before_etag);
    let index = parse_index(&res.text().await.unwrap(), ParseMode::Strict).unwrap();
    assert!(index.has("ghost", "1.0.16"));
    assert!(
        !index.has("ghost", "1.0.15"),
        "the old version stays listed"
    );
    assert_eq!(index.versions("ghost").len(), 1);

    for old_url in [
        format!("{}/charts/{old_file}", repo.url),
        format!("{}/u/alice/{SOURCE}/charts/{old_file}", repo.url),
    ] {
        let gone = repo
            .client
            .get(&old_url)
            .header("X-Market-User", "alice")
            .header("X-Market-Source", SOURCE)
            .send()
            .await
            .unwrap();
        assert_eq!(gone.status(), 404, "{old_url}");
    }
    let current = repo
        .helm_get("/charts/ghost-1.0.16.tgz", "alice")
        .send()
        .await
        .unwrap();
    assert_eq!(current.status(), 200);
    let versions: serde_json::Value = repo
        .helm_get("/api/v1/charts/ghost/versions", "alice")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(versions["versions"], serde_json::json!(["1.0.16"]));

    // Only the new package is left on disk.
    let mut packages = Vec::new();
    let mut stack = vec![repo.data_dir().to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.to_string_lossy().ends_with(".tgz") {
                packages.push(p);
            }
        }
    }
    let rendered = |file: &str| {
        packages
            .iter()
            .filter(|p| p.ends_with(format!("rendered/alice/{SOURCE}/{file}")))
            .count()
    };
    assert_eq!(rendered("ghost-1.0.16.tgz"), 1, "{packages:?}");
    assert_eq!(
        rendered(&old_file),
        0,
        "the old rendered package stays on disk: {packages:?}"
    );
}
