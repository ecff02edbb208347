//! The typed models of a chart's files: every shared fixture parses, errors name file, line
//! and field, unknown fields survive, and models survive a YAML round trip (proptest).

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

mod errors;
mod fixtures;
mod harness;
mod roundtrip;
mod unknown;
