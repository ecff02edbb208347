//! Errors name the file, the line and the field.

use olares_chart::{AppError, ChartFile, OlaresApp, OlaresManifest, parse_metadata};

const HEAD: &str = "olaresManifest.version: '0.12.0'\nolaresManifest.type: app\n";

fn manifest_error(body: &str) -> String {
    OlaresManifest::parse(format!("{HEAD}{body}").as_bytes())
        .unwrap_err()
        .to_string()
}

#[test]
fn a_field_of_the_wrong_type_names_file_line_and_field() {
    assert_eq!(
        manifest_error(
            "metadata:\n  name: demo\nspec:\n  versionName: '1'\n  supportArch: amd64\n"
        ),
        "OlaresManifest.yaml: line 7: spec.supportArch: cannot unmarshal string into Go value of type []string"
    );
    assert_eq!(
        manifest_error(
            "entrances:\n  - name: a\n    host: a\n    port: 80\n  - name: b\n    port: eighty\n"
        ),
        "OlaresManifest.yaml: line 8: entrances[1].port: invalid type: string \"eighty\", expected i32"
    );
    assert_eq!(
        manifest_error("options:\n  dependencies:\n    - name: olares\n      mandatory: maybe\n"),
        "OlaresManifest.yaml: line 6: options.dependencies[0].mandatory: invalid type: string \"maybe\", expected a boolean"
    );
    assert_eq!(
        manifest_error("envs:\n  - envName: A\n    options: [{title: t, value: [1]}]\n"),
        "OlaresManifest.yaml: line 5: envs[0].options[0].value: cannot unmarshal array into Go value of type string"
    );
}

#[test]
fn syntax_errors_name_file_and_line() {
    let err = manifest_error("metadata:\n  name: [demo\nspec: {}\n");
    assert!(err.starts_with("OlaresManifest.yaml: line "), "{err}");
    let err = OlaresManifest::parse(b"a: 1\n\tb: 2\n").unwrap_err();
    assert_eq!(err.file, "OlaresManifest.yaml");
    assert!(err.line.is_some(), "{err:?}");
}

#[test]
fn the_manifest_version_is_checked() {
    assert_eq!(
        OlaresManifest::parse(b"olaresManifest.type: app\n")
            .unwrap_err()
            .to_string(),
        "OlaresManifest.yaml: line 1: missing field `olaresManifest.version`"
    );
    assert_eq!(
        OlaresManifest::parse(b"metadata: {}\nolaresManifest.version: '0.6.2'\n")
            .unwrap_err()
            .to_string(),
        "OlaresManifest.yaml: line 2: olaresManifest.version: manifest version 0.6.2 is older than 0.7, the oldest this market reads"
    );
    assert!(
        OlaresManifest::parse(b"olaresManifest.version: v1\n")
            .unwrap_err()
            .to_string()
            .contains("\"v1\" is not a manifest version")
    );
    for (text, newer) in [
        ("0.7.0", false),
        ("0.10", false),
        ("0.12.9", false),
        ("0.13.0", true),
        ("1.0.0", true),
    ] {
        let m = OlaresManifest::parse(format!("olaresManifest.version: '{text}'\n").as_bytes())
            .unwrap();
        assert_eq!(
            m.manifest_version.is_newer_than_supported(),
            newer,
            "{text}"
        );
        assert_eq!(m.manifest_version.as_str(), text);
    }
}

#[test]
fn a_newer_manifest_version_is_a_warning_of_the_app() {
    let files = [
        ChartFile::new("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
        ChartFile::new(
            "OlaresManifest.yaml",
            "olaresManifest.version: 0.13.1\nmetadata: {name: demo}\n",
        ),
    ];
    let app = OlaresApp::from_files(&files).unwrap();
    assert_eq!(
        app.warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>(),
        ["olaresManifest.version 0.13.1 is newer than this market knows; unknown fields are kept"]
    );
}

#[test]
fn chart_yaml_errors_name_line_and_field() {
    let err = parse_metadata(
        b"apiVersion: v2\nname: t\nversion: 1.0.0\ndependencies:\n  - name: a\n    tags: {x: 1}\n",
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Chart.yaml: line 6: dependencies[0].tags: cannot unmarshal object into Go value of type []string"
    );
    let files = [
        ChartFile::new("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
        ChartFile::new(
            "OlaresManifest.yaml",
            "olaresManifest.version: 0.12.0\nspec:\n  subCharts: [{name: sub}]\n",
        ),
        ChartFile::new(
            "sub/Chart.yaml",
            "apiVersion: v2\nname: sub\nversion: [1]\n",
        ),
    ];
    assert_eq!(
        OlaresApp::from_files(&files).unwrap_err().to_string(),
        "sub/Chart.yaml: line 3: version: cannot unmarshal array into Go value of type string"
    );
    let files = [ChartFile::new(
        "Chart.yaml",
        "apiVersion: v2\nversion: 0.1.0\n",
    )];
    assert_eq!(
        OlaresApp::from_files(&files).unwrap_err().to_string(),
        "Chart.yaml: validation: chart.metadata.name is required"
    );
}

#[test]
fn i18n_values_and_owners_errors_name_their_file() {
    let base = || {
        vec![
            ChartFile::new("Chart.yaml", "apiVersion: v2\nname: demo\nversion: 0.1.0\n"),
            ChartFile::new("OlaresManifest.yaml", "olaresManifest.version: 0.12.0\n"),
        ]
    };
    let mut files = base();
    files.push(ChartFile::new(
        "i18n/zh-CN/OlaresManifest.yaml",
        "metadata:\n  title: [x]\n",
    ));
    assert_eq!(
        OlaresApp::from_files(&files).unwrap_err().to_string(),
        "i18n/zh-CN/OlaresManifest.yaml: line 2: metadata.title: cannot unmarshal array into Go value of type string"
    );
    let mut files = base();
    files.push(ChartFile::new("owners", "owners:\n  - a\n  - [b]\n"));
    let err = OlaresApp::from_files(&files).unwrap_err().to_string();
    assert!(err.starts_with("owners: line 3: owners[1]: "), "{err}");
    let mut files = base();
    files.push(ChartFile::new("values.yaml", "- 1\n"));
    let err = OlaresApp::from_files(&files).unwrap_err();
    assert!(
        matches!(err, AppError::File(ref e) if e.file == "values.yaml"),
        "{err}"
    );
}
