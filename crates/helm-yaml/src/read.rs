//! YAML as Helm reads it: goyaml v2's YAML 1.1 scalar resolution, then
//! sigs.k8s.io/yaml's conversion to JSON, then `encoding/json` into Go values.
//!
//! So the result is a JSON value: every number is a float64 (`3` and `0x1F`
//! alike), `yes`/`on`/`y` are booleans (also as keys, which become the strings
//! `"true"`/`"false"`), timestamps stay strings, `null` is kept (coalescing
//! deletes it later), `<<` merge keys are applied, and `.inf`/`.nan` are an error
//! as JSON cannot hold them. Never: printing YAML (that is `toYaml`).

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

/// How many nodes alias expansion may produce in one document before the
/// document is refused (a "billion laughs" guard).
pub const MAX_NODES: usize = 1_000_000;

/// How deeply collections may nest (the reader recurses once per level). Aliases count: an
/// alias of a collection nests as deeply as the anchored value would in its place.
pub const MAX_DEPTH: usize = 512;

/// Stack left before a nested collection grows a new segment, and that segment's size.
const STACK_RED_ZONE: usize = 64 * 1024;
const STACK_GROW: usize = 1024 * 1024;

/// How many bytes of strings (keys and scalars) alias expansion may copy in one document.
/// [`MAX_NODES`] alone lets one big scalar be copied a million times.
pub const MAX_ALIAS_BYTES: usize = 32 << 20;

/// Why a YAML document could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum YamlError {
    /// A syntax error, with its 1-based line.
    #[error("yaml: line {line}: {message}")]
    Syntax { line: usize, message: String },
    /// A value JSON cannot represent (`.inf`, `.nan`).
    #[error("json: unsupported value: {0}")]
    Unsupported(String),
    /// A scalar whose explicit tag does not fit its text.
    #[error("yaml: line {line}: cannot decode {text:?} as {tag}")]
    BadTag {
        line: usize,
        text: String,
        tag: String,
    },
    /// Alias expansion went past [`MAX_NODES`] nodes or [`MAX_ALIAS_BYTES`] copied bytes.
    #[error(
        "yaml: document is too large after expanding aliases (over {MAX_NODES} nodes or {MAX_ALIAS_BYTES} bytes)"
    )]
    TooLarge,
    /// Collections nested deeper than [`MAX_DEPTH`].
    #[error("yaml: line {line}: collections nested deeper than {MAX_DEPTH} levels")]
    TooDeep { line: usize },
}

/// Parses the first document of `text` (what `yaml.Unmarshal` reads). An empty
/// document is `Value::Null`.
pub fn parse(text: &str) -> Result<Value, YamlError> {
    Ok(parse_all(text)?.into_iter().next().unwrap_or(Value::Null))
}

/// Parses every document of `text`.
pub fn parse_all(text: &str) -> Result<Vec<Value>, YamlError> {
    let mut reader = Reader {
        parser: Parser::new_from_str(text),
        anchors: HashMap::new(),
        nodes: 0,
        alias_bytes: 0,
        depth: 0,
    };
    let mut docs = Vec::new();
    loop {
        let (event, span) = reader.next()?;
        match event {
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            Event::StreamEnd => return Ok(docs),
            Event::DocumentStart(_) => {
                reader.anchors.clear();
                reader.nodes = 0;
                reader.alias_bytes = 0;
                let (event, span) = reader.next()?;
                let doc = match event {
                    Event::DocumentEnd => Value::Null,
                    event => reader.node(event, span)?,
                };
                docs.push(doc);
            }
            event => docs.push(reader.node(event, span)?),
        }
    }
}

/// One step of a path into a document: a mapping key (as the reader spells keys, so
/// `yes:` is `"true"`) or a sequence index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    Key(String),
    Index(usize),
}

/// The 1-based line where the node at `path` stands in the first document of `text`: the
/// line of its key for a mapping entry, of the item for a sequence entry, of the document's
/// first node for an empty path. When the path leaves the text (a key brought in by a `<<`
/// merge or an alias, or one that is absent) it is the line of the deepest node found.
/// `None` when the text holds no document or is not YAML up to that node.
///
/// The reader's values carry no positions; this second pass over the events is how a typed
/// model's error (which knows the path) finds its line.
pub fn line_of(text: &str, path: &[PathStep]) -> Option<usize> {
    let mut parser = Parser::new_from_str(text);
    let mut next = || match parser.next_event() {
        Some(Ok(pair)) => Some(pair),
        _ => None,
    };
    let (mut event, mut line) = loop {
        let (event, span) = next()?;
        match event {
            Event::StreamStart | Event::DocumentStart(_) | Event::Nothing => {}
            Event::StreamEnd | Event::DocumentEnd => return None,
            event => break (event, span.start.line()),
        }
    };
    for step in path {
        let found = match (&event, step) {
            (Event::MappingStart(..), PathStep::Key(want)) => find_key(&mut next, want)?,
            (Event::SequenceStart(..), PathStep::Index(index)) => find_item(&mut next, *index)?,
            _ => None,
        };
        match found {
            Some((found, at)) => (event, line) = (found, at),
            None => return Some(line),
        }
    }
    Some(line)
}

