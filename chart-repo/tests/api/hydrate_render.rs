//! The RenderedChart step's render over every Olares fixture: for the admin and for a
//! normal user, the pod images equal what real Helm rendered (`images.json`), the manifests
//! of the charts that branch on `.Values.admin` differ between the two, and the user's
//! package holds the rendered manifest under a top folder named after the app.

use std::collections::BTreeMap;

use chart_repo::hydrator::render::render_app;
use chart_repo::hydrator::values::Viewer;
use chart_repo::registry::pod_images;
use olares_chart::{Limits, read_chart_archive};
use test_harness::fixtures;

fn viewer(user: &str, admin: &str) -> Viewer {
    Viewer {
        user: user.into(),
        admin: admin.into(),
        zone_suffix: "olares.com".into(),
    }
}

#[test]
fn every_fixture_renders_per_user_with_the_images_helm_finds() {
    let charts = fixtures::fixtures_dir().join("charts");
    let expected: BTreeMap<String, BTreeMap<String, Vec<String>>> =
        serde_json::from_slice(&std::fs::read(charts.join("images.json")).unwrap()).unwrap();
    let mut failures = Vec::new();
    let mut branching = Vec::new();
    let mut rendered_apps = 0;
    for entry in std::fs::read_dir(charts.join("olares")).unwrap() {
        let dir = entry.unwrap().path();
        let app = dir.file_name().unwrap().to_str().unwrap().to_owned();
        if !dir.join("Chart.yaml").exists() {
            continue; // the `dify` tombstone
        }
        let (_, bytes) = chart_repo::package::package(&dir).unwrap();
        let archive = read_chart_archive(&bytes, &Limits::default()).unwrap();
        let admin = render_app(&bytes, &archive, &app, &viewer("alice", "alice"), &[]);
        let user = render_app(&bytes, &archive, &app, &viewer("alice", "bob"), &[]);
        let (admin, user) = match (admin, user) {
            (Ok(a), Ok(u)) => (a, u),
            (a, u) => {
                failures.push(format!("{app}: {:?} / {:?}", a.err(), u.err()));
                continue;
            }
        };
        rendered_apps += 1;
        let want = &expected[&format!("olares/{app}")];
        for (case, rendered) in [("admin", &admin), ("user", &user)] {
            let got = pod_images(&rendered.templates).unwrap();
            if got != want[case] {
                failures.push(format!(
                    "{app} ({case}):\n  want {:?}\n  got  {got:?}",
                    want[case]
                ));
            }
        }
        if admin.manifest_text != user.manifest_text {
            branching.push(app.clone());
        }
        assert!(
            !admin.manifest_text.contains("{{"),
            "{app}: manifest rendered"
        );
        let package = read_chart_archive(&user.package, &Limits::default()).unwrap();
        assert_eq!(package.top, app, "the package's top folder is the app");
        let manifest = package.file("OlaresManifest.yaml").unwrap();
        assert_eq!(
            manifest.data,
            user.manifest_text.as_bytes(),
            "{app}: rendered manifest packaged"
        );
        assert_eq!(
            package.files.len(),
            archive.files.len(),
            "{app}: every source file packaged"
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        rendered_apps, 27,
        "every fixture app but the dify tombstone"
    );
    branching.sort();
    for app in ["comfyuisharev2", "ollama", "ollamav2", "wise"] {
        assert!(
            branching.contains(&app.to_owned()),
            "{app}: admin and user manifests differ; branching = {branching:?}"
        );
    }
}

#[test]
fn a_chart_named_unlike_its_app_is_refused() {
    let dir = fixtures::fixtures_dir().join("charts/olares/ghost");
    let (_, bytes) = chart_repo::package::package(&dir).unwrap();
    let archive = read_chart_archive(&bytes, &Limits::default()).unwrap();
    let err = render_app(&bytes, &archive, "spooky", &viewer("alice", "alice"), &[])
        .err()
        .unwrap();
    assert!(
        err.contains("\"ghost\"") && err.contains("\"spooky\""),
        "{err}"
    );
}
