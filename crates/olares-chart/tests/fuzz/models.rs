//! The typed models on mutated and retyped files: `Chart.yaml`, `values.yaml`,
//! `OlaresManifest.yaml`, i18n files and `owners`, from the fixture charts. Mutations are
//! byte edits (non-UTF-8 included) and field swaps (a random field of a fixture file given a
//! value of another type, a deep value, a huge scalar). Properties: no panic, bounded time;
//! an error names the file it was given, and a line within the text when it names a field or
//! a syntax error; a model that reads serializes (as Helm's `toYaml` would) and reads back
//! equal; reading a whole app from its files never panics.

use std::time::Duration;

use olares_chart::i18n::I18nManifest;
use olares_chart::markers::Owners;
use olares_chart::values::load_values;
use olares_chart::{ChartFile, FileError, OlaresApp, OlaresManifest, parse_metadata};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};
use test_harness::fuzz::{self, Budget, Mutant};

#[allow(dead_code)] // shared with the models tests; only the rendering is used here
#[path = "../models/harness.rs"]
mod harness;

/// Which model reads a file of the corpus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Chart,
    Values,
    Manifest,
    I18n,
    Owners,
}

fn kind_of(path: &str) -> Option<Kind> {
    let base = path.rsplit('/').next()?;
    if path.contains("/i18n/") && base == "OlaresManifest.yaml" {
        return Some(Kind::I18n);
    }
    match base {
        "Chart.yaml" => Some(Kind::Chart),
        "values.yaml" => Some(Kind::Values),
        "OlaresManifest.yaml" => Some(Kind::Manifest),
        "owners" => Some(Kind::Owners),
        _ => None,
    }
}

/// The name a file is read under (what errors must name).
fn file_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Chart => "Chart.yaml",
        Kind::Values => "values.yaml",
        Kind::Manifest => "OlaresManifest.yaml",
        Kind::I18n => "i18n/en-US/OlaresManifest.yaml",
        Kind::Owners => "owners",
    }
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    fuzz::fixture_corpus(|p| kind_of(p).is_some())
        .into_iter()
        .filter(|(_, b)| b.len() <= 64 * 1024)
        .collect()
}

const DICTIONARY: &[&[u8]] = &[
    b": ",
    b"- ",
    b"\n  ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"&a ",
    b"*a",
    b"<<: *a",
    b"!!str ",
    b"!!int ",
    b"~",
    b"yes",
    b"1.10",
    b"0x1F",
    b".inf",
    b"\"",
    b"'",
    b"#",
    b"\t",
    b"\xff",
    b"\xef\xbb\xbf",
    b"{{ .Values.x }}",
    b"version: ",
    b"name: ",
    b"apiVersion: v1\n",
    b"olaresManifest.version: ",
    b"spec:\n  ",
    b"entrances:\n- ",
    b"port: ",
    b"0.12.0",
];

/// An error must name the file and, when it has a field or a line, a line inside the text.
fn check_file_error(file: &str, data: &[u8], e: &FileError) -> Result<(), TestCaseError> {
    prop_assert_eq!(&e.file, file);
    prop_assert!(!e.reason.is_empty(), "{e:?}");
    let lines = fuzz::yaml_lines(&String::from_utf8_lossy(data)) + 1;
    if let Some(line) = e.line {
        prop_assert!((1..=lines).contains(&line), "{e} points past {lines} lines");
    }
    if e.field.is_some() {
        prop_assert!(e.line.is_some(), "{e}: a field error without a line");
    }
    Ok(())
}

/// `yaml.Marshal` of the model: Helm's `toYaml` with the final newline it trims put back (a
/// `|+` block scalar at the end keeps its trailing newlines only with it).
fn to_yaml<T: serde::Serialize>(model: &T) -> Option<String> {
    marshal(&serde_json::to_value(model).unwrap())
}

