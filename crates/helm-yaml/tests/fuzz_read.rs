//! Fuzzing the YAML reader (`read::parse`, `parse_all`, `line_of`) and the writers on what it
//! reads: mutated fixture files, generated flow YAML with anchors, aliases, tags, merges and
//! duplicate keys, and hostile shapes (deep nesting, alias bombs, aliases that deepen or
//! multiply big scalars). Properties: no panic, no stack overflow, bounded time; an error
//! names a line inside the text; a value stays within the reader's depth and size caps; what
//! `toYaml` and `toJson` write reads back as the same value. Budget and replay:
//! `test_harness::fuzz`.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::time::Duration;

use helm_yaml::read::{self, MAX_DEPTH, MAX_NODES, PathStep, YamlError};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use test_harness::fuzz::{self, Budget};

/// Tokens that mean something to a YAML scanner.
const DICTIONARY: &[&[u8]] = &[
    b"&a ",
    b"*a",
    b"&b ",
    b"*b",
    b"<<: ",
    b"<<: *a",
    b"!!str ",
    b"!!int ",
    b"!!float ",
    b"!!bool ",
    b"!!null ",
    b"!!map ",
    b"!!seq ",
    b"!!binary ",
    b"!custom ",
    b"!<tag:x> ",
    b"%YAML 1.1\n",
    b"%TAG ! tag:x:\n",
    b"---\n",
    b"...\n",
    b"- ",
    b"? ",
    b": ",
    b"{",
    b"}",
    b"[",
    b"]",
    b", ",
    b"|",
    b">-",
    b"|+2",
    b"\"",
    b"'",
    b"\\x",
    b"\\u00e9",
    b"\\",
    b"#",
    b"\n",
    b"\n  ",
    b"\t",
    b"\r\n",
    b"\xef\xbb\xbf",
    b"~",
    b"yes",
    b"0x1F",
    b"0o17",
    b"1e400",
    b".inf",
    b".nan",
    b"-.Inf",
    b"2024-01-02T03:04:05Z",
    b"\xc2\x85",
    b"\xe2\x80\xa8",
    b"\x00",
    b"\x7f",
];

/// The reader's refusals must point into the text: 1 <= line <= lines + 1 (end of input).
fn check_error(text: &str, error: &YamlError) -> Result<(), TestCaseError> {
    let lines = fuzz::yaml_lines(text) + 1;
    let line = match error {
        YamlError::Syntax { line, .. }
        | YamlError::BadTag { line, .. }
        | YamlError::TooDeep { line } => *line,
        YamlError::Unsupported(_) | YamlError::TooLarge => return Ok(()),
    };
    prop_assert!(
        (1..=lines).contains(&line),
        "{error} points at line {line} of {lines}"
    );
    prop_assert!(!error.to_string().is_empty());
    Ok(())
}

/// Collection depth, node count and string bytes (keys included) of a value, without
/// recursion: the value may be deeper than the test thread's stack allows to recurse.
struct Shape {
    depth: usize,
    nodes: usize,
    bytes: usize,
}

fn shape(value: &Value) -> Shape {
    let mut out = Shape {
        depth: 0,
        nodes: 0,
        bytes: 0,
    };
    let mut stack = vec![(value, 0usize)];
    while let Some((v, depth)) = stack.pop() {
        out.nodes += 1;
        match v {
            Value::Array(items) => {
                out.depth = out.depth.max(depth + 1);
                stack.extend(items.iter().map(|i| (i, depth + 1)));
            }
            Value::Object(map) => {
                out.depth = out.depth.max(depth + 1);
                for (k, i) in map {
                    out.bytes += k.len();
                    stack.push((i, depth + 1));
                }
            }
            Value::String(s) => out.bytes += s.len(),
            _ => {}
        }
    }
    out
}

