//! Reading an `index.yaml` (or its JSON form) back into the model.
//!
//! `Lenient` is Helm's `LoadIndexFile`: unknown keys are ignored, `apiVersion` is required,
//! an entry whose metadata does not validate is dropped, and every chart's versions are
//! sorted newest first. `Strict` is what a strict Helm-based client demands of a repository
//! it trusts (app-service's rules): any key Helm's `IndexFile`/`ChartVersion` does not know,
//! and any invalid entry, is an error naming where it is.

use std::collections::BTreeMap;

use olares_chart::chart_yaml::{Metadata, validate_metadata};
use serde_json::{Map, Value};

use crate::IndexError;
use crate::model::{ChartVersion, IndexFile, Legacy};
use crate::order::sort_newest_first;
use crate::time::{parse_go_time, zero_time};

/// How much an index is trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseMode {
    /// Helm's `LoadIndexFile`.
    Lenient,
    /// Helm's keys only, every entry valid.
    Strict,
}

const INDEX_KEYS: &[&str] = &[
    "serverInfo",
    "apiVersion",
    "generated",
    "entries",
    "publicKeys",
    "annotations",
];
const METADATA_KEYS: &[&str] = &[
    "name",
    "home",
    "sources",
    "version",
    "description",
    "keywords",
    "maintainers",
    "icon",
    "apiVersion",
    "condition",
    "tags",
    "appVersion",
    "deprecated",
    "annotations",
    "kubeVersion",
    "dependencies",
    "type",
];
const VERSION_KEYS: &[&str] = &[
    "urls",
    "created",
    "removed",
    "digest",
    "checksum",
    "engine",
    "tillerVersion",
    "url",
];
const MAINTAINER_KEYS: &[&str] = &["name", "email", "url"];
const DEPENDENCY_KEYS: &[&str] = &[
    "name",
    "version",
    "repository",
    "condition",
    "tags",
    "enabled",
    "import-values",
    "alias",
];

fn check_keys(o: &Map<String, Value>, known: &[&str], path: &str) -> Result<(), IndexError> {
    match o.keys().find(|k| !known.contains(&k.as_str())) {
        Some(key) => Err(IndexError::UnknownField {
            path: path.to_owned(),
            key: key.clone(),
        }),
        None => Ok(()),
    }
}

fn check_list_keys(v: Option<&Value>, known: &[&str], path: &str) -> Result<(), IndexError> {
    for (i, item) in v
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(o) = item.as_object() {
            check_keys(o, known, &format!("{path}[{i}]"))?;
        }
    }
    Ok(())
}

fn bad(path: &str, reason: impl Into<String>) -> IndexError {
    IndexError::BadField {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

fn string_field(o: &Map<String, Value>, key: &str, path: &str) -> Result<String, IndexError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(bad(
            &format!("{path}.{key}"),
            format!("expected a string, found {other}"),
        )),
    }
}

fn time_field(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<chrono::DateTime<chrono::FixedOffset>, IndexError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(zero_time()),
        Some(Value::String(s)) => parse_go_time(s).map_err(|e| bad(&format!("{path}.{key}"), e)),
        Some(other) => Err(bad(
            &format!("{path}.{key}"),
            format!("expected a time, found {other}"),
        )),
    }
}