type Found<'a> = Option<Option<(Event<'a>, usize)>>;

/// Inside a mapping: the value under `want` and the line of its key; `Some(None)` when the
/// mapping ends without it.
fn find_key<'a>(next: &mut impl FnMut() -> Option<(Event<'a>, Span)>, want: &str) -> Found<'a> {
    loop {
        let (key, key_span) = next()?;
        if matches!(key, Event::MappingEnd) {
            return Some(None);
        }
        let name = match &key {
            Event::Scalar(text, style, _, tag) => {
                scalar(text, *style, tag.as_deref(), key_span.start.line())
                    .ok()
                    .and_then(|k| key_string(&k).ok())
            }
            other => {
                skip(other, next)?;
                None
            }
        };
        let (value, _) = next()?;
        if name.as_deref() == Some(want) {
            return Some(Some((value, key_span.start.line())));
        }
        skip(&value, next)?;
    }
}

/// Inside a sequence: item `index` and its line; `Some(None)` when the sequence is shorter.
fn find_item<'a>(next: &mut impl FnMut() -> Option<(Event<'a>, Span)>, index: usize) -> Found<'a> {
    for _ in 0..index {
        let (item, _) = next()?;
        if matches!(item, Event::SequenceEnd) {
            return Some(None);
        }
        skip(&item, next)?;
    }
    let (item, span) = next()?;
    if matches!(item, Event::SequenceEnd) {
        return Some(None);
    }
    Some(Some((item, span.start.line())))
}

/// Consumes the rest of the node that `event` opens.
fn skip<'a>(event: &Event<'a>, next: &mut impl FnMut() -> Option<(Event<'a>, Span)>) -> Option<()> {
    let mut depth = match event {
        Event::MappingStart(..) | Event::SequenceStart(..) => 1usize,
        _ => return Some(()),
    };
    while depth > 0 {
        match next()?.0 {
            Event::MappingStart(..) | Event::SequenceStart(..) => depth += 1,
            Event::MappingEnd | Event::SequenceEnd => depth -= 1,
            _ => {}
        }
    }
    Some(())
}

struct Reader<'a> {
    parser: Parser<'a, saphyr_parser::StrInput<'a>>,
    anchors: HashMap<usize, Anchored>,
    nodes: usize,
    /// Bytes of strings copied by aliases so far in this document.
    alias_bytes: usize,
    depth: usize,
}

/// An anchored value and its measure, taken once so each alias of it is checked cheaply.
struct Anchored {
    value: Value,
    size: Size,
}

