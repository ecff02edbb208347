//! Go's YAML printers for `toYaml` (sigs.k8s.io/yaml over goyaml v2) and
//! `toYamlPretty` (goyaml v3), from the `helm-yaml` crate.

use serde_json::Value as Json;

/// `toYaml` of a JSON value; `Err` where Helm's `toYaml` prints nothing.
pub fn to_yaml(v: &Json) -> Result<String, String> {
    helm_yaml::to_yaml(v).map_err(|e| e.to_string())
}

/// `toYamlPretty` of a JSON value.
pub fn to_yaml_pretty(v: &Json) -> Result<String, String> {
    Ok(helm_yaml::to_yaml_pretty(v))
}
