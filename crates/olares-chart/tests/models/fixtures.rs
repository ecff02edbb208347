//! Every shared fixture chart parses.

use olares_chart::values::load_values;
use olares_chart::{AppError, AppWarning, OlaresApp, parse_metadata};

use crate::harness::{chart_yamls, files, find, olares_apps, olares_values, render_manifest};

#[test]
fn every_chart_yaml_and_values_yaml_parses() {
    let charts = chart_yamls();
    // 27 apps, 6 v0.11 sibling folders, 5 helm charts, 2 `common` + 4 prometheus subcharts.
    assert_eq!(charts.len(), 44, "{charts:#?}");
    for path in charts {
        let md = parse_metadata(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!md.name.is_empty() && !md.version.is_empty());
    }
    let mut values = Vec::new();
    find(
        &test_harness::fixtures::chart(""),
        "values.yaml",
        &mut values,
    );
    assert!(values.len() > 40);
    for path in values {
        load_values(&std::fs::read(&path).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}

#[test]
fn library_charts_and_dependencies_are_typed() {
    let common = test_harness::fixtures::chart("helm/nginx/charts/common/Chart.yaml");
    let md = parse_metadata(&std::fs::read(common).unwrap()).unwrap();
    assert!(md.is_library());
    let umbrella = test_harness::fixtures::chart("helm/prometheus/Chart.yaml");
    let md = parse_metadata(&std::fs::read(umbrella).unwrap()).unwrap();
    assert_eq!(md.api_version, "v2");
    let deps: Vec<(&str, &str)> = md
        .dependencies
        .iter()
        .map(|d| (d.name.as_str(), d.condition.as_str()))
        .collect();
    assert!(
        deps.contains(&("alertmanager", "alertmanager.enabled")),
        "{deps:?}"
    );
}

#[test]
fn every_olares_app_reads_after_rendering_its_manifest() {
    let values = olares_values();
    let mut templated = Vec::new();
    let mut translations = 0;
    for dir in olares_apps() {
        let name = dir.file_name().unwrap().to_str().unwrap().to_owned();
        let files = files(&dir);
        if name == "dify" {
            continue;
        }
        let rendered = render_manifest(&dir, &values);
        let app = OlaresApp::from_rendered(&files, rendered.as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(app.manifest.metadata.name, app.chart.name, "{name}");
        assert!(!app.manifest.entrances.is_empty(), "{name}");
        assert!(!app.manifest.spec.support_arch.is_empty(), "{name}");
        assert_eq!(app.i18n.is_empty(), !dir.join("i18n").exists(), "{name}");
        translations += app.i18n.len();
        assert!(app.owners.is_some(), "{name}");
        for warning in &app.warnings {
            assert!(
                matches!(warning, AppWarning::UnknownField { .. }),
                "{name}: {warning}"
            );
        }
        match OlaresApp::from_files(&files) {
            Ok(plain) => assert_eq!(plain, app, "{name}: rendering changes nothing"),
            Err(AppError::ManifestNotRendered) => templated.push(name),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    assert_eq!(translations, 52, "26 apps in en-US and zh-CN");
    assert_eq!(
        templated,
        [
            "comfyuisharev2",
            "difyv3",
            "ollama",
            "ollamav2",
            "searxngv3",
            "wise"
        ]
    );
}

#[test]
fn markers_owners_and_sub_charts() {
    let values = olares_values();
    let read = |name: &str| {
        let dir = test_harness::fixtures::chart(&format!("olares/{name}"));
        let rendered = render_manifest(&dir, &values);
        OlaresApp::from_rendered(&files(&dir), rendered.as_bytes()).unwrap()
    };
    let suspended: Vec<String> = olares_apps()
        .iter()
        .filter(|d| d.join(".suspend").exists())
        .map(|d| d.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(suspended.len(), 6);
    for name in &suspended {
        assert!(read(name).markers.suspend, "{name}");
    }
    assert!(!read("uptimekuma").markers.suspend);
    let minecraft = read("minecraft");
    assert_eq!(
        minecraft.owners.unwrap().logins().collect::<Vec<_>>(),
        ["@beclab"]
    );
    let wise = read("wise");
    assert_eq!(
        wise.sub_charts.keys().collect::<Vec<_>>(),
        ["knowledge", "wise"]
    );
    assert_eq!(wise.manifest.manifest_version.major_minor(), (0, 11));
    let mysql = read("mysql");
    assert_eq!(mysql.manifest.manifest_type, "middleware");
    assert!(!mysql.manifest.options.images.is_empty());
}

#[test]
fn the_tombstone_is_refused_as_removed() {
    let dir = test_harness::fixtures::chart("olares/dify");
    let files = files(&dir);
    let err = OlaresApp::from_files(&files).unwrap_err();
    assert!(matches!(err, AppError::Removed), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the app was removed: its folder holds the `.remove` marker and no Chart.yaml"
    );
    assert!(matches!(
        OlaresApp::from_rendered(&files, b"").unwrap_err(),
        AppError::Removed
    ));
    assert!(matches!(
        OlaresApp::from_files(&[]).unwrap_err(),
        AppError::MissingChartYaml
    ));
}

#[test]
fn a_packaged_app_reads_through_the_capped_reader() {
    let dir = test_harness::fixtures::chart("olares/uptimekuma");
    let files = files(&dir);
    let bytes = olares_chart::write_chart_archive("uptimekuma", &files).unwrap();
    let app = OlaresApp::from_archive(&bytes, &olares_chart::Limits::default()).unwrap();
    assert_eq!(app, OlaresApp::from_files(&files).unwrap());
    assert_eq!(app.chart.name, "uptimekuma");
    let json = serde_json::to_value(&app).unwrap();
    assert_eq!(json["manifest"]["olaresManifest.version"], "0.12.0");
    assert_eq!(
        json["markers"],
        serde_json::json!({"suspend": false, "remove": false})
    );
}
