//! `Chart.yaml` as Helm's loader types it (`chart.Metadata`): sigs.k8s.io/yaml's reading
//! (`appVersion: 1.10` → `"1.1"`), Helm's sanitizing of text fields and its metadata
//! validation. Unknown keys are dropped, as Helm drops them. Never: loading templates or
//! subcharts (that is `helm-template`'s chart loader).

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::file_error::{FileError, read_yaml, typed};
use crate::go_string::{go_string, go_string_map, go_strings};

/// The file this module reads.
pub const CHART_YAML: &str = crate::archive::CHART_YAML;

/// A maintainer in `Chart.yaml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct Maintainer {
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub email: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub url: String,
}

/// A dependency in `Chart.yaml`: a subchart, enabled by `condition` or `tags`, renamed by
/// `alias`, with values pulled up by `import-values`.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default)]
pub struct Dependency {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    #[serde(deserialize_with = "go_string")]
    pub version: String,
    #[serde(deserialize_with = "go_string")]
    pub repository: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub condition: String,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub enabled: bool,
    /// Each item a child key (string) or a `{child, parent}` map, as Helm allows both.
    #[serde(rename = "import-values", skip_serializing_if = "Vec::is_empty")]
    pub import_values: Vec<Json>,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub alias: String,
}

/// `Chart.yaml` as Helm's `chart.Metadata` types it. Serializes as Helm's JSON tags do
/// (empty optional fields left out).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Metadata {
    #[serde(deserialize_with = "go_string")]
    pub name: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub home: String,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    #[serde(deserialize_with = "go_string")]
    pub version: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    #[serde(deserialize_with = "go_strings", skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub maintainers: Vec<Maintainer>,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub icon: String,
    /// `v1` (Helm 2 era, the default when absent) or `v2`.
    #[serde(rename = "apiVersion", deserialize_with = "go_string")]
    pub api_version: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub condition: String,
    #[serde(
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub tags: String,
    #[serde(
        rename = "appVersion",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub app_version: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub deprecated: bool,
    /// `None` when absent (Go's nil map: `toYaml` shows `null`). Sorted by key.
    #[serde(
        deserialize_with = "go_string_map",
        serialize_with = "serialize_pairs",
        skip_serializing_if = "Option::is_none"
    )]
    pub annotations: Option<Vec<(String, String)>>,
    #[serde(
        rename = "kubeVersion",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub kube_version: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<Dependency>,
    /// `application` (or empty) or `library`.
    #[serde(
        rename = "type",
        deserialize_with = "go_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub kind: String,
}

impl Metadata {
    /// A library chart contributes defines only.
    pub fn is_library(&self) -> bool {
        self.kind.eq_ignore_ascii_case("library")
    }
}

/// Why `Chart.yaml` could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ChartYamlError {
    /// Not UTF-8, not YAML, or a field of the wrong type; names the line and the field.
    #[error("{0}")]
    Read(FileError),
    /// Helm's metadata validation refused it; the text is Helm's.
    #[error("validation: {0}")]
    Invalid(String),
}

