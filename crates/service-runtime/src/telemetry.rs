//! Tracing setup: human-readable logs by default, JSON with one setting.
//!
//! Logs go to stderr; stdout carries only the `listening on` line, so a test
//! harness can read it.

use serde::{Deserialize, Serialize};
use tracing_subscriber::EnvFilter;

/// `MARKET_LOG_FORMAT` / `CHART_REPO_LOG_FORMAT`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Pretty,
    Json,
}

/// Installs the global subscriber. `RUST_LOG` filters (default `info`).
///
/// Calling it twice is harmless: the second call keeps the first subscriber.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match format {
        LogFormat::Pretty => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    drop(result);
}
