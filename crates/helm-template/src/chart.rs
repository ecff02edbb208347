//! A chart as Helm's loader builds it: `Chart.yaml` read into typed metadata,
//! default values, templates, other files and subcharts, from a list of files
//! (a directory walk or an archive, both done by the caller).
//!
//! Owns: Helm's loader rules (UTF-8 BOM stripping, `Chart.yaml` typing such as
//! `appVersion: 1.10` → `"1.1"`, metadata validation, `charts/` subfolders,
//! multi-document values). Never: file system walks or archive reading.

use serde::Deserialize;
use serde_json::Value as Json;

use crate::values::{Table, merge_maps};
use crate::yaml;

/// One file of a chart, its path relative to the chart root with `/` separators.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct File {
    pub name: String,
    pub data: Vec<u8>,
}

impl File {
    pub fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self {
            name: name.into(),
            data: data.into(),
        }
    }
}

/// A maintainer in `Chart.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Maintainer {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    #[serde(deserialize_with = "go_string")]
    pub email: String,
    #[serde(deserialize_with = "go_string")]
    pub url: String,
}

/// A dependency in `Chart.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Dependency {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    #[serde(deserialize_with = "go_string")]
    pub version: String,
    #[serde(deserialize_with = "go_string")]
    pub repository: String,
    #[serde(deserialize_with = "go_string")]
    pub condition: String,
    #[serde(deserialize_with = "go_strings")]
    pub tags: Vec<String>,
    pub enabled: bool,
    #[serde(rename = "import-values")]
    pub import_values: Vec<Json>,
    #[serde(deserialize_with = "go_string")]
    pub alias: String,
}

/// `Chart.yaml` as Helm's `chart.Metadata` types it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Metadata {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    #[serde(deserialize_with = "go_string")]
    pub home: String,
    #[serde(deserialize_with = "go_strings")]
    pub sources: Vec<String>,
    #[serde(deserialize_with = "go_string")]
    pub version: String,
    #[serde(deserialize_with = "go_string")]
    pub description: String,
    #[serde(deserialize_with = "go_strings")]
    pub keywords: Vec<String>,
    pub maintainers: Vec<Maintainer>,
    #[serde(deserialize_with = "go_string")]
    pub icon: String,
    #[serde(rename = "apiVersion", deserialize_with = "go_string")]
    pub api_version: String,
    #[serde(deserialize_with = "go_string")]
    pub condition: String,
    #[serde(deserialize_with = "go_string")]
    pub tags: String,
    #[serde(rename = "appVersion", deserialize_with = "go_string")]
    pub app_version: String,
    pub deprecated: bool,
    /// `None` when absent (Go's nil map: `toYaml` shows `null`).
    #[serde(deserialize_with = "go_string_map")]
    pub annotations: Option<Vec<(String, String)>>,
    #[serde(rename = "kubeVersion", deserialize_with = "go_string")]
    pub kube_version: String,
    pub dependencies: Vec<Dependency>,
    #[serde(rename = "type", deserialize_with = "go_string")]
    pub kind: String,
}

/// A loaded chart and its loaded subcharts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chart {
    pub metadata: Metadata,
    pub values: Table,
    pub schema: Option<Vec<u8>>,
    /// Files under `templates/`.
    pub templates: Vec<File>,
    /// Every other file, what `.Files` offers.
    pub files: Vec<File>,
    pub subcharts: Vec<Chart>,
}

/// Why a chart could not be loaded; the texts are Helm's.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("Chart.yaml file is missing")]
    MissingChartYaml,
    #[error("cannot load {file}: {reason}")]
    BadFile { file: String, reason: String },
    #[error("validation: {0}")]
    Invalid(String),
    #[error("error unpacking subchart {name} in {parent}: {reason}")]
    Subchart {
        name: String,
        parent: String,
        reason: String,
    },
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

impl Chart {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// A library chart contributes defines only.
    pub fn is_library(&self) -> bool {
        self.metadata.kind.eq_ignore_ascii_case("library")
    }

    /// Builds a chart from its files (Helm's `LoadFiles`); subcharts are the
    /// folders under `charts/` (names starting with `_` or `.` skipped).
    /// Archived subcharts (`charts/*.tgz`) arrive already unpacked by the caller
    /// as folders.
    pub fn from_files(files: Vec<File>) -> Result<Chart, LoadError> {
        let mut chart = Chart::default();
        let chart_yaml = files
            .iter()
            .find(|f| f.name == "Chart.yaml")
            .ok_or(LoadError::MissingChartYaml)?;
        chart.metadata = parse_metadata(strip_bom(&chart_yaml.data))?;
        let mut sub_files: std::collections::BTreeMap<String, Vec<File>> = Default::default();
        for file in files {
            let data = strip_bom(&file.data).to_vec();
            match file.name.as_str() {
                "Chart.yaml" | "Chart.lock" => {}
                "values.yaml" => {
                    chart.values = load_values(&data).map_err(|reason| LoadError::BadFile {
                        file: "values.yaml".into(),
                        reason,
                    })?;
                }
                "values.schema.json" => chart.schema = Some(data),
                name if name.starts_with("templates/") => chart.templates.push(File {
                    name: file.name,
                    data,
                }),
                name if name.starts_with("charts/") && !name.ends_with(".prov") => {
                    let rest = &name["charts/".len()..];
                    let (sub, inner) = rest.split_once('/').unwrap_or((rest, ""));
                    if !inner.is_empty() {
                        sub_files
                            .entry(sub.to_owned())
                            .or_default()
                            .push(File::new(inner, data));
                    }
                }
                _ => chart.files.push(File {
                    name: file.name,
                    data,
                }),
            }
        }
        for (name, files) in sub_files {
            if name.starts_with('_') || name.starts_with('.') {
                continue;
            }
            let sub = Chart::from_files(files).map_err(|e| LoadError::Subchart {
                name: name.clone(),
                parent: chart.metadata.name.clone(),
                reason: e.to_string(),
            })?;
            chart.subcharts.push(sub);
        }
        Ok(chart)
    }
}

