//! `values.yaml` as Helm's loader reads it: every `---` document, merged in order, each read
//! as Helm reads YAML (numbers float64, nulls kept for coalescing). Errors carry Helm's text.
//! Never: coalescing with user values or subcharts (that is `helm-template`).

use serde_json::{Map, Value};

/// The file this module reads.
pub const VALUES_YAML: &str = "values.yaml";

/// A values table.
pub type Table = Map<String, Value>;

/// Reads a values stream (Helm's `LoadValues`): every `---` document, merged in order.
/// The error is Helm's text.
pub fn load_values(data: &[u8]) -> Result<Table, String> {
    let text = std::str::from_utf8(data).map_err(|e| e.to_string())?;
    let mut values = Table::new();
    for doc in split_documents(text)? {
        match helm_yaml::read::parse(&doc) {
            Ok(Value::Object(table)) => values = merge_maps(values, table),
            Ok(Value::Null) => {}
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

/// Merges `over` onto `base` as Helm merges values files and `--set-json`:
/// maps merge recursively, anything else in `over` replaces.
pub fn merge_maps(mut base: Table, over: Table) -> Table {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(b)), Value::Object(o)) => {
                let merged = merge_maps(std::mem::take(b), o);
                *b = merged;
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
    base
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_merge_in_order() {
        let values = load_values(b"a: 1\nm: {x: 1}\n---\nb: 2\nm: {z: 2}\n--- # c\n").unwrap();
        assert_eq!(
            Value::Object(values),
            json!({"a": 1.0, "b": 2.0, "m": {"x": 1.0, "z": 2.0}})
        );
    }

    #[test]
    fn helms_errors() {
        assert!(
            load_values(b"--- x\n")
                .unwrap_err()
                .contains("invalid Yaml document separator")
        );
        assert!(
            load_values(b"- 1\n")
                .unwrap_err()
                .contains("cannot unmarshal array")
        );
        assert!(
            load_values(b"a: [\n")
                .unwrap_err()
                .starts_with("cannot unmarshal yaml document")
        );
    }
}
