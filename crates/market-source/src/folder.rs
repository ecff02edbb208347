//! Reading one app folder as `helm package` reads a chart folder (Helm's loader: names in
//! lexical order, `.helmignore` rules, an ignored folder skipped whole), with the limits of
//! a published catalog: a catalog folder may be a checkout of contributions, so nothing
//! in it may make the server read outside the app folder or without bound.
//!
//! Where Helm follows every symbolic link, we follow only links to regular files inside
//! the app folder, and refuse the app otherwise (a link out of the folder would publish a
//! file of the server; a link to a folder can loop). Sizes are checked before anything
//! is read, against the limits chart-repo's reader enforces on the package.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::{DateTime, Utc};
use olares_chart::helmignore::HELMIGNORE;
use olares_chart::{ChartFile, HelmIgnore, Limits};

use crate::SkipReason;

/// The files of an app folder, and when they changed.
#[derive(Debug)]
pub(crate) struct AppFolder {
    /// Chart-relative paths, in Helm's order.
    pub files: Vec<ChartFile>,
    /// The oldest modification time of a kept file (the epoch when none is known).
    pub oldest: DateTime<Utc>,
    /// The newest one.
    pub newest: DateTime<Utc>,
}

/// Reads the chart files of `dir` under its `.helmignore`.
pub(crate) fn read_app_folder(dir: &Path) -> Result<AppFolder, SkipReason> {
    let root = dir
        .canonicalize()
        .map_err(|e| SkipReason::Unreadable(e.to_string()))?;
    let rules_text = match std::fs::read_to_string(root.join(HELMIGNORE)) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(SkipReason::Unreadable(format!("{HELMIGNORE}: {e}"))),
    };
    let rules = HelmIgnore::for_chart(rules_text.as_deref())
        .map_err(|e| SkipReason::InvalidApp(e.to_string()))?;
    let mut walk = Walk {
        root: &root,
        rules: &rules,
        limits: Limits::default(),
        files: Vec::new(),
        bytes: 0,
        times: None,
    };
    walk.folder(&root, "")?;
    let epoch = SystemTime::UNIX_EPOCH;
    let (oldest, newest) = walk.times.unwrap_or((epoch, epoch));
    Ok(AppFolder {
        files: walk.files,
        oldest: oldest.into(),
        newest: newest.into(),
    })
}

struct Walk<'a> {
    root: &'a Path,
    rules: &'a HelmIgnore,
    limits: Limits,
    files: Vec<ChartFile>,
    bytes: u64,
    times: Option<(SystemTime, SystemTime)>,
}

impl Walk<'_> {
    fn folder(&mut self, dir: &Path, prefix: &str) -> Result<(), SkipReason> {
        let unreadable = |rel: &str, e: std::io::Error| {
            SkipReason::Unreadable(format!("{}: {e}", if rel.is_empty() { "." } else { rel }))
        };
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(|e| unreadable(prefix, e))?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        for name in names {
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let path = dir.join(&name);
            let meta = std::fs::symlink_metadata(&path).map_err(|e| unreadable(&rel, e))?;
            if meta.is_dir() {
                if !self.rules.ignored(&rel, true) {
                    self.folder(&path, &rel)?;
                }
                continue;
            }
            if self.rules.ignored(&rel, false) {
                continue;
            }
            let target = if meta.file_type().is_symlink() {
                self.link_target(&path, &rel)?
            } else if meta.is_file() {
                path
            } else {
                return Err(SkipReason::InvalidApp(format!(
                    "{rel} is neither a file nor a folder"
                )));
            };
            self.file(&target, rel)?;
        }
        Ok(())
    }

    /// Where a link leads, if it is a regular file inside the app folder.
    fn link_target(&self, link: &Path, rel: &str) -> Result<PathBuf, SkipReason> {
        let refuse = |why: &str| SkipReason::InvalidApp(format!("{rel} is a symbolic link {why}"));
        let target = link
            .canonicalize()
            .map_err(|_| refuse("that leads nowhere"))?;
        if !target.starts_with(self.root) {
            return Err(refuse("out of the app folder"));
        }
        if !target.is_file() {
            return Err(refuse("to something other than a file"));
        }
        Ok(target)
    }

    fn file(&mut self, path: &Path, rel: String) -> Result<(), SkipReason> {
        let meta =
            std::fs::metadata(path).map_err(|e| SkipReason::Unreadable(format!("{rel}: {e}")))?;
        if meta.len() > self.limits.max_file_bytes {
            return Err(SkipReason::Package(format!(
                "{rel} is larger than the {} bytes a chart file may have",
                self.limits.max_file_bytes
            )));
        }
        self.bytes += meta.len();
        if self.bytes > self.limits.max_unpacked_bytes {
            return Err(SkipReason::Package(format!(
                "the chart's files are larger than {} bytes",
                self.limits.max_unpacked_bytes
            )));
        }
        if self.files.len() as u64 >= self.limits.max_entries {
            return Err(SkipReason::Package(format!(
                "the chart has more than {} files",
                self.limits.max_entries
            )));
        }
        if let Ok(time) = meta.modified() {
            self.times = Some(match self.times {
                None => (time, time),
                Some((old, new)) => (old.min(time), new.max(time)),
            });
        }
        let data =
            std::fs::read(path).map_err(|e| SkipReason::Unreadable(format!("{rel}: {e}")))?;
        self.files.push(ChartFile::new(rel, data));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = tmp.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        tmp
    }

    fn paths(dir: &Path) -> Vec<String> {
        read_app_folder(dir)
            .unwrap()
            .files
            .into_iter()
            .map(|f| f.path)
            .collect()
    }

    #[test]
    fn reads_in_helm_order_under_helmignore() {
        let tmp = folder(&[
            ("Chart.yaml", "name: a"),
            (".helmignore", "*.bak\nsecret/\n"),
            ("b.bak", ""),
            ("secret/key", ""),
            ("templates/.hidden", ""),
            ("templates/x.yaml", ""),
            ("a.txt", ""),
        ]);
        assert_eq!(
            paths(tmp.path()),
            [".helmignore", "Chart.yaml", "a.txt", "templates/x.yaml"]
        );
    }

    #[test]
    fn links_stay_inside_and_lead_to_files() {
        let tmp = folder(&[("Chart.yaml", "name: a"), ("real.txt", "x")]);
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink("real.txt", tmp.path().join("inside.txt")).unwrap();
        let files = read_app_folder(tmp.path()).unwrap().files;
        assert_eq!(files[1].path, "inside.txt");
        assert_eq!(files[1].data, b"x");

        std::os::unix::fs::symlink(outside.path().join("secret"), tmp.path().join("leak")).unwrap();
        let err = read_app_folder(tmp.path()).unwrap_err();
        assert!(
            err.to_string().contains("leak is a symbolic link out of"),
            "{err}"
        );
        std::fs::remove_file(tmp.path().join("leak")).unwrap();

        std::os::unix::fs::symlink(".", tmp.path().join("loop")).unwrap();
        let err = read_app_folder(tmp.path()).unwrap_err();
        assert!(err.to_string().contains("other than a file"), "{err}");
    }

    #[test]
    fn oversized_files_are_refused_before_they_are_read() {
        let tmp = folder(&[("Chart.yaml", "name: a")]);
        let big = std::fs::File::create(tmp.path().join("big.bin")).unwrap();
        big.set_len(Limits::default().max_file_bytes + 1).unwrap();
        let err = read_app_folder(tmp.path()).unwrap_err();
        assert!(matches!(err, SkipReason::Package(_)), "{err}");
    }
}
