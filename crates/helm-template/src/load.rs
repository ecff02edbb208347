//! Reading a chart from disk as Helm's loader does: a directory walked in
//! lexical order (symbolic links followed) under its `.helmignore` rules, or a
//! `.tgz` through the capped reader; vendored `charts/*.tgz` are unpacked the
//! same way.

use std::path::Path;

use olares_chart::{HelmIgnore, Limits, read_chart_archive_selected};

use crate::chart::{Chart, File, LoadError};

/// Loads a chart directory or packaged `.tgz`.
pub fn load_path(path: &Path) -> Result<Chart, LoadError> {
    let io = |e: std::io::Error| LoadError::BadFile {
        file: path.display().to_string(),
        reason: e.to_string(),
    };
    if path.is_dir() {
        let files = read_dir(path)?;
        Chart::from_files(expand_archives(files)?)
    } else {
        load_archive(&std::fs::read(path).map_err(io)?)
    }
}

/// Loads a packaged chart from its bytes (Helm's `loader.LoadArchive`).
pub fn load_archive(bytes: &[u8]) -> Result<Chart, LoadError> {
    Chart::from_files(expand_archives(read_archive(bytes, &|_| true)?.0)?)
}

/// Loads only what Helm's loader checks and an index needs from a packaged chart: every
/// chart's `Chart.yaml` and `values.yaml`, and vendored subchart archives. Every entry is still decompressed and checked; templates and other files are
/// dropped unread. The chart loads (or fails) as [`load_archive`] would.
pub fn load_archive_metadata(bytes: &[u8]) -> Result<Chart, LoadError> {
    load_archive_metadata_digested(bytes).map(|(chart, _)| chart)
}

/// [`load_archive_metadata`] and the SHA-256 of `bytes`, which the reader computes as it
/// reads (an index needs both; hashing the package again would read it twice).
pub fn load_archive_metadata_digested(bytes: &[u8]) -> Result<(Chart, [u8; 32]), LoadError> {
    fn wanted(path: &str) -> bool {
        let mut rest = path;
        // Walk down `charts/<sub>/` prefixes to the file's own chart.
        while let Some(inner) = rest.strip_prefix("charts/") {
            match inner.split_once('/') {
                Some((_, tail)) => rest = tail,
                None => return inner.ends_with(".tgz"),
            }
        }
        matches!(rest, "Chart.yaml" | "values.yaml")
    }
    let (files, sha256) = read_archive(bytes, &wanted)?;
    Ok((Chart::from_files(expand_archives(files)?)?, sha256))
}

/// The files of a chart directory, paths relative to it.
pub fn read_dir(dir: &Path) -> Result<Vec<File>, LoadError> {
    let rules_text = std::fs::read_to_string(dir.join(".helmignore")).ok();
    let rules = HelmIgnore::for_chart(rules_text.as_deref()).map_err(|e| LoadError::BadFile {
        file: ".helmignore".into(),
        reason: e.to_string(),
    })?;
    let mut files = Vec::new();
    walk(dir, "", &rules, &mut files)?;
    Ok(files)
}

fn walk(
    dir: &Path,
    prefix: &str,
    rules: &HelmIgnore,
    out: &mut Vec<File>,
) -> Result<(), LoadError> {
    let bad = |file: &str, e: std::io::Error| LoadError::BadFile {
        file: file.to_owned(),
        reason: e.to_string(),
    };
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| bad(prefix, e))?
        .filter_map(|e| e.ok().and_then(|e| e.file_name().into_string().ok()))
        .collect();
    names.sort();
    for name in names {
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let full = dir.join(&name);
        // Follow symbolic links, as Helm's loader does.
        let meta = std::fs::metadata(&full).map_err(|e| bad(&rel, e))?;
        if meta.is_dir() {
            if !rules.ignored(&rel, true) {
                walk(&full, &rel, rules, out)?;
            }
            continue;
        }
        if rules.ignored(&rel, false) {
            continue;
        }
        if !meta.is_file() {
            return Err(LoadError::BadFile {
                file: rel,
                reason: "cannot load irregular file as it has file mode type bits set".into(),
            });
        }
        let data = std::fs::read(&full).map_err(|e| bad(&rel, e))?;
        out.push(File::new(rel, data));
    }
    Ok(())
}

/// The files of a packaged chart that `keep` accepts (all of them are checked).
/// The kept files of an archive and the SHA-256 of its bytes.
fn read_archive(
    bytes: &[u8],
    keep: &dyn Fn(&str) -> bool,
) -> Result<(Vec<File>, [u8; 32]), LoadError> {
    let archive = read_chart_archive_selected(bytes, &Limits::default(), keep).map_err(|e| {
        LoadError::BadFile {
            file: "chart archive".into(),
            reason: e.to_string(),
        }
    })?;
    let files = archive
        .files
        .into_iter()
        .map(|f| File::new(f.path, f.data))
        .collect();
    Ok((files, archive.sha256))
}

/// Replaces each `charts/X.tgz` by the files of that archive under `charts/X.tgz/`.
fn expand_archives(files: Vec<File>) -> Result<Vec<File>, LoadError> {
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let nested = file
            .name
            .strip_prefix("charts/")
            .filter(|rest| !rest.contains('/') && rest.ends_with(".tgz"));
        match nested {
            Some(archive) => {
                let inner = expand_archives(read_archive(&file.data, &|_| true)?.0)?;
                out.extend(
                    inner
                        .into_iter()
                        .map(|f| File::new(format!("charts/{archive}/{}", f.name), f.data)),
                );
            }
            None => out.push(file),
        }
    }
    Ok(out)
}
