//! Helm's values rules (v4.2): how values files and `--set-json` merge, and how
//! user values are coalesced with a chart's defaults and its subcharts'.
//!
//! Values are JSON maps (see [`crate::yaml`]): numbers are float64 and nulls are
//! kept until coalescing decides. Coalescing deletes a key the user set to null
//! when a default exists, drops nulls from chart defaults, copies `global` down
//! into every subchart and merges maps while replacing scalars and lists.
//! Never: dependency conditions and imports (the chart loader decides which
//! subcharts exist before values are coalesced).

/// Merging values files and `--set-json` (maps recursively, anything else replaces) is
/// `olares-chart`'s, as its values loader merges documents the same way.
pub use olares_chart::values::merge_maps;
use serde_json::{Map, Value};

/// A values table.
pub type Table = Map<String, Value>;

/// The key every chart shares with its subcharts.
pub const GLOBAL: &str = "global";

/// A chart as coalescing sees it: its name, default values and subcharts (each
/// under its name or alias).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ValuesTree {
    pub name: String,
    pub defaults: Table,
    pub subcharts: Vec<ValuesTree>,
}

/// Why values could not be coalesced.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValuesError {
    /// The user gave a subchart's key a value that is not a table.
    #[error("type mismatch on {name}: %!t({kind}={shown})")]
    TypeMismatch {
        name: String,
        kind: &'static str,
        shown: String,
    },
}

/// `CoalesceValues`: the values a chart's templates see, user values winning.
pub fn coalesce(chart: &ValuesTree, user: &Table) -> Result<Table, ValuesError> {
    coalesce_into(chart, user.clone(), false)
}

/// `MergeValues`: like [`coalesce`] but nulls are kept (used while processing
/// dependencies, before the final coalesce).
pub fn merge(chart: &ValuesTree, user: &Table) -> Result<Table, ValuesError> {
    coalesce_into(chart, user.clone(), true)
}

fn coalesce_into(chart: &ValuesTree, mut dest: Table, merge: bool) -> Result<Table, ValuesError> {
    lay_defaults(chart, &mut dest, merge);
    for sub in &chart.subcharts {
        let mut table = match dest.remove(&sub.name) {
            None => Table::new(),
            Some(Value::Object(t)) => t,
            Some(other) => {
                return Err(ValuesError::TypeMismatch {
                    name: sub.name.clone(),
                    kind: go_kind(&other),
                    shown: go_bool_verb(&other),
                });
            }
        };
        copy_globals(&mut table, &dest);
        let table = coalesce_into(sub, table, merge)?;
        dest.insert(sub.name.clone(), Value::Object(table));
    }
    Ok(dest)
}

/// Lays the chart's defaults under `v` (`coalesceValues` of Helm 4.2).
fn lay_defaults(chart: &ValuesTree, v: &mut Table, merge: bool) {
    for (key, default) in chart.defaults.clone() {
        match v.get_mut(&key) {
            Some(Value::Null) if !merge => {
                v.remove(&key);
            }
            Some(Value::Object(dest)) => {
                if let Value::Object(mut src) = default {
                    let merge = merge || chart.subcharts.iter().any(|s| s.name == key);
                    if !merge {
                        clean_nulls(&mut src);
                    }
                    coalesce_tables(dest, src, merge);
                }
            }
            Some(_) => {}
            None => {
                let mut default = default;
                if !merge {
                    match &mut default {
                        Value::Null => continue,
                        Value::Object(table) => clean_nulls(table),
                        _ => {}
                    }
                }
                v.insert(key, default);
            }
        }
    }
}

/// `coalesceTables(dst, src, merge = true)`: lays `src` under `dst`, `dst`
/// winning, nulls kept.
pub fn merge_tables(dst: &mut Table, src: Table) {
    coalesce_tables(dst, src, true);
}

/// Lays `src` under `dst`, `dst` winning (`coalesceTablesFullKey`).
fn coalesce_tables(dst: &mut Table, mut src: Table, merge: bool) {
    let src_non_null: Vec<String> = src
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, _)| k.clone())
        .collect();
    for (key, value) in dst.iter() {
        if value.is_null() {
            src.insert(key.clone(), Value::Null);
        }
    }
    for (key, value) in src {
        match dst.get_mut(&key) {
            Some(Value::Null) if !merge && src_non_null.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, value);
            }
            Some(Value::Object(d)) => {
                if let Value::Object(s) = value {
                    coalesce_tables(d, s, merge);
                }
            }
            Some(_) => {}
        }
    }
}

