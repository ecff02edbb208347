//! Go's text/template with Sprig and Helm's engine functions, rendering a chart's
//! templates exactly as Helm's `engine.Render` does (DESIGN.md §6).
//!
//! Owns: lexing, parsing and executing templates, Helm's value rules and function set.
//! Never: network I/O, reading archives (that is `olares-chart`), caching outputs.

pub mod values;
pub mod yaml;
