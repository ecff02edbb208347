//! Fuzzing the template parser and executor: mutated templates from the fixture charts and the
//! render corpus, generated deep nesting (`{{ if }}`, `{{ with }}`, `{{ range }}`, `else if`
//! chains, parentheses, pipelines, `define`/`template`), and random values. Properties: no
//! panic, no stack overflow, bounded time; a parse error names the template and a line inside
//! it; executing a parsed template with the render limits returns output or an error.
//! Budget and replay: `test_harness::fuzz`.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use helm_template::chart::{Chart, File};
use helm_template::parse::ParseOptions;
use helm_template::values::Table;
use helm_template::{RenderOptions, Templates, load, render, render_beside_partials, sprig_funcs};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};
use test_harness::fuzz::{self, Budget};

const DICTIONARY: &[&[u8]] = &[
    b"{{",
    b"}}",
    b"{{-",
    b"-}}",
    b"{{ end }}",
    b"{{ else }}",
    b"{{ if .Values.x }}",
    b"{{ range $i, $v := .Values.list }}",
    b"{{ with .Values }}",
    b"{{ define \"d\" }}",
    b"{{ template \"d\" . }}",
    b"{{ block \"b\" . }}",
    b"{{ include \"d\" . }}",
    b"{{ break }}",
    b"{{ continue }}",
    b"{{/* c */}}",
    b"(",
    b")",
    b" | ",
    b"$x := ",
    b"$x = ",
    b".Values.",
    b"\"",
    b"`",
    b"'a'",
    b"0x1F",
    b"1e400",
    b"nil",
    b"true",
    b" toYaml ",
    b" tpl ",
    b" required \"m\" ",
    b" fail \"f\" ",
    b" default ",
    b" index ",
    b" and ",
    b" or ",
    b" not ",
    b" len ",
    b" slice ",
    b" printf \"%v\" ",
    b" nindent 2 ",
    b"\n",
    b"\xff",
    b"{{ .Values.a.b.c.d }}",
    b"{{ $ }}",
    b"{{ . }}",
];

/// One template of the corpus: the chart it belongs to and its path in the chart.
struct Source {
    chart: Arc<Chart>,
    name: String,
    text: Vec<u8>,
}

/// The fixture charts' templates (with their charts, for partials and values) and the
/// render corpus' templates (each with its own values).
fn sources() -> Arc<Vec<Source>> {
    static SOURCES: OnceLock<Arc<Vec<Source>>> = OnceLock::new();
    SOURCES
        .get_or_init(|| {
            let mut out = Vec::new();
            for dir in test_harness::fixtures::chart_dirs() {
                let chart = Arc::new(load::load_path(&dir).unwrap());
                for t in &chart.templates {
                    if t.data.len() <= 32 * 1024 && !generates_keys(&t.data) {
                        out.push(Source {
                            chart: chart.clone(),
                            name: t.name.clone(),
                            text: t.data.to_vec(),
                        });
                    }
                }
            }
            let corpus =
                test_harness::fixtures::repo_root().join("chart-repo/tests/fixtures/render-corpus");
            let mut cases: Vec<_> = std::fs::read_dir(&corpus)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            cases.sort();
            for case in cases {
                if let Some(source) = corpus_case(&case) {
                    out.push(source);
                }
            }
            assert!(out.len() > 100, "too few templates to fuzz from");
            Arc::new(out)
        })
        .clone()
}

/// Key generation (`genCA` and friends: RSA primes) takes tens of seconds in a debug build,
/// a random amount, which would trip the per-case time limit; `sprig_extra` tests cover it.
/// (Templates that reach it through a partial remain: render cases get 60 s.)
fn generates_keys(text: &[u8]) -> bool {
    let text = String::from_utf8_lossy(text);
    [
        "genCA",
        "genSelfSignedCert",
        "genSignedCert",
        "genPrivateKey",
        "derivePassword",
    ]
    .iter()
    .any(|f| text.contains(f))
}

/// A render-corpus case (`t.yaml`, `values.yaml`) as a one-template chart.
fn corpus_case(dir: &Path) -> Option<Source> {
    let text = std::fs::read(dir.join("t.yaml")).ok()?;
    let values = std::fs::read(dir.join("values.yaml")).unwrap_or_default();
    let chart = Chart::from_files(vec![
        File::new(
            "Chart.yaml",
            "apiVersion: v2\nname: corpus\nversion: 0.1.0\n",
        ),
        File::new("values.yaml", values),
    ])
    .ok()?;
    Some(Source {
        chart: Arc::new(chart),
        name: "templates/t.yaml".into(),
        text,
    })
}

/// A parse error names the template and a line inside it.
fn check_parse(name: &str, text: &str) -> Result<(), TestCaseError> {
    let mut set = Templates::new("gotpl", sprig_funcs());
    let options = ParseOptions {
        skip_func_check: true,
        ..ParseOptions::default()
    };
    if let Err(e) = set.parse_with(name, text, options) {
        prop_assert_eq!(&e.name, name);
        let lines = text.lines().count() + 1;
        prop_assert!(
            (1..=lines).contains(&e.line),
            "{e}: line {} of {lines}",
            e.line
        );
        let prefix = format!("template: {name}:");
        prop_assert!(e.to_string().starts_with(&prefix), "{e}");
    }
    Ok(())
}