fn read_entry(v: &Value, path: &str, mode: ParseMode) -> Result<ChartVersion, IndexError> {
    let o = v
        .as_object()
        .ok_or_else(|| bad(path, "expected a mapping"))?;
    if mode == ParseMode::Strict {
        let known: Vec<&str> = METADATA_KEYS.iter().chain(VERSION_KEYS).copied().collect();
        check_keys(o, &known, path)?;
        check_list_keys(
            o.get("maintainers"),
            MAINTAINER_KEYS,
            &format!("{path}.maintainers"),
        )?;
        check_list_keys(
            o.get("dependencies"),
            DEPENDENCY_KEYS,
            &format!("{path}.dependencies"),
        )?;
    }
    let md_json: Map<String, Value> = o
        .iter()
        .filter(|(k, _)| METADATA_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let mut metadata: Metadata =
        serde_json::from_value(Value::Object(md_json)).map_err(|e| bad(path, e.to_string()))?;
    if metadata.api_version.is_empty() {
        metadata.api_version = "v1".into();
    }
    let urls = match o.get("urls") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, u)| {
                u.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(&format!("{path}.urls[{i}]"), "expected a string"))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(bad(&format!("{path}.urls"), "expected a list")),
    };
    let removed = match o.get("removed") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad(&format!("{path}.removed"), "expected a boolean")),
    };
    Ok(ChartVersion {
        metadata,
        urls,
        created: time_field(o, "created", path)?,
        removed,
        digest: string_field(o, "digest", path)?,
        legacy: Legacy {
            checksum: string_field(o, "checksum", path)?,
            engine: string_field(o, "engine", path)?,
            tiller_version: string_field(o, "tillerVersion", path)?,
            url: string_field(o, "url", path)?,
        },
    })
}

/// Reads an index as Helm does (`Lenient`) or as a strict client does (`Strict`).
pub fn parse_index(text: &str, mode: ParseMode) -> Result<IndexFile, IndexError> {
    if text.trim().is_empty() {
        return Err(IndexError::Syntax("empty index.yaml file".into()));
    }
    let doc = helm_template::yaml::parse(text).map_err(|e| IndexError::Syntax(e.to_string()))?;
    let o = doc
        .as_object()
        .ok_or_else(|| IndexError::Syntax("expected a mapping at the top".into()))?;
    if mode == ParseMode::Strict {
        check_keys(o, INDEX_KEYS, "")?;
    }
    let api_version = string_field(o, "apiVersion", "")?;
    if api_version.is_empty() {
        return Err(IndexError::NoApiVersion);
    }
    let mut index = IndexFile::new();
    index.api_version = api_version;
    index.generated = time_field(o, "generated", "")?;
    match o.get("publicKeys") {
        None | Some(Value::Null) => {}
        Some(Value::Array(keys)) => {
            index.public_keys = keys
                .iter()
                .map(|k| k.as_str().map(str::to_owned))
                .collect::<Option<_>>()
                .ok_or_else(|| bad("publicKeys", "expected strings"))?;
        }
        Some(_) => return Err(bad("publicKeys", "expected a list")),
    }
    match o.get("annotations") {
        None | Some(Value::Null) => {}
        Some(Value::Object(a)) => {
            index.annotations = a
                .iter()
                .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect::<Option<BTreeMap<_, _>>>()
                .ok_or_else(|| bad("annotations", "expected string values"))?;
        }
        Some(_) => return Err(bad("annotations", "expected a mapping")),
    }
    let entries = match o.get("entries") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(e)) => e.clone(),
        Some(_) => return Err(bad("entries", "expected a mapping")),
    };
    for (name, list) in entries {
        let items = match list {
            Value::Null => continue,
            Value::Array(items) => items,
            _ => return Err(bad(&format!("entries.{name}"), "expected a list")),
        };
        let mut versions = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let path = format!("entries.{name}[{i}]");
            if item.is_null() {
                continue;
            }
            let mut entry = read_entry(item, &path, mode)?;
            match validate_metadata(&mut entry.metadata) {
                Ok(()) => versions.push(entry),
                Err(reason) if mode == ParseMode::Strict => {
                    return Err(IndexError::InvalidEntry { path, reason });
                }
                Err(_) => {}
            }
        }
        sort_newest_first(&mut versions, |v| v.version());
        for v in versions {
            index.add_raw(&name, v);
        }
    }
    Ok(index)
}

impl IndexFile {
    /// Files an entry under `key` even when its metadata names another chart (as a read
    /// index may); the caller keeps the order.
    fn add_raw(&mut self, key: &str, entry: ChartVersion) {
        let chart = self.charts.entry(key.to_owned()).or_default();
        chart.versions.push(entry);
        chart.text = std::sync::OnceLock::new();
        self.order = std::sync::OnceLock::new();
    }
}