impl<'a> Reader<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        match self.parser.next_event() {
            Some(Ok(pair)) => Ok(pair),
            Some(Err(e)) => Err(YamlError::Syntax {
                line: e.marker().line(),
                message: e.info().to_owned(),
            }),
            None => Ok((Event::StreamEnd, Span::default())),
        }
    }

    fn count(&mut self, n: usize) -> Result<(), YamlError> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            Err(YamlError::TooLarge)
        } else {
            Ok(())
        }
    }

    /// Checks an alias of `size` standing where the next node would: its nodes and bytes
    /// against the expansion budget, its depth as if it were written out in place (found by
    /// fuzzing: anchors that each nest an alias of the one before made values thousands of
    /// levels deep, which overflowed the stack when measured, cloned or dropped).
    fn check_alias(&mut self, size: &Size, line: usize) -> Result<(), YamlError> {
        if self.depth + size.depth > MAX_DEPTH {
            return Err(YamlError::TooDeep { line });
        }
        self.count(size.nodes)?;
        // Found by fuzzing: one 512 KiB scalar aliased 300 times held 150 MiB within the
        // node budget.
        self.alias_bytes = self.alias_bytes.saturating_add(size.bytes);
        if self.alias_bytes > MAX_ALIAS_BYTES {
            return Err(YamlError::TooLarge);
        }
        Ok(())
    }

    fn node(&mut self, event: Event<'a>, span: Span) -> Result<Value, YamlError> {
        self.count(1)?;
        let (value, anchor) = match event {
            Event::Scalar(text, style, anchor, tag) => (
                scalar(&text, style, tag.as_deref(), span.start.line())?,
                anchor,
            ),
            Event::SequenceStart(anchor, _) => (self.nested(span, Self::sequence)?, anchor),
            Event::MappingStart(anchor, _) => (self.nested(span, Self::mapping)?, anchor),
            Event::Alias(id) => {
                let Some(anchored) = self.anchors.get(&id) else {
                    self.count(1)?;
                    return Ok(Value::Null);
                };
                let size = anchored.size;
                self.check_alias(&size, span.start.line())?;
                return Ok(self.anchors[&id].value.clone());
            }
            other => {
                return Err(YamlError::Syntax {
                    line: span.start.line(),
                    message: format!("unexpected {other:?}"),
                });
            }
        };
        if anchor != 0 {
            let size = size(&value);
            self.anchors.insert(
                anchor,
                Anchored {
                    value: value.clone(),
                    size,
                },
            );
        }
        Ok(value)
    }

    /// Reads one nested collection, refusing nesting past [`MAX_DEPTH`].
    fn nested(
        &mut self,
        span: Span,
        read: fn(&mut Self) -> Result<Value, YamlError>,
    ) -> Result<Value, YamlError> {
        if self.depth >= MAX_DEPTH {
            return Err(YamlError::TooDeep {
                line: span.start.line(),
            });
        }
        self.depth += 1;
        // Found by fuzzing: a debug build spends ~6 KiB of stack per level, so 448 nested
        // block mappings overflowed a 2 MiB thread (a test's, a tokio worker's). Grow the
        // stack on the heap instead of lowering MAX_DEPTH, whatever the caller's stack size.
        let value = stacker::maybe_grow(STACK_RED_ZONE, STACK_GROW, || read(self));
        self.depth -= 1;
        value
    }

    fn sequence(&mut self) -> Result<Value, YamlError> {
        let mut items = Vec::new();
        loop {
            let (event, span) = self.next()?;
            if matches!(event, Event::SequenceEnd) {
                return Ok(Value::Array(items));
            }
            items.push(self.node(event, span)?);
        }
    }

    fn mapping(&mut self) -> Result<Value, YamlError> {
        let mut map = Map::new();
        // Merged keys never override keys written in the mapping itself,
        // wherever the `<<` stands.
        let mut merged = Map::new();
        loop {
            let (event, span) = self.next()?;
            if matches!(event, Event::MappingEnd) {
                for (k, v) in merged {
                    map.entry(k).or_insert(v);
                }
                return Ok(Value::Object(map));
            }
            let is_merge =
                matches!(&event, Event::Scalar(t, ScalarStyle::Plain, _, None) if t == "<<");
            let key = self.node(event, span)?;
            let (event, span) = self.next()?;
            let value = self.node(event, span)?;
            if is_merge {
                merge_into(&mut merged, value, span.start.line())?;
            } else {
                map.insert(key_string(&key)?, value);
            }
        }
    }
}

/// Applies a `<<` value (a map, or a list of maps where earlier ones win).
fn merge_into(merged: &mut Map<String, Value>, value: Value, line: usize) -> Result<(), YamlError> {
    let maps = match value {
        Value::Object(map) => vec![map],
        Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(map) => Ok(map),
                _ => Err(merge_error(line)),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(merge_error(line)),
    };
    for map in maps {
        for (k, v) in map {
            merged.entry(k).or_insert(v);
        }
    }
    Ok(())
}

fn merge_error(line: usize) -> YamlError {
    YamlError::Syntax {
        line,
        message: "map merge requires map or sequence of maps as the value".into(),
    }
}

/// sigs.k8s.io/yaml turns non-string keys into strings.
fn key_string(key: &Value) -> Result<String, YamlError> {
    Ok(match key {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Null => "null".to_owned(),
        Value::Number(n) => match n.as_f64() {
            // Keys keep integer text; floats use Go's 'g' format at 32 bits.
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            Some(f) => format!("{}", f as f32),
            None => n.to_string(),
        },
        Value::Array(_) | Value::Object(_) => {
            return Err(YamlError::Unsupported(
                "a map or list as a mapping key".into(),
            ));
        }
    })
}

/// A value's nodes, collection depth and bytes of strings (keys included).
#[derive(Clone, Copy, Debug, Default)]
struct Size {
    nodes: usize,
    depth: usize,
    bytes: usize,
}

