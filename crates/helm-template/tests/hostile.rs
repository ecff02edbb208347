//! Hostile charts fail cleanly and quickly: no hang, no memory exhaustion, no
//! stack overflow. Each asserts the kind of error.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::time::{Duration, Instant};

use helm_template::chart::{Chart, File};
use helm_template::values::Table;
use helm_template::{RenderOptions, render};

fn chart_with(template: &str, values: &str) -> Chart {
    Chart::from_files(vec![
        File::new("Chart.yaml", "apiVersion: v2\nname: t\nversion: 0.1.0\n"),
        File::new("values.yaml", values),
        File::new("templates/t.yaml", template),
        File::new("templates/_h.tpl", r#"{{ define "self" }}{{ include "self" . }}{{ end }}{{ define "loop" }}{{ template "loop" . }}{{ end }}"#),
    ])
    .unwrap()
}

/// Renders and returns the error text, asserting it came back in time.
fn fails(template: &str, values: &str) -> String {
    let started = Instant::now();
    let result = render(
        chart_with(template, values),
        &Table::new(),
        &RenderOptions::default(),
    );
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    result
        .expect_err("a hostile template must fail")
        .to_string()
}

#[test]
fn include_recursion_stops_at_helms_depth() {
    assert!(
        fails(r#"{{ include "self" . }}"#, "")
            .contains("rendering template has a nested reference name: self")
    );
}

#[test]
fn template_action_recursion_stops() {
    let err = fails(r#"{{ template "loop" . }}"#, "");
    assert!(
        err.contains("exceeded maximum template depth") || err.contains("depth"),
        "{err}"
    );
}

#[test]
fn huge_repeat_hits_the_output_cap() {
    let err = fails(r#"{{ repeat 1000000000 "xxxxxxxxxx" }}"#, "");
    assert!(err.contains("limit"), "{err}");
}

#[test]
fn huge_until_is_refused_before_allocating() {
    let err = fails("{{ range until 1000000000 }}x{{ end }}", "");
    assert!(err.contains("exceeds the limit"), "{err}");
}

#[test]
fn nested_loops_hit_the_step_limit() {
    let err = fails(
        "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}",
        "",
    );
    assert!(err.contains("steps"), "{err}");
}

#[test]
fn output_doubling_hits_the_output_cap() {
    let doubling = "{{ $s := \"x\" }}{{ range until 64 }}{{ $s = print $s $s }}{{ end }}{{ $s }}";
    let err = fails(doubling, "");
    assert!(err.contains("limit"), "{err}");
}

#[test]
fn deeply_nested_values_are_refused_at_load() {
    let deep = format!("a: {}{}\n", "[".repeat(50_000), "]".repeat(50_000));
    let err = Chart::from_files(vec![
        File::new("Chart.yaml", "apiVersion: v2\nname: t\nversion: 0.1.0\n"),
        File::new("values.yaml", deep),
    ])
    .unwrap_err();
    // The YAML parser's own recursion guard or ours, whichever trips first.
    let text = err.to_string();
    assert!(
        text.contains("recursion limit exceeded") || text.contains("nested deeper"),
        "{text}"
    );
}
