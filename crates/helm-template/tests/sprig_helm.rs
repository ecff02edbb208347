//! Sprig and printing conformance: every expected output below was produced by
//! real Helm v4.2.3 (`helm-render`) for the same template and values.

mod common;
use common::render_sprig;

#[test]
fn helm_case_01() {
    let got = render_sprig(
        "{{ default \"D\" 0 }}|{{ default \"D\" 0.0 }}|{{ default \"D\" false }}|{{ default \"D\" \"\" }}|{{ default \"D\" (list) }}|{{ default \"D\" (dict) }}|{{ default \"D\" nil }}|{{ default \"D\" \"0\" }}|{{ default \"D\" \" \" }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("D|D|D|D|D|D|D|0| ".to_string()));
}

#[test]
fn helm_case_02() {
    let got = render_sprig(
        "{{ coalesce nil \"\" 0 \"v\" }}|{{ empty 0 }}|{{ empty \"x\" }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("v|true|false".to_string()));
}

#[test]
fn helm_case_03() {
    let got = render_sprig(
        "{{ quote 3 }}|{{ quote .Values.x }}|{{ quote false }}|{{ quote (list 1 2) }}|{{ quote (dict \"a\" 1) }}|{{ quote \"a\\\"b\\\\c\\n\" }}|{{ quote nil }}|{{ quote \"a\" nil \"b\" }}|{{ quote 1 2 }}|{{ squote \"it's\" }}",
        "",
        "{\"x\": 1000000}",
    );
    assert_eq!(got, Ok("\"3\"|\"1e+06\"|\"false\"|\"[1 2]\"|\"map[a:1]\"|\"a\\\"b\\\\c\\n\"||\"a\" \"b\"|\"1\" \"2\"|'it's'".to_string()));
}

#[test]
fn helm_case_04() {
    let got = render_sprig(
        "{{ int \"12\" }}|{{ int \"010\" }}|{{ int \"0x1F\" }}|{{ int \"1.9\" }}|{{ int \"12.0\" }}|{{ int \"  12\" }}|{{ int 1.9 }}|{{ int true }}|{{ int nil }}|{{ int 1e20 }}|{{ atoi \"abc\" }}|{{ atoi \"1e+06\" }}|{{ int64 \"1e3\" }}|{{ float64 \"1e3\" }}|{{ float64 \"x\" }}",
        "",
        "{}",
    );
    assert_eq!(
        got,
        Ok("12|8|31|0|12|0|1|1|0|-9223372036854775808|0|0|0|1000|0".to_string())
    );
}

#[test]
fn helm_case_05() {
    let got = render_sprig(
        "{{ add .Values.i 1 }}|{{ add 1 \"x\" }}|{{ mul 1.5 2 }}|{{ div 7 2 }}|{{ typeOf (add 1 1) }}|{{ typeOf (int 1) }}|{{ typeOf (len \"a\") }}|{{ max 1 5 3 }}|{{ min 4 2 }}|{{ sub 5 7 }}|{{ mod 7 3 }}",
        "",
        "{\"i\": 3}",
    );
    assert_eq!(got, Ok("4|1|2|3|int64|int|int|5|2|-2|1".to_string()));
}

#[test]
fn helm_case_06() {
    let got = render_sprig(
        "{{ trunc -2 \"abcdef\" }}|{{ trunc 10 \"ab\" }}|{{ substr 1 3 \"abcdef\" }}|{{ len \"héllo\" }}|{{ cat \"a\" 1 nil \"b\" }}|{{ indent 2 \"a\\n\\nb\\n\" | quote }}|{{ nindent 4 \"\" | quote }}|{{ title \"hello world\" }}",
        "",
        "{}",
    );
    assert_eq!(
        got,
        Ok("ef|ab|bc|6|a 1 b|\"  a\\n  \\n  b\\n  \"|\"\\n    \"|Hello World".to_string())
    );
}

#[test]
fn helm_case_07() {
    let got = render_sprig(
        "{{ splitList \",\" \"a,b,,c\" }}|{{ len (splitList \",\" \"\") }}|{{ split \",\" \"a,b\" }}|{{ join \",\" (list 1 \"a\" nil) }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("[a b  c]|1|map[_0:a _1:b]|1,a".to_string()));
}

#[test]
fn helm_case_08() {
    let got = render_sprig(
        "{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"${1}W\" }}|{{ regexReplaceAll \"a(x*)b\" \"-ab-axxb-\" \"$1W\" }}|{{ regexReplaceAllLiteral \"a(x*)b\" \"-ab-axxb-\" \"${1}\" }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("-W-xxW-|---|-${1}-${1}-".to_string()));
}

#[test]
fn helm_case_09() {
    let got = render_sprig(
        "{{ b64enc \"é😀\" }}|{{ b64dec \"!!\" }}|{{ sha256sum \"hello\" }}|{{ b64dec \"aGk=\" }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("w6nwn5iA|illegal base64 data at input byte 0|2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824|hi".to_string()));
}

#[test]
fn helm_case_10() {
    let got = render_sprig(
        "{{ first list }}|{{ $d := dict \"z\" 1 \"a\" }}{{ $d }}|{{ set $d \"c\" 3 }}|{{ get $d \"nope\" }}|{{ typeOf (dict) }}|{{ kindOf (int 1) }}|{{ hasKey $d \"z\" }}",
        "",
        "{}",
    );
    assert_eq!(
        got,
        Ok("|map[a: z:1]|map[a: c:3 z:1]||map[string]interface {}|int|true".to_string())
    );
}

#[test]
fn helm_case_11() {
    let got = render_sprig(
        "{{ fromJson \"bad\" }}|{{ fromJson \"[1]\" }}|{{ fromJson \"{\\\"a\\\":1}\" }}|{{ fromJsonArray \"[1, \\\"a\\\"]\" }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("map[Error:invalid character 'b' looking for beginning of value]|map[Error:json: cannot unmarshal array into Go value of type map[string]interface {}]|map[a:1]|[1 a]".to_string()));
}

#[test]
fn helm_case_12() {
    let got = render_sprig(
        "{{ $_ := merge (dict) .Values.a .Values.b }}{{ .Values.a }}",
        "",
        "{\"a\": {\"nested\": {\"x\": 1}}, \"b\": {\"nested\": {\"true\": 2}, \"z\": 3}}",
    );
    assert_eq!(got, Ok("map[nested:map[true:2 x:1]]".to_string()));
}

#[test]
fn helm_case_13() {
    let got = render_sprig(
        "{{ $m := mergeOverwrite (dict \"a\" 1 \"l\" (list 1) \"n\" (dict \"x\" 1)) (dict \"a\" 2 \"l\" (list 2) \"n\" 5) }}{{ $m }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("map[a:2 l:[2] n:5]".to_string()));
}

#[test]
fn helm_case_14() {
    let got = render_sprig(
        "{{ $m := merge (dict \"a\" 1 \"e\" 0 \"l\" (list 1)) (dict \"a\" 2 \"e\" 9 \"l\" (list 2) \"new\" \"x\") }}{{ $m }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("map[a:1 e:9 l:[1] new:x]".to_string()));
}

#[test]
fn helm_case_15() {
    let got = render_sprig(
        "{{ $c := deepCopy .Values.a }}{{ $_ := set $c \"k\" 1 }}{{ .Values.a }}|{{ $c }}",
        "",
        "{\"a\": {\"x\": 1}}",
    );
    assert_eq!(got, Ok("map[x:1]|map[k:1 x:1]".to_string()));
}

#[test]
fn helm_case_16() {
    let got = render_sprig(
        "{{ keys (dict \"b\" 1 \"a\" 2) | sortAlpha }}|{{ values (dict \"a\" 1) }}|{{ pluck \"a\" (dict \"a\" 1) (dict \"a\" 2) }}|{{ dig \"a\" \"b\" \"def\" (dict \"a\" (dict \"b\" 7)) }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("[a b]|[1]|[1 2]|7".to_string()));
}

#[test]
fn helm_case_17() {
    let got = render_sprig(
        "{{ append (list 1) 2 }}|{{ prepend (list 1) 0 }}|{{ concat (list 1) (list 2 3) }}|{{ uniq (list 1 1 2) }}|{{ has 2 (list 1 2) }}|{{ without (list 1 2 3) 2 }}|{{ compact (list 1 \"\" 0 2) }}|{{ reverse (list 1 2) }}|{{ rest (list 1 2 3) }}|{{ initial (list 1 2 3) }}|{{ last (list 1 2) }}",
        "",
        "{}",
    );
    assert_eq!(
        got,
        Ok("[1 2]|[0 1]|[1 2 3]|[1 2]|true|[1 3]|[1 2]|[2 1]|[2 3]|[1 2]|2".to_string())
    );
}

#[test]
fn helm_case_18() {
    let got = render_sprig(
        "{{ trim \"  a \" }}|{{ trimAll \"-\" \"--a--\" }}|{{ trimPrefix \"a\" \"ab\" }}|{{ trimSuffix \"b\" \"ab\" }}|{{ replace \"a\" \"b\" \"aaa\" }}|{{ contains \"b\" \"abc\" }}|{{ hasPrefix \"a\" \"abc\" }}|{{ hasSuffix \"c\" \"abc\" }}|{{ repeat 3 \"ab\" }}|{{ lower \"ÀB\" }}|{{ nospace \"a b\" }}",
        "",
        "{}",
    );
    assert_eq!(
        got,
        Ok("a|a|b|a|bbb|true|true|true|ababab|àb|ab".to_string())
    );
}

#[test]
fn helm_case_19() {
    let got = render_sprig(
        "{{ toString 1.0 }}|{{ toString .Values.x }}|{{ toString 1000000 }}|{{ toString nil }}|{{ toString (dict \"a\" 1) }}",
        "",
        "{\"x\": 1000000}",
    );
    assert_eq!(got, Ok("1|1e+06|1000000|<nil>|map[a:1]".to_string()));
}

#[test]
fn helm_case_20() {
    let got = render_sprig(
        "{{ until 3 }}|{{ typeOf (until 2) }}|{{ typeOf (splitList \",\" \"a\") }}|{{ typeOf (split \",\" \"a\") }}|{{ toPrettyJson (dict \"a\" (list 1 2) \"b\" (dict)) }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("[0 1 2]|[]int|[]string|map[string]string|{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}".to_string()));
}

#[test]
fn helm_case_21() {
    let got = render_sprig(
        "{{ slice (list 1 2 3) 1 }}|{{ slice (list 1 2 3) 1 2 }}|{{ slice (list) 1 }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("[2 3]|[2]|".to_string()));
}

#[test]
fn helm_case_22() {
    let got = render_sprig(
        "{{ required \"m\" 0 }}|{{ required \"m\" false }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("0|false".to_string()));
}

#[test]
fn helm_case_23() {
    let got = render_sprig(
        "{{ printf \"%5.2f|%-8s|%08.3f|%+d|%x|%X|%o|%b|%e|%g|%G|%c|%U|%q|%v|%t\" 3.14159 \"ab\" -3.5 5 255 255 8 5 1234.5678 0.00001234 1e21 65 65 \"x\" (list 1 \"a\") true }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok(" 3.14|ab      |-003.500|+5|ff|FF|10|101|1.234568e+03|1.234e-05|1E+21|A|U+0041|\"x\"|[1 a]|true".to_string()));
}

#[test]
fn helm_case_24() {
    let got = render_sprig(
        "{{ printf \"%#v|%+v|%#v|%#v|%T\" (dict \"a\" (list 1 \"b\")) (dict \"a\" 1) \"s\" 3 nil }}",
        "",
        "{}",
    );
    assert_eq!(
        got,
        Ok(
            "map[string]interface {}{\"a\":[]interface {}{1, \"b\"}}|map[a:1]|\"s\"|3|<nil>"
                .to_string()
        )
    );
}

#[test]
fn helm_case_25() {
    let got = render_sprig(
        "{{ printf \"%d %d\" 1 }}|{{ printf \"%!\" }}|{{ printf \"%[2]d %[1]d\" 1 2 }}|{{ printf \"%*d\" 5 1 }}|{{ printf \"%-*d|\" 5 1 }}|{{ printf \"%.*f\" 2 3.14159 }}|{{ printf \"%[3]d\" 1 }}|{{ printf \"%\" }}",
        "",
        "{}",
    );
    assert_eq!(
        got,
        Ok(
            "1 %!d(MISSING)|%!!(MISSING)|2 1|    1|1    ||3.14|%!d(BADINDEX)|%!(NOVERB)"
                .to_string()
        )
    );
}

#[test]
fn helm_case_26() {
    let got = render_sprig(
        "{{ printf \"%s\" (dict \"a\" 1) }}|{{ printf \"%d\" (list 1 2) }}|{{ printf \"%x\" \"héllo\" }}|{{ printf \"% x\" \"ab\" }}|{{ printf \"%#x\" \"ab\" }}|{{ printf \"%10.3s|\" \"abcdef\" }}|{{ printf \"%q\" \"é\\u00a0\\u2028\" }}|{{ printf \"%+q\" \"é\" }}|{{ printf \"%#q\" \"a`b\" }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("map[a:%!s(int=1)]|[1 2]|68c3a96c6c6f|61 62|0x6162|       abc||\"é\\u00a0\\u2028\"|\"\\u00e9\"|\"a`b\"".to_string()));
}

#[test]
fn helm_case_27() {
    let got = render_sprig(
        "{{ printf \"%v %v %v %v %v\" 1e6 1e-5 123456789.0 0.1 -0.0 }}|{{ printf \"%.3g|%.10g|%g|%e|%.0e|%#g|%#.3x\" 1234.5678 1234.5678 100000.0 0.0 5.5 1.0 1.0 }}",
        "",
        "{}",
    );
    assert_eq!(got, Ok("1e+06 1e-05 1.23456789e+08 0.1 -0|1.23e+03|1234.5678|100000|0.000000e+00|6e+00|1.00000|0x1.000p+00".to_string()));
}

#[test]
fn helm_case_28() {
    let got = render_sprig(
        "{{ printf \"%6.2f|%-8.3e|%+.1f|% d|% d|%x|%X|%#o|%O\" 3.14159 1234.5 2.0 5 -5 -255 3.5 8 8 }}",
        "",
        "{}",
    );
    assert_eq!(
        got,
        Ok("  3.14|1.234e+03|+2.0| 5|-5|-ff|0X1.CP+01|010|0o10".to_string())
    );
}
