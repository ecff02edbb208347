//! Go's text/template with Sprig and Helm's engine functions, rendering a chart's
//! templates exactly as Helm's `engine.Render` does (DESIGN.md §6).
//!
//! Layers, bottom up: `value` (Go's dynamic values), `fmt` (Go's printing),
//! `lex`/`parse`/`exec`/`template` (text/template), `yaml` and `values` (how
//! Helm reads and coalesces values), `chart` (Helm's loader rules).
//! Never: network I/O, reading archives (that is `olares-chart`), caching outputs.

mod builtins;
pub mod chart;
pub mod deps;
pub mod emit;
pub mod engine;
pub mod error;
mod exec;
pub mod fmt;
pub mod goyaml;
pub mod lex;
pub mod load;
pub mod objects;
pub mod parse;
pub mod rsa_keys;
pub mod schema;
pub mod semver;
pub mod setjson;
pub mod sprig;
pub mod sprig_extra;
pub mod template;
pub mod value;
pub mod values;
/// How Helm reads YAML; it lives in `helm-yaml` so `olares-chart` reads the same way.
pub use helm_yaml::read as yaml;

pub use builtins::{html_escape, js_escape, query_escape};
pub use engine::{Prepared, RenderError, RenderOptions, render, render_beside_partials};
pub use error::{Error, ExecError, ExecErrorKind, FuncError, ParseError};
pub use sprig::sprig_funcs;
pub use template::{Context, FuncImpl, FuncMap, Function, Limits, MissingKey, Options, Templates};
pub use value::{ArgType, ElemType, List, Map, Object, ObjectKind, RetType, Signature, Value};
