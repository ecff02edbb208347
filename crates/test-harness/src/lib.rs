//! Real peers for tests: `redis-server`, PostgreSQL, Debian's `docker-registry`
//! and the real Helm library, each started on a free loopback port and stopped
//! by PID when dropped (also when the test panics). Plus `eventually()`, a
//! launcher for our own binaries, the paths of the shared fixtures, the
//! market-source store contract both services' stores pass, and the runner of
//! the fuzz harnesses (`fuzz`).
//!
//! A peer that cannot start fails the test loudly: a backend is never skipped.

pub mod api_docs;
pub mod binary;
pub mod eventually;
pub mod fixtures;
pub mod fuzz;
pub mod helm;
pub mod oci;
pub mod postgres;
pub mod process;
pub mod redis;
pub mod registry;
pub mod s3;
pub mod source_contract;
pub mod upload;

pub use binary::RunningBinary;
pub use eventually::{eventually, wait_until};
pub use helm::{HelmPeer, StaticServer};
pub use postgres::PostgresServer;
pub use redis::RedisServer;
pub use registry::{AccessLine, RegistryServer};
pub use s3::S3Server;
