//! Sprig 3.3 functions as Helm registers them (plus Helm's `toJson` and
//! `fromJson`), with Go signatures so argument errors read as in Helm, and
//! spf13/cast conversions, mergo merging and Go's runtime panic texts.

use std::rc::Rc;

use crate::error::FuncError;
use crate::fmt::quote;
use crate::parse::{parse_float, parse_int_base0};
use crate::template::FuncMap;
use crate::value::{ArgType, ElemType, List, Map, ObjectKind, Signature, Value};

use ArgType::{Any, Bool as B, Int as I, Map as M, String as S};

fn sig(p: &[ArgType]) -> Signature {
    Signature::new(p)
}

fn var(p: &[ArgType], v: ArgType) -> Signature {
    Signature::variadic(p, v)
}

pub(crate) fn s(v: impl Into<Rc<str>>) -> Value {
    Value::String(v.into())
}

pub(crate) fn arg_str(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

pub(crate) fn arg_int(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    }
}

fn arg_map(v: &Value) -> Map {
    match v {
        Value::Map(m) => m.clone(),
        _ => Map::new(),
    }
}

/// Go's `runtime.Error` texts for the panics Sprig functions can raise.
pub(crate) fn runtime(msg: &str) -> FuncError {
    FuncError::new(format!("runtime error: {msg}"))
}

fn nil_deref() -> FuncError {
    runtime("invalid memory address or nil pointer dereference")
}

/// Sprig's `strval`: strings as is, byte slices as text, Stringers via
/// `String()`, everything else with `%v`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Object(o) => o.stringer().unwrap_or_else(|| crate::fmt::to_string(v)),
        _ => crate::fmt::to_string(v),
    }
}

/// Sprig's `empty`: nil, false, zero numbers, empty strings/slices/maps.
pub fn empty(v: &Value) -> bool {
    !v.is_true()
}

/// Go's conversion of a float64 to int64 (amd64: out of range ⇒ MinInt64).
pub fn go_f64_to_i64(f: f64) -> i64 {
    // 2^63: inside [-2^63, 2^63) Go truncates like `as`; outside it yields MinInt64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    let mut i = b.len();
    while i > 0 {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
        i -= 1;
    }
    s
}

fn underlying(v: &Value) -> Value {
    if let Value::Object(o) = v
        && o.kind() == ObjectKind::Named
        && let Some(u) = o.underlying()
    {
        return u;
    }
    v.clone()
}

/// spf13/cast `ToInt64` (also `ToInt`: Go's int is 64 bits).
pub fn to_int64(v: &Value) -> i64 {
    match underlying(v) {
        Value::Int(i) | Value::Int64(i) => i,
        Value::Float(f) => go_f64_to_i64(f),
        Value::String(s) => parse_int_base0(trim_zero_decimal(&s)).unwrap_or(0),
        Value::Bool(b) => i64::from(b),
        _ => 0,
    }
}

/// spf13/cast `ToFloat64`.
pub fn to_float64(v: &Value) -> f64 {
    match underlying(v) {
        Value::Int(i) | Value::Int64(i) => i as f64,
        Value::Float(f) => f,
        Value::String(s) => go_parse_float(&s).unwrap_or(0.0),
        Value::Bool(b) => f64::from(u8::from(b)),
        _ => 0.0,
    }
}

/// Go's `strconv.ParseFloat(s, 64)` (decimal, hex, `inf`, `nan`).
pub fn go_parse_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let (sign, body) = match lower.as_bytes().first() {
        Some(b'+') => (1.0, &lower[1..]),
        Some(b'-') => (-1.0, &lower[1..]),
        _ => (1.0, lower.as_str()),
    };
    match body {
        "inf" | "infinity" => return Some(sign * f64::INFINITY),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-' | b'_'))
    {
        return None;
    }
    parse_float(s)
}

fn list_items(v: &Value) -> Option<Vec<Value>> {
    match underlying(v) {
        Value::List(l) => Some(l.as_slice().to_vec()),
        Value::Bytes(b) => Some(b.iter().map(|c| Value::Int(i64::from(*c))).collect()),
        _ => None,
    }
}

/// Sprig's `strslice`.
fn strslice(v: &Value) -> Vec<String> {
    match underlying(v) {
        Value::List(l) => l.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        Value::Nil => Vec::new(),
        other => vec![strval(&other)],
    }
}

fn kind_of_list_error(func: &str, v: &Value) -> FuncError {
    FuncError::new(format!("Cannot {func} on type {}", v.kind_name()))
}

/// Check a list argument the way Sprig's `reflect.TypeOf(list).Kind()` does
/// (nil ⇒ nil pointer panic, non-slice ⇒ Sprig's error).
fn need_list(func: &str, v: &Value) -> Result<Vec<Value>, FuncError> {
    if v.is_nil() {
        return Err(nil_deref());
    }
    list_items(v).ok_or_else(|| kind_of_list_error(func, v))
}

// ----- mergo -----

fn is_empty_value(v: &Value) -> bool {
    empty(v)
}

/// mergo's `deepMerge` for `map[string]interface{}` (Merge / MergeWithOverwrite).
fn deep_merge(dst: &Map, src: &Map, overwrite: bool, depth: usize) {
    if depth > crate::value::MAX_NESTING || dst.ptr_eq(src) {
        return;
    }
    let src_nonempty = !src.is_empty();
    for (key, se) in src.entries() {
        let de = dst.get(&key);
        if se.is_nil() {
            if overwrite {
                dst.insert(key, Value::Nil);
            }
            continue;
        }
        match &se {
            Value::Map(sm) => {
                if let Some(Value::Map(dm)) = &de {
                    deep_merge(dm, sm, overwrite, depth + 1);
                }
            }
            Value::List(_) => {
                let dst_slice = if (src_nonempty) && (overwrite || dst.is_empty()) {
                    se.clone()
                } else {
                    match &de {
                        Some(d) if !d.is_nil() => d.clone(),
                        _ => Value::list(Vec::new()),
                    }
                };
                dst.insert(key.clone(), dst_slice);
            }
            _ => {}
        }
        if let Some(d) = &de
            && !is_empty_value(d)
        {
            if matches!(se, Value::List(_)) {
                continue;
            }
            if matches!(se, Value::Map(_)) && matches!(d, Value::Map(_)) {
                continue;
            }
        }
        if overwrite || de.is_none() || de.as_ref().is_some_and(is_empty_value) {
            dst.insert(key, se);
        }
    }
}