/// Renders `text` as `templates/fuzz.yaml` beside the chart's partials with the render limits:
/// output or an error, never a panic.
fn check_render(chart: &Chart, text: &[u8], values: &Table) -> Result<(), TestCaseError> {
    let result =
        render_beside_partials(chart, "fuzz.yaml", text, values, &RenderOptions::default());
    if let Err(e) = result {
        prop_assert!(!e.to_string().is_empty());
    }
    Ok(())
}

#[test]
fn mutated_templates() {
    let sources = sources();
    let seeds: Vec<(String, Vec<u8>)> = sources
        .iter()
        .enumerate()
        .map(|(i, s)| (i.to_string(), s.text.clone()))
        .collect();
    fuzz::check(
        "template.mutated_templates",
        Budget::cases(400).max_case(Duration::from_secs(60)),
        fuzz::mutated(seeds, DICTIONARY, 6),
        |m| {
            let source = &sources[m.source.parse::<usize>().unwrap()];
            let text = String::from_utf8_lossy(&m.bytes);
            check_parse(&source.name, &text)?;
            check_render(&source.chart, &m.bytes, &Table::new())
        },
    );
}

/// Values of every type for `.Values`, some odd (deep, long, numbers as Helm reads them).
fn values() -> impl Strategy<Value = Table> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1e9f64..1e9).prop_map(|f| json!(f)),
        "[ -~]{0,10}".prop_map(Value::String),
        (1usize..5000).prop_map(|n| Value::String("{{ x }}".repeat(n))),
    ];
    let value = leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z]{1,4}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    prop::collection::btree_map(
        prop::sample::select(vec![
            "x",
            "list",
            "a",
            "image",
            "replicaCount",
            "service",
            "name",
            "enabled",
            "tpl",
        ]),
        value,
        0..5,
    )
    .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

#[test]
fn fixture_templates_on_random_values() {
    let sources = sources();
    fuzz::check(
        "template.random_values",
        Budget::cases(250).max_case(Duration::from_secs(60)),
        (0..sources.len(), values()),
        |(index, values)| {
            let source = &sources[index];
            check_render(&source.chart, &source.text, &values)
        },
    );
}

/// Shapes that attack the parser's and executor's recursion.
#[derive(Clone, Debug)]
enum Deep {
    /// `{{ if 1 }}`, `{{ with 1 }}` or `{{ range (list 1) }}` nested `depth` times.
    Control { kind: u8, depth: usize },
    /// `{{ if 0 }}{{ else if 0 }}...` chains.
    ElseIf { depth: usize },
    /// `((((1))))`.
    Parens { depth: usize },
    /// `{{ 1 | print | print ... }}`.
    Pipeline { length: usize },
    /// A define calling the next one, `depth` of them.
    Defines { depth: usize },
    /// Unbalanced: `{{ if 1 }}` × depth without the `end`s.
    Unclosed { depth: usize },
    /// `{{ block "bN" . }}` nested: each body is a new tree, parsed while nested.
    Blocks { depth: usize },
}

impl Deep {
    fn text(&self) -> String {
        match *self {
            Deep::Control { kind, depth } => {
                let open = match kind % 3 {
                    0 => "{{ if 1 }}",
                    1 => "{{ with 1 }}",
                    _ => "{{ range (list 1) }}",
                };
                format!("{}x{}", open.repeat(depth), "{{ end }}".repeat(depth))
            }
            Deep::ElseIf { depth } => format!(
                "{{{{ if 0 }}}}{}z{{{{ end }}}}",
                "a{{ else if 0 }}".repeat(depth)
            ),
            Deep::Parens { depth } => {
                format!("{{{{ {}1{} }}}}", "(".repeat(depth), ")".repeat(depth))
            }
            Deep::Pipeline { length } => format!("{{{{ 1{} }}}}", " | print".repeat(length)),
            Deep::Defines { depth } => {
                let mut out = String::new();
                for i in 0..depth {
                    out.push_str(&format!(
                        "{{{{ define \"d{i}\" }}}}{{{{ template \"d{}\" . }}}}{{{{ end }}}}",
                        i + 1
                    ));
                }
                out.push_str(&format!("{{{{ define \"d{depth}\" }}}}end{{{{ end }}}}"));
                out.push_str("{{ template \"d0\" . }}");
                out
            }
            Deep::Unclosed { depth } => "{{ if 1 }}".repeat(depth),
            Deep::Blocks { depth } => {
                let open: String = (0..depth)
                    .map(|i| format!("{{{{ block \"b{i}\" . }}}}"))
                    .collect();
                format!("{open}x{}", "{{ end }}".repeat(depth))
            }
        }
    }
}