/// Copies the parent's `global` into a subchart's table: parent scalars win,
/// tables merge with the parent's entries on top.
fn copy_globals(dest: &mut Table, parent: &Table) {
    let parent_globals = match parent.get(GLOBAL) {
        None => Table::new(),
        Some(Value::Object(t)) => t.clone(),
        Some(_) => return,
    };
    let mut globals = match dest.remove(GLOBAL) {
        None => Table::new(),
        Some(Value::Object(t)) => t,
        Some(other) => {
            dest.insert(GLOBAL.to_owned(), other);
            return;
        }
    };
    for (key, value) in parent_globals {
        match value {
            Value::Object(parent_table) => {
                let mut merged = parent_table.clone();
                match globals.get(&key) {
                    None => {
                        globals.insert(key, Value::Object(merged));
                    }
                    Some(Value::Object(own)) => {
                        coalesce_tables(&mut merged, own.clone(), true);
                        globals.insert(key, Value::Object(merged));
                    }
                    Some(_) => {}
                }
            }
            value => {
                if !matches!(globals.get(&key), Some(Value::Object(_))) {
                    globals.insert(key, value);
                }
            }
        }
    }
    dest.insert(GLOBAL.to_owned(), Value::Object(globals));
}

/// Removes null entries, recursively.
fn clean_nulls(table: &mut Table) {
    table.retain(|_, v| !v.is_null());
    for value in table.values_mut() {
        if let Value::Object(sub) = value {
            clean_nulls(sub);
        }
    }
}

fn go_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// What Go's `%t` prints for a non-bool operand's value part.
fn go_bool_verb(v: &Value) -> String {
    match v {
        Value::Bool(b) => b.to_string(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(v: Value) -> Table {
        match v {
            Value::Object(t) => t,
            _ => panic!("not a table"),
        }
    }

    fn chart(name: &str, defaults: Value, subcharts: Vec<ValuesTree>) -> ValuesTree {
        ValuesTree {
            name: name.into(),
            defaults: table(defaults),
            subcharts,
        }
    }

    /// The cases of this test were rendered with real Helm v4.2.3.
    #[test]
    fn nulls_as_helm_4_2_treats_them() {
        let t = chart(
            "t",
            json!({"n": null, "a": {"b": 1.0, "c": 2.0}, "d": {"x": null, "true": 1.0}}),
            vec![],
        );
        let user = table(json!({"a": {"b": null}, "new": {"k": null}, "e": {"f": null}}));
        let got = coalesce(&t, &user).unwrap();
        assert_eq!(
            Value::Object(got),
            json!({"a": {"c": 2.0}, "d": {"true": 1.0}, "new": {"k": null}, "e": {"f": null}})
        );
    }

    #[test]
    fn maps_merge_and_scalars_and_lists_replace() {
        let t = chart(
            "t",
            json!({"m": {"a": 1.0, "b": [1.0, 2.0]}, "s": "x"}),
            vec![],
        );
        let user = table(json!({"m": {"b": [3.0]}, "s": "y"}));
        assert_eq!(
            Value::Object(coalesce(&t, &user).unwrap()),
            json!({"m": {"a": 1.0, "b": [3.0]}, "s": "y"})
        );
    }

    /// Rendered with real Helm v4.2.3 (`toJson .Values` in the parent and the subchart).
    #[test]
    fn subcharts_get_their_table_and_the_globals() {
        let sub = chart(
            "sub",
            json!({"z": null, "q": {"r": null, "s": 1.0}, "global": {"g": 1.0}}),
            vec![],
        );
        let t = chart(
            "t",
            json!({"global": {"h": 2.0}, "sub": {"q": {"s": null, "t": 3.0}}}),
            vec![sub],
        );
        let got = Value::Object(coalesce(&t, &Table::new()).unwrap());
        assert_eq!(
            got,
            json!({"global": {"h": 2.0}, "sub": {"global": {"g": 1.0, "h": 2.0}, "q": {"s": 1.0, "t": 3.0}}})
        );
    }

    #[test]
    fn a_scalar_where_a_subchart_table_belongs_is_an_error() {
        let t = chart("t", json!({}), vec![chart("sub", json!({}), vec![])]);
        let err = coalesce(&t, &table(json!({"sub": "x"}))).unwrap_err();
        assert_eq!(err.to_string(), "type mismatch on sub: %!t(string=x)");
    }

    #[test]
    fn values_files_merge_later_winning() {
        let a = table(json!({"x": {"a": 1.0, "b": 1.0}, "l": [1.0]}));
        let b = table(json!({"x": {"b": 2.0}, "l": [2.0]}));
        assert_eq!(
            Value::Object(merge_maps(a, b)),
            json!({"x": {"a": 1.0, "b": 2.0}, "l": [2.0]})
        );
    }
}
