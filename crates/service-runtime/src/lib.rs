//! Process plumbing both services share: layered configuration, tracing, the
//! listener, graceful shutdown, the HTTP middleware stack, `/healthz`, `/readyz`,
//! `/metrics`, version information, and spooling uploads to disk.
//!
//! Owns: how a service process starts, reports and stops. Never: domain logic or
//! storage; each service brings its own routes and readiness check.

pub mod config;
pub mod http;
pub mod metrics;
pub mod probe;
pub mod server;
pub mod telemetry;
pub mod upload;
pub mod version;

pub use config::{ConfigError, LayeredConfig};
pub use metrics::Metrics;
pub use server::{Readiness, Shutdown};
pub use telemetry::LogFormat;
