//! A chart as Helm's loader builds it: `Chart.yaml` read into typed metadata,
//! default values, templates, other files and subcharts, from a list of files
//! (a directory walk or an archive, both done by the caller).
//!
//! Owns: Helm's loader rules for sorting files (UTF-8 BOM stripping, `templates/`,
//! `charts/` subfolders). `Chart.yaml` typing and validation and multi-document
//! values are `olares-chart`'s ([`Metadata`], [`load_values`]), re-exported here.
//! Never: file system walks or archive reading.

use olares_chart::chart_yaml::{ChartYamlError, parse_metadata, strip_bom};
pub use olares_chart::chart_yaml::{Dependency, Maintainer, Metadata, is_semver_ish};
pub use olares_chart::values::load_values;

use crate::values::Table;

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

impl Chart {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// A library chart contributes defines only.
    pub fn is_library(&self) -> bool {
        self.metadata.is_library()
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
        let requirements = files.iter().find(|f| f.name == "requirements.yaml");
        chart.metadata = match requirements {
            None => parse_metadata(&chart_yaml.data),
            Some(req) => with_requirements(&chart_yaml.data, &req.data)?,
        }
        .map_err(|e| match e {
            ChartYamlError::Read(e) => LoadError::BadFile {
                file: "Chart.yaml".into(),
                reason: e.detail(),
            },
            ChartYamlError::Invalid(m) => LoadError::Invalid(m),
        })?;
        let v1 = chart.metadata.api_version == "v1";
        let mut sub_files: std::collections::BTreeMap<String, Vec<File>> = Default::default();
        for file in files {
            let data = strip_bom(&file.data).to_vec();
            match file.name.as_str() {
                "Chart.yaml" | "Chart.lock" => {}
                // Helm v1 charts keep their (deprecated) requirements files as chart files;
                // a v2 chart's are read (for dependencies) and dropped.
                "requirements.yaml" | "requirements.lock" if !v1 => {}
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

/// `Chart.yaml` read with `requirements.yaml` over it, as Helm's loader unmarshals the
/// (deprecated) requirements file into the chart's metadata: every key it has replaces
/// the same key of `Chart.yaml` (in practice, `dependencies`). Both go through JSON, as
/// `sigs.k8s.io/yaml` does, then Helm's typing and validation.
fn with_requirements(
    chart_yaml: &[u8],
    requirements: &[u8],
) -> Result<Result<Metadata, ChartYamlError>, LoadError> {
    let read = |name: &str,
                data: &[u8]|
     -> Result<serde_json::Map<String, serde_json::Value>, LoadError> {
        let text = String::from_utf8_lossy(strip_bom(data)).into_owned();
        match helm_yaml::read::parse(&text) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            Ok(serde_json::Value::Null) => Ok(serde_json::Map::new()),
            Ok(_) => Err(LoadError::BadFile {
                file: name.into(),
                reason: "not a map".into(),
            }),
            Err(e) => Err(LoadError::BadFile {
                file: name.into(),
                reason: e.to_string(),
            }),
        }
    };
    let mut merged = read("Chart.yaml", chart_yaml)?;
    for (key, value) in read("requirements.yaml", requirements)? {
        merged.insert(key, value);
    }
    let json = serde_json::to_vec(&serde_json::Value::Object(merged)).unwrap_or_default();
    Ok(parse_metadata(&json))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requirements_yaml_gives_a_v1_chart_its_dependencies() {
        let c = Chart::from_files(vec![
            File::new("Chart.yaml", "apiVersion: v1\nname: t\nversion: 0.1.0\n"),
            File::new(
                "requirements.yaml",
                "dependencies:\n- name: redis\n  version: 1.x\n  repository: https://x\n  condition: redis.enabled\n",
            ),
        ])
        .unwrap();
        assert_eq!(c.metadata.dependencies.len(), 1);
        assert_eq!(c.metadata.dependencies[0].name, "redis");
        assert_eq!(c.metadata.dependencies[0].condition, "redis.enabled");
        assert!(
            c.files.iter().any(|f| f.name == "requirements.yaml"),
            "v1 keeps the file"
        );
        let v2 = Chart::from_files(vec![
            File::new("Chart.yaml", "apiVersion: v2\nname: t\nversion: 0.1.0\n"),
            File::new(
                "requirements.yaml",
                "dependencies:\n- name: redis\n  version: 1.x\n",
            ),
        ])
        .unwrap();
        assert_eq!(
            v2.metadata.dependencies.len(),
            1,
            "Helm reads it for v2 too"
        );
        assert!(v2.files.is_empty(), "but does not keep it as a file");
    }

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