// ----- JSON -----

fn json_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Go's `encoding/json` float text.
pub fn json_float(f: f64) -> Option<String> {
    if f.is_nan() || f.is_infinite() {
        return None;
    }
    let abs = f.abs();
    let fmt = if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        'e'
    } else {
        'f'
    };
    let mut b = crate::fmt::format_float(f, fmt, -1);
    if fmt == 'e' {
        let n = b.len();
        let bytes = b.as_bytes();
        if n >= 4 && bytes[n - 4] == b'e' && bytes[n - 3] == b'-' && bytes[n - 2] == b'0' {
            b.remove(n - 2);
        }
    }
    Some(b)
}

/// Go's `json.Marshal` (keys sorted; HTML escaping when `escape_html`).
/// Errors carry Go's message.
pub fn to_json(v: &Value, escape_html: bool) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, v, escape_html, 0)?;
    Ok(out)
}

fn write_json(out: &mut String, v: &Value, escape_html: bool, depth: usize) -> Result<(), String> {
    if depth > crate::value::MAX_NESTING {
        return Err("json: unsupported value: encountered a cycle".to_string());
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => match json_float(*f) {
            Some(t) => out.push_str(&t),
            None => {
                return Err(format!(
                    "json: unsupported value: {}",
                    crate::fmt::format_float(*f, 'g', -1)
                ));
            }
        },
        Value::String(s) => json_string(out, s, escape_html),
        Value::Bytes(b) => {
            out.push('"');
            out.push_str(&base64_encode(b));
            out.push('"');
        }
        Value::List(l) => {
            out.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(out, e, escape_html, depth + 1)?;
            }
            out.push(']');
        }
        Value::Map(m) => {
            out.push('{');
            for (i, (k, e)) in m.entries().iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_string(out, k, escape_html);
                out.push(':');
                write_json(out, e, escape_html, depth + 1)?;
            }
            out.push('}');
        }
        Value::Object(o) => match o.json_fields() {
            Some(fields) => {
                out.push('{');
                for (i, (k, e)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    json_string(out, k, escape_html);
                    out.push(':');
                    write_json(out, e, escape_html, depth + 1)?;
                }
                out.push('}');
            }
            None => write_json(out, &o.to_json_value(), escape_html, depth + 1)?,
        },
    }
    Ok(())
}

/// Go's `json.Unmarshal` into `interface{}` (numbers become float64).
pub fn from_json(text: &str) -> Result<Value, String> {
    let mut p = JsonParser {
        b: text.as_bytes(),
        i: 0,
    };
    p.skip_ws();
    if p.i >= p.b.len() {
        return Err("unexpected end of JSON input".to_string());
    }
    let v = p.value(0)?;
    p.skip_ws();
    if p.i < p.b.len() {
        return Err(format!(
            "invalid character {} after top-level value",
            p.quote_char()
        ));
    }
    Ok(v)
}

struct JsonParser<'b> {
    b: &'b [u8],
    i: usize,
}

