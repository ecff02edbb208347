//! Helm repository indexes: `cli` is `chart-repo index` over a folder of packages;
//! `served` keeps one index per (user, source) in memory, updated entry by entry as
//! hydrations land, with its serialized bytes and validators ready for every request.

pub mod cli;
pub mod served;

pub use cli::{IndexArgs, run};
pub use served::{RepoIndexes, ServedIndex};