/// Drops a value without recursion, so a too-deep value fails the property instead of
/// overflowing the test's stack on drop.
fn drop_flat(value: Value) {
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// A value dropped without recursion, whatever way the property returns.
#[derive(Debug)]
struct Flat(Value);

impl Drop for Flat {
    fn drop(&mut self) {
        drop_flat(self.0.take());
    }
}

/// Most bytes of strings a document may hold beyond its own text once aliases are expanded.
const SLACK_BYTES: usize = 64 << 20;

/// The caps a read value must respect.
fn check_value(text: &str, value: &Value) -> Result<(), TestCaseError> {
    let s = shape(value);
    prop_assert!(
        s.depth <= MAX_DEPTH,
        "value nests {} collections, over MAX_DEPTH {MAX_DEPTH}",
        s.depth
    );
    prop_assert!(
        s.nodes <= MAX_NODES + 1,
        "value has {} nodes, over MAX_NODES",
        s.nodes
    );
    // Escapes and number keys (`1e14:` is the key "100000000000000") may grow text a few
    // times; only aliases multiply it, and those are capped.
    prop_assert!(
        s.bytes <= 8 * text.len() + SLACK_BYTES,
        "value holds {} bytes of strings from {} bytes of text",
        s.bytes,
        text.len()
    );
    Ok(())
}

/// Some paths into `value` (and one that leaves it), for `line_of`.
fn paths(value: &Value) -> Vec<Vec<PathStep>> {
    let mut out = vec![vec![], vec![PathStep::Key("absent".into())]];
    let mut path = Vec::new();
    let mut v = value;
    for _ in 0..6 {
        match v {
            Value::Object(map) if !map.is_empty() => {
                let (k, next) = map.iter().next_back().unwrap();
                path.push(PathStep::Key(k.clone()));
                v = next;
            }
            Value::Array(items) if !items.is_empty() => {
                path.push(PathStep::Index(items.len() - 1));
                v = &items[items.len() - 1];
            }
            _ => break,
        }
        out.push(path.clone());
    }
    out
}

/// The whole contract on one text.
fn check_text(text: &str) -> Result<(), TestCaseError> {
    let all = read::parse_all(text).map(|docs| docs.into_iter().map(Flat).collect::<Vec<_>>());
    let first = read::parse(text).map(Flat);
    match (&all, &first) {
        (Ok(docs), Ok(v)) => {
            prop_assert_eq!(docs.first().map_or(&Value::Null, |d| &d.0), &v.0)
        }
        (Err(a), Err(b)) => prop_assert_eq!(a, b, "parse and parse_all disagree"),
        // `parse` reads every document too: an error in a later one fails both.
        _ => prop_assert!(false, "parse {first:?} but parse_all {all:?}"),
    }
    if let Err(e) = &first {
        check_error(text, e)?;
    }
    if let Ok(docs) = &all {
        for doc in docs {
            check_value(text, &doc.0)?;
        }
    }
    let Ok(Flat(value)) = &first else {
        return Ok(());
    };
    for path in paths(value) {
        if let Some(line) = read::line_of(text, &path) {
            prop_assert!(
                line >= 1 && line <= fuzz::yaml_lines(text) + 1,
                "line_of {path:?} = {line}"
            );
        }
    }
    round_trips(value)
}

/// `toYaml` then reading gives the value back (when `toYaml` does not refuse it, as Helm's
/// does for control characters), and so does `toJson` through serde_json.
fn round_trips(value: &Value) -> Result<(), TestCaseError> {
    // FIXME(fuzz): see `fixme_yaml_1_1_line_breaks_in_quoted_scalars`.
    let yaml_1_1_breaks = has_yaml_1_1_break(value);
    // Helm's toYaml trims the final newline, which a `|+` block scalar at the end needs.
    let marshal = helm_yaml::to_yaml(value).ok().map(|y| y + "\n");
    if let Some(yaml) = marshal.filter(|_| !yaml_1_1_breaks) {
        let back = read::parse(&yaml);
        prop_assert!(
            back.is_ok(),
            "toYaml wrote unreadable YAML:\n{yaml}\n{back:?}"
        );
        prop_assert_eq!(&back.unwrap(), value, "toYaml round trip of\n{}", yaml);
    }
    let json = helm_yaml::to_json(value);
    let back: Result<Value, _> = serde_json::from_str(&json);
    prop_assert!(back.is_ok(), "toJson wrote unreadable JSON: {json}");
    // serde_json reads `3` as an integer; the reader's numbers are all float64.
    prop_assert_eq!(
        &float64(&back.unwrap()),
        value,
        "toJson round trip of {}",
        json
    );
    Ok(())
}

/// Whether a string or key holds NEL, LS or PS (line breaks in YAML 1.1 only).
fn has_yaml_1_1_break(value: &Value) -> bool {
    let odd = |s: &str| s.contains(['\u{85}', '\u{2028}', '\u{2029}']);
    match value {
        Value::String(s) => odd(s),
        Value::Array(items) => items.iter().any(has_yaml_1_1_break),
        Value::Object(map) => map.iter().any(|(k, v)| odd(k) || has_yaml_1_1_break(v)),
        _ => false,
    }
}

/// Every number as float64, as the reader gives them (values here are within MAX_DEPTH).
fn float64(value: &Value) -> Value {
    match value {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(float64).collect()),
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.clone(), float64(v))).collect())
        }
        other => other.clone(),
    }
}

