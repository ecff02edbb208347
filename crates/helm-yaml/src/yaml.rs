//! Helm's `toYaml` and `toYamlPretty`: turning a JSON value into the node tree goyaml's
//! encoder would build (`encode.go`: key order, number text, requested scalar style) and
//! handing it to [`crate::emitter`].
//!
//! `toYaml` is sigs.k8s.io/yaml `Marshal`: Go `json.Marshal`, then `JSONToYAML` parses that
//! JSON with yaml.v2 (numbers come back as int, uint or float by yaml.v2's resolver) and
//! re-emits it with yaml.v2. `toYamlPretty` encodes the float64 values directly with a
//! yaml.v3 `Encoder` set to indent 2.

use serde_json::Value;

use crate::Error;
use crate::emitter::{Node, Style, emit_document};
use crate::gofloat;
use crate::json;
use crate::keysort::sort_keys;
use crate::resolve::{Flavor, Resolved, is_base60_float, is_old_bool, resolve};

/// `encoder.stringv`: the style goyaml asks the emitter for.
fn string_node(s: &str, flavor: Flavor) -> Node {
    let can_use_plain = resolve(s, flavor) == Resolved::Str
        && !is_base60_float(s)
        && !(flavor == Flavor::V3 && is_old_bool(s));
    let style = if s.contains('\n') {
        Style::Literal
    } else if can_use_plain {
        Style::Plain
    } else {
        Style::DoubleQuoted
    };
    Node::Scalar(s.to_string(), style)
}

/// A float64 after the JSON round trip: `json.Marshal` writes it, yaml.v2 resolves that text
/// into an int, uint or float64 and formats it back (`1000000`, `-0` → `0`, `1e-07`).
fn v2_number_text(f: f64) -> String {
    let text = gofloat::format_json(f);
    match resolve(&text, Flavor::V2) {
        Resolved::Int(i) => i.to_string(),
        Resolved::Uint(u) => u.to_string(),
        Resolved::Float(g) => float_text(g),
        _ => text,
    }
}

/// `encoder.floatv`: `'g'` format with YAML's names for the special values.
fn float_text(f: f64) -> String {
    match gofloat::format_g(f).as_str() {
        "+Inf" => ".inf".to_string(),
        "-Inf" => "-.inf".to_string(),
        "NaN" => ".nan".to_string(),
        s => s.to_string(),
    }
}

/// Characters yaml.v2's reader refuses (`yaml: control characters are not allowed`) when
/// `JSONToYAML` reads back the JSON text: `json.Marshal` leaves DEL, C1 controls and
/// U+FFFE/U+FFFF unescaped, and the reader only accepts tab, LF, CR, `#x20-#x7E`, NEL,
/// `#xA0-#xD7FF`, `#xE000-#xFFFD` and the planes above.
fn reader_rejects(c: char) -> bool {
    let c = c as u32;
    (0x7F..=0x9F).contains(&c) && c != 0x85 || c == 0xFFFE || c == 0xFFFF
}

