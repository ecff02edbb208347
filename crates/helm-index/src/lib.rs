//! Helm's chart repository index (`index.yaml`): the model of Helm's `repo.IndexFile` and
//! `repo.ChartVersion`, Helm's version order, and output byte for byte as `helm repo index`
//! writes it (sigs.k8s.io/yaml over the JSON tags of Helm's structs, through `helm-yaml`).
//!
//! Owns: which keys an entry carries (Helm's `omitempty` rules), the newest-first order of
//! each chart's versions, Go's time format, the strict reading that Helm-based clients
//! (app-service) apply, incremental updates with a per-chart cache of serialized text, and
//! indexing a folder of packages as `helm repo index` does. Never: network I/O, choosing
//! which packages a user sees (that is the chart-repo service).

mod dir;
mod emit;
mod model;
mod order;
mod read;
mod time;

pub use dir::{IndexedPackage, index_directory, index_package};
pub use model::{ChartVersion, IndexFile};
pub use order::{newest_first, sort_newest_first};
pub use read::{ParseMode, parse_index};
pub use time::{format_go_time, parse_go_time};

/// Why an index could not be read or built.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The text is not YAML (or JSON) of the right shape.
    #[error("index.yaml: {0}")]
    Syntax(String),
    /// `apiVersion` is missing (Helm: "no API version specified").
    #[error("index.yaml: no API version specified")]
    NoApiVersion,
    /// A key Helm's `IndexFile`/`ChartVersion` does not know (strict reading only).
    #[error("index.yaml: {path}: unknown field {key:?}")]
    UnknownField { path: String, key: String },
    /// A field of the wrong type or an unreadable time.
    #[error("index.yaml: {path}: {reason}")]
    BadField { path: String, reason: String },
    /// An entry's chart metadata is invalid (strict reading only; Helm drops such entries).
    #[error("index.yaml: {path}: {reason}")]
    InvalidEntry { path: String, reason: String },
    /// A package of the folder could not be read.
    #[error("{file}: {reason}")]
    Io { file: String, reason: String },
}
