//! Unknown fields are kept, listed, and survive serialization.

use olares_chart::{AppWarning, OlaresApp, OlaresManifest};
use serde_json::json;

use crate::harness::{files, olares_apps, olares_values, render_manifest};

const MANIFEST: &str = "\
olaresManifest.version: '0.12.0'
olaresManifest.type: app
metadata:
  name: demo
  version: 0.1.0
  futureMeta: [1, 2]
entrances:
  - name: demo
    host: demo
    port: 80
    shiny: true
spec:
  supportArch: [amd64]
  newThing:
    nested: {a: 1.5, b: null}
options:
  dependencies:
    - {name: olares, type: system, version: '>=1.12.0-0', since: 3}
futureTop: x
";

#[test]
fn unknown_fields_are_kept_listed_and_serialized() {
    let m = OlaresManifest::parse(MANIFEST.as_bytes()).unwrap();
    assert_eq!(
        m.unknown_fields(),
        [
            "futureTop",
            "metadata.futureMeta",
            "entrances[0].shiny",
            "spec.newThing",
            "options.dependencies[0].since"
        ]
    );
    let as_json = serde_json::to_value(&m).unwrap();
    assert_eq!(as_json["futureTop"], json!("x"));
    assert_eq!(as_json["metadata"]["futureMeta"], json!([1, 2]));
    assert_eq!(as_json["entrances"][0]["shiny"], json!(true));
    assert_eq!(
        as_json["spec"]["newThing"],
        json!({"nested": {"a": 1.5, "b": null}})
    );
    assert_eq!(as_json["options"]["dependencies"][0]["since"], json!(3));
    // Back through YAML (the way a package is rewritten) and through JSON (the way the
    // market serves it): nothing lost.
    let yaml = helm_yaml::to_yaml(&as_json).unwrap();
    assert_eq!(OlaresManifest::parse(yaml.as_bytes()).unwrap(), m);
    assert_eq!(
        serde_json::from_value::<OlaresManifest>(as_json).unwrap(),
        m
    );
}

/// Every field a fixture uses is typed, except two upstream quirks kept as unknown:
/// `middleware.policies` (ghost: a `policies` block misplaced under `middleware`) and
/// `options.clusterScoped` (ollama, for a non-admin user: misindented under `options`).
#[test]
fn fixtures_use_only_typed_fields_but_for_two_quirks() {
    let admin = olares_values();
    let mut user = admin.clone();
    user.insert("admin".into(), json!("bob"));
    let mut unknown = Vec::new();
    for dir in olares_apps()
        .iter()
        .filter(|d| d.join("Chart.yaml").exists())
    {
        for values in [&admin, &user] {
            let rendered = render_manifest(dir, values);
            let app = OlaresApp::from_rendered(&files(dir), rendered.as_bytes()).unwrap();
            for w in app.warnings {
                if let AppWarning::UnknownField { file, field } = w {
                    let app = dir.file_name().unwrap().to_str().unwrap();
                    unknown.push(format!("{app}: {file}: {field}"));
                }
            }
            // Nothing lost on the way back through YAML.
            let yaml = helm_yaml::to_yaml(&serde_json::to_value(&app.manifest).unwrap()).unwrap();
            assert_eq!(
                OlaresManifest::parse(yaml.as_bytes()).unwrap(),
                app.manifest
            );
        }
    }
    unknown.sort();
    unknown.dedup();
    assert_eq!(
        unknown,
        [
            "ghost: OlaresManifest.yaml: middleware.policies",
            "ollama: OlaresManifest.yaml: options.clusterScoped",
        ]
    );
}