fn deep() -> impl Strategy<Value = Deep> {
    prop_oneof![
        (0u8..3, 1usize..20_000).prop_map(|(kind, depth)| Deep::Control { kind, depth }),
        (1usize..20_000).prop_map(|depth| Deep::ElseIf { depth }),
        (1usize..20_000).prop_map(|depth| Deep::Parens { depth }),
        (1usize..20_000).prop_map(|length| Deep::Pipeline { length }),
        (1usize..3_000).prop_map(|depth| Deep::Defines { depth }),
        (1usize..20_000).prop_map(|depth| Deep::Unclosed { depth }),
        (1usize..5_000).prop_map(|depth| Deep::Blocks { depth }),
    ]
}

#[test]
fn deep_nesting_parses_and_renders_without_overflow() {
    let chart = Chart::from_files(vec![File::new(
        "Chart.yaml",
        "apiVersion: v2\nname: deep\nversion: 0.1.0\n",
    )])
    .unwrap();
    fuzz::check(
        "template.deep_nesting",
        Budget::cases(48).max_case(Duration::from_secs(30)),
        deep(),
        |d| {
            let text = d.text();
            check_parse("templates/deep.yaml", &text)?;
            check_render(&chart, text.as_bytes(), &Table::new())
        },
    );
}

/// A whole chart render (every template, Helm's order) with one template mutated.
#[test]
fn whole_charts_with_one_mutated_template() {
    let sources = sources();
    let seeds: Vec<(String, Vec<u8>)> = sources
        .iter()
        .enumerate()
        .filter(|(_, s)| s.chart.templates.len() <= 12)
        .map(|(i, s)| (i.to_string(), s.text.clone()))
        .collect();
    fuzz::check(
        "template.whole_charts",
        Budget::cases(60).max_case(Duration::from_secs(30)),
        fuzz::mutated(seeds, DICTIONARY, 4),
        |m| {
            let source = &sources[m.source.parse::<usize>().unwrap()];
            let mut chart = (*source.chart).clone();
            // Render-corpus charts hold their one template apart: add it.
            chart.templates.retain(|t| t.name != source.name);
            chart
                .templates
                .push(File::new(source.name.clone(), m.bytes.clone()));
            if let Err(e) = render(chart, &Table::new(), &RenderOptions::default()) {
                prop_assert!(!e.to_string().is_empty());
            }
            Ok(())
        },
    );
}

// Regressions: inputs the harnesses found, fixed in `parse.rs` and `exec.rs`.

/// Runs `f` on a thread with a 2 MiB stack (a test's, a tokio worker's default).
fn on_2_mib_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// `deep_nesting_parses_and_renders_without_overflow`, `Control { kind: 0, depth: 15899 }`:
/// the parser recursed once per level with no limit and overflowed the stack (so would
/// dropping or printing such a tree). Now a parse error past `MAX_CONTROL_DEPTH`.
#[test]
fn regression_control_nesting_past_the_limit_is_a_parse_error() {
    let text = Deep::Control {
        kind: 0,
        depth: 15899,
    }
    .text();
    let err = on_2_mib_stack(move || {
        let mut set = Templates::new("gotpl", sprig_funcs());
        set.parse("t", &text).unwrap_err().to_string()
    });
    assert_eq!(err, "template: t:1: max control structure depth exceeded");
}

/// Just under the limit, 999 nested `if`/`with`/`range` parse and run on a 2 MiB stack: a
/// debug build spent several KiB per level in both the parser and the executor.
#[test]
fn regression_999_nested_controls_parse_and_run_on_a_2_mib_stack() {
    for kind in 0..3 {
        let text = Deep::Control { kind, depth: 999 }.text();
        let out = on_2_mib_stack(move || {
            let mut set = Templates::new("gotpl", sprig_funcs());
            set.parse("t", &text).unwrap();
            set.execute("t", helm_template::Value::Nil).unwrap()
        });
        assert_eq!(out, "x");
    }
}

/// Nested `{{ block }}`s: each body starts a new tree, which reset the nesting count, so
/// the limit has to carry over into it.
#[test]
fn regression_nested_blocks_count_towards_the_limit() {
    let text = Deep::Blocks { depth: 1001 }.text();
    let err = on_2_mib_stack(move || {
        let mut set = Templates::new("gotpl", sprig_funcs());
        set.parse("t", &text).unwrap_err().to_string()
    });
    assert_eq!(err, "template: t:1: max control structure depth exceeded");
}

/// `whole_charts_with_one_mutated_template` (seed 12896727393585158016): a backslash followed
/// by a non-ASCII character in a string literal (`"\é"`) panicked (a slice inside the
/// character) instead of failing as Go's `strconv.Unquote` does.
#[test]
fn regression_backslash_before_a_non_ascii_character() {
    for text in [
        "{{ \"\\é\" }}",
        "{{ \"a\\\u{FFFD}x1F\" }}",
        "{{ \"\\\u{4e2d}\" }}",
    ] {
        let mut set = Templates::new("gotpl", sprig_funcs());
        let err = set.parse("t", text).unwrap_err().to_string();
        assert_eq!(err, "template: t:1: invalid syntax", "{text}");
    }
}