impl JsonParser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn quote_char(&self) -> String {
        let c = std::str::from_utf8(&self.b[self.i..])
            .ok()
            .and_then(|s| s.chars().next())
            .unwrap_or('\u{FFFD}');
        match c {
            '\'' => "'\\''".to_string(),
            '"' => "'\"'".to_string(),
            c if (c as u32) < 0x20 => crate::fmt::quote_rune(c),
            c => format!("'{c}'"),
        }
    }

    fn eof(&self) -> String {
        "unexpected end of JSON input".to_string()
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > 10000 {
            return Err("exceeded max depth".to_string());
        }
        self.skip_ws();
        let Some(&c) = self.b.get(self.i) else {
            return Err(self.eof());
        };
        match c {
            b'{' => {
                self.i += 1;
                let m = Map::new();
                self.skip_ws();
                if self.b.get(self.i) == Some(&b'}') {
                    self.i += 1;
                    return Ok(Value::Map(m));
                }
                loop {
                    self.skip_ws();
                    match self.b.get(self.i) {
                        None => return Err(self.eof()),
                        Some(b'"') => {}
                        Some(_) => {
                            return Err(format!(
                                "invalid character {} looking for beginning of object key string",
                                self.quote_char()
                            ));
                        }
                    }
                    let k = self.string()?;
                    self.skip_ws();
                    match self.b.get(self.i) {
                        None => return Err(self.eof()),
                        Some(b':') => self.i += 1,
                        Some(_) => {
                            return Err(format!(
                                "invalid character {} after object key",
                                self.quote_char()
                            ));
                        }
                    }
                    let v = self.value(depth + 1)?;
                    m.insert(k, v);
                    self.skip_ws();
                    match self.b.get(self.i) {
                        None => return Err(self.eof()),
                        Some(b',') => self.i += 1,
                        Some(b'}') => {
                            self.i += 1;
                            return Ok(Value::Map(m));
                        }
                        Some(_) => {
                            return Err(format!(
                                "invalid character {} after object key:value pair",
                                self.quote_char()
                            ));
                        }
                    }
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.b.get(self.i) == Some(&b']') {
                    self.i += 1;
                    return Ok(Value::list(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    self.skip_ws();
                    match self.b.get(self.i) {
                        None => return Err(self.eof()),
                        Some(b',') => self.i += 1,
                        Some(b']') => {
                            self.i += 1;
                            return Ok(Value::list(items));
                        }
                        Some(_) => {
                            return Err(format!(
                                "invalid character {} after array element",
                                self.quote_char()
                            ));
                        }
                    }
                }
            }
            b'"' => Ok(Value::from(self.string()?)),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Nil),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(format!(
                "invalid character {} looking for beginning of value",
                self.quote_char()
            )),
        }
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, String> {
        for (k, w) in word.bytes().enumerate() {
            match self.b.get(self.i) {
                None => return Err(self.eof()),
                Some(&c) if c == w => self.i += 1,
                Some(_) => {
                    let ctx = format!(
                        "in literal {word} (expecting {})",
                        crate::fmt::quote_rune(word.as_bytes()[k] as char)
                    );
                    return Err(format!("invalid character {} {ctx}", self.quote_char()));
                }
            }
        }
        Ok(v)
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.i;
        if self.b[self.i] == b'-' {
            self.i += 1;
        }
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.i < p.b.len() && p.b[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i - s
        };
        match self.b.get(self.i) {
            None => return Err(self.eof()),
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            Some(_) => {
                return Err(format!(
                    "invalid character {} in numeric literal",
                    self.quote_char()
                ));
            }
        }
        if self.b.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                if self.i >= self.b.len() {
                    return Err(self.eof());
                }
                return Err(format!(
                    "invalid character {} after decimal point in numeric literal",
                    self.quote_char()
                ));
            }
        }
        if matches!(self.b.get(self.i), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.b.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                if self.i >= self.b.len() {
                    return Err(self.eof());
                }
                return Err(format!(
                    "invalid character {} in exponent of numeric literal",
                    self.quote_char()
                ));
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.i]).unwrap_or("0");
        let f: f64 = text.parse().unwrap_or(0.0);
        if f.is_infinite() {
            return Err(format!(
                "json: cannot unmarshal number {text} into Go value of type float64"
            ));
        }
        Ok(Value::Float(f))
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let Some(&c) = self.b.get(self.i) else {
                return Err(self.eof());
            };
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                b'\\' => {
                    self.i += 1;
                    let Some(&e) = self.b.get(self.i) else {
                        return Err(self.eof());
                    };
                    self.i += 1;
                    match e {
                        b'"' => out.push(b'"'),
                        b'\\' => out.push(b'\\'),
                        b'/' => out.push(b'/'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let hex = |p: &mut Self| -> Option<u32> {
                                let h = std::str::from_utf8(p.b.get(p.i..p.i + 4)?).ok()?;
                                let v = u32::from_str_radix(h, 16).ok()?;
                                p.i += 4;
                                Some(v)
                            };
                            let Some(mut cp) = hex(self) else {
                                return Err(
                                    "invalid character in \\u hexadecimal character escape"
                                        .to_string(),
                                );
                            };
                            if (0xD800..0xDC00).contains(&cp)
                                && self.b.get(self.i) == Some(&b'\\')
                                && self.b.get(self.i + 1) == Some(&b'u')
                            {
                                let save = self.i;
                                self.i += 2;
                                match hex(self) {
                                    Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                                    }
                                    _ => self.i = save,
                                }
                            }
                            let ch = char::from_u32(cp).unwrap_or('\u{FFFD}');
                            let mut buf = [0u8; 4];
                            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                        }
                        _ => {
                            self.i -= 1;
                            return Err(format!(
                                "invalid character {} in string escape code",
                                self.quote_char()
                            ));
                        }
                    }
                }
                c if c < 0x20 => {
                    return Err(format!(
                        "invalid character {} in string literal",
                        self.quote_char()
                    ));
                }
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

