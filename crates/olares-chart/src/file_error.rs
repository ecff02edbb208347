//! Reading one YAML file of a chart into a typed model, with errors that name the file, the
//! line and the field: `OlaresManifest.yaml: line 12: spec.supportArch: invalid type: …`.
//!
//! The YAML reader (`helm_yaml::read`) gives values without positions. A typed model's error
//! knows its path (`serde_path_to_error`); `helm_yaml::read::line_of` then finds that path's
//! line in the text. Syntax errors carry their line already.

use std::fmt;

use helm_yaml::read::{PathStep, YamlError, line_of};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::chart_yaml::strip_bom;

/// A problem in one file of a chart: which file, where, what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    /// Path of the file in the chart, e.g. `OlaresManifest.yaml` or
    /// `i18n/zh-CN/OlaresManifest.yaml`.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// The field's path, e.g. `spec.supportArch[1]`, when the problem is in a field.
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl FileError {
    pub(crate) fn new(file: &str, reason: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            line: None,
            field: None,
            reason: reason.into(),
        }
    }

    /// The message without the file name: `line 12: spec.supportArch: invalid type: …`.
    pub fn detail(&self) -> String {
        let mut out = String::new();
        if let Some(line) = self.line {
            out.push_str(&format!("line {line}: "));
        }
        if let Some(field) = &self.field {
            out.push_str(field);
            out.push_str(": ");
        }
        out.push_str(&self.reason);
        out
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.detail())
    }
}

impl std::error::Error for FileError {}

/// A YAML file's text and its first document as the reader reads it (an empty document is
/// an empty mapping). A UTF-8 BOM is skipped.
pub(crate) fn read_yaml<'a>(file: &str, data: &'a [u8]) -> Result<(&'a str, Value), FileError> {
    let text = std::str::from_utf8(strip_bom(data))
        .map_err(|e| FileError::new(file, format!("not UTF-8: {e}")))?;
    let value = helm_yaml::read::parse(text).map_err(|e| yaml_error(file, e))?;
    let value = match value {
        Value::Null => Value::Object(Default::default()),
        value => value,
    };
    Ok((text, value))
}

fn yaml_error(file: &str, e: YamlError) -> FileError {
    let (line, reason) = match e {
        YamlError::Syntax { line, message } => (Some(line), message),
        YamlError::BadTag { line, text, tag } => {
            (Some(line), format!("cannot decode {text:?} as {tag}"))
        }
        YamlError::TooDeep { line } => (Some(line), e.to_string()),
        other => (None, other.to_string()),
    };
    FileError {
        line,
        ..FileError::new(file, reason)
    }
}

/// Deserializes `value` (read from `text`) into `T`; an error names the field and its line.
pub(crate) fn typed<T: DeserializeOwned>(
    file: &str,
    text: &str,
    value: Value,
) -> Result<T, FileError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let steps = path_steps(e.path());
        let field = field_name(&steps);
        FileError {
            file: file.to_owned(),
            line: line_of(text, &steps),
            field: (!field.is_empty()).then_some(field),
            reason: e.into_inner().to_string(),
        }
    })
}

/// Numbers with no fraction become integers, as Go's `encoding/json` prints a float64 `3`
/// as `3`, and so integer fields (`port: 80`) read them.
pub(crate) fn integers(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                *n = serde_json::Number::from(f as i64);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integers),
        Value::Object(map) => map.values_mut().for_each(integers),
        Value::Null | Value::Bool(_) | Value::String(_) => {}
    }
}

fn path_steps(path: &serde_path_to_error::Path) -> Vec<PathStep> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(PathStep::Index(*index)),
            Segment::Map { key } => Some(PathStep::Key(key.clone())),
            Segment::Enum { .. } | Segment::Unknown => None,
        })
        .collect()
}

/// `spec.supportArch[1]`; top-level keys may hold dots (`olaresManifest.version`).
fn field_name(steps: &[PathStep]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            PathStep::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            PathStep::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}