fn strip_bom(data: &[u8]) -> &[u8] {
    data.strip_prefix(UTF8_BOM).unwrap_or(data)
}

fn parse_metadata(data: &[u8]) -> Result<Metadata, LoadError> {
    let bad = |reason: String| LoadError::BadFile {
        file: "Chart.yaml".into(),
        reason,
    };
    let text = std::str::from_utf8(data).map_err(|e| bad(e.to_string()))?;
    let json = yaml::parse(text).map_err(|e| bad(e.to_string()))?;
    let json = if json.is_null() {
        Json::Object(Default::default())
    } else {
        json
    };
    let mut md: Metadata = serde_json::from_value(json).map_err(|e| bad(e.to_string()))?;
    if md.api_version.is_empty() {
        md.api_version = "v1".into();
    }
    validate(&mut md)?;
    Ok(md)
}

/// Helm's metadata validation, with its sanitizing of text fields.
fn validate(md: &mut Metadata) -> Result<(), LoadError> {
    for field in [
        &mut md.name,
        &mut md.description,
        &mut md.home,
        &mut md.icon,
        &mut md.condition,
        &mut md.tags,
        &mut md.app_version,
        &mut md.kube_version,
    ] {
        *field = sanitize(field);
    }
    for s in md.sources.iter_mut().chain(md.keywords.iter_mut()) {
        *s = sanitize(s);
    }
    let invalid = |m: String| Err(LoadError::Invalid(m));
    if md.name.is_empty() {
        return invalid("chart.metadata.name is required".into());
    }
    if md.name == "." || md.name == ".." {
        return invalid(format!("chart.metadata.name {:?} is not allowed", md.name));
    }
    if md.name.contains('/') {
        return invalid(format!("chart.metadata.name {:?} is invalid", md.name));
    }
    if md.version.is_empty() {
        return invalid("chart.metadata.version is required".into());
    }
    if !is_semver_ish(&md.version) {
        return invalid(format!(
            "chart.metadata.version {:?} is invalid",
            md.version
        ));
    }
    if !matches!(md.kind.as_str(), "" | "application" | "library") {
        return invalid("chart.metadata.type must be application or library".into());
    }
    for m in &mut md.maintainers {
        (m.name, m.email, m.url) = (sanitize(&m.name), sanitize(&m.email), sanitize(&m.url));
    }
    let mut seen = std::collections::HashSet::new();
    for d in &mut md.dependencies {
        (d.name, d.version, d.repository, d.condition) = (
            sanitize(&d.name),
            sanitize(&d.version),
            sanitize(&d.repository),
            sanitize(&d.condition),
        );
        if !d.alias.is_empty()
            && !d
                .alias
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return invalid(format!(
                "dependency {:?} has disallowed characters in the alias",
                d.name
            ));
        }
        let key = if d.alias.is_empty() {
            d.name.clone()
        } else {
            d.alias.clone()
        };
        if !seen.insert(key.clone()) {
            return invalid(format!(
                "more than one dependency with name or alias {key:?}"
            ));
        }
    }
    Ok(())
}

/// Masterminds/semver's loose `NewVersion`: optional `v`, one to three numeric
/// parts, optional pre-release and build metadata.
pub fn is_semver_ish(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    let (core, _build) = v.split_once('+').unwrap_or((v, ""));
    let (core, pre) = core.split_once('-').unwrap_or((core, ""));
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    (1..=3).contains(&parts.len())
        && parts.iter().all(numeric)
        && (pre.is_empty()
            || pre.split('.').all(|p| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            }))
}

/// Helm's `sanitizeString`: white space becomes a space, non-printable
/// characters are dropped.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if crate::fmt::is_print(c) {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

/// A values stream: every `---` document, merged in order.
pub fn load_values(data: &[u8]) -> Result<Table, String> {
    let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
    let mut values = Table::new();
    for doc in split_documents(text)? {
        match yaml::parse(&doc) {
            Ok(Json::Object(table)) => values = merge_maps(values, table),
            Ok(Json::Null) => {}
            Ok(_) => {
                return Err("cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: \
                            cannot unmarshal array into Go value of type map[string]interface {}"
                    .into());
            }
            Err(e) => {
                return Err(format!(
                    "cannot unmarshal yaml document: error converting YAML to JSON: {e}"
                ));
            }
        }
    }
    Ok(values)
}