fn marshal(value: &Value) -> Option<String> {
    // toYaml refuses control characters as Helm's does; such a value has no YAML form.
    helm_yaml::to_yaml(value).ok().map(|y| y + "\n")
}

/// Reads `data` with the model for `kind`, checking errors and round trips.
fn check_model(kind: Kind, data: &[u8]) -> Result<(), TestCaseError> {
    let file = file_name(kind);
    match kind {
        Kind::Chart => match parse_metadata(data) {
            Ok(md) => {
                if let Some(yaml) = to_yaml(&md) {
                    let back = parse_metadata(yaml.as_bytes());
                    prop_assert_eq!(back.as_ref().ok(), Some(&md), "{}\n{:?}", yaml, back);
                }
            }
            Err(olares_chart::ChartYamlError::Read(e)) => check_file_error(file, data, &e)?,
            Err(olares_chart::ChartYamlError::Invalid(reason)) => {
                prop_assert!(!reason.is_empty())
            }
        },
        Kind::Values => match load_values(data) {
            Ok(table) => {
                let value = Value::Object(table);
                if let Some(yaml) = marshal(&value) {
                    let back = load_values(yaml.as_bytes()).map(Value::Object);
                    prop_assert_eq!(back.as_ref().ok(), Some(&value), "{}", yaml);
                }
            }
            Err(reason) => prop_assert!(!reason.is_empty()),
        },
        Kind::Manifest => match OlaresManifest::parse_file(file, data) {
            Ok(m) => {
                let _ = m.unknown_fields();
                if let Some(yaml) = to_yaml(&m) {
                    let back = OlaresManifest::parse_file(file, yaml.as_bytes());
                    prop_assert_eq!(back.as_ref().ok(), Some(&m), "{}\n{:?}", yaml, back);
                }
            }
            Err(e) => check_file_error(file, data, &e)?,
        },
        Kind::I18n => match I18nManifest::parse_file(file, data) {
            Ok(m) => {
                let _ = m.unknown_fields();
                if let Some(yaml) = to_yaml(&m) {
                    let back = I18nManifest::parse_file(file, yaml.as_bytes());
                    prop_assert_eq!(back.as_ref().ok(), Some(&m), "{}\n{:?}", yaml, back);
                }
            }
            Err(e) => check_file_error(file, data, &e)?,
        },
        Kind::Owners => match Owners::parse(data) {
            Ok(o) => {
                let _ = o.logins().count();
            }
            Err(e) => check_file_error(file, data, &e)?,
        },
    }
    Ok(())
}

fn check_mutant(m: &Mutant) -> Result<(), TestCaseError> {
    check_model(kind_of(&m.source).unwrap(), &m.bytes)
}

#[test]
fn mutated_model_files() {
    fuzz::check(
        "chart.mutated_model_files",
        Budget::cases(500),
        fuzz::mutated(corpus(), DICTIONARY, 6),
        |m| check_mutant(&m),
    );
}

