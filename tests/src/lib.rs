//! End-to-end support: where the workspace's service binaries are, so a test can
//! run `market` and `chart-repo` together as real processes, and the app-service
//! simulator ([`app_service_sim`], also the `app-service-sim` binary).
//!
//! Owns: whole-system scenarios. Never: reaching into a service's internals.

pub mod app_service_sim;
pub mod proxy;
pub mod system;

use std::path::PathBuf;

/// The path of a workspace binary (`market`, `chart-repo`) built next to this
/// test executable. Panics with the build command when it is missing.
pub fn service_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = profile_dir.join(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build --workspace --all-targets` (make test does)",
        path.display()
    );
    path
}
