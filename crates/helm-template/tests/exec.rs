//! Executor conformance cases from the Helm semantics notes (expected texts
//! checked against real Helm; error texts are Go's, before Helm reshapes them).

mod common;
use common::{render, render_h};

fn ok(tpl: &str, vals: &str, want: &str) {
    assert_eq!(render(tpl, vals), Ok(want.to_string()), "template {tpl:?}");
}

fn err(tpl: &str, vals: &str, want: &str) {
    assert_eq!(render(tpl, vals), Err(want.to_string()), "template {tpl:?}");
}

#[test]
fn printing_floats_and_literals() {
    ok("{{ .Values.x }}", r#"{"x": 1000000}"#, "1e+06");
    ok("{{ .Values.x }}", r#"{"x": 123456789}"#, "1.23456789e+08");
    ok("{{ .Values.x }}", r#"{"x": 3}"#, "3");
    ok(
        "{{ 1e6 }}|{{ 3.0 }}|{{ 0x10 }}|{{ 017 }}|{{ 'a' }}",
        "{}",
        "1e+06|3|16|15|97",
    );
    ok(
        "{{ .Values.l }}",
        r#"{"l": [1, "a", true, null, 2.5]}"#,
        "[1 a true <nil> 2.5]",
    );
    ok(
        "{{ .Values.m }}",
        r#"{"m": {"b": 2, "a": 1, "c": {"z": 1}}}"#,
        "map[a:1 b:2 c:map[z:1]]",
    );
    ok("{{ .Values.missing }}", "{}", "");
    ok("{{ print \"a\" 1 2 \"b\" \"c\" 3 }}", "{}", "a1 2bc3");
    ok("{{ println \"a\" 1 }}", "{}", "a 1\n");
    ok(
        "{{ printf \"%d\" .Values.x }}",
        r#"{"x": 3}"#,
        "%!d(float64=3)",
    );
    ok("{{ printf \"%.1f\" .Values.x }}", r#"{"x": 3}"#, "3.0");
    ok(
        "{{ printf \"%T\" .Values.m }}",
        r#"{"m": {}}"#,
        "map[string]interface {}",
    );
    ok(
        "{{ printf \"%v|%s|%d\" nil nil nil }}",
        "{}",
        "<nil>|%!s(<nil>)|%!d(<nil>)",
    );
}

#[test]
fn comparisons() {
    err(
        "{{ eq .Values.x 3 }}",
        r#"{"x": 3}"#,
        "template: t.yaml:1:3: executing \"t.yaml\" at <eq .Values.x 3>: error calling eq: incompatible types for comparison: float64 and int",
    );
    ok("{{ eq .Values.x 3.0 }}", r#"{"x": 3}"#, "true");
    ok("{{ eq (int64 3) 3 }}", "{}", "true");
    ok("{{ eq .Values.missing \"a\" }}", "{}", "false");
    ok(
        "{{ eq nil nil }}|{{ eq .Values.missing nil }}|{{ eq .Values.missing \"\" }}",
        "{}",
        "true|true|false",
    );
    ok("{{ eq .Values.x \"b\" \"a\" }}", r#"{"x": "a"}"#, "true");
    err(
        "{{ lt .Values.missing 1 }}",
        "{}",
        "template: t.yaml:1:3: executing \"t.yaml\" at <lt .Values.missing 1>: error calling lt: invalid type for comparison",
    );
    err(
        "{{ eq .Values.l .Values.l }}",
        r#"{"l": [1]}"#,
        "template: t.yaml:1:3: executing \"t.yaml\" at <eq .Values.l .Values.l>: error calling eq: non-comparable type [%!s(float64=1)]: []interface {}",
    );
    err(
        "{{ eq .Values.x }}",
        r#"{"x": 1}"#,
        "template: t.yaml:1:3: executing \"t.yaml\" at <eq .Values.x>: error calling eq: missing argument for comparison",
    );
    ok(
        "{{ lt \"a\" \"b\" }}|{{ ge 2 2 }}|{{ gt 1.5 2.5 }}|{{ le 3 2 }}|{{ ne 1 2 }}",
        "{}",
        "true|true|false|false|true",
    );
}

#[test]
fn and_or_not() {
    ok(
        "{{ and 1 \"x\" 0 }}|{{ and 1 \"x\" }}|{{ or 0 \"\" \"z\" }}|{{ or 0 \"\" }}",
        "{}",
        "0|x|z|",
    );
    ok(
        "{{ or 1 (fail \"boom\") }}|{{ and 0 (fail \"boom\") }}",
        "{}",
        "1|0",
    );
    err(
        "{{ and }}",
        "{}",
        "template: t.yaml:1:3: executing \"t.yaml\" at <and>: wrong number of args for and: want at least 1 got 0",
    );
    ok("{{ not .Values.l }}", r#"{"l": [1]}"#, "false");
}

#[test]
fn nil_chains() {
    err(
        "{{ .Values.missing.x }}",
        "{}",
        "template: t.yaml:1:10: executing \"t.yaml\" at <.Values.missing.x>: nil pointer evaluating interface {}.x",
    );
    err(
        "é{{ .Values.missing.x }}",
        "{}",
        "template: t.yaml:1:12: executing \"t.yaml\" at <.Values.missing.x>: nil pointer evaluating interface {}.x",
    );
    err(
        "a\n  é {{ .Values.missing.x }}",
        "{}",
        "template: t.yaml:2:15: executing \"t.yaml\" at <.Values.missing.x>: nil pointer evaluating interface {}.x",
    );
    ok("{{ $x := .Values.missing }}{{ $x.y }}ok", "{}", "ok");
    ok("{{ (.Values.missing).x }}ok", "{}", "ok");
    err(
        "{{ range .Values.l }}{{ .foo }}{{ end }}",
        r#"{"l": ["a"]}"#,
        "template: t.yaml:1:24: executing \"t.yaml\" at <.foo>: can't evaluate field foo in type interface {}",
    );
    err(
        "{{ $x := 3 }}{{ $x.foo }}",
        "{}",
        "template: t.yaml:1:18: executing \"t.yaml\" at <$x.foo>: can't evaluate field foo in type int",
    );
    err(
        "{{ .Values.x | upper }}",
        r#"{"x": 3}"#,
        "template: t.yaml:1:15: executing \"t.yaml\" at <upper>: wrong type for value; expected string; got float64",
    );
    err(
        "{{ upper .Values.missing }}",
        "{}",
        "template: t.yaml:1:16: executing \"t.yaml\" at <.Values.missing>: wrong type for value; expected string; got interface {}",
    );
    err(
        "{{ upper 1 }}",
        "{}",
        "template: t.yaml:1:9: executing \"t.yaml\" at <1>: expected string; found 1",
    );
    err(
        "{{ len nil }}",
        "{}",
        "template: t.yaml:1:3: executing \"t.yaml\" at <len nil>: error calling len: reflect: call of reflect.Value.Type on zero Value",
    );
    err(
        "{{ len .Values.missing }}",
        "{}",
        "template: t.yaml:1:3: executing \"t.yaml\" at <len .Values.missing>: error calling len: len of nil pointer",
    );
    err(
        "{{ len .Values.x }}",
        r#"{"x": 1}"#,
        "template: t.yaml:1:3: executing \"t.yaml\" at <len .Values.x>: error calling len: len of type float64",
    );
    err(
        "{{ index .Values.l 5 }}",
        r#"{"l": [1]}"#,
        "template: t.yaml:1:3: executing \"t.yaml\" at <index .Values.l 5>: error calling index: index out of range: 5",
    );
    err(
        "{{ index .Values.missing 1 }}",
        "{}",
        "template: t.yaml:1:3: executing \"t.yaml\" at <index .Values.missing 1>: error calling index: index of untyped nil",
    );
    err(
        "{{ $y = 1 }}",
        "{}",
        "template: t.yaml:1:8: executing \"t.yaml\" at <1>: undefined variable: $y",
    );
}

#[test]
fn control_flow() {
    ok(
        "{{ range $k, $v := .Values.m }}{{ $k }}={{ $v }};{{ end }}",
        r#"{"m": {"b": 2, "a": 1}}"#,
        "a=1;b=2;",
    );
    ok(
        "{{ range $i, $v := .Values.l }}{{ $i }}{{ $v }};{{ end }}",
        r#"{"l": ["x", "y"]}"#,
        "0x;1y;",
    );
    ok("{{ range 3 }}{{ . }};{{ end }}", "{}", "0;1;2;");
    ok("{{ range $i := 3 }}{{ $i }}{{ end }}", "{}", "012");
    err(
        "{{ range $i, $v := 3 }}{{ end }}",
        "{}",
        "template: t.yaml:1:19: executing \"t.yaml\" at <3>: can't use 3 to iterate over more than one variable",
    );
    err(
        "{{ range .Values.n }}{{ end }}",
        r#"{"n": 3}"#,
        "template: t.yaml:1:16: executing \"t.yaml\" at <.Values.n>: range can't iterate over 3",
    );
    err(
        "{{ range .Values.s }}{{ end }}",
        r#"{"s": "abc"}"#,
        "template: t.yaml:1:16: executing \"t.yaml\" at <.Values.s>: range can't iterate over abc",
    );
    ok(
        "{{ range .Values.missing }}x{{ else }}E{{ end }}",
        "{}",
        "E",
    );
    ok(
        "{{ range .Values.l }}x{{ else }}E{{ end }}",
        r#"{"l": []}"#,
        "E",
    );
    ok(
        "{{ range 5 }}{{ if eq . 3 }}{{ break }}{{ end }}{{ if eq . 1 }}{{ continue }}{{ end }}{{ . }}{{ end }}",
        "{}",
        "02",
    );
    ok(
        "{{ with .Values.z }}A{{ else with .Values.s }}B{{ . }}{{ else }}C{{ end }}",
        r#"{"s": "x"}"#,
        "Bx",
    );
    ok(
        "{{ if .Values.a }}A{{ else if .Values.b }}B{{ else }}C{{ end }}",
        r#"{"b": 1}"#,
        "B",
    );
    ok(
        "{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}",
        "{}",
        "2",
    );
    ok(
        "{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ end }}{{ $x }}",
        "{}",
        "1",
    );
    ok(
        "a  {{- \" b \" -}}  c\n  {{- 1 }}\n{{ 2 -}}\n\n  d",
        "{}",
        "a b c1\n2d",
    );
    ok("x {{- /* c */ -}} y", "{}", "xy");
}

#[test]
fn templates_and_include() {
    let h = r#"{{ define "h" }}h({{ . }}){{ end }}{{ define "np" }}{{ .a.b }}{{ end }}"#;
    assert_eq!(
        render_h(r#"{{ template "h" "y" }}"#, h, "{}"),
        Ok("h(y)".into())
    );
    assert_eq!(
        render_h(r#"{{ include "h" "x" | upper }}"#, h, "{}"),
        Ok("H(X)".into())
    );
    assert_eq!(render_h(r#"{{ template "h" }}"#, h, "{}"), Ok("h()".into()));
    assert_eq!(
        render_h(r#"{{ template "nope" . }}"#, h, "{}"),
        Err("template: t.yaml:1:12: executing \"t.yaml\" at <{{template \"nope\" .}}>: template \"nope\" not defined".into())
    );
    assert_eq!(
        render_h(r#"{{ include "nope" . }}"#, h, "{}"),
        Err("template: t.yaml:1:3: executing \"t.yaml\" at <include \"nope\" .>: error calling include: template: no template \"nope\" associated with template \"gotpl\"".into())
    );
    assert_eq!(
        render_h(r#"{{ template "np" (dict) }}"#, h, "{}"),
        Err("template: _h.tpl:1:57: executing \"np\" at <.a.b>: nil pointer evaluating interface {}.b".into())
    );
    assert_eq!(
        render_h(r#"{{ template "h" . | upper }}"#, h, "{}"),
        Err("template: t.yaml:1:20: executing \"t.yaml\" at <upper>: wrong type for value; expected string; got common.Values".into())
    );
    assert_eq!(
        render_h(r#"{{ block "b" . }}B{{ end }}"#, "", "{}"),
        Ok("B".into())
    );
}

#[test]
fn mutation_is_shared() {
    ok(r#"{{ $_ := set .Values "k" 1 }}{{ .Values.k }}"#, "{}", "1");
    ok(
        r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "b" 2 }}{{ $d }}"#,
        "{}",
        "map[a:1 b:2]",
    );
}

#[test]
fn go_error_texts_checked_with_helm() {
    err(
        "{{ index .Values.l 1 }}",
        r#"{"l": [1]}"#,
        "template: t.yaml:1:3: executing \"t.yaml\" at <index .Values.l 1>: error calling index: reflect: slice index out of range",
    );
    err(
        "{{ index \"abc\" 3 }}",
        "{}",
        "template: t.yaml:1:3: executing \"t.yaml\" at <index \"abc\" 3>: error calling index: reflect: string index out of range",
    );
    ok(
        "{{ index .Values.l 0 | printf \"%T\" }}",
        r#"{"l": [1]}"#,
        "float64",
    );
    ok(
        "{{ printf \"%T %T\" .Values . }}",
        "{}",
        "common.Values common.Values",
    );
    err(
        "{{ call .Values.x 1 }}",
        r#"{"x": 1}"#,
        "template: t.yaml:1:3: executing \"t.yaml\" at <call .Values.x 1>: error calling call: non-function .Values.x of type float64",
    );
    ok(
        "{{ html \"<a>\" nil 1 }}|{{ js \"a'b=\" }}|{{ urlquery \"a b&c\" }}",
        "{}",
        "&lt;a&gt;&lt;no value&gt;1|a\\'b\\u003D|a+b%26c",
    );
    err(
        "{{ .Values.x.y }}",
        r#"{"x": 1}"#,
        "template: t.yaml:1:10: executing \"t.yaml\" at <.Values.x.y>: can't evaluate field y in type interface {}",
    );
    err(
        "{{ .Values.m.a 1 }}",
        r#"{"m": {"a": 1}}"#,
        "template: t.yaml:1:10: executing \"t.yaml\" at <.Values.m.a>: a is not a method but has arguments",
    );
    err(
        "{{ (1).x }}",
        "{}",
        "template: t.yaml:1:4: executing \"t.yaml\" at <1>: can't evaluate field x in type int",
    );
    err(
        "{{ nil }}",
        "{}",
        "template: t.yaml:1:3: executing \"t.yaml\" at <nil>: nil is not a command",
    );
    err(
        "{{ 1 2 }}",
        "{}",
        "template: t.yaml:1:3: executing \"t.yaml\" at <1>: can't give argument to non-function 1",
    );
    err(
        "{{ $x := 1 }}{{ $x 2 }}",
        "{}",
        "template: t.yaml:1:16: executing \"t.yaml\" at <$x>: can't give argument to non-function $x",
    );
    err(
        "{{ 'ab' }}",
        "{}",
        "template: t.yaml:1: malformed character constant: 'ab'",
    );
    err("{{ \"\\q\" }}", "{}", "template: t.yaml:1: invalid syntax");
    err(
        "{{ 09 }}",
        "{}",
        "template: t.yaml:1: integer overflow: \"09\"",
    );
    ok(
        "{{ 0x1p-2 }}|{{ 1_000 }}|{{ 0o17 }}|{{ 0b11 }}|{{ -0 }}|{{ +5 }}|{{ .5 }}",
        "{}",
        "0.25|1000|15|3|0|5|0.5",
    );
    err(
        "{{ print 18446744073709551615 }}",
        "{}",
        "template: t.yaml:1:9: executing \"t.yaml\" at <18446744073709551615>: 18446744073709551615 overflows int",
    );
    err(
        "{{/* a\nb\nc */}}\n{{ .Values.missing.x }}",
        "{}",
        "template: t.yaml:4:10: executing \"t.yaml\" at <.Values.missing.x>: nil pointer evaluating interface {}.x",
    );
}