/// Recursion is safe here: values read so far respect [`MAX_DEPTH`].
fn size(value: &Value) -> Size {
    let collection = |children: &mut dyn Iterator<Item = (usize, &Value)>| {
        let mut out = Size {
            nodes: 1,
            ..Size::default()
        };
        for (key_bytes, child) in children {
            let s = size(child);
            out.nodes = out.nodes.saturating_add(s.nodes);
            out.depth = out.depth.max(s.depth);
            out.bytes = out.bytes.saturating_add(s.bytes).saturating_add(key_bytes);
        }
        out.depth += 1;
        out
    };
    match value {
        Value::Array(items) => collection(&mut items.iter().map(|v| (0, v))),
        Value::Object(map) => collection(&mut map.iter().map(|(k, v)| (k.len(), v))),
        Value::String(s) => Size {
            nodes: 1,
            depth: 0,
            bytes: s.len(),
        },
        _ => Size {
            nodes: 1,
            ..Size::default()
        },
    }
}

/// Resolves one scalar as goyaml v2 does.
fn scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    line: usize,
) -> Result<Value, YamlError> {
    if let Some(tag) = tag.filter(|t| t.handle == "tag:yaml.org,2002:" || t.handle == "!!") {
        return tagged(text, &tag.suffix, line);
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::String(text.to_owned()));
    }
    Ok(resolve_plain(text)?.unwrap_or_else(|| Value::String(text.to_owned())))
}

fn tagged(text: &str, suffix: &str, line: usize) -> Result<Value, YamlError> {
    let bad = || YamlError::BadTag {
        line,
        text: text.to_owned(),
        tag: format!("!!{suffix}"),
    };
    match suffix {
        "str" => Ok(Value::String(text.to_owned())),
        "null" => Ok(Value::Null),
        "bool" => match resolve_plain(text)? {
            Some(v @ Value::Bool(_)) => Ok(v),
            _ => Err(bad()),
        },
        "int" | "float" => match resolve_plain(text)? {
            Some(v @ Value::Number(_)) => Ok(v),
            _ => Err(bad()),
        },
        _ => Ok(resolve_plain(text)?.unwrap_or_else(|| Value::String(text.to_owned()))),
    }
}

