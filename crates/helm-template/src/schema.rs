//! `values.schema.json`: Helm validates each chart's coalesced values against
//! its schema (the root chart, then every enabled subchart with its own table)
//! and refuses to render when any fails, listing every violation in the words
//! of the validator Helm uses (santhosh-tekuri/jsonschema v6).
//!
//! Never: remote `$ref`s (the validator is built without retrieval).

use std::collections::BTreeMap;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde_json::Value as Json;

use crate::chart::Chart;
use crate::values::Table;

/// Validates `values` (coalesced, for `chart`) and the subcharts' tables;
/// `Err` is Helm's whole message.
pub fn validate(chart: &Chart, values: &Table) -> Result<(), String> {
    let mut failures = String::new();
    check(chart, &Json::Object(values.clone()), &mut failures);
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "values don't meet the specifications of the schema(s) in the following chart(s):\n{failures}"
        ))
    }
}

fn check(chart: &Chart, values: &Json, failures: &mut String) {
    if let Some(schema) = &chart.schema {
        let lines = match violations(schema, values) {
            Ok(lines) => lines,
            Err(e) => vec![e],
        };
        if !lines.is_empty() {
            failures.push_str(&format!("{}:\n{}\n", chart.name(), lines.join("\n")));
        }
    }
    for sub in &chart.subcharts {
        let empty = Json::Object(Table::new());
        check(sub, values.get(sub.name()).unwrap_or(&empty), failures);
    }
}

/// Every violation as v6 reports it: a tree of causes where a node with a
/// single cause is replaced by it, and a container whose children fail more
/// than once reads `validation failed` with the children indented below.
/// Helm's order among sibling properties follows Go map iteration (it varies
/// between runs); ours is key order.
fn violations(schema: &[u8], values: &Json) -> Result<Vec<String>, String> {
    let schema: Json =
        serde_json::from_slice(schema).map_err(|e| format!("- invalid values.schema.json: {e}"))?;
    let validator = jsonschema::validator_for(&schema)
        .map_err(|e| format!("- invalid values.schema.json: {e}"))?;
    let mut leaves: Vec<Leaf> = Vec::new();
    // Missing properties of one object are reported together, as v6 does.
    let mut missing: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for error in validator.iter_errors(values) {
        let path = error.instance_path().as_str().to_owned();
        if let ValidationErrorKind::Required { property } = error.kind() {
            missing
                .entry(path)
                .or_default()
                .push(quote(&json_text(property)));
            continue;
        }
        let after_children = matches!(
            error.kind(),
            ValidationErrorKind::AdditionalProperties { .. }
        );
        leaves.push(Leaf {
            segments: segments(&path),
            path,
            message: message(error.kind(), error.instance()),
            after_children,
        });
    }
    for (path, props) in missing {
        let message = if props.len() == 1 {
            format!("missing property {}", props[0])
        } else {
            format!("missing properties {}", props.join(", "))
        };
        leaves.insert(
            0,
            Leaf {
                segments: segments(&path),
                path,
                message,
                after_children: false,
            },
        );
    }
    let mut lines = Vec::new();
    match flatten(node(&leaves, &[])) {
        Node::Leaf(leaf) => lines.push(format!("- at '{}': {}", leaf.path, leaf.message)),
        Node::Group { causes, .. } => {
            for cause in causes {
                print(cause, 0, &mut lines);
            }
        }
    }
    Ok(lines)
}

struct Leaf {
    path: String,
    segments: Vec<String>,
    message: String,
    after_children: bool,
}

enum Node<'a> {
    Leaf(&'a Leaf),
    Group { path: String, causes: Vec<Node<'a>> },
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The evaluation of the value at `at`: its own errors, then its failing
/// children's evaluations (properties or items), then errors reported after them.
fn node<'a>(leaves: &'a [Leaf], at: &[String]) -> Node<'a> {
    let own = |after: bool| {
        leaves
            .iter()
            .filter(move |l| l.segments == at && l.after_children == after)
    };
    let mut causes: Vec<Node<'a>> = own(false).map(Node::Leaf).collect();
    let mut children: Vec<&String> = leaves
        .iter()
        .filter(|l| l.segments.len() > at.len() && l.segments.starts_with(at))
        .map(|l| &l.segments[at.len()])
        .collect();
    children.sort_by(|a, b| match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(i), Ok(j)) => i.cmp(&j),
        _ => a.cmp(b),
    });
    children.dedup();
    for child in children {
        let mut path = at.to_vec();
        path.push(child.clone());
        causes.push(node(leaves, &path));
    }
    causes.extend(own(true).map(Node::Leaf));
    Node::Group {
        path: pointer(at),
        causes,
    }
}

