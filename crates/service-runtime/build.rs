//! Stamps the git commit and build time into the binary for `GET /version`.

use std::process::Command;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    // A container build has no .git: it passes the commit as GIT_COMMIT instead.
    println!("cargo:rerun-if-env-changed=GIT_COMMIT");
    let commit = std::env::var("GIT_COMMIT")
        .ok()
        .filter(|c| !c.is_empty())
        .or_else(|| git(&["rev-parse", "--short=12", "HEAD"]))
        .unwrap_or_else(|| "unknown".to_owned());
    // Re-run only when HEAD moves, so ordinary edits do not rebuild this crate: HEAD
    // itself (a checkout) and the branch's ref file (a commit). In a worktree the ref
    // lives in the common folder; a path that does not exist would re-run every build.
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        println!("cargo:rerun-if-changed={git_dir}/HEAD");
    }
    let common = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]);
    if let (Some(common), Some(branch)) = (common, git(&["symbolic-ref", "-q", "HEAD"])) {
        let path = std::path::Path::new(&common).join(branch);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
    let built = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    println!("cargo:rustc-env=SERVICE_GIT_COMMIT={commit}");
    println!("cargo:rustc-env=SERVICE_BUILD_UNIX={built}");
}
