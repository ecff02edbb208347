//! Helm's own `pkg/ignore` tests, with the fixture tree's file kinds spelled out.

use super::*;

fn parse(text: &str) -> HelmIgnore {
    HelmIgnore::parse(text).expect("rules parse")
}

#[test]
fn parse_skips_blank_lines_and_comments() {
    let rules = parse("#ignore\n\n\t#ignore\nfoo\nbar/*\nbaz/bar/foo.txt\n\none/more\n");
    let raw: Vec<&str> = rules.rules().collect();
    assert_eq!(raw, ["foo", "bar/*", "baz/bar/foo.txt", "one/more"]);
}

#[test]
fn parse_refuses_double_star_and_bad_globs() {
    assert_eq!(
        HelmIgnore::parse("foo/**/bar"),
        Err(HelmIgnoreError::DoubleStar { line: 1 })
    );
    assert_eq!(
        HelmIgnore::parse("ok\n[z-"),
        Err(HelmIgnoreError::BadPattern {
            line: 2,
            rule: "[z-".into()
        })
    );
}

#[test]
fn parse_drops_a_leading_bom_and_crlf() {
    let rules = parse("\u{feff}mast/a.txt\r\n.DS_Store\r\n.git\r\n");
    assert_eq!(
        rules.rules().collect::<Vec<_>>(),
        ["mast/a.txt", ".DS_Store", ".git"]
    );
}

#[test]
fn add_defaults_adds_one_rule() {
    let mut rules = HelmIgnore::default();
    rules.add_defaults();
    assert_eq!(rules.rules().collect::<Vec<_>>(), [DEFAULT_RULE]);
}

/// Helm's `TestIgnore` table. In Helm's fixture tree `cargo` and `mast` are folders and
/// everything else is a file; `.` and `./` are the tree itself.
#[test]
fn helm_ignore_table() {
    let dirs = ["cargo", "cargo/", "mast/", ".", "./", ""];
    let cases: &[(&str, &str, bool)] = &[
        // Globs.
        ("helm.txt", "helm.txt", true),
        ("helm.*", "helm.txt", true),
        ("helm.*", "rudder.txt", false),
        ("*.txt", "tiller.txt", true),
        ("*.txt", "cargo/a.txt", true),
        ("cargo/*.txt", "cargo/a.txt", true),
        ("cargo/*.*", "cargo/a.txt", true),
        ("cargo/*.txt", "mast/a.txt", false),
        ("ru[c-e]?er.txt", "rudder.txt", true),
        ("templates/.?*", "templates/.dotfile", true),
        // "." is never ignored (helm/helm#1776).
        (".*", ".", false),
        (".*", "./", false),
        (".*", ".joonix", true),
        (".*", "helm.txt", false),
        (".*", "", false),
        // Folders.
        ("cargo/", "cargo", true),
        ("cargo/", "cargo/", true),
        ("cargo/", "mast/", false),
        ("helm.txt/", "helm.txt", false),
        // Negation.
        ("!helm.txt", "helm.txt", false),
        ("!helm.txt", "tiller.txt", true),
        ("!*.txt", "cargo", true),
        ("!cargo/", "mast/", true),
        // Rooted.
        ("/a.txt", "a.txt", true),
        ("/a.txt", "cargo/a.txt", false),
        ("/cargo/a.txt", "cargo/a.txt", true),
    ];
    for (pattern, name, want) in cases {
        let is_dir = dirs.contains(name);
        assert_eq!(
            parse(pattern).ignored(name, is_dir),
            *want,
            "pattern {pattern:?} on {name:?}"
        );
    }
}

#[test]
fn negation_stops_at_the_first_match() {
    // `!keep.txt` lets keep.txt fall through to `*.txt`, which then ignores it.
    let rules = parse("!keep.txt\n*.txt");
    assert!(rules.ignored("keep.txt", false));
    assert!(rules.ignored("other.yaml", false));
}

#[test]
fn chart_rules_end_with_the_default() {
    let rules = HelmIgnore::for_chart(Some("*.md")).expect("rules parse");
    assert!(rules.ignored("README.md", false));
    assert!(rules.ignored("templates/.hidden.yaml", false));
    assert!(!rules.ignored("templates/deployment.yaml", false));
    assert!(
        !HelmIgnore::for_chart(None)
            .expect("no rules")
            .ignored(".helmignore", false)
    );
}

#[test]
fn an_ignored_folder_excludes_its_files() {
    let rules = parse("ci/\n");
    assert!(rules.excludes_file("ci/values.yaml"));
    assert!(rules.excludes_file("ci/deep/values.yaml"));
    assert!(!rules.excludes_file("templates/ci.yaml"));
}
