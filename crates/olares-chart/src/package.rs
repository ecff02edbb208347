//! The deterministic chart package writer: the same files always give the same `.tgz` bytes,
//! so a package's SHA-256 names its content. It owns the package layout (Helm's: file entries
//! only, `top/path`, mode 0644) and never reads or validates the chart's YAML.

use std::collections::HashSet;
use std::io::{self, Write};

use flate2::{Compression, GzBuilder};
use tar::{EntryType, Header};

use crate::archive::{ChartFile, check_normal};

/// The modification time of every entry: 2000-01-01T00:00:00Z. Any constant makes packages
/// reproducible; GNU tar warns about entries dated 1970, so not zero.
pub const PACKAGE_MTIME: u64 = 946_684_800;

/// The gzip "extra" field `helm package` writes (`chartutil.Save`, RFC 1952 subfield `rr`,
/// 40 bytes of base64). Copied so our packages carry Helm's gzip header byte for byte.
const HELM_GZIP_EXTRA: &[u8] = b"rr\x28\x00aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=";

/// The gzip comment `helm package` writes.
const HELM_GZIP_COMMENT: &str = "Helm";

/// Gzip's "unknown" operating system, which Go's `compress/gzip` writes.
const GZIP_OS_UNKNOWN: u8 = 255;

/// Why a package could not be written.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    #[error("chart folder name `{top}` is not a single path component")]
    InvalidTop { top: String },
    #[error("chart file path `{path}` {reason}")]
    InvalidPath { path: String, reason: &'static str },
    #[error("chart file path `{path}` is given twice")]
    DuplicatePath { path: String },
    #[error("writing the package failed: {0}")]
    Write(#[from] io::Error),
}

/// Writes `files` as a gzip'd tar under the folder `top`, as `helm package` lays it out:
/// one regular-file entry per file named `top/path` (no folder entries), mode 0644, uid and
/// gid 0, no user or group names, a fixed mtime, and Helm's gzip header with mtime 0.
/// Entries are sorted by path (Helm writes `Chart.yaml` first; readers do not care).
pub fn write_chart_archive(top: &str, files: &[ChartFile]) -> Result<Vec<u8>, PackageError> {
    check_top(top)?;
    let sorted = sorted_checked(files)?;
    let gzip = GzBuilder::new()
        .mtime(0)
        .extra(HELM_GZIP_EXTRA)
        .comment(HELM_GZIP_COMMENT)
        .operating_system(GZIP_OS_UNKNOWN)
        .write(Vec::new(), Compression::default());
    let mut tar = tar::Builder::new(gzip);
    for file in sorted {
        append_file(&mut tar, &format!("{top}/{}", file.path), &file.data)?;
    }
    let gzip = tar.into_inner()?;
    Ok(gzip.finish()?)
}

fn check_top(top: &str) -> Result<(), PackageError> {
    let single = check_normal(top).is_ok() && !top.contains('/');
    if single {
        return Ok(());
    }
    Err(PackageError::InvalidTop {
        top: top.to_owned(),
    })
}

/// The files sorted by path, after refusing abnormal and repeated paths.
fn sorted_checked(files: &[ChartFile]) -> Result<Vec<&ChartFile>, PackageError> {
    let mut seen = HashSet::new();
    for file in files {
        check_normal(&file.path).map_err(|problem| PackageError::InvalidPath {
            path: file.path.clone(),
            reason: problem.describe(),
        })?;
        if !seen.insert(file.path.as_str()) {
            return Err(PackageError::DuplicatePath {
                path: file.path.clone(),
            });
        }
    }
    let mut sorted: Vec<&ChartFile> = files.iter().collect();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(sorted)
}

fn append_file<W: Write>(tar: &mut tar::Builder<W>, name: &str, data: &[u8]) -> io::Result<()> {
    let mut header = Header::new_ustar();
    header.set_entry_type(EntryType::Regular);
    header.set_mode(0o644);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(PACKAGE_MTIME);
    header.set_size(data.len() as u64);
    // `append_data` writes a GNU long-name entry first when `name` does not fit the header.
    tar.append_data(&mut header, name, data)
}