/// In a double-quoted JSON string read by yaml.v2, a raw line break (NEL; LS/PS are escaped
/// by `json.Marshal`) is folded like any line break in a flow scalar: one break becomes a
/// space.
fn fold_json_string(s: &str) -> String {
    if !s.contains('\u{85}') {
        return s.to_string();
    }
    // Go's scanner: a break inside a double-quoted scalar, with surrounding blanks trimmed
    // on both sides; a single break folds to ' ', n breaks keep n-1 of them.
    // Only raw (unescaped) whitespace takes part: after json.Marshal that is just ' ' and NEL.
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{85}' {
            // Trailing spaces before the break are dropped.
            while out.ends_with(' ') {
                out.pop();
            }
            let mut breaks = 1;
            loop {
                match chars.peek() {
                    Some(' ') => {
                        chars.next();
                    }
                    Some('\u{85}') => {
                        chars.next();
                        breaks += 1;
                    }
                    _ => break,
                }
            }
            if breaks == 1 {
                out.push(' ');
            } else {
                for _ in 1..breaks {
                    out.push('\n');
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn v2_node(v: &Value) -> Result<Node, Error> {
    Ok(match v {
        Value::Null => Node::Scalar("null".into(), Style::Plain),
        Value::Bool(b) => Node::Scalar(b.to_string(), Style::Plain),
        Value::Number(n) => Node::Scalar(v2_number_text(n.as_f64().unwrap_or(0.0)), Style::Plain),
        Value::String(s) => string_node(&v2_string(s)?, Flavor::V2),
        Value::Array(items) => Node::Seq(items.iter().map(v2_node).collect::<Result<_, _>>()?),
        Value::Object(map) => {
            let mut keys: Vec<(String, &str)> = Vec::with_capacity(map.len());
            for k in map.keys() {
                check_key_readable(k)?;
                keys.push((v2_string(k)?, k.as_str()));
            }
            let mut names: Vec<&str> = keys.iter().map(|(decoded, _)| decoded.as_str()).collect();
            sort_keys(&mut names, Flavor::V2);
            let mut pairs = Vec::with_capacity(names.len());
            for name in names {
                let original = keys
                    .iter()
                    .find(|(decoded, _)| decoded == name)
                    .map_or(name, |(_, k)| *k);
                let value = map.get(original).unwrap_or(&Value::Null);
                pairs.push((string_node(name, Flavor::V2), v2_node(value)?));
            }
            Node::Map(pairs)
        }
    })
}

/// yaml.v2 reads the one-line JSON text as flow YAML, where a mapping key must be a "simple
/// key": on one line (a raw NEL counts as a line break) and at most 1024 characters from its
/// opening quote to the `:`. Otherwise the parse fails and Helm prints `""`.
fn check_key_readable(k: &str) -> Result<(), Error> {
    if k.contains('\u{85}') {
        return Err(Error::UnreadableKey);
    }
    let mut quoted = String::with_capacity(k.len() + 2);
    json::write_string(&mut quoted, k, true);
    if quoted.chars().count() > 1024 {
        return Err(Error::UnreadableKey);
    }
    Ok(())
}

/// A string as yaml.v2 reads it back from `json.Marshal`'s text.
fn v2_string(s: &str) -> Result<String, Error> {
    if let Some(c) = s.chars().find(|&c| reader_rejects(c)) {
        return Err(Error::ControlCharacter(c));
    }
    Ok(fold_json_string(s))
}

fn v3_node(v: &Value) -> Node {
    match v {
        Value::Null => Node::Scalar("null".into(), Style::Plain),
        Value::Bool(b) => Node::Scalar(b.to_string(), Style::Plain),
        Value::Number(n) => Node::Scalar(float_text(n.as_f64().unwrap_or(0.0)), Style::Plain),
        Value::String(s) => string_node(s, Flavor::V3),
        Value::Array(items) => Node::Seq(items.iter().map(v3_node).collect()),
        Value::Object(map) => {
            let mut names: Vec<&str> = map.keys().map(String::as_str).collect();
            sort_keys(&mut names, Flavor::V3);
            Node::Map(
                names
                    .into_iter()
                    .map(|k| (string_node(k, Flavor::V3), v3_node(&map[k])))
                    .collect(),
            )
        }
    }
}

/// Helm's `toYaml` (sigs.k8s.io/yaml over goyaml v2), trailing newline removed.
///
/// Errors where Helm's `toYaml` swallows an error and prints `""` (see [`Error`]).
pub fn to_yaml(v: &Value) -> Result<String, Error> {
    let node = v2_node(v)?;
    let mut s = emit_document(&node, Flavor::V2, 2);
    if s.ends_with('\n') {
        s.pop();
    }
    Ok(s)
}

/// Helm's `toYamlPretty` (goyaml v3 `Encoder`, `SetIndent(2)`), trailing newline removed.
pub fn to_yaml_pretty(v: &Value) -> String {
    let mut s = emit_document(&v3_node(v), Flavor::V3, 2);
    if s.ends_with('\n') {
        s.pop();
    }
    s
}