/// Every YAML file of the fixture charts (templates included: text with `{{ }}`).
fn corpus() -> Vec<(String, Vec<u8>)> {
    let files = fuzz::fixture_corpus(|p| {
        (p.ends_with(".yaml") || p.ends_with(".yml")) && !p.contains("/charts/")
    });
    files
        .into_iter()
        .filter(|(_, b)| b.len() <= 64 * 1024)
        .collect()
}

#[test]
fn mutated_fixture_yaml() {
    fuzz::check(
        "yaml.mutated_fixture_yaml",
        Budget::cases(600),
        fuzz::mutated(corpus(), DICTIONARY, 8),
        |m| check_text(&String::from_utf8_lossy(&m.bytes)),
    );
}

/// A plain or quoted scalar that YAML 1.1 may read as something else.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9 ._:-]{0,10}",
        prop::sample::select(vec![
            "",
            "~",
            "null",
            "yes",
            "No",
            "on",
            "y",
            "0x1F",
            "0o17",
            "0777",
            "0b101",
            "1_000",
            "1e400",
            "-.inf",
            ".nan",
            "1.10",
            "+.5",
            "2024-01-02",
            "'q'",
            "\"\\u00e9\\n\"",
            "\"\\x00\"",
            "<<",
            "=",
            "!!int 12",
            "!!int x",
            "!!bool yes",
            "!!float .5",
            "!!str 3",
            "!!null ''",
            "!!binary aGk=",
            "!x y",
            "'a''b'",
            "\"\"",
            "-",
            "?",
        ])
        .prop_map(str::to_owned),
    ]
}

/// Flow YAML with anchors `&aN`, aliases to earlier anchors, merges and duplicate keys.
fn flow() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => scalar(),
        1 => (0u8..4).prop_map(|i| format!("*a{i}")),
    ];
    leaf.prop_recursive(6, 64, 6, |inner| {
        let anchored = (prop::option::of(0u8..4), inner.clone()).prop_map(|(a, v)| match a {
            Some(a) => format!("&a{a} {v}"),
            None => v,
        });
        prop_oneof![
            prop::collection::vec(anchored.clone(), 0..6)
                .prop_map(|items| format!("[{}]", items.join(", "))),
            prop::collection::vec((scalar(), anchored.clone(), any::<bool>()), 0..6).prop_map(
                |pairs| {
                    let body: Vec<String> = pairs
                        .into_iter()
                        .map(|(k, v, merge)| {
                            if merge {
                                format!("<<: {v}")
                            } else {
                                format!("{k}: {v}")
                            }
                        })
                        .collect();
                    format!("{{{}}}", body.join(", "))
                }
            ),
            (
                prop::sample::select(vec!["!!map", "!!seq", "!!str", "!!set", "!t"]),
                anchored
            )
                .prop_map(|(t, v)| format!("{t} {v}")),
        ]
    })
}

#[test]
fn generated_flow_yaml() {
    fuzz::check(
        "yaml.generated_flow_yaml",
        Budget::cases(600),
        prop::collection::vec(flow(), 1..4).prop_map(|docs| {
            let body: Vec<String> = docs.iter().map(|d| format!("---\nk: {d}\n")).collect();
            body.concat()
        }),
        |text| check_text(&text),
    );
}

/// Shapes that attack the reader's resources.
#[derive(Clone, Debug)]
enum Hostile {
    /// `[[[...]]]` or `{a: {a: ...}}` nested `depth` times.
    DeepFlow { depth: usize, map: bool },
    /// Block mappings indented `depth` times.
    DeepBlock { depth: usize },
    /// The billion laughs: each level lists `width` aliases of the one before.
    Laughs { levels: usize, width: usize },
    /// Each anchor nests `step` levels around an alias of the one before.
    DeepAliases { levels: usize, step: usize },
    /// One scalar of `len` bytes aliased `copies` times.
    BigScalar { len: usize, copies: usize },
}

impl Hostile {
    fn text(&self) -> String {
        match *self {
            Hostile::DeepFlow { depth, map: false } => {
                format!("a: {}1{}\n", "[".repeat(depth), "]".repeat(depth))
            }
            Hostile::DeepFlow { depth, map: true } => {
                format!("a: {}1{}\n", "{a: ".repeat(depth), "}".repeat(depth))
            }
            Hostile::DeepBlock { depth } => {
                let mut out = String::new();
                for i in 0..depth {
                    out.push_str(&" ".repeat(i));
                    out.push_str("a:\n");
                }
                out.push_str(&" ".repeat(depth));
                out.push_str("b: 1\n");
                out
            }
            Hostile::Laughs { levels, width } => {
                let mut out = String::from("l0: &l0 [lol]\n");
                for i in 1..levels {
                    let items = vec![format!("*l{}", i - 1); width].join(", ");
                    out.push_str(&format!("l{i}: &l{i} [{items}]\n"));
                }
                out
            }
            Hostile::DeepAliases { levels, step } => {
                let mut out = String::from("d0: &d0 x\n");
                for i in 1..levels {
                    let open = "[".repeat(step);
                    let close = "]".repeat(step);
                    out.push_str(&format!("d{i}: &d{i} {open}*d{}{close}\n", i - 1));
                }
                out
            }
            Hostile::BigScalar { len, copies } => {
                let items = vec!["*s"; copies].join(", ");
                format!("s: &s {}\nl: [{items}]\n", "x".repeat(len))
            }
        }
    }
}

