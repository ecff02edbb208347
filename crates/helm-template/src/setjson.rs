//! Helm's `--set-json`: `a.b[0]=<json>,c=<json>` (an empty value is null), or a
//! bare JSON object; the result is merged over the values like a values file.

use serde_json::{Map as JsonMap, Value as Json};

use crate::values::{Table, merge_maps};

/// Applies one `--set-json` argument to `values`.
pub fn apply(values: Table, expr: &str) -> Result<Table, String> {
    let trimmed = expr.trim();
    if trimmed.starts_with('{') {
        let bad = || format!("failed parsing --set-json data JSON: {expr}");
        let parsed: Json = serde_json::from_str(trimmed).map_err(|_| bad())?;
        let Json::Object(map) = floats(parsed) else {
            return Err(bad());
        };
        return Ok(merge_maps(values, map));
    }
    Ok(merge_maps(values, parse(expr)?))
}

/// JSON numbers as Go decodes them into `interface{}`: float64.
fn floats(v: Json) -> Json {
    match v {
        Json::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Null, Json::Number),
        Json::Array(items) => Json::Array(items.into_iter().map(floats).collect()),
        Json::Object(map) => Json::Object(map.into_iter().map(|(k, v)| (k, floats(v))).collect()),
        other => other,
    }
}

enum Step {
    Key(String),
    Index(usize),
}

/// Parses `KEY=JSON[,KEY=JSON…]` into a fresh table.
fn parse(s: &str) -> Result<Table, String> {
    let mut out = JsonMap::new();
    let mut rest = s;
    while !rest.is_empty() {
        let (path, after) = parse_key(rest)?;
        let trimmed = after.trim_start();
        let value;
        if trimmed.is_empty() || trimmed.starts_with(',') {
            value = Json::Null;
            rest = trimmed.strip_prefix(',').unwrap_or(trimmed);
        } else {
            let mut stream = serde_json::Deserializer::from_str(after).into_iter::<Json>();
            value = floats(
                stream
                    .next()
                    .ok_or("unexpected end of JSON input")?
                    .map_err(|e| e.to_string())?,
            );
            let tail = after[stream.byte_offset()..].trim_start();
            rest = match tail.strip_prefix(',') {
                Some(next) => next,
                None if tail.is_empty() => tail,
                None => return Err(format!("unexpected data after value: {tail:?}")),
            };
        }
        set_path(&mut out, &path, value)?;
    }
    Ok(out)
}

/// Reads a key path up to `=`; returns it and the text after `=`.
fn parse_key(s: &str) -> Result<(Vec<Step>, &str), String> {
    let mut path = Vec::new();
    let mut key = String::new();
    let mut chars = s.char_indices().peekable();
    let flush = |key: &mut String, path: &mut Vec<Step>| {
        if !key.is_empty() {
            path.push(Step::Key(std::mem::take(key)));
        }
    };
    while let Some((i, c)) = chars.next() {
        match c {
            '=' => {
                flush(&mut key, &mut path);
                if path.is_empty() {
                    return Err("empty key".into());
                }
                return Ok((path, &s[i + 1..]));
            }
            '\\' => {
                if let Some((_, next)) = chars.next() {
                    key.push(next);
                }
            }
            '.' => flush(&mut key, &mut path),
            '[' => {
                flush(&mut key, &mut path);
                let close = s[i..]
                    .find(']')
                    .ok_or_else(|| format!("key {:?} has no closing ]", &s[..i]))?;
                let inner = &s[i + 1..i + close];
                let index: usize = inner
                    .parse()
                    .map_err(|_| format!("error parsing index: {inner:?}"))?;
                path.push(Step::Index(index));
                while chars.peek().is_some_and(|(j, _)| *j <= i + close) {
                    chars.next();
                }
            }
            ',' => {
                return Err(format!(
                    "key {:?} has no value (cannot end with ,)",
                    &s[..i]
                ));
            }
            c => key.push(c),
        }
    }
    Err(format!("key {s:?} has no value"))
}

fn set_path(root: &mut Table, path: &[Step], value: Json) -> Result<(), String> {
    let Some(Step::Key(first)) = path.first() else {
        return Err("a --set-json key must start with a name".into());
    };
    let slot = root.entry(first.clone()).or_insert(Json::Null);
    set_in(slot, &path[1..], value)
}

fn set_in(cur: &mut Json, path: &[Step], value: Json) -> Result<(), String> {
    let Some(step) = path.first() else {
        *cur = value;
        return Ok(());
    };
    match step {
        Step::Key(k) => {
            if !cur.is_object() {
                *cur = Json::Object(JsonMap::new());
            }
            let Json::Object(map) = cur else {
                unreachable!("made an object above")
            };
            set_in(
                map.entry(k.clone()).or_insert(Json::Null),
                &path[1..],
                value,
            )
        }
        Step::Index(i) => {
            if *i > 65536 {
                return Err(format!(
                    "index of {i} is greater than maximum supported index of 65536"
                ));
            }
            if !cur.is_array() {
                *cur = Json::Array(Vec::new());
            }
            let Json::Array(items) = cur else {
                unreachable!("made an array above")
            };
            if items.len() <= *i {
                items.resize(*i + 1, Json::Null);
            }
            set_in(&mut items[*i], &path[1..], value)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(values: Json, expr: &str) -> Result<Json, String> {
        let Json::Object(t) = values else { panic!() };
        apply(t, expr).map(Json::Object)
    }

    #[test]
    fn paths_indexes_and_several_assignments() {
        assert_eq!(
            run(json!({"a": {"x": 1.0}}), r#"a.b=1,c[1]={"x":true} ,d="s""#).unwrap(),
            json!({"a": {"x": 1.0, "b": 1.0}, "c": [null, {"x": true}], "d": "s"})
        );
        assert_eq!(
            run(json!({}), "admin=\"bob\"").unwrap(),
            json!({"admin": "bob"})
        );
        assert_eq!(run(json!({"k": 1.0}), "k=").unwrap(), json!({"k": null}));
    }

    #[test]
    fn a_bare_object_merges() {
        assert_eq!(
            run(json!({"a": {"x": 1.0}}), r#"{"a": {"y": 2}}"#).unwrap(),
            json!({"a": {"x": 1.0, "y": 2.0}})
        );
        assert!(run(json!({}), "{bad").is_err());
    }

    #[test]
    fn malformed_expressions_are_refused() {
        assert!(run(json!({}), "a").unwrap_err().contains("has no value"));
        assert!(
            run(json!({}), "a[x]=1")
                .unwrap_err()
                .contains("error parsing index")
        );
        assert!(
            run(json!({}), "a=1 b")
                .unwrap_err()
                .contains("unexpected data")
        );
    }
}