/// Values of every YAML type, some hostile: deep, long, odd text.
fn any_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        (-100i64..100_000).prop_map(|i| json!(i)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop::sample::select(vec![
            "",
            "yes",
            "1.10",
            "0.12.0",
            "2.0.0",
            "v1",
            "{{ x }}",
            "\u{e9}",
            "x\ny",
            "..",
            "amd64",
            "arm64",
            "https://x",
            "a b",
            "0",
        ])
        .prop_map(|s| Value::String(s.to_owned())),
        (1usize..20_000).prop_map(|n| Value::String("x".repeat(n))),
        (1usize..300).prop_map(|n| {
            let mut v = json!(1);
            for _ in 0..n {
                v = json!([v]);
            }
            v
        }),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-zA-Z.]{1,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Sets the value at the `choice`-th path of `doc` (walking maps and lists) to `new`.
fn swap_field(doc: &mut Value, choice: usize, new: Value) {
    let mut paths: Vec<Vec<PathPart>> = Vec::new();
    collect_paths(doc, &mut Vec::new(), &mut paths);
    if paths.is_empty() {
        *doc = new;
        return;
    }
    let path = &paths[choice % paths.len()];
    let mut at = doc;
    for part in path {
        at = match part {
            PathPart::Key(k) => at.get_mut(k.as_str()).unwrap(),
            PathPart::Index(i) => at.get_mut(*i).unwrap(),
        };
    }
    *at = new;
}

#[derive(Clone, Debug)]
enum PathPart {
    Key(String),
    Index(usize),
}

fn collect_paths(v: &Value, prefix: &mut Vec<PathPart>, out: &mut Vec<Vec<PathPart>>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                prefix.push(PathPart::Key(k.clone()));
                out.push(prefix.clone());
                collect_paths(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                prefix.push(PathPart::Index(i));
                out.push(prefix.clone());
                collect_paths(child, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

#[test]
fn fields_of_the_wrong_type() {
    let files: Vec<(Kind, Value)> = corpus()
        .into_iter()
        .filter_map(|(path, bytes)| {
            let text = String::from_utf8(bytes).ok()?;
            let value = helm_yaml::read::parse(&text).ok()?;
            // Templated manifests are read after rendering; their raw text is for mutation only.
            (!text.contains("{{")).then(|| (kind_of(&path).unwrap(), value))
        })
        .collect();
    assert!(files.len() > 20, "too few model files to retype");
    fuzz::check(
        "chart.fields_of_the_wrong_type",
        Budget::cases(300).max_case(Duration::from_secs(20)),
        (
            0..files.len(),
            prop::collection::vec((any::<usize>(), any_value()), 1..4),
        ),
        |(index, swaps)| {
            let (kind, original) = &files[index];
            let mut doc = original.clone();
            for (choice, new) in swaps {
                swap_field(&mut doc, choice, new);
            }
            let Ok(yaml) = helm_yaml::to_yaml(&doc) else {
                return Ok(());
            };
            check_model(*kind, yaml.as_bytes())
        },
    );
}

/// A whole app from its fixture files with one file mutated: reading it never panics, and
/// an error is typed.
#[test]
fn apps_with_one_mutated_file() {
    // Each app with its manifest rendered for the admin, as the hydrator reads it.
    let values = harness::olares_values();
    let apps: Vec<Vec<ChartFile>> = test_harness::fixtures::chart_dirs()
        .iter()
        .filter(|d| d.join("OlaresManifest.yaml").is_file())
        .map(|d| {
            let mut files = crate::files(d);
            let rendered = harness::render_manifest(d, &values);
            let manifest = files
                .iter_mut()
                .find(|f| f.path == "OlaresManifest.yaml")
                .unwrap();
            manifest.data = rendered.into_bytes();
            files
        })
        .collect();
    let seeds: Vec<(String, Vec<u8>)> = apps
        .iter()
        .enumerate()
        .flat_map(|(i, files)| {
            files
                .iter()
                .filter(|f| kind_of(&format!("x/{}", f.path)).is_some())
                .map(move |f| (format!("{i}:{}", f.path), f.data.clone()))
        })
        .collect();
    fuzz::check(
        "chart.apps_with_one_mutated_file",
        Budget::cases(150),
        fuzz::mutated(seeds, DICTIONARY, 4),
        |m| {
            let (app, path) = m.source.split_once(':').unwrap();
            let mut files = apps[app.parse::<usize>().unwrap()].clone();
            let file = files.iter_mut().find(|f| f.path == path).unwrap();
            file.data = m.bytes.clone();
            let manifest = files
                .iter()
                .find(|f| f.path == "OlaresManifest.yaml")
                .unwrap()
                .data
                .clone();
            match OlaresApp::from_rendered(&files, &manifest) {
                Ok(app) => prop_assert!(!app.chart.name.is_empty()),
                Err(e) => prop_assert!(!e.to_string().is_empty()),
            }
            Ok(())
        },
    );
}