fn hostile() -> impl Strategy<Value = Hostile> {
    prop_oneof![
        (1usize..20_000, any::<bool>()).prop_map(|(depth, map)| Hostile::DeepFlow { depth, map }),
        (1usize..700).prop_map(|depth| Hostile::DeepBlock { depth }),
        (1usize..12, 1usize..12).prop_map(|(levels, width)| Hostile::Laughs { levels, width }),
        (1usize..120, 1usize..400).prop_map(|(levels, step)| Hostile::DeepAliases { levels, step }),
        (1usize..1 << 19, 1usize..300).prop_map(|(len, copies)| Hostile::BigScalar { len, copies }),
    ]
}

#[test]
fn hostile_yaml_is_refused_or_bounded() {
    fuzz::check(
        "yaml.hostile",
        Budget::cases(64).max_case(Duration::from_secs(20)),
        hostile(),
        |h| {
            let text = h.text();
            match read::parse(&text).map(Flat) {
                Ok(value) => check_value(&text, &value.0)?,
                Err(e) => check_error(&text, &e)?,
            }
            Ok(())
        },
    );
}

// Regressions: inputs the harnesses found, fixed in `read.rs`.

/// `hostile_yaml_is_refused_or_bounded`, `DeepAliases { levels: 75, step: 119 }`: every anchor
/// nested an alias of the one before 119 levels deeper, so the value was ~8 900 levels deep
/// although no collection was written deeper than 119; measuring it overflowed the stack.
#[test]
fn regression_aliases_that_nest_past_max_depth() {
    let text = Hostile::DeepAliases {
        levels: 75,
        step: 119,
    }
    .text();
    assert!(matches!(
        read::parse(&text),
        Err(YamlError::TooDeep { line: 6 })
    ));
    // Under the cap still reads: the top mapping and 4 anchors of 127 levels.
    let text = Hostile::DeepAliases {
        levels: 5,
        step: 127,
    }
    .text();
    let value = read::parse(&text).unwrap();
    assert_eq!(shape(&value).depth, 1 + 4 * 127);
}

/// `hostile_yaml_is_refused_or_bounded`: one 512 KiB scalar aliased 300 times made a value of
/// 150 MiB within the node budget (each alias counted one node).
#[test]
fn regression_a_big_scalar_aliased_many_times() {
    let text = Hostile::BigScalar {
        len: 512 * 1024,
        copies: 300,
    }
    .text();
    assert_eq!(read::parse(&text), Err(YamlError::TooLarge));
    let text = Hostile::BigScalar {
        len: 64 * 1024,
        copies: 100,
    }
    .text();
    assert_eq!(
        read::parse(&text).unwrap()["l"].as_array().unwrap().len(),
        100
    );
}

/// `hostile_yaml_is_refused_or_bounded`, `DeepBlock { depth: 448 }`: within MAX_DEPTH, but a
/// debug build's reader took ~6 KiB of stack per level and overflowed a 2 MiB thread.
#[test]
fn regression_block_mappings_nested_448_deep_on_a_2_mib_stack() {
    let text = Hostile::DeepBlock { depth: 448 }.text();
    let depth = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || shape(&read::parse(&text).unwrap()).depth)
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(depth, 449);
}

/// FIXME(fuzz): found by `mutated_fixture_yaml` (seed 1034376843944961143). goyaml v2 reads
/// NEL, LS and PS as line breaks (YAML 1.1), so `toYaml` breaks a quoted scalar after one and
/// indents the rest; goyaml folds that indentation away when reading it back. Our reader
/// (saphyr, YAML 1.2) treats them as ordinary characters and keeps the indentation: a string
/// holding U+2028 does not survive `toYaml` then reading. This asserts today's behaviour.
#[test]
fn fixme_yaml_1_1_line_breaks_in_quoted_scalars() {
    let value = serde_json::json!({"\u{2028}Test case": "x"});
    let yaml = helm_yaml::to_yaml(&value).unwrap();
    let back = read::parse(&yaml).unwrap();
    assert_eq!(
        back,
        serde_json::json!({"\u{2028}  Test case": "x"}),
        "{yaml:?}"
    );
}