fn pointer(at: &[String]) -> String {
    at.iter().map(|s| format!("/{s}")).collect()
}

/// A node with a single cause is that cause.
fn flatten(mut n: Node<'_>) -> Node<'_> {
    loop {
        match n {
            Node::Group { mut causes, .. } if causes.len() == 1 => n = causes.remove(0),
            other => return other,
        }
    }
}

fn print(n: Node<'_>, indent: usize, lines: &mut Vec<String>) {
    let pad = " ".repeat(indent);
    match flatten(n) {
        Node::Leaf(leaf) => lines.push(format!("{pad}- at '{}': {}", leaf.path, leaf.message)),
        Node::Group { path, causes } => {
            lines.push(format!("{pad}- at '{path}': validation failed"));
            for cause in causes {
                print(cause, indent + 2, lines);
            }
        }
    }
}

/// v6's wording for one violation.
fn message(kind: &ValidationErrorKind, instance: &Json) -> String {
    use ValidationErrorKind as K;
    match kind {
        K::Type { kind } => {
            let want = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("got {}, want {want}", type_name(instance))
        }
        K::Minimum { limit } => {
            format!("minimum: got {}, want {}", number(instance), number(limit))
        }
        K::Maximum { limit } => {
            format!("maximum: got {}, want {}", number(instance), number(limit))
        }
        K::ExclusiveMinimum { limit } => format!(
            "exclusiveMinimum: got {}, want {}",
            number(instance),
            number(limit)
        ),
        K::ExclusiveMaximum { limit } => format!(
            "exclusiveMaximum: got {}, want {}",
            number(instance),
            number(limit)
        ),
        K::MinLength { limit } => format!("minLength: got {}, want {limit}", chars(instance)),
        K::MaxLength { limit } => format!("maxLength: got {}, want {limit}", chars(instance)),
        K::MinItems { limit } => format!(
            "minItems: got {}, want {limit}",
            instance.as_array().map_or(0, Vec::len)
        ),
        K::MaxItems { limit } => format!(
            "maxItems: got {}, want {limit}",
            instance.as_array().map_or(0, Vec::len)
        ),
        K::MinProperties { limit } => {
            format!(
                "minProperties: got {}, want {limit}",
                instance.as_object().map_or(0, |m| m.len())
            )
        }
        K::MaxProperties { limit } => {
            format!(
                "maxProperties: got {}, want {limit}",
                instance.as_object().map_or(0, |m| m.len())
            )
        }
        K::AdditionalProperties { unexpected } => {
            let names: Vec<String> = unexpected.iter().map(|n| quote(n)).collect();
            format!("additional properties {} not allowed", names.join(", "))
        }
        K::Enum { options } => {
            let values: Vec<String> = options
                .as_array()
                .map(|o| o.iter().map(shown).collect())
                .unwrap_or_default();
            format!("value must be one of {}", values.join(", "))
        }
        K::Constant { expected_value } => format!("value must be {}", shown(expected_value)),
        K::Pattern { pattern } => format!(
            "{} does not match pattern {}",
            quote(&plain(instance)),
            quote(pattern)
        ),
        K::Format { format } => format!("{} is not valid {format}", quote(&plain(instance))),
        K::UniqueItems => "items are not unique".into(),
        K::FalseSchema => "false schema".into(),
        K::AnyOf { .. } => "anyOf failed".into(),
        K::OneOfNotValid { .. } => "oneOf failed, none matched".into(),
        K::OneOfMultipleValid { .. } => "oneOf failed, more than one matched".into(),
        K::Not { .. } => "not failed".into(),
        other => format!("{other:?}"),
    }
}

fn type_name(v: &Json) -> &'static str {
    match v {
        Json::Null => "null",
        Json::Bool(_) => "boolean",
        Json::Number(_) => "number",
        Json::String(_) => "string",
        Json::Array(_) => "array",
        Json::Object(_) => "object",
    }
}

/// A number as Go's `%v` of a `json.Number`/float prints it.
fn number(v: &Json) -> String {
    match v.as_f64() {
        Some(f) => crate::fmt::format_float(f, 'g', -1),
        None => json_text(v),
    }
}

fn chars(v: &Json) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn plain(v: &Json) -> String {
    v.as_str().map_or_else(|| json_text(v), str::to_owned)
}

fn json_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A value in a message: strings in single quotes, the rest as JSON.
fn shown(v: &Json) -> String {
    match v {
        Json::String(s) => quote(s),
        other => other.to_string(),
    }
}

fn quote(s: &str) -> String {
    format!("'{s}'")
}
