//! Wire types of both services: the `{success, message, data}` envelope, the error
//! body, version information, market sources, chart-repo's state-change feed, the
//! market source protocol ([`protocol`]: `ApplicationInfoEntry`, the catalog hash and
//! listing), the sync-app exchange ([`sync`]), what image analysis found ([`image`]) and
//! tasks with app-service's request and state-event shapes ([`task`]).
//!
//! Owns: serde shapes that cross a process boundary. Never: I/O of any kind.

pub mod envelope;
pub mod image;
pub mod protocol;
pub mod source;
pub mod state_change;
pub mod sync;
pub mod task;
pub mod version;

pub use envelope::{Envelope, ErrorBody};
pub use image::{ArchSupport, ImageInfo, ImageStatus, LayerInfo, PlatformInfo, arch_support};
pub use source::{MarketSource, SourceId, SourceIdError, SourceType};
pub use state_change::{
    AppData, ImageData, StateChange, StateChangeType, StateChangesGone, StateChangesPage,
};
pub use version::VersionInfo;
