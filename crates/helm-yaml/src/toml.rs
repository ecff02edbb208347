//! Helm's `toToml`: BurntSushi/toml v1.6 `Encoder` (`encode.go`) over generic values. Plain
//! keys first, then tables (`[a]`, `[a.b]` indented two spaces per level) and arrays of
//! tables (`[[k]]`); keys sorted bytewise; floats always carry a decimal point (`3.0`); null
//! map values are skipped; a null inside an array is an error. Helm prints the encoder's error
//! text instead of the document when encoding fails.

use serde_json::{Map, Value};

use crate::Error;
use crate::gofloat;

const ERR_NIL_ELEMENT: &str = "toml: cannot encode array with nil element";
const ERR_NO_KEY: &str = "toml: top-level values must be Go maps or structs";

/// The TOML type the encoder computes for a value (`tomlTypeOfGo`); `None` for nil.
#[derive(PartialEq, Eq, Clone, Copy)]
enum TomlType {
    Bool,
    Float,
    String,
    Array,
    Hash,
    ArrayHash,
}

fn toml_type(v: &Value) -> Result<Option<TomlType>, &'static str> {
    Ok(Some(match v {
        Value::Null => return Ok(None),
        Value::Bool(_) => TomlType::Bool,
        Value::Number(_) => TomlType::Float,
        Value::String(_) => TomlType::String,
        Value::Object(_) => TomlType::Hash,
        Value::Array(items) => {
            if is_table_array(items)? {
                TomlType::ArrayHash
            } else {
                TomlType::Array
            }
        }
    }))
}

/// `isTableArray`: non-empty and every element a map; any nil element is an error.
fn is_table_array(items: &[Value]) -> Result<bool, &'static str> {
    if items.is_empty() {
        return Ok(false);
    }
    let mut all_tables = true;
    for item in items {
        match toml_type(item)? {
            None => return Err(ERR_NIL_ELEMENT),
            Some(TomlType::Hash) => {}
            Some(_) => all_tables = false,
        }
    }
    Ok(all_tables)
}

fn is_bare(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// `dblQuotedReplacer` inside double quotes.
fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn maybe_quoted(k: &str) -> String {
    if k.is_empty() {
        "\"\"".to_string()
    } else if is_bare(k) {
        k.to_string()
    } else {
        quote(k)
    }
}

/// `Key.String`: dotted path with each piece quoted when needed.
fn key_path(key: &[&str]) -> String {
    key.iter()
        .map(|k| maybe_quoted(k))
        .collect::<Vec<_>>()
        .join(".")
}

fn float_text(f: f64) -> String {
    let s = gofloat::format_g(f);
    if s.contains('e') || s.contains('.') {
        s
    } else {
        s + ".0"
    }
}

struct Encoder {
    out: String,
}

impl Encoder {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// Writes a newline only once something has been written.
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn indent(key: &[&str]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }

    fn encode(&mut self, key: &[&str], v: &Value) -> Result<(), &'static str> {
        match v {
            Value::Null => Ok(()),
            Value::Bool(_) | Value::Number(_) | Value::String(_) => {
                self.write_key_value(key, v, false)
            }
            Value::Array(items) => {
                if toml_type(v)? == Some(TomlType::ArrayHash) {
                    self.array_of_tables(key, items)
                } else {
                    self.write_key_value(key, v, false)
                }
            }
            Value::Object(map) => self.table(key, map),
        }
    }

    fn write_key_value(
        &mut self,
        key: &[&str],
        v: &Value,
        inline: bool,
    ) -> Result<(), &'static str> {
        let Some(last) = key.last() else {
            return self.element(v);
        };
        let line = format!("{}{} = ", Self::indent(key), maybe_quoted(last));
        self.write(&line);
        self.element(v)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn element(&mut self, v: &Value) -> Result<(), &'static str> {
        match v {
            Value::Null => return Err(ERR_NIL_ELEMENT),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Number(n) => self.write(&float_text(n.as_f64().unwrap_or(0.0))),
            Value::String(s) => self.write(&quote(s)),
            Value::Array(items) => {
                self.write("[");
                for (i, item) in items.iter().enumerate() {
                    self.element(item)?;
                    if i + 1 != items.len() {
                        self.write(", ");
                    }
                }
                self.write("]");
            }
            Value::Object(map) => self.map(&[], map, true)?,
        }
        Ok(())
    }

    fn array_of_tables(&mut self, key: &[&str], items: &[Value]) -> Result<(), &'static str> {
        if key.is_empty() {
            return Err(ERR_NO_KEY);
        }
        for item in items {
            let Value::Object(map) = item else { continue };
            self.newline();
            let header = format!("{}[[{}]]", Self::indent(key), key_path(key));
            self.write(&header);
            self.newline();
            self.map(key, map, false)?;
        }
        Ok(())
    }

    fn table(&mut self, key: &[&str], map: &Map<String, Value>) -> Result<(), &'static str> {
        if key.len() == 1 {
            self.newline();
        }
        if !key.is_empty() {
            let header = format!("{}[{}]", Self::indent(key), key_path(key));
            self.write(&header);
            self.newline();
        }
        self.map(key, map, false)
    }

    fn map(
        &mut self,
        key: &[&str],
        map: &Map<String, Value>,
        inline: bool,
    ) -> Result<(), &'static str> {
        let mut direct: Vec<&str> = Vec::new();
        let mut sub: Vec<&str> = Vec::new();
        for (k, v) in map {
            match toml_type(v)? {
                Some(TomlType::Hash | TomlType::ArrayHash) => sub.push(k),
                _ => direct.push(k),
            }
        }
        direct.sort_unstable();
        sub.sort_unstable();
        if inline {
            self.write("{");
        }
        let trail = !sub.is_empty();
        for (keys, trail_comma) in [(direct, trail), (sub, false)] {
            let n = keys.len();
            for (i, k) in keys.into_iter().enumerate() {
                let v = &map[k];
                if v.is_null() {
                    continue;
                }
                if inline {
                    self.write_key_value(&[k], v, true)?;
                    if trail_comma || i + 1 != n {
                        self.write(", ");
                    }
                } else {
                    let mut child: Vec<&str> = key.to_vec();
                    child.push(k);
                    self.encode(&child, v)?;
                }
            }
        }
        if inline {
            self.write("}");
        }
        Ok(())
    }
}

/// Helm's `toToml`: the TOML document, or the encoder's error text where Helm prints that
/// instead (`toml: cannot encode array with nil element`, `toml: top-level values must be Go
/// maps or structs`). A top-level scalar or array prints bare (`3.0`, `[1.0, "a"]`).
///
/// `Err` only for a nil value, where Helm's render itself fails (the encoder panics:
/// `error calling toToml: reflect: call of reflect.Value.Type on zero Value`).
pub fn to_toml(v: &Value) -> Result<String, Error> {
    if v.is_null() {
        return Err(Error::TomlNil);
    }
    let mut enc = Encoder { out: String::new() };
    match enc.encode(&[], v) {
        Ok(()) => Ok(enc.out),
        Err(msg) => Ok(msg.to_string()),
    }
}