/// Reads `Chart.yaml` as Helm's loader does: a missing `apiVersion` is `v1`, text fields
/// are sanitized, then the metadata is validated. A UTF-8 BOM is skipped.
pub fn parse_metadata(data: &[u8]) -> Result<Metadata, ChartYamlError> {
    let (text, json) = read_yaml(CHART_YAML, data).map_err(ChartYamlError::Read)?;
    let mut md: Metadata = typed(CHART_YAML, text, json).map_err(ChartYamlError::Read)?;
    if md.api_version.is_empty() {
        md.api_version = "v1".into();
    }
    validate_metadata(&mut md).map_err(ChartYamlError::Invalid)?;
    Ok(md)
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The bytes without a leading UTF-8 BOM, which Helm's loader strips from every file.
pub fn strip_bom(data: &[u8]) -> &[u8] {
    data.strip_prefix(UTF8_BOM).unwrap_or(data)
}

/// Helm's `Metadata.Validate`, with its sanitizing of text fields; the error is Helm's text.
pub fn validate_metadata(md: &mut Metadata) -> Result<(), String> {
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
    if md.name.is_empty() {
        return Err("chart.metadata.name is required".into());
    }
    if md.name == "." || md.name == ".." {
        return Err(format!("chart.metadata.name {:?} is not allowed", md.name));
    }
    if md.name.contains('/') {
        return Err(format!("chart.metadata.name {:?} is invalid", md.name));
    }
    if md.version.is_empty() {
        return Err("chart.metadata.version is required".into());
    }
    if !is_semver_ish(&md.version) {
        return Err(format!(
            "chart.metadata.version {:?} is invalid",
            md.version
        ));
    }
    if !matches!(md.kind.as_str(), "" | "application" | "library") {
        return Err("chart.metadata.type must be application or library".into());
    }
    for m in &mut md.maintainers {
        (m.name, m.email, m.url) = (sanitize(&m.name), sanitize(&m.email), sanitize(&m.url));
    }
    validate_dependencies(&mut md.dependencies)
}

fn validate_dependencies(dependencies: &mut [Dependency]) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for d in dependencies {
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
            return Err(format!(
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
            return Err(format!(
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
            } else if helm_yaml::is_print(c) {
                Some(c)
            } else {
                None
            }
        })
        .collect()
}

fn serialize_pairs<S: serde::Serializer>(
    pairs: &Option<Vec<(String, String)>>,
    s: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let pairs = pairs.as_deref().unwrap_or_default();
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_is_typed_as_helm_types_it() {
        let md = parse_metadata(
            b"apiVersion: v2\nname: t\nversion: 0.1.0\nappVersion: 1.10\nkeywords: [a, 3]\n",
        )
        .unwrap();
        assert_eq!(md.app_version, "1.1");
        assert_eq!(md.keywords, vec!["a", "3"]);
        assert_eq!(md.annotations, None);
        let md = parse_metadata(b"\xEF\xBB\xBFname: t\nversion: 1.0.0\n").unwrap();
        assert_eq!(md.api_version, "v1");
    }

    #[test]
    fn metadata_is_validated() {
        assert_eq!(
            parse_metadata(b"apiVersion: v2\nversion: 1.0.0\n")
                .unwrap_err()
                .to_string(),
            "validation: chart.metadata.name is required"
        );
        assert!(parse_metadata(b"apiVersion: v2\nname: t\nversion: one\n").is_err());
        let err = parse_metadata(
            b"apiVersion: v2\nname: t\nversion: 1.0.0\nmaintainers:\n  - name: [x]\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "Chart.yaml: line 5: maintainers[0].name: cannot unmarshal array into Go value of type string"
        );
        assert!(
            parse_metadata(b"apiVersion: v2\nname: t\nversion: 1.0.0\ntype: plugin\n").is_err()
        );
    }

    #[test]
    fn dependencies_carry_conditions_tags_aliases_and_imports() {
        let text = br"apiVersion: v2
name: t
version: 1.0.0
dependencies:
  - name: db
    version: ~1.2
    repository: oci://r
    condition: db.enabled
    tags: [back, 1]
    alias: main-db
    import-values: [data, {child: a.b, parent: c}]
  - name: db
    alias: replica_db
";
        let md = parse_metadata(text).unwrap();
        let db = &md.dependencies[0];
        assert_eq!(
            (db.condition.as_str(), db.alias.as_str()),
            ("db.enabled", "main-db")
        );
        assert_eq!(db.tags, ["back", "1"]);
        assert_eq!(
            db.import_values,
            [
                serde_json::json!("data"),
                serde_json::json!({"child": "a.b", "parent": "c"})
            ]
        );
        let same_alias =
            b"apiVersion: v2\nname: t\nversion: 1.0.0\ndependencies: [{name: a, alias: x}, {name: b, alias: x}]\n";
        assert_eq!(
            parse_metadata(same_alias).unwrap_err().to_string(),
            "validation: more than one dependency with name or alias \"x\""
        );
        let bad_alias =
            b"apiVersion: v2\nname: t\nversion: 1.0.0\ndependencies: [{name: a, alias: x.y}]\n";
        assert!(parse_metadata(bad_alias).is_err());
    }

    #[test]
    fn serializes_with_helms_json_names() {
        let md = parse_metadata(
            b"apiVersion: v2\nname: t\nversion: 0.1.0\ntype: library\nannotations: {b: 2, a: x}\n",
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&md).unwrap(),
            serde_json::json!({"apiVersion": "v2", "name": "t", "version": "0.1.0",
                "type": "library", "annotations": {"a": "x", "b": "2"}})
        );
        assert!(md.is_library());
    }
}
