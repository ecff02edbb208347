//! Helm's value-printing functions that go through Go's encoders: `toYaml`,
//! `mustToYaml`, `toYamlPretty`, `toToml`, and the YAML of `.Files.AsConfig`/`AsSecrets`.
//! Values are converted to the JSON model first (what `encoding/json` would
//! marshal), then printed by [`crate::goyaml`].

use serde_json::{Number, Value as Json};

use crate::error::FuncError;
use crate::goyaml;
use crate::template::FuncMap;
use crate::value::{ArgType, Signature, Value};

/// Adds the YAML printers to `funcs`.
pub fn register(funcs: &mut FuncMap) {
    funcs.insert_simple("toYaml", Signature::new(&[ArgType::Any]), |args| {
        // Helm's toYaml swallows marshalling errors and prints nothing.
        Ok(Value::string(
            json_of(&args[0])
                .ok()
                .and_then(|j| goyaml::to_yaml(&j).ok())
                .unwrap_or_default(),
        ))
    });
    funcs.insert_simple("mustToYaml", Signature::new(&[ArgType::Any]), |args| {
        let json = json_of(&args[0]).map_err(FuncError::new)?;
        goyaml::to_yaml(&json)
            .map(Value::string)
            .map_err(FuncError::new)
    });
    funcs.insert_simple("toYamlPretty", Signature::new(&[ArgType::Any]), |args| {
        Ok(Value::string(
            json_of(&args[0])
                .ok()
                .and_then(|j| goyaml::to_yaml_pretty(&j).ok())
                .unwrap_or_default(),
        ))
    });
}

/// `toYaml` of a `map[string]string`, for `.Files.AsConfig` and `AsSecrets`.
pub fn yaml_of_strings(pairs: &[(String, String)]) -> String {
    let map = pairs
        .iter()
        .map(|(k, v)| (k.clone(), Json::String(v.clone())))
        .collect();
    goyaml::to_yaml(&Json::Object(map)).unwrap_or_default()
}

/// The JSON value `encoding/json` would marshal for a template value.
pub fn json_of(v: &Value) -> Result<Json, String> {
    json_at(v, 0)
}

fn json_at(v: &Value, depth: usize) -> Result<Json, String> {
    if depth > crate::value::MAX_NESTING {
        return Err("json: unsupported value: encountered a cycle".into());
    }
    Ok(match v {
        Value::Nil => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) | Value::Int64(i) => Json::Number(Number::from(*i)),
        Value::Float(f) => Json::Number(Number::from_f64(*f).ok_or_else(|| {
            format!(
                "json: unsupported value: {}",
                crate::fmt::format_float(*f, 'g', -1)
            )
        })?),
        Value::String(s) => Json::String(s.to_string()),
        Value::Bytes(b) => Json::String(crate::objects::base64_std(b)),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|x| json_at(x, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m.entries() {
                out.insert(k.to_string(), json_at(&x, depth + 1)?);
            }
            Json::Object(out)
        }
        Value::Object(o) => return json_at(&o.to_json_value(), depth + 1),
    })
}
