//! Wire types of both services: the `{success, message, data}` envelope, the error
//! body, version information, market sources, chart-repo's state-change feed and the
//! market source protocol
//! ([`protocol`]: `ApplicationInfoEntry`, the catalog hash and listing).
//!
//! Owns: serde shapes that cross a process boundary. Never: I/O of any kind.

pub mod envelope;
pub mod protocol;
pub mod source;
pub mod state_change;
pub mod sync;
pub mod version;

pub use envelope::{Envelope, ErrorBody};
pub use source::{MarketSource, SourceId, SourceIdError, SourceType};
pub use state_change::{
    AppData, ImageData, StateChange, StateChangeType, StateChangesGone, StateChangesPage,
};
pub use version::VersionInfo;
