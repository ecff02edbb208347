//! Hostile templates fail with an error instead of hanging, overflowing the
//! stack or exhausting memory.

use helm_template::{FuncMap, Limits, Options, Templates, Value};

fn set_with(limits: Limits, text: &str) -> Templates {
    let mut set = Templates::new("gotpl", FuncMap::new());
    set.set_options(Options {
        limits,
        ..Options::default()
    });
    set.parse("t", text).expect("parses");
    set
}

#[test]
fn infinite_template_recursion_hits_go_depth_limit() {
    let set = set_with(
        Limits::default(),
        r#"{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}"#,
    );
    let err = set
        .execute("t", Value::Nil)
        .expect_err("must fail")
        .to_string();
    assert_eq!(
        err,
        "template: t:1:28: executing \"r\" at <{{template \"r\" .}}>: exceeded maximum template depth (100000)"
    );
}

#[test]
fn long_loops_hit_the_step_limit() {
    let limits = Limits {
        max_steps: 100_000,
        ..Limits::default()
    };
    let set = set_with(limits, "{{ range 1000000000 }}{{ end }}");
    let err = set
        .execute("t", Value::Nil)
        .expect_err("must fail")
        .to_string();
    assert!(err.contains("exceeds the limit of 100000 steps"), "{err}");
}

#[test]
fn huge_output_hits_the_output_limit() {
    let limits = Limits {
        max_output_bytes: 1 << 20,
        ..Limits::default()
    };
    let set = set_with(
        limits,
        "{{ range 100000000 }}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx{{ end }}",
    );
    let err = set
        .execute("t", Value::Nil)
        .expect_err("must fail")
        .to_string();
    assert!(
        err.contains("template output exceeds the limit of 1048576 bytes"),
        "{err}"
    );
}

#[test]
fn deep_parentheses_are_a_parse_error() {
    let text = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    let mut set = Templates::new("gotpl", FuncMap::new());
    let err = set.parse("t", &text).expect_err("must fail").to_string();
    assert_eq!(err, "template: t:1: max expression depth exceeded");
}
