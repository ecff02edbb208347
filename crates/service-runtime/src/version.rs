//! Version information stamped at build time (see `build.rs`).

use market_model::VersionInfo;

/// The answer of `GET /version` for a service of version `pkg_version`.
pub fn current(pkg_version: &str) -> VersionInfo {
    let built: i64 = env!("SERVICE_BUILD_UNIX").parse().unwrap_or(0);
    let build_time = chrono::DateTime::from_timestamp(built, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default();
    VersionInfo {
        version: pkg_version.to_owned(),
        build_time,
        git_commit: env!("SERVICE_GIT_COMMIT").to_owned(),
        timestamp: chrono::Utc::now().timestamp(),
    }
}