/// Splits at lines starting with `---`, as the Kubernetes YAML reader does.
fn split_documents(text: &str) -> Result<Vec<String>, String> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("---") {
            let rest = rest.trim();
            if !rest.is_empty() && !rest.starts_with('#') {
                return Err(format!(
                    "error reading yaml document: invalid Yaml document separator: {rest}"
                ));
            }
            if !current.is_empty() {
                docs.push(std::mem::take(&mut current));
            }
        } else {
            current.push_str(line);
        }
    }
    if !current.is_empty() {
        docs.push(current);
    }
    Ok(docs)
}

/// Go's sigs.k8s.io/yaml rule for a string field given a scalar: numbers are
/// formatted (`1.10` → `1.1`), booleans become `true`/`false`.
fn scalar_string(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => n.as_f64().map(|f| {
            if f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
                format!("{}", f as i64)
            } else {
                // Go formats at 32 bits: the shortest digits of the f32, which
                // read back as an f64 print the same.
                let short: f64 = format!("{}", f as f32).parse().unwrap_or(f);
                crate::fmt::format_float(short, 'g', -1)
            }
        }),
        Json::Null => Some(String::new()),
        _ => None,
    }
}

fn go_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Json::deserialize(d)?;
    scalar_string(&v).ok_or_else(|| {
        serde::de::Error::custom(format!("cannot unmarshal {v} into Go value of type string"))
    })
}

fn go_strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Json::deserialize(d)? {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items
            .iter()
            .map(|v| {
                scalar_string(v)
                    .ok_or_else(|| serde::de::Error::custom("cannot unmarshal into []string"))
            })
            .collect(),
        other => Err(serde::de::Error::custom(format!(
            "cannot unmarshal {other} into Go value of type []string"
        ))),
    }
}

fn go_string_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<(String, String)>>, D::Error> {
    match Json::deserialize(d)? {
        Json::Null => Ok(None),
        Json::Object(map) => map
            .iter()
            .map(|(k, v)| {
                scalar_string(v).map(|s| (k.clone(), s)).ok_or_else(|| {
                    serde::de::Error::custom("cannot unmarshal into map[string]string")
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        other => Err(serde::de::Error::custom(format!(
            "cannot unmarshal {other} into map[string]string"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart_yaml(text: &str) -> Result<Chart, LoadError> {
        Chart::from_files(vec![File::new("Chart.yaml", text)])
    }

    #[test]
    fn metadata_is_typed_as_helm_types_it() {
        let c = chart_yaml(
            "apiVersion: v2\nname: t\nversion: 0.1.0\nappVersion: 1.10\nkeywords: [a, 3]\n",
        )
        .unwrap();
        assert_eq!(c.metadata.app_version, "1.1");
        assert_eq!(c.metadata.keywords, vec!["a", "3"]);
        assert_eq!(c.metadata.annotations, None);
        let c = chart_yaml("name: t\nversion: 1.0.0\n").unwrap();
        assert_eq!(c.metadata.api_version, "v1");
    }

    #[test]
    fn metadata_is_validated() {
        assert_eq!(
            chart_yaml("apiVersion: v2\nversion: 1.0.0\n")
                .unwrap_err()
                .to_string(),
            "validation: chart.metadata.name is required"
        );
        assert!(chart_yaml("apiVersion: v2\nname: t\nversion: one\n").is_err());
        assert!(chart_yaml("apiVersion: v2\nname: t\nversion: 1.0.0\ntype: plugin\n").is_err());
        assert_eq!(
            Chart::from_files(vec![]).unwrap_err(),
            LoadError::MissingChartYaml
        );
    }

    #[test]
    fn files_are_sorted_into_their_places() {
        let c = Chart::from_files(vec![
            File::new(
                "Chart.yaml",
                "\u{feff}apiVersion: v2\nname: t\nversion: 0.1.0\n",
            ),
            File::new("values.yaml", "a: 1\n---\nb: 2\n"),
            File::new("templates/x.yaml", "x"),
            File::new("README.md", "r"),
            File::new(
                "charts/sub/Chart.yaml",
                "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
            ),
            File::new("charts/sub/templates/y.yaml", "y"),
            File::new("charts/_skip/Chart.yaml", "bad"),
        ])
        .unwrap();
        assert_eq!(c.name(), "t", "BOM stripped");
        assert_eq!(
            serde_json::Value::Object(c.values.clone()),
            serde_json::json!({"a": 1.0, "b": 2.0})
        );
        assert_eq!(c.templates.len(), 1);
        assert_eq!(c.files, vec![File::new("README.md", "r")]);
        assert_eq!(c.subcharts.len(), 1);
        assert_eq!(c.subcharts[0].templates[0].name, "templates/y.yaml");
    }
}
