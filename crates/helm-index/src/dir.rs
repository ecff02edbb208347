//! Indexing a folder of packages as `helm repo index DIR [--url BASE]` does: every `*.tgz` in
//! the folder and in its immediate subfolders (Go's `filepath.Glob` with `*.tgz` and
//! `**/*.tgz`, where `**` is one `*`), each loaded as a chart (a file that does not load is
//! not a chart and is skipped, as Helm skips it), digested with SHA-256 and added with its
//! URL joined onto BASE. Packages are read and loaded on every core.

use std::path::{Path, PathBuf};

use crate::IndexError;
use crate::model::{ChartVersion, IndexFile};

/// One package as the index sees it.
#[derive(Debug)]
pub struct IndexedPackage {
    pub metadata: olares_chart::chart_yaml::Metadata,
    /// SHA-256 of the file, lower-case hex.
    pub digest: String,
}

/// Loads one package's bytes: `None` when they are not a loadable chart.
pub fn index_package(bytes: &[u8]) -> Option<IndexedPackage> {
    // The capped reader digests the bytes as it reads them.
    let (chart, sha256) = helm_template::load::load_archive_metadata_digested(bytes).ok()?;
    Some(IndexedPackage {
        metadata: chart.metadata,
        digest: hex::encode(sha256),
    })
}

fn sorted_names(dir: &Path) -> Result<Vec<String>, IndexError> {
    let read = std::fs::read_dir(dir).map_err(|e| IndexError::Io {
        file: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut names: Vec<String> = read
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

/// The packages `helm repo index` considers, as paths relative to `dir`, in Go's order.
fn archives(dir: &Path) -> Result<Vec<String>, IndexError> {
    let names = sorted_names(dir)?;
    let mut out: Vec<String> = names
        .iter()
        .filter(|n| n.ends_with(".tgz") && dir.join(n).is_file())
        .cloned()
        .collect();
    for sub in names.iter().filter(|n| dir.join(n).is_dir()) {
        let inner = sorted_names(&dir.join(sub))?;
        out.extend(
            inner
                .into_iter()
                .filter(|n| n.ends_with(".tgz") && dir.join(sub).join(n).is_file())
                .map(|n| format!("{sub}/{n}")),
        );
    }
    Ok(out)
}

/// Helm's `urlutil.URLJoin(base, parts…)`: the parts joined onto the base URL's path.
fn url_join(base: &str, parts: &[&str]) -> String {
    let (head, path, tail) = split_url(base);
    let mut segments: Vec<&str> = Vec::new();
    let joined: String = std::iter::once(path)
        .chain(parts.iter().copied())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("/");
    let rooted = joined.starts_with('/');
    for seg in joined.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if segments.last().is_some_and(|s| *s != "..") {
                    segments.pop();
                } else if !rooted {
                    segments.push("..");
                }
            }
            s => segments.push(s),
        }
    }
    let mut path = segments.join("/");
    if rooted || !head.is_empty() {
        path.insert(0, '/');
    }
    if head.is_empty() && !rooted && path.is_empty() {
        path.push('.');
    }
    format!("{head}{path}{tail}")
}

/// Splits `scheme://host` / path / `?query#fragment`.
fn split_url(url: &str) -> (&str, &str, &str) {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = if after_scheme > 0 {
        url[after_scheme..]
            .find('/')
            .map(|i| after_scheme + i)
            .unwrap_or(url.len())
    } else {
        0
    };
    let tail_start = url[path_start..]
        .find(['?', '#'])
        .map(|i| path_start + i)
        .unwrap_or(url.len());
    (
        &url[..path_start],
        &url[path_start..tail_start],
        &url[tail_start..],
    )
}

/// Indexes a folder as `helm repo index DIR --url BASE` does (without writing it).
pub fn index_directory(dir: &Path, base_url: Option<&str>) -> Result<IndexFile, IndexError> {
    let files = archives(dir)?;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(files.len().max(1));
    // Each worker claims the next unread package, so a worker slowed by a large package
    // or a busy core does not leave the others idle at the end (as fixed shares would).
    let next = std::sync::atomic::AtomicUsize::new(0);
    let load = |rel: &String| -> Result<Option<IndexedPackage>, IndexError> {
        let path: PathBuf = dir.join(rel);
        let bytes = std::fs::read(&path).map_err(|e| IndexError::Io {
            file: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Ok(index_package(&bytes))
    };
    let mut loaded: Vec<(usize, Result<Option<IndexedPackage>, IndexError>)> =
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    s.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(rel) = files.get(i) else { break };
                            done.push((i, load(rel)));
                        }
                        done
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
    // Back in Go's order, which the index's order of equal versions follows.
    loaded.sort_unstable_by_key(|(i, _)| *i);
    let mut index = IndexFile::new();
    for (i, package) in loaded {
        let rel = &files[i];
        let Some(package) = package? else { continue };
        let (parent, file) = rel.rsplit_once('/').unwrap_or(("", rel));
        let url = match base_url.filter(|b| !b.is_empty()) {
            Some(base) => url_join(base, &[parent, file]),
            None if parent.is_empty() => file.to_owned(),
            None => url_join(parent, &[file]),
        };
        // Loading validated the metadata, so Helm's `MustAdd` cannot refuse it.
        index.add(ChartVersion::new(package.metadata, url, package.digest));
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::url_join;

    #[test]
    fn joins_urls_as_helm() {
        assert_eq!(
            url_join("https://example.com/charts", &["", "a-1.0.0.tgz"]),
            "https://example.com/charts/a-1.0.0.tgz"
        );
        assert_eq!(
            url_join("https://example.com/charts/", &["sub", "a-1.0.0.tgz"]),
            "https://example.com/charts/sub/a-1.0.0.tgz"
        );
        assert_eq!(
            url_join("https://example.com", &["", "a.tgz"]),
            "https://example.com/a.tgz"
        );
        assert_eq!(
            url_join("http://h:8080/x?y=1", &["", "a.tgz"]),
            "http://h:8080/x/a.tgz?y=1"
        );
        assert_eq!(url_join("sub", &["a.tgz"]), "sub/a.tgz");
    }
}
