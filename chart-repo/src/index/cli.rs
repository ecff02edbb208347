//! `chart-repo index --dir DIR [--url BASE] [--merge FILE]`: writes `DIR/index.yaml` as
//! `helm repo index` does (every package in DIR and its subfolders, real digests, Helm's
//! order and YAML), replacing the file atomically.

use std::path::{Path, PathBuf};

use helm_index::{IndexFile, ParseMode, index_directory, parse_index};

/// The arguments of `chart-repo index`.
#[derive(Debug, clap::Args)]
pub struct IndexArgs {
    /// The folder of chart packages (`*.tgz`); `index.yaml` is written into it.
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,
    /// The URL of the chart repository; entries' URLs are joined onto it.
    #[arg(long, value_name = "BASE")]
    pub url: Option<String>,
    /// Merge the generated index into this existing index (its entries are kept for
    /// versions DIR no longer holds).
    #[arg(long, value_name = "FILE")]
    pub merge: Option<PathBuf>,
}

/// Builds and writes the index; returns its path.
pub fn run(args: &IndexArgs) -> Result<PathBuf, String> {
    let mut index = build(&args.dir, args.url.as_deref())?;
    if let Some(merge) = &args.merge {
        // Helm merges only when the file exists.
        if let Ok(text) = std::fs::read_to_string(merge) {
            let old = parse_index(&text, ParseMode::Lenient)
                .map_err(|e| format!("{}: {e}", merge.display()))?;
            index.merge(&old);
        }
    }
    let out = args.dir.join("index.yaml");
    write_atomic(&out, index.to_yaml().as_bytes())?;
    Ok(out)
}

fn build(dir: &Path, url: Option<&str>) -> Result<IndexFile, String> {
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    index_directory(dir, url).map_err(|e| e.to_string())
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = path.with_extension("yaml.tmp");
    std::fs::write(&tmp, bytes).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
