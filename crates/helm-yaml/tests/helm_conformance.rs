//! Conformance table: every expected output in `tests/data/helm_cases.json` was produced by
//! real Helm v4.2.3 (`shared/tools/helm-render`, regenerate with `tools/gen_cases.py`), from
//! the same input passed with `--set-json` (so every number is a float64, as in Helm values).

use serde_json::Value;

struct Case {
    name: String,
    input: Value,
    expected: serde_json::Map<String, Value>,
}

fn cases() -> Vec<Case> {
    let text = include_str!("data/helm_cases.json");
    let table: Value = serde_json::from_str(text).expect("helm_cases.json parses");
    let rows = table.as_array().expect("a list of cases");
    rows.iter()
        .map(|row| {
            let mut obj = row.as_object().expect("a case object").clone();
            let name = obj
                .remove("name")
                .and_then(|n| n.as_str().map(str::to_string))
                .expect("case name");
            let input = obj.remove("input").expect("case input");
            Case {
                name,
                input,
                expected: obj,
            }
        })
        .collect()
}

/// Run `f` over every case and report all mismatches at once.
fn check(field: &str, f: impl Fn(&Value) -> String) {
    let mut failures = Vec::new();
    let all = cases();
    for case in &all {
        let Some(want) = case.expected.get(field).and_then(Value::as_str) else {
            continue;
        };
        let got = f(&case.input);
        if got != want {
            failures.push(format!(
                "{field} / {:?}\n  input: {}\n  want:  {want:?}\n  got:   {got:?}",
                case.name, case.input
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from Helm:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn to_yaml_matches_helm() {
    // Helm's toYaml swallows marshal errors and prints "".
    check("to_yaml", |v| helm_yaml::to_yaml(v).unwrap_or_default());
}

#[test]
fn to_yaml_pretty_matches_helm() {
    check("to_yaml_pretty", helm_yaml::to_yaml_pretty);
}

#[test]
fn to_json_matches_helm() {
    check("to_json", helm_yaml::to_json);
}

#[test]
fn to_raw_json_matches_helm() {
    check("to_raw_json", helm_yaml::to_raw_json);
}

#[test]
fn to_pretty_json_matches_helm() {
    check("to_pretty_json", helm_yaml::to_pretty_json);
}

#[test]
fn to_toml_matches_helm() {
    check("to_toml", |v| {
        helm_yaml::to_toml(v).unwrap_or_else(|_| "(nil)".to_string())
    });
}
