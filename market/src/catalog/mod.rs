//! The catalog side of market's sync with remote market sources (DESIGN.md §5.2, §5.4):
//! the protocol client (`source_client`) and one catalog fetch (`fetch`).
//!
//! Never: stores the catalog or drives hydration (the syncer, on top of these, does).

pub mod fetch;
pub mod source_client;
pub mod sync;

pub use fetch::{Fetched, FetchedCatalog, fetch_catalog};
pub use source_client::{RemoteSource, SourceClient, SourceClientConfig, SourceError};
