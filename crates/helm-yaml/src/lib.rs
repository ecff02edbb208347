//! YAML and JSON as Go and Helm read and write them: the reader Helm's loader and `fromYaml`
//! use, and byte-exact reimplementations of the serialisation functions of Helm's template
//! engine: `toYaml`, `toYamlPretty`, `toJson`, `toRawJson`, `toPrettyJson` (and `toToml`).
//!
//! Values are `serde_json::Value`s whose numbers are all read as float64, as Helm's values
//! are after their JSON round trip. Module map:
//!
//! - [`read`]: YAML text → JSON values as Helm reads them (goyaml v2 resolution, then
//!   sigs.k8s.io/yaml), and where a value stands in the text (for error lines).
//! - [`json`]: Go `encoding/json` output (`toJson`, `toRawJson`, `toPrettyJson`).
//! - [`toml`]: BurntSushi/toml output (`toToml`).
//! - [`yaml`]: the value → node tree step of goyaml v2 (`toYaml`) and v3 (`toYamlPretty`).
//! - `emitter`: goyaml's libyaml-derived emitter (layout, quoting, folding).
//! - `resolve`: goyaml's implicit typing of plain scalars (what needs quoting).
//! - `keysort`: goyaml's natural key order.
//! - `gofloat`: Go's float64 formatting.
//! - `unicode`: Go's `unicode.IsPrint`.
//!
//! Never: templates, charts or file system access.

mod emitter;
mod gofloat;
pub mod json;
mod keysort;
pub mod read;
mod resolve;
pub mod toml;
mod unicode;
mod unicode_tables;
pub mod yaml;

pub use gofloat::format_g;
pub use json::{to_json, to_pretty_json, to_raw_json};
pub use keysort::{key_less, sort_keys};
pub use resolve::{Flavor, Resolved, resolve};
pub use toml::to_toml;
pub use unicode::is_print;
pub use yaml::{to_yaml, to_yaml_pretty};

/// Why a conversion fails where Helm's function would fail (the template function then
/// swallows the error and prints an empty string, the `must…` variant panics).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// yaml.v2 refused the JSON text: it holds a character YAML forbids (DEL, C1 controls
    /// other than NEL, U+FFFE, U+FFFF). Helm's `toYaml` prints `""`.
    ControlCharacter(char),
    /// yaml.v2 could not parse a mapping key back from the JSON text: it holds a NEL
    /// (U+0085, a YAML line break) or is longer than 1024 characters once JSON-escaped.
    /// Helm's `toYaml` prints `""`.
    UnreadableKey,
    /// `toToml` of nil: the TOML encoder panics and Helm's render fails.
    TomlNil,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::ControlCharacter(_) => f.write_str("yaml: control characters are not allowed"),
            Error::TomlNil => f.write_str(
                "error calling toToml: reflect: call of reflect.Value.Type on zero Value",
            ),
            Error::UnreadableKey => f.write_str("yaml: line 1: did not find expected ',' or '}'"),
        }
    }
}

impl std::error::Error for Error {}