// ----- base64 / sha256 -----

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = match chunk.len() {
            3 => (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]),
            2 => (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8),
            _ => u32::from(chunk[0]) << 16,
        };
        out.push(B64[(n >> 18) as usize & 63] as char);
        out.push(B64[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            B64[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            B64[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Go's `base64.StdEncoding.DecodeString`, with its error text
/// (`illegal base64 data at input byte N`).
pub fn base64_decode(s: &str) -> Result<Vec<u8>, String> {
    let b: Vec<u8> = s.bytes().filter(|&c| c != b'\n' && c != b'\r').collect();
    let pos_map: Vec<usize> = s
        .bytes()
        .enumerate()
        .filter(|(_, c)| *c != b'\n' && *c != b'\r')
        .map(|(i, _)| i)
        .collect();
    let illegal = |i: usize| {
        format!(
            "illegal base64 data at input byte {}",
            pos_map.get(i).copied().unwrap_or(s.len())
        )
    };
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    let mut i = 0;
    while i < b.len() {
        let mut quad = [0u32; 4];
        let mut n = 0;
        let mut pad = 0;
        while n < 4 {
            if i + n >= b.len() {
                if n == 0 {
                    break;
                }
                return Err(illegal(
                    b.len()
                        .saturating_sub(if n == 1 { 1 } else { 0 })
                        .min(i + n - 1)
                        .max(i),
                ));
            }
            let c = b[i + n];
            if c == b'=' {
                if n < 2 {
                    return Err(illegal(i + n));
                }
                pad = 4 - n;
                for k in n..4 {
                    if i + k >= b.len() || b[i + k] != b'=' {
                        return Err(illegal(i + k.min(b.len())));
                    }
                }
                if i + 4 != b.len() {
                    return Err(illegal(i + 4));
                }
                break;
            }
            match B64.iter().position(|&x| x == c) {
                Some(p) => quad[n] = p as u32,
                None => return Err(illegal(i + n)),
            }
            n += 1;
        }
        let v = (quad[0] << 18) | (quad[1] << 12) | (quad[2] << 6) | quad[3];
        let bytes = [(v >> 16) as u8, (v >> 8) as u8, v as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
        i += 4;
    }
    Ok(out)
}

/// SHA-256 of `data`, lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for chunk in msg.chunks(64) {
        let mut w = [0u32; 64];
        for t in 0..16 {
            w[t] = u32::from_be_bytes([
                chunk[4 * t],
                chunk[4 * t + 1],
                chunk[4 * t + 2],
                chunk[4 * t + 3],
            ]);
        }
        for t in 16..64 {
            let s0 = w[t - 15].rotate_right(7) ^ w[t - 15].rotate_right(18) ^ (w[t - 15] >> 3);
            let s1 = w[t - 2].rotate_right(17) ^ w[t - 2].rotate_right(19) ^ (w[t - 2] >> 10);
            w[t] = w[t - 16]
                .wrapping_add(s0)
                .wrapping_add(w[t - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for t in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[t])
                .wrapping_add(w[t]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (a, b) in h.iter_mut().zip(v) {
            *a = a.wrapping_add(b);
        }
    }
    h.iter().map(|x| format!("{x:08x}")).collect()
}

// ----- regexp -----

/// Compiles `re`, reusing a compiled pattern from earlier calls: charts call
/// the same few patterns on every render, and compiling (Unicode classes
/// especially) costs far more than matching. The cache holds patterns only,
/// never results, and is bounded.
///
/// The handle is shared (`Rc`), not cloned: a cloned `regex::Regex` gets a
/// new, empty pool of search caches, so every call would rebuild its lazy
/// DFA states from scratch.
pub fn compile_regex(re: &str) -> Result<Rc<regex::Regex>, FuncError> {
    const MAX_CACHED: usize = 256;
    thread_local! {
        static CACHE: std::cell::RefCell<std::collections::HashMap<String, Rc<regex::Regex>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(re).cloned()) {
        return Ok(hit);
    }
    let compiled =
        Rc::new(regex::Regex::new(re).map_err(|e| FuncError::new(go_regex_error(re, &e)))?);
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        if cache.len() >= MAX_CACHED {
            cache.clear();
        }
        cache.insert(re.to_owned(), compiled.clone());
    });
    Ok(compiled)
}

/// Go's `regexp.Compile` error text for the common syntax errors.
fn go_regex_error(re: &str, e: &regex::Error) -> String {
    let msg = e.to_string();
    let code = if msg.contains("unclosed group") {
        format!("missing closing ): `{re}`")
    } else if msg.contains("unopened group") {
        format!("unexpected ): `{re}`")
    } else if msg.contains("unclosed character class") {
        let tail = re.rfind('[').map(|i| &re[i..]).unwrap_or(re);
        format!("missing closing ]: `{tail}`")
    } else if msg.contains("repetition operator missing expression") {
        let op = re
            .chars()
            .find(|c| matches!(c, '*' | '+' | '?'))
            .unwrap_or('*');
        format!("missing argument to repetition operator: `{op}`")
    } else {
        format!("invalid syntax: `{re}`")
    };
    format!(
        "regexp: Compile({}): error parsing regexp: {code}",
        go_backquote(re)
    )
}

fn go_backquote(s: &str) -> String {
    if crate::fmt::can_backquote(s) {
        format!("`{s}`")
    } else {
        quote(s)
    }
}

/// Translate Go's replacement template (`$1`, `${name}`, `$$`) to the
/// `regex` crate's, which has the same rules.
fn expand_repl(r: &str) -> &str {
    r
}

// ----- string helpers -----

/// Go's `unicode.ToUpper` on one rune (simple mapping only).
fn upper_rune(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn lower_rune(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `strings.ToUpper`.
pub fn go_upper(s: &str) -> String {
    s.chars().map(upper_rune).collect()
}

/// Go's `strings.ToLower`.
pub fn go_lower(s: &str) -> String {
    s.chars().map(lower_rune).collect()
}

fn is_separator(r: char) -> bool {
    if r.is_ascii() {
        return !(r.is_ascii_alphanumeric() || r == '_');
    }
    if r.is_alphabetic() || r.is_numeric() {
        return false;
    }
    r.is_whitespace()
}

/// Go's `strings.Title`.
pub fn title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let out = if is_separator(prev) { upper_rune(c) } else { c };
            prev = c;
            out
        })
        .collect()
}

fn byte_slice(s: &str, lo: usize, hi: usize) -> String {
    String::from_utf8_lossy(&s.as_bytes()[lo..hi]).into_owned()
}

fn go_trim_space(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{85}' || c == '\u{A0}')
}

/// The Sprig (and Helm-overridden `toJson`/`fromJson`) functions.
/// The longest list a function may build (`until`, `seq`, …): a hostile
/// template must fail, not exhaust memory.
pub const MAX_LIST_LEN: u64 = 10_000_000;

/// Refuses a list longer than [`MAX_LIST_LEN`].
pub fn check_list_len(n: u64) -> Result<(), FuncError> {
    if n > MAX_LIST_LEN {
        return Err(FuncError::new(format!(
            "a list of {n} elements exceeds the limit of {MAX_LIST_LEN}"
        )));
    }
    Ok(())
}

pub fn sprig_funcs() -> FuncMap {
    let mut f = FuncMap::new();

    // Defaults and logic.
    f.insert_simple("default", var(&[Any], Any).returns_interface(), |a| {
        if a.len() < 2 || empty(&a[1]) {
            Ok(a[0].clone())
        } else {
            Ok(a[1].clone())
        }
    });
    f.insert_simple("empty", sig(&[Any]), |a| Ok(Value::Bool(empty(&a[0]))));
    f.insert_simple("coalesce", var(&[], Any).returns_interface(), |a| {
        Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
    });
    f.insert_simple("all", var(&[], Any), |a| {
        Ok(Value::Bool(a.iter().all(|v| !empty(v))))
    });
    f.insert_simple("any", var(&[], Any), |a| {
        Ok(Value::Bool(a.iter().any(|v| !empty(v))))
    });
    f.insert_simple("ternary", sig(&[Any, Any, B]).returns_interface(), |a| {
        Ok(if matches!(a[2], Value::Bool(true)) {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    f.insert_simple("fail", sig(&[S]), |a| Err(FuncError::new(arg_str(&a[0]))));

    // Strings.
    f.insert_simple("quote", var(&[], Any), |a| {
        let mut out = String::new();
        for (i, v) in a.iter().filter(|v| !v.is_nil()).enumerate() {
            if i > 0 {
                out.push(' ');
            }
            match v {
                Value::String(st) => crate::fmt::quote_into(&mut out, st),
                _ => crate::fmt::quote_into(&mut out, &strval(v)),
            }
        }
        Ok(s(out))
    });
    f.insert_simple("squote", var(&[], Any), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| format!("'{}'", strval(v)))
            .collect();
        Ok(s(parts.join(" ")))
    });
    f.insert_simple("cat", var(&[], Any), |a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(crate::fmt::to_string)
            .collect();
        Ok(s(parts.join(" ")))
    });
    f.insert_simple("toString", sig(&[Any]), |a| Ok(s(strval(&a[0]))));
    f.insert_simple("trim", sig(&[S]), |a| Ok(s(go_trim_space(arg_str(&a[0])))));
    f.insert_simple("trimAll", sig(&[S, S]), |a| {
        let cut: Vec<char> = arg_str(&a[0]).chars().collect();
        Ok(s(arg_str(&a[1]).trim_matches(|c| cut.contains(&c))))
    });
    f.insert_simple("trimPrefix", sig(&[S, S]), |a| {
        let (p, v) = (arg_str(&a[0]), arg_str(&a[1]));
        Ok(s(v.strip_prefix(p).unwrap_or(v)))
    });
    f.insert_simple("trimSuffix", sig(&[S, S]), |a| {
        let (p, v) = (arg_str(&a[0]), arg_str(&a[1]));
        Ok(s(v.strip_suffix(p).unwrap_or(v)))
    });
    f.insert_simple("upper", sig(&[S]), |a| Ok(s(go_upper(arg_str(&a[0])))));
    f.insert_simple("lower", sig(&[S]), |a| Ok(s(go_lower(arg_str(&a[0])))));
    f.insert_simple("title", sig(&[S]), |a| Ok(s(title(arg_str(&a[0])))));
    f.insert_simple("nospace", sig(&[S]), |a| {
        Ok(s(arg_str(&a[0])
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()))
    });
    f.insert("repeat", sig(&[I, S]), |ctx, a| {
        let n = arg_int(&a[0]);
        if n < 0 {
            return Err(FuncError::new("strings: negative Repeat count"));
        }
        let str = arg_str(&a[1]);
        ctx.check_size(str.len().saturating_mul(n as usize))?;
        Ok(s(str.repeat(n as usize)))
    });
    f.insert_simple("indent", sig(&[I, S]), |a| {
        let pad = " ".repeat(arg_int(&a[0]).max(0) as usize);
        Ok(s(format!(
            "{pad}{}",
            arg_str(&a[1]).replace('\n', &format!("\n{pad}"))
        )))
    });
    f.insert_simple("nindent", sig(&[I, S]), |a| {
        let pad = " ".repeat(arg_int(&a[0]).max(0) as usize);
        Ok(s(format!(
            "\n{pad}{}",
            arg_str(&a[1]).replace('\n', &format!("\n{pad}"))
        )))
    });
    f.insert_simple("replace", sig(&[S, S, S]), |a| {
        let (old, new, src) = (arg_str(&a[0]), arg_str(&a[1]), arg_str(&a[2]));
        if old.is_empty() {
            // Go inserts `new` before every rune and at the end.
            let mut out = String::new();
            for c in src.chars() {
                out.push_str(new);
                out.push(c);
            }
            out.push_str(new);
            return Ok(s(out));
        }
        Ok(s(src.replace(old, new)))
    });
    f.insert_simple("contains", sig(&[S, S]), |a| {
        Ok(Value::Bool(arg_str(&a[1]).contains(arg_str(&a[0]))))
    });
    f.insert_simple("hasPrefix", sig(&[S, S]), |a| {
        Ok(Value::Bool(arg_str(&a[1]).starts_with(arg_str(&a[0]))))
    });
    f.insert_simple("hasSuffix", sig(&[S, S]), |a| {
        Ok(Value::Bool(arg_str(&a[1]).ends_with(arg_str(&a[0]))))
    });
    f.insert_simple("split", sig(&[S, S]), |a| {
        let m = Map::with_type(None, ElemType::String);
        for (i, p) in go_split(arg_str(&a[1]), arg_str(&a[0]))
            .into_iter()
            .enumerate()
        {
            m.insert(format!("_{i}"), s(p));
        }
        Ok(Value::Map(m))
    });
    f.insert_simple("splitList", sig(&[S, S]), |a| {
        Ok(Value::string_list(go_split(arg_str(&a[1]), arg_str(&a[0]))))
    });
    f.insert_simple("join", sig(&[S, Any]), |a| {
        Ok(s(strslice(&a[1]).join(arg_str(&a[0]))))
    });
    f.insert_simple("trunc", sig(&[I, S]), |a| {
        let (c, st) = (arg_int(&a[0]), arg_str(&a[1]));
        let len = st.len() as i64;
        if c < 0 && len + c > 0 {
            return Ok(s(byte_slice(st, (len + c) as usize, st.len())));
        }
        if c >= 0 && len > c {
            return Ok(s(byte_slice(st, 0, c as usize)));
        }
        Ok(s(st))
    });
    f.insert_simple("substr", sig(&[I, I, S]), |a| {
        let (start, end, st) = (arg_int(&a[0]), arg_int(&a[1]), arg_str(&a[2]));
        let len = st.len() as i64;
        if start < 0 {
            if end < 0 || end > len {
                return Err(runtime(&format!(
                    "slice bounds out of range [:{end}] with length {len}"
                )));
            }
            return Ok(s(byte_slice(st, 0, end as usize)));
        }
        if end < 0 || end > len {
            if start > len {
                return Err(runtime(&format!(
                    "slice bounds out of range [{start}:{len}]"
                )));
            }
            return Ok(s(byte_slice(st, start as usize, st.len())));
        }
        if start > end {
            return Err(runtime(&format!(
                "slice bounds out of range [{start}:{end}]"
            )));
        }
        Ok(s(byte_slice(st, start as usize, end as usize)))
    });
    f.insert_simple("b64enc", sig(&[S]), |a| {
        Ok(s(base64_encode(arg_str(&a[0]).as_bytes())))
    });
    f.insert_simple("b64dec", sig(&[S]), |a| {
        Ok(s(match base64_decode(arg_str(&a[0])) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => e,
        }))
    });
    f.insert_simple("sha256sum", sig(&[S]), |a| {
        Ok(s(sha256_hex(arg_str(&a[0]).as_bytes())))
    });
    f.insert_simple("regexMatch", sig(&[S, S]), |a| {
        Ok(Value::Bool(
            compile_regex(arg_str(&a[0]))?.is_match(arg_str(&a[1])),
        ))
    });
    f.insert_simple("regexReplaceAll", sig(&[S, S, S]), |a| {
        let re = compile_regex(arg_str(&a[0]))?;
        Ok(s(re
            .replace_all(arg_str(&a[1]), expand_repl(arg_str(&a[2])))
            .into_owned()))
    });
    f.insert_simple("regexReplaceAllLiteral", sig(&[S, S, S]), |a| {
        let re = compile_regex(arg_str(&a[0]))?;
        Ok(s(re
            .replace_all(arg_str(&a[1]), regex::NoExpand(arg_str(&a[2])))
            .into_owned()))
    });
    f.insert_simple("regexFind", sig(&[S, S]), |a| {
        let re = compile_regex(arg_str(&a[0]))?;
        Ok(s(re.find(arg_str(&a[1])).map(|m| m.as_str()).unwrap_or("")))
    });
    f.insert_simple("regexFindAll", sig(&[S, S, I]), |a| {
        let re = compile_regex(arg_str(&a[0]))?;
        let n = arg_int(&a[2]);
        let it = re.find_iter(arg_str(&a[1])).map(|m| m.as_str().to_string());
        let v: Vec<String> = if n < 0 {
            it.collect()
        } else {
            it.take(n as usize).collect()
        };
        Ok(Value::string_list(v))
    });

    // Type conversion and inspection.
    f.insert_simple("int", sig(&[Any]), |a| Ok(Value::Int(to_int64(&a[0]))));
    f.insert_simple("int64", sig(&[Any]), |a| Ok(Value::Int64(to_int64(&a[0]))));
    f.insert_simple("float64", sig(&[Any]), |a| {
        Ok(Value::Float(to_float64(&a[0])))
    });
    f.insert_simple("atoi", sig(&[S]), |a| {
        let t = arg_str(&a[0]);
        let ok = !t.is_empty()
            && t.trim_start_matches(['+', '-'])
                .bytes()
                .all(|c| c.is_ascii_digit());
        Ok(Value::Int(if ok {
            t.parse::<i64>().unwrap_or(0)
        } else {
            0
        }))
    });
    f.insert_simple("toStrings", sig(&[Any]), |a| {
        Ok(Value::string_list(strslice(&a[0])))
    });
    f.insert_simple("typeOf", sig(&[Any]), |a| Ok(s(a[0].type_name())));
    f.insert_simple("kindOf", sig(&[Any]), |a| Ok(s(a[0].kind_name())));
    f.insert_simple("typeIs", sig(&[S, Any]), |a| {
        Ok(Value::Bool(arg_str(&a[0]) == a[1].type_name()))
    });
    f.insert_simple("kindIs", sig(&[S, Any]), |a| {
        Ok(Value::Bool(arg_str(&a[0]) == a[1].kind_name()))
    });
    f.insert_simple("deepEqual", sig(&[Any, Any]), |a| {
        Ok(Value::Bool(deep_equal(&a[0], &a[1], 0)))
    });

    // Integer math (int64 results, cast conversions).
    f.insert_simple("add", var(&[], Any), |a| {
        Ok(Value::Int64(
            a.iter().map(to_int64).fold(0i64, i64::wrapping_add),
        ))
    });
    f.insert_simple("add1", sig(&[Any]), |a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_add(1)))
    });
    f.insert_simple("sub", sig(&[Any, Any]), |a| {
        Ok(Value::Int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    f.insert_simple("div", sig(&[Any, Any]), |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(runtime("integer divide by zero"));
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_div(d)))
    });
    f.insert_simple("mod", sig(&[Any, Any]), |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(runtime("integer divide by zero"));
        }
        Ok(Value::Int64(to_int64(&a[0]).wrapping_rem(d)))
    });
    f.insert_simple("mul", var(&[Any], Any), |a| {
        Ok(Value::Int64(
            a[1..]
                .iter()
                .map(to_int64)
                .fold(to_int64(&a[0]), i64::wrapping_mul),
        ))
    });
    f.insert_simple("max", var(&[Any], Any), |a| {
        Ok(Value::Int64(a.iter().map(to_int64).max().unwrap_or(0)))
    });
    f.insert_simple("min", var(&[Any], Any), |a| {
        Ok(Value::Int64(a.iter().map(to_int64).min().unwrap_or(0)))
    });
    f.insert_simple("until", sig(&[I]), |a| {
        let n = arg_int(&a[0]);
        check_list_len(n.unsigned_abs())?;
        let v: Vec<Value> = if n >= 0 {
            (0..n).map(Value::Int).collect()
        } else {
            (n + 1..=0).rev().map(Value::Int).collect()
        };
        Ok(Value::List(List::with_elem(v, ElemType::Int)))
    });

    // Lists.
    f.insert_simple("list", var(&[], Any), |a| Ok(Value::list(a.to_vec())));
    f.insert_simple("first", sig(&[Any]).returns_interface(), |a| {
        Ok(need_list("find first", &a[0])?
            .first()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    f.insert_simple("last", sig(&[Any]).returns_interface(), |a| {
        Ok(need_list("find last", &a[0])?
            .last()
            .cloned()
            .unwrap_or(Value::Nil))
    });
    f.insert_simple("rest", sig(&[Any]).returns_interface(), |a| {
        let l = need_list("find rest", &a[0])?;
        Ok(if l.is_empty() {
            Value::Nil
        } else {
            Value::list(l[1..].to_vec())
        })
    });
    f.insert_simple("initial", sig(&[Any]).returns_interface(), |a| {
        let l = need_list("find initial", &a[0])?;
        Ok(if l.is_empty() {
            Value::Nil
        } else {
            Value::list(l[..l.len() - 1].to_vec())
        })
    });
    for name in ["append", "push"] {
        f.insert_simple(name, sig(&[Any, Any]), |a| {
            let mut l = need_list("push", &a[0])?;
            l.push(a[1].clone());
            Ok(Value::list(l))
        });
    }
    f.insert_simple("prepend", sig(&[Any, Any]), |a| {
        let mut l = need_list("prepend", &a[0])?;
        l.insert(0, a[1].clone());
        Ok(Value::list(l))
    });
    f.insert_simple("concat", var(&[], Any).returns_interface(), |a| {
        let mut out = Vec::new();
        for l in a {
            out.extend(need_list("concat", l)?);
        }
        Ok(Value::list(out))
    });
    f.insert_simple("reverse", sig(&[Any]), |a| {
        let mut l = need_list("find reverse", &a[0])?;
        l.reverse();
        Ok(Value::list(l))
    });
    f.insert_simple("uniq", sig(&[Any]), |a| {
        let l = need_list("find uniq", &a[0])?;
        let mut out: Vec<Value> = Vec::new();
        for v in l {
            if !out.iter().any(|o| deep_equal(o, &v, 0)) {
                out.push(v);
            }
        }
        Ok(Value::list(out))
    });
    f.insert_simple("compact", sig(&[Any]), |a| {
        Ok(Value::list(
            need_list("compact", &a[0])?
                .into_iter()
                .filter(|v| !empty(v))
                .collect(),
        ))
    });
    f.insert_simple("without", var(&[Any], Any), |a| {
        let l = need_list("find without", &a[0])?;
        Ok(Value::list(
            l.into_iter()
                .filter(|v| !a[1..].iter().any(|w| deep_equal(v, w, 0)))
                .collect(),
        ))
    });
    f.insert_simple("has", sig(&[Any, Any]), |a| {
        if a[1].is_nil() {
            return Ok(Value::Bool(false));
        }
        let l = need_list("find has", &a[1])?;
        Ok(Value::Bool(l.iter().any(|v| deep_equal(v, &a[0], 0))))
    });
    f.insert_simple("slice", var(&[Any], Any).returns_interface(), |a| {
        if a[0].is_nil() {
            return Err(nil_deref());
        }
        let Some(l) = list_items(&a[0]) else {
            return Err(FuncError::new(format!(
                "list should be type of slice or array but {}",
                a[0].kind_name()
            )));
        };
        if l.is_empty() {
            return Ok(Value::Nil);
        }
        let start = a.get(1).map(to_int64).unwrap_or(0);
        let end = if a.len() < 3 {
            l.len() as i64
        } else {
            to_int64(&a[2])
        };
        if start < 0 || end < start || end > l.len() as i64 {
            return Err(FuncError::new("reflect: slice index out of range"));
        }
        let elem = a[0]
            .as_list()
            .map(List::elem)
            .unwrap_or(ElemType::Interface);
        Ok(Value::List(List::with_elem(
            l[start as usize..end as usize].to_vec(),
            elem,
        )))
    });
    f.insert_simple("sortAlpha", sig(&[Any]), |a| {
        let mut v = strslice(&a[0]);
        if list_items(&a[0]).is_none() {
            v = vec![strval(&a[0])];
        }
        v.sort();
        Ok(Value::string_list(v))
    });

    // Dicts.
    f.insert_simple("dict", var(&[], Any), |a| {
        let m = Map::new();
        let mut i = 0;
        while i < a.len() {
            let k = strval(&a[i]);
            m.insert(k, a.get(i + 1).cloned().unwrap_or_else(|| s("")));
            i += 2;
        }
        Ok(Value::Map(m))
    });
    f.insert_simple("set", sig(&[M, S, Any]), |a| {
        let m = arg_map(&a[0]);
        m.insert(arg_str(&a[1]), a[2].clone());
        Ok(a[0].clone())
    });
    f.insert_simple("unset", sig(&[M, S]), |a| {
        arg_map(&a[0]).remove(arg_str(&a[1]));
        Ok(a[0].clone())
    });
    f.insert_simple("hasKey", sig(&[M, S]), |a| {
        Ok(Value::Bool(arg_map(&a[0]).contains_key(arg_str(&a[1]))))
    });
    f.insert_simple("get", sig(&[M, S]).returns_interface(), |a| {
        Ok(arg_map(&a[0]).get(arg_str(&a[1])).unwrap_or_else(|| s("")))
    });
    f.insert_simple("keys", var(&[], M), |a| {
        let mut out = Vec::new();
        for m in a {
            out.extend(arg_map(m).keys());
        }
        Ok(Value::string_list(out))
    });
    f.insert_simple("values", sig(&[M]), |a| {
        Ok(Value::list(
            arg_map(&a[0])
                .entries()
                .into_iter()
                .map(|(_, v)| v)
                .collect(),
        ))
    });
    f.insert_simple("pick", var(&[M], S), |a| {
        let (src, out) = (arg_map(&a[0]), Map::new());
        for k in &a[1..] {
            if let Some(v) = src.get(arg_str(k)) {
                out.insert(arg_str(k), v);
            }
        }
        Ok(Value::Map(out))
    });
    f.insert_simple("omit", var(&[M], S), |a| {
        let out = Map::new();
        for (k, v) in arg_map(&a[0]).entries() {
            if !a[1..].iter().any(|x| arg_str(x) == &*k) {
                out.insert(k, v);
            }
        }
        Ok(Value::Map(out))
    });
    f.insert_simple("pluck", var(&[S], M), |a| {
        let k = arg_str(&a[0]);
        Ok(Value::list(
            a[1..].iter().filter_map(|m| arg_map(m).get(k)).collect(),
        ))
    });
    f.insert_simple("dig", var(&[], Any).returns_interface(), |a| {
        if a.len() < 3 {
            return Err(FuncError::new("dig needs at least three arguments"));
        }
        let dict = &a[a.len() - 1];
        let default = &a[a.len() - 2];
        let mut cur = match dict {
            Value::Map(m) => m.clone(),
            _ => {
                return Err(FuncError::new(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    dict.type_name()
                )));
            }
        };
        let keys = &a[..a.len() - 2];
        for (i, k) in keys.iter().enumerate() {
            match cur.get(&strval(k)) {
                None => return Ok(default.clone()),
                Some(v) if i == keys.len() - 1 => return Ok(v),
                Some(Value::Map(m)) => cur = m,
                Some(v) => {
                    return Err(FuncError::new(format!(
                        "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                        v.type_name()
                    )));
                }
            }
        }
        Ok(default.clone())
    });
    f.insert_simple("merge", var(&[M], M).returns_interface(), |a| {
        let dst = arg_map(&a[0]);
        for src in &a[1..] {
            deep_merge(&dst, &arg_map(src), false, 0);
        }
        Ok(Value::Map(dst))
    });
    f.insert_simple("mergeOverwrite", var(&[M], M).returns_interface(), |a| {
        let dst = arg_map(&a[0]);
        for src in &a[1..] {
            deep_merge(&dst, &arg_map(src), true, 0);
        }
        Ok(Value::Map(dst))
    });
    f.insert_simple("deepCopy", sig(&[Any]).returns_interface(), |a| {
        if a[0].is_nil() {
            return Err(FuncError::new(
                "reflect: call of reflect.Value.Type on zero Value",
            ));
        }
        Ok(a[0].deep_copy())
    });

    // JSON (Helm's versions).
    f.insert_simple("toJson", sig(&[Any]), |a| {
        Ok(s(to_json(&a[0], true).unwrap_or_default()))
    });
    f.insert_simple("toRawJson", sig(&[Any]), |a| {
        Ok(s(to_json(&a[0], false).unwrap_or_default()))
    });
    f.insert_simple("mustToJson", sig(&[Any]), |a| {
        to_json(&a[0], true).map(s).map_err(FuncError::new)
    });
    f.insert_simple("toPrettyJson", sig(&[Any]), |a| {
        let compact = to_json(&a[0], true).unwrap_or_default();
        Ok(s(pretty_json(&compact)))
    });
    f.insert_simple("fromJson", sig(&[S]), |a| {
        let out = Map::new();
        match from_json(arg_str(&a[0])) {
            Ok(Value::Map(m)) => return Ok(Value::Map(m)),
            Ok(Value::Nil) => {}
            Ok(other) => {
                out.insert(
                    "Error",
                    s(format!(
                        "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                        json_kind(&other)
                    )),
                );
            }
            Err(e) => {
                out.insert("Error", s(e));
            }
        }
        Ok(Value::Map(out))
    });
    f.insert_simple("fromJsonArray", sig(&[S]), |a| {
        match from_json(arg_str(&a[0])) {
            Ok(Value::List(l)) => Ok(Value::List(l)),
            Ok(Value::Nil) => Ok(Value::list(Vec::new())),
            Ok(other) => Ok(Value::list(vec![s(format!(
                "json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))])),
            Err(e) => Ok(Value::list(vec![s(e)])),
        }
    });
    f
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Float(_) => "number",
        Value::Bool(_) => "bool",
        _ => "null",
    }
}

/// Go's `json.Indent(dst, src, "", "  ")` over compact JSON.
fn pretty_json(src: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    let mut in_str = false;
    let mut esc = false;
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if in_str {
            out.push(c);
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match c {
            '"' => {
                in_str = true;
                out.push(c);
            }
            '{' | '[' => {
                let close = if c == '{' { '}' } else { ']' };
                if chars.get(i + 1) == Some(&close) {
                    out.push(c);
                    out.push(close);
                    i += 2;
                    continue;
                }
                depth += 1;
                out.push(c);
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
                out.push(c);
            }
            ',' => {
                out.push(',');
                out.push('\n');
                out.push_str(&"  ".repeat(depth));
            }
            ':' => out.push_str(": "),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// Go's `strings.Split`.
fn go_split(s: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return s.chars().map(String::from).collect();
    }
    s.split(sep).map(String::from).collect()
}

/// Go's `reflect.DeepEqual` for these values.
pub fn deep_equal(a: &Value, b: &Value, depth: usize) -> bool {
    if depth > crate::value::MAX_NESTING {
        return false;
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.elem() == y.elem()
                && x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|(p, q)| deep_equal(p, q, depth + 1))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.ptr_eq(y) {
                return true;
            }
            let (ex, ey) = (x.entries(), y.entries());
            x.type_name() == y.type_name()
                && ex.len() == ey.len()
                && ex
                    .iter()
                    .zip(ey.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && deep_equal(v1, v2, depth + 1))
        }
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_base64() {
        assert_eq!(
            sha256_hex(b"hello"),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(base64_encode("é😀".as_bytes()), "w6nwn5iA");
        assert_eq!(base64_decode("w6nwn5iA").unwrap(), "é😀".as_bytes());
        assert_eq!(
            base64_decode("!!"),
            Err("illegal base64 data at input byte 0".to_string())
        );
        assert_eq!(base64_decode("aGk="), Ok(b"hi".to_vec()));
    }

    #[test]
    fn json() {
        let v = Value::Map(Map::from_pairs([
            ("b", Value::Float(1e6)),
            ("a", s("<b>&")),
            (
                "c",
                Value::list(vec![
                    Value::Float(0.000001),
                    Value::Float(1e-7),
                    Value::Float(1e21),
                    Value::Float(-0.0),
                ]),
            ),
        ]));
        assert_eq!(
            to_json(&v, true).unwrap(),
            r#"{"a":"\u003cb\u003e\u0026","b":1000000,"c":[0.000001,1e-7,1e+21,-0]}"#
        );
        assert_eq!(
            from_json("bad").unwrap_err(),
            "invalid character 'b' looking for beginning of value"
        );
        assert_eq!(from_json("").unwrap_err(), "unexpected end of JSON input");
        assert_eq!(
            crate::fmt::to_string(&from_json(r#"{"a": [1, "x", null]}"#).unwrap()),
            "map[a:[1 x <nil>]]"
        );
    }

    #[test]
    fn casts() {
        assert_eq!(to_int64(&s("12")), 12);
        assert_eq!(to_int64(&s("010")), 8);
        assert_eq!(to_int64(&s("0x1F")), 31);
        assert_eq!(to_int64(&s("1.9")), 0);
        assert_eq!(to_int64(&s("12.0")), 12);
        assert_eq!(to_int64(&s("  12")), 0);
        assert_eq!(to_int64(&Value::Float(1.9)), 1);
        assert_eq!(to_int64(&Value::Bool(true)), 1);
        assert_eq!(to_int64(&Value::Nil), 0);
        assert_eq!(to_int64(&Value::Float(1e20)), i64::MIN);
        assert_eq!(to_float64(&s("1e3")), 1000.0);
        assert_eq!(to_float64(&s("x")), 0.0);
    }
}
