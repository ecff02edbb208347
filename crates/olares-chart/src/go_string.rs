//! Go's rules for reading a YAML scalar into a `string` field after sigs.k8s.io/yaml's JSON
//! conversion (what Helm does with `Chart.yaml`): numbers are formatted (`1.10` → `"1.1"`),
//! booleans become `true`/`false`, null is the empty string. Used as `deserialize_with`.

use serde::Deserialize;
use serde_json::Value as Json;

/// The Go string for a scalar, `None` for a list or map.
pub(crate) fn scalar_string(v: &Json) -> Option<String> {
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
                helm_yaml::format_g(short)
            }
        }),
        Json::Null => Some(String::new()),
        _ => None,
    }
}

pub(crate) fn go_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = Json::deserialize(d)?;
    scalar_string(&v).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "cannot unmarshal {} into Go value of type string",
            kind(&v)
        ))
    })
}

pub(crate) fn go_strings<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    match Json::deserialize(d)? {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items
            .iter()
            .map(|v| {
                scalar_string(v).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "cannot unmarshal {} into Go value of type string",
                        kind(v)
                    ))
                })
            })
            .collect(),
        other => Err(serde::de::Error::custom(format!(
            "cannot unmarshal {} into Go value of type []string",
            kind(&other)
        ))),
    }
}

pub(crate) fn go_string_map<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Vec<(String, String)>>, D::Error> {
    match Json::deserialize(d)? {
        Json::Null => Ok(None),
        Json::Object(map) => map
            .iter()
            .map(|(k, v)| {
                scalar_string(v).map(|s| (k.clone(), s)).ok_or_else(|| {
                    serde::de::Error::custom(format!(
                        "cannot unmarshal {} into Go value of type string",
                        kind(v)
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        other => Err(serde::de::Error::custom(format!(
            "cannot unmarshal {} into Go value of type map[string]string",
            kind(&other)
        ))),
    }
}

/// The JSON kind of a value, as Go's `encoding/json` names it in errors.
fn kind(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "bool",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}