/// The value of a plain scalar that is not a string, if any: goyaml v2's
/// resolution (shared with the `toYaml` emitter), with every
/// number as float64 and timestamps kept as strings, as Helm's values are.
fn resolve_plain(text: &str) -> Result<Option<Value>, YamlError> {
    use crate::{Flavor, Resolved};
    let number = |f: f64| {
        if f.is_nan() {
            return Err(YamlError::Unsupported("NaN".into()));
        }
        if f.is_infinite() {
            return Err(YamlError::Unsupported(
                if f > 0.0 { "+Inf" } else { "-Inf" }.into(),
            ));
        }
        Ok(Number::from_f64(f).map(Value::Number))
    };
    match crate::resolve(text, Flavor::V2) {
        Resolved::Null => Ok(Some(Value::Null)),
        Resolved::Bool => Ok(Some(Value::Bool(matches!(
            text,
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE"
        )))),
        Resolved::Int(i) => number(i as f64),
        Resolved::Uint(u) => number(u as f64),
        Resolved::Float(f) => number(f),
        Resolved::Str | Resolved::Timestamp | Resolved::Merge => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Value {
        parse(&format!("x: {text}\n")).unwrap()["x"].clone()
    }

    #[test]
    fn numbers_are_float64_with_yaml_1_1_forms() {
        for (text, want) in [
            ("3", 3.0),
            ("-42", -42.0),
            ("0x1F", 31.0),
            ("0777", 511.0),
            ("0o17", 15.0),
            ("1_000", 1000.0),
            ("1e6", 1e6),
            ("1234567.0", 1234567.0),
            ("-0.0", -0.0),
            ("0.00001", 0.00001),
            ("12345678901234567890", 12345678901234567890.0),
            ("0b101", 5.0),
            (".5", 0.5),
        ] {
            assert_eq!(one(text).as_f64(), Some(want), "{text}");
        }
    }

    #[test]
    fn strings_that_look_like_other_things() {
        for text in [
            "\"123\"",
            "'true'",
            "2024-01-02",
            "2001-12-14 21:59:43.10 -5",
            "1:20",
            "1e",
            "1.2.3",
            "abc",
            "1e400",
        ] {
            assert!(one(text).is_string(), "{text} => {:?}", one(text));
        }
    }

    /// Each checked against real Helm v4.2.3 (`kindOf` and printing of the value).
    #[test]
    fn edge_scalars_as_real_helm_loads_them() {
        for (text, want) in [
            ("09", 9.0),
            ("0b101", 5.0),
            ("+1", 1.0),
            ("1.", 1.0),
            ("0x_1F", 31.0),
            ("-0b11", -3.0),
            ("1_0.5", 10.5),
            ("0o17", 15.0),
            ("00", 0.0),
            ("+.5", 0.5),
            ("0x8000000000000000", 9.223372036854776e18),
        ] {
            assert_eq!(one(text).as_f64(), Some(want), "{text}");
        }
        assert_eq!(parse("n: 1e400").unwrap(), json!({"false": "1e400"}));
    }

    #[test]
    fn yaml_1_1_booleans_also_as_keys() {
        for t in ["y", "yes", "on", "True"] {
            assert_eq!(one(t), json!(true), "{t}");
        }
        for f in ["n", "no", "off", "NO"] {
            assert_eq!(one(f), json!(false), "{f}");
        }
        assert_eq!(
            parse("{y: 1, z: 2}").unwrap(),
            json!({"true": 1.0, "z": 2.0})
        );
        assert_eq!(
            parse("1: a\n2.5: b").unwrap(),
            json!({"1": "a", "2.5": "b"})
        );
    }

    #[test]
    fn nulls_are_kept_for_coalescing() {
        assert_eq!(
            parse("a: ~\nb: null\nc:\n").unwrap(),
            json!({"a": null, "b": null, "c": null})
        );
        assert_eq!(parse("").unwrap(), Value::Null);
        assert_eq!(parse("---\n...\n").unwrap(), Value::Null);
    }

    #[test]
    fn infinities_are_refused_like_encoding_json() {
        assert_eq!(
            parse("x: .inf").unwrap_err(),
            YamlError::Unsupported("+Inf".into())
        );
        assert_eq!(
            parse("x: .nan").unwrap_err(),
            YamlError::Unsupported("NaN".into())
        );
    }

    #[test]
    fn merge_keys_and_aliases() {
        let doc = "base: &b {a: 1, b: 2}\nx:\n  <<: *b\n  b: 3\nl: &l [1, 2]\nm: *l\n";
        assert_eq!(
            parse(doc).unwrap(),
            json!({"base": {"a": 1.0, "b": 2.0}, "x": {"a": 1.0, "b": 3.0}, "l": [1.0, 2.0], "m": [1.0, 2.0]})
        );
    }

    #[test]
    fn billion_laughs_is_refused() {
        let mut doc = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (i, prev) in ["b", "c", "d", "e", "f", "g", "h"]
            .iter()
            .zip(["a", "b", "c", "d", "e", "f", "g"])
        {
            doc.push_str(&format!("{i}: &{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert_eq!(parse(&doc).unwrap_err(), YamlError::TooLarge);
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(matches!(
            parse(&deep).unwrap_err(),
            YamlError::TooDeep { .. } | YamlError::Syntax { .. }
        ));
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn explicit_tags_and_quoted_scalars() {
        assert_eq!(one("!!str 3"), json!("3"));
        assert_eq!(one("'yes'"), json!("yes"));
        assert_eq!(one("!!int 3"), json!(3.0));
        assert!(matches!(
            parse("x: !!int abc").unwrap_err(),
            YamlError::BadTag { .. }
        ));
    }

    #[test]
    fn several_documents() {
        let docs = parse_all("a: 1\n---\nb: 2\n---\n").unwrap();
        assert_eq!(
            docs,
            vec![json!({"a": 1.0}), json!({"b": 2.0}), Value::Null]
        );
    }

    #[test]
    fn syntax_errors_carry_the_line() {
        let err = parse("a: [\n").unwrap_err();
        assert!(
            matches!(
                err,
                YamlError::Syntax { line: 2, .. } | YamlError::Syntax { line: 1, .. }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn lines_of_paths() {
        let text = "# c\na: 1\nspec:\n  list:\n    - x\n    - {k: v}\n  yes: 2\n\"q\": 3\n";
        let key = |k: &str| PathStep::Key(k.into());
        assert_eq!(line_of(text, &[]), Some(2));
        assert_eq!(line_of(text, &[key("a")]), Some(2));
        assert_eq!(line_of(text, &[key("spec"), key("list")]), Some(4));
        assert_eq!(
            line_of(
                text,
                &[key("spec"), key("list"), PathStep::Index(1), key("k")]
            ),
            Some(6)
        );
        assert_eq!(line_of(text, &[key("spec"), key("true")]), Some(7));
        assert_eq!(line_of(text, &[key("q")]), Some(8));
        assert_eq!(
            line_of(text, &[key("spec"), key("missing")]),
            Some(3),
            "deepest found"
        );
        assert_eq!(
            line_of(text, &[key("spec"), key("list"), PathStep::Index(9)]),
            Some(4)
        );
        assert_eq!(line_of("", &[key("a")]), None);
    }
}
