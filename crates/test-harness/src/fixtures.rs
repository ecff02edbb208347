//! Where the repository and the shared fixtures are.

use std::path::{Path, PathBuf};

/// The repository root (the folder holding `Cargo.lock`).
pub fn repo_root() -> PathBuf {
    // crates/test-harness → the workspace root, two levels up.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
}

/// `../shared` beside the repository, or `$MARKET_SHARED_DIR`.
pub fn shared_dir() -> PathBuf {
    match std::env::var_os("MARKET_SHARED_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => repo_root().join("../shared"),
    }
}

/// `../shared/fixtures`.
pub fn fixtures_dir() -> PathBuf {
    shared_dir().join("fixtures")
}

/// A fixture chart folder, e.g. `chart("olares/ollamav2")` or `chart("helm/nginx")`.
pub fn chart(name: &str) -> PathBuf {
    fixtures_dir().join("charts").join(name)
}

/// Every top-level fixture chart folder (`helm/*` and `olares/*` holding a `Chart.yaml`),
/// sorted; the `dify` tombstone has none and is left out.
pub fn chart_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = ["helm", "olares"]
        .iter()
        .flat_map(|group| std::fs::read_dir(chart(group)).into_iter().flatten())
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|d| d.join("Chart.yaml").is_file())
        .collect();
    dirs.sort();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_shared_fixtures() {
        let values = fixtures_dir().join("values/olares-user.yaml");
        assert!(values.is_file(), "missing {}", values.display());
        assert!(chart("helm/hello-world").join("Chart.yaml").is_file());
    }
}
