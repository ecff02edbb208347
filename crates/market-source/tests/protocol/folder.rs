//! Edited copies of the fixture folder: reloads, content changes, bad input.

use std::collections::BTreeSet;
use std::path::Path;

use market_model::protocol::{Text, app_id};
use market_source::SkipReason;

use crate::client::{self, sync};
use crate::harness::{copy_dir, copy_of, copy_of_all, open, reload, serve};

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

#[tokio::test]
async fn an_edited_description_changes_the_hash_without_a_version_bump() {
    let (_tmp, dir) = copy_of_all();
    let catalog = open(&dir).await;
    let source = serve(catalog.clone()).await;
    let before = sync(&source.base, "latest").await;
    assert_eq!(before.kept.len(), 21);
    let id = app_id("adguardhome");
    let old_version = before.kept[&id].version.clone();
    let last_updated = client::hash(&source.base, "latest").await.last_updated;

    // A reload that changes nothing keeps the hash and the time.
    reload(&catalog).await;
    let same = client::hash(&source.base, "latest").await;
    assert_eq!(same.hash, before.hash);
    assert_eq!(same.last_updated, last_updated);

    edit(
        &dir.join("adguardhome/OlaresManifest.yaml"),
        "description: Network-wide ads & trackers blocking DNS server",
        "description: Blocks ads for the whole network",
    );
    // Not served until the catalog is reloaded.
    assert_eq!(client::hash(&source.base, "latest").await.hash, before.hash);
    reload(&catalog).await;

    let after = sync(&source.base, "latest").await;
    assert_ne!(after.hash, before.hash);
    let entry = &after.kept[&id];
    assert_eq!(entry.version, old_version);
    assert_eq!(
        entry.description,
        Text::Plain("Blocks ads for the whole network".into())
    );
    assert_eq!(
        after.info.data.apps[&id].description,
        "Blocks ads for the whole network"
    );
    assert_ne!(
        after.packages["adguardhome"],
        before.packages["adguardhome"]
    );
    // The other apps did not change.
    for (name, sha256) in &before.packages {
        if name != "adguardhome" {
            assert_eq!(&after.packages[name], sha256, "{name}");
        }
    }
    assert_eq!(after.kept[&app_id("mysql")], before.kept[&app_id("mysql")]);
}

