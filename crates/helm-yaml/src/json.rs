//! Go `encoding/json` output for Helm's `toJson`/`mustToJson` (`json.Marshal`), Sprig's
//! `toRawJson` (an `Encoder` with `SetEscapeHTML(false)`, trailing newline trimmed) and
//! `toPrettyJson` (`json.MarshalIndent(v, "", "  ")`, HTML-escaped).
//!
//! Map keys are sorted bytewise, numbers use Go's float64 rules (see [`crate::gofloat`]).

use serde_json::Value;

use crate::gofloat;

/// Append `s` as a Go JSON string literal.
pub(crate) fn write_string(out: &mut String, s: &str, escape_html: bool) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if escape_html => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
            c if (c as u32) < 0x20 => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 0xF)] as char);
            }
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's float64 number text (every number is a float64 in Helm values).
pub(crate) fn number_text(n: &serde_json::Number) -> String {
    gofloat::format_json(n.as_f64().unwrap_or(0.0))
}

fn write_compact(out: &mut String, v: &Value, escape_html: bool) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number_text(n)),
        Value::String(s) => write_string(out, s, escape_html),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_compact(out, item, escape_html);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k, escape_html);
                out.push(':');
                write_compact(out, &map[k.as_str()], escape_html);
            }
            out.push('}');
        }
    }
}

fn write_indented(out: &mut String, v: &Value, depth: usize) {
    fn newline(out: &mut String, depth: usize) {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
    match v {
        Value::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_indented(out, item, depth + 1);
            }
            newline(out, depth);
            out.push(']');
        }
        Value::Object(map) if !map.is_empty() => {
            out.push('{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_string(out, k, true);
                out.push_str(": ");
                write_indented(out, &map[k.as_str()], depth + 1);
            }
            newline(out, depth);
            out.push('}');
        }
        other => write_compact(out, other, true),
    }
}

/// Helm's `toJson`: Go `json.Marshal`, compact, keys sorted, `<`, `>`, `&` escaped.
pub fn to_json(v: &Value) -> String {
    let mut out = String::new();
    write_compact(&mut out, v, true);
    out
}

/// Sprig's `toRawJson`: like [`to_json`] without HTML escaping.
pub fn to_raw_json(v: &Value) -> String {
    let mut out = String::new();
    write_compact(&mut out, v, false);
    out
}

/// Sprig's `toPrettyJson`: `json.MarshalIndent(v, "", "  ")`, HTML-escaped; empty
/// collections stay `{}` / `[]`.
pub fn to_pretty_json(v: &Value) -> String {
    let mut out = String::new();
    write_indented(&mut out, v, 0);
    out
}