#[tokio::test]
async fn a_changed_template_changes_the_hash() {
    // Only the package changes (a template, not the manifest): the hash still moves.
    let (_tmp, dir) = copy_of(&["mysql"]);
    let catalog = open(&dir).await;
    let before = catalog.snapshot().view("").hash().hash.clone();
    let template = std::fs::read_dir(dir.join("mysql/templates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "yaml"))
        .unwrap();
    let mut text = std::fs::read_to_string(&template).unwrap();
    text.push_str("\n# edited\n");
    std::fs::write(&template, text).unwrap();
    reload(&catalog).await;
    assert_ne!(catalog.snapshot().view("").hash().hash, before);
}

#[tokio::test]
async fn suspending_removing_and_adding_apps_show_after_a_reload() {
    let (_tmp, dir) = copy_of(&["adguardhome", "mysql"]);
    let catalog = open(&dir).await;
    let source = serve(catalog.clone()).await;
    assert_eq!(sync(&source.base, "").await.kept.len(), 2);

    std::fs::write(dir.join("mysql/.suspend"), "").unwrap();
    copy_dir(
        &test_harness::fixtures::chart("olares/ghost"),
        &dir.join("ghost"),
    );
    reload(&catalog).await;
    let synced = sync(&source.base, "").await;
    assert_eq!(synced.details[&app_id("mysql")].app_labels, ["suspend"]);
    let kept: BTreeSet<&str> = synced.kept.values().map(|e| e.name.as_str()).collect();
    assert_eq!(kept, BTreeSet::from(["adguardhome", "ghost"]));

    // `.remove` beside a chart: listed with the `remove` label, skipped by the market.
    std::fs::write(dir.join("ghost/.remove"), "").unwrap();
    reload(&catalog).await;
    let synced = sync(&source.base, "").await;
    assert_eq!(synced.details[&app_id("ghost")].app_labels, ["remove"]);
    assert_eq!(synced.kept.len(), 1);

    // A folder deleted: gone from the listing and its chart 404s.
    std::fs::remove_dir_all(dir.join("ghost")).unwrap();
    reload(&catalog).await;
    let synced = sync(&source.base, "").await;
    assert!(!synced.details.contains_key(&app_id("ghost")));
    let response = client::http()
        .get(format!("{}/api/v1/applications/ghost/chart", source.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn bad_apps_are_skipped_and_reported_never_fatal() {
    let (_tmp, dir) = copy_of(&["adguardhome", "mysql", "ghost", "minecraft", "dify"]);
    // A manifest that is not YAML.
    edit(
        &dir.join("mysql/OlaresManifest.yaml"),
        "metadata:",
        "metadata: [unclosed",
    );
    // A manifest whose version disagrees with Chart.yaml.
    edit(
        &dir.join("ghost/OlaresManifest.yaml"),
        "version: '1.0.15'",
        "version: '1.0.16'",
    );
    // A template that does not render.
    edit(
        &dir.join("minecraft/OlaresManifest.yaml"),
        "metadata:",
        "{{ fail \"no\" }}\nmetadata:",
    );
    // A folder that is no chart, a hidden folder and a loose file.
    std::fs::create_dir(dir.join("notes")).unwrap();
    std::fs::write(dir.join("notes/README.md"), "hi").unwrap();
    std::fs::create_dir(dir.join(".git")).unwrap();
    std::fs::write(dir.join("README.md"), "catalog").unwrap();

    let catalog = open(&dir).await;
    let snapshot = catalog.snapshot();
    let names: Vec<_> = snapshot.apps().iter().map(|a| a.name()).collect();
    assert_eq!(names, ["adguardhome"]);
    let skipped: Vec<_> = snapshot
        .skipped()
        .iter()
        .map(|s| (s.folder.as_str(), s.reason.to_string()))
        .collect();
    assert_eq!(skipped.len(), 5, "{skipped:#?}");
    let reason = |folder: &str| {
        skipped
            .iter()
            .find(|(f, _)| *f == folder)
            .map(|(_, r)| r.clone())
            .unwrap()
    };
    assert_eq!(reason("dify"), SkipReason::Tombstone.to_string());
    assert_eq!(reason("notes"), SkipReason::NotAChart.to_string());
    assert!(
        reason("mysql").contains("OlaresManifest.yaml"),
        "{}",
        reason("mysql")
    );
    assert!(reason("ghost").contains("ghost-1.0.16") && reason("ghost").contains("ghost-1.0.15"));
    assert!(
        reason("minecraft").contains("rendering"),
        "{}",
        reason("minecraft")
    );

    let source = serve(catalog).await;
    let synced = sync(&source.base, "").await;
    assert_eq!(synced.kept.len(), 1);
}

#[tokio::test]
async fn helmignore_rules_shape_the_package() {
    let (_tmp, dir) = copy_of(&["adguardhome"]);
    std::fs::write(dir.join("adguardhome/notes.txt"), "local notes").unwrap();
    std::fs::write(dir.join("adguardhome/kept.txt"), "shipped").unwrap();
    let mut rules = std::fs::read_to_string(dir.join("adguardhome/.helmignore")).unwrap();
    rules.push_str("\nnotes.txt\n");
    std::fs::write(dir.join("adguardhome/.helmignore"), rules).unwrap();
    let catalog = open(&dir).await;
    let snapshot = catalog.snapshot();
    let app = snapshot.app("adguardhome").unwrap();
    let archive =
        olares_chart::read_chart_archive(app.package(), &olares_chart::Limits::default()).unwrap();
    assert!(archive.file("kept.txt").is_some());
    assert!(archive.file("notes.txt").is_none());
}

#[tokio::test]
async fn a_missing_folder_is_an_error_and_a_failed_reload_keeps_serving() {
    let missing = std::env::temp_dir().join("market-source-no-such-folder-for-tests");
    let err = market_source::Catalog::open(&missing).unwrap_err();
    assert!(err.to_string().contains("no-such-folder"), "{err}");

    let (tmp, dir) = copy_of(&["adguardhome"]);
    let catalog = open(&dir).await;
    let hash = catalog.snapshot().view("").hash().hash.clone();
    std::fs::rename(&dir, tmp.path().join("moved")).unwrap();
    let reloaded = {
        let catalog = catalog.clone();
        tokio::task::spawn_blocking(move || catalog.reload().map(|_| ()))
            .await
            .unwrap()
    };
    assert!(reloaded.is_err());
    assert_eq!(catalog.snapshot().view("").hash().hash, hash);
}
