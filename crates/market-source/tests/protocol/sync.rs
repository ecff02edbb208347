//! The fixture catalog, synced as the Olares market syncs it.

use std::collections::BTreeSet;

use market_model::protocol::{LABEL_SUSPEND, Text, app_id};
use market_source::SkipReason;
use test_harness::fixtures;

use crate::client::{self, sync};
use crate::harness::{olares_catalog, serve, serve_under};

/// The six fixture apps whose folder holds `.suspend`.
const SUSPENDED: [&str; 6] = [
    "chaosmesh",
    "deerflow",
    "filebrowser",
    "ollama",
    "sdwebuiforge",
    "wise",
];

/// The fixture apps asking for Olares `>=1.12.3-0,<1.12.6`; the other kept ones ask for
/// `>=1.12.6-0`.
const BEFORE_1_12_6: [&str; 2] = ["comfyuisharev2", "ollamav2"];

fn names<'a>(
    entries: impl IntoIterator<Item = &'a market_model::protocol::ApplicationInfoEntry>,
) -> BTreeSet<String> {
    entries.into_iter().map(|e| e.name.clone()).collect()
}

#[tokio::test]
async fn the_fixture_catalog_syncs_to_21_apps() {
    let source = serve(olares_catalog()).await;
    let synced = sync(&source.base, "latest").await;

    // 27 apps listed, the six suspended ones labelled; the market keeps 21.
    assert_eq!(synced.info.data.apps.len(), 27);
    assert_eq!(synced.details.len(), 27);
    let suspended: BTreeSet<String> = synced
        .details
        .values()
        .filter(|e| e.app_labels == [LABEL_SUSPEND])
        .map(|e| e.name.clone())
        .collect();
    assert_eq!(suspended, SUSPENDED.map(String::from).into());
    for summary in synced.info.data.apps.values() {
        let suspended = SUSPENDED.contains(&summary.name.as_str());
        assert_eq!(
            summary.app_labels == [LABEL_SUSPEND],
            suspended,
            "{}",
            summary.name
        );
    }
    assert_eq!(synced.kept.len(), 21);
    assert_eq!(
        synced.packages.len(),
        27,
        "every listed app's chart downloads"
    );
    assert_eq!(
        synced.info.data.latest.len(),
        21,
        "latest names the kept apps"
    );

    // The tombstone is neither listed nor served, and is reported as skipped.
    let dify = app_id("dify");
    assert!(!synced.info.data.apps.contains_key(&dify));
    let snapshot = source.catalog.snapshot();
    assert_eq!(snapshot.apps().len(), 27);
    let skipped: Vec<_> = snapshot
        .skipped()
        .iter()
        .map(|s| (s.folder.as_str(), &s.reason))
        .collect();
    assert_eq!(skipped, [("dify", &SkipReason::Tombstone)]);
    let answer = client::details(&source.base, std::slice::from_ref(&dify), "latest").await;
    assert_eq!(answer.not_found, [dify]);

    // Ids are md5 prefixes, and entries agree with the folder.
    for (id, entry) in &synced.details {
        assert_eq!(id, &app_id(&entry.name));
        assert_eq!(entry.app_id, *id);
        assert_eq!(
            entry.chart_name,
            format!("{}-{}.tgz", entry.name, entry.version)
        );
        assert!(
            matches!(&entry.title, Text::Plain(t) if !t.is_empty()),
            "{}",
            entry.name
        );
        assert!(!entry.last_commit_hash.is_empty());
    }
}

#[tokio::test]
async fn entries_carry_i18n_where_the_fixture_has_it() {
    let source = serve(olares_catalog()).await;
    let snapshot = source.catalog.snapshot();
    for app in snapshot.apps() {
        let folder = fixtures::chart(&format!("olares/{}", app.folder()));
        let entry = app.entry();
        for locale in ["en-US", "zh-CN"] {
            let has_file = folder
                .join(format!("i18n/{locale}/OlaresManifest.yaml"))
                .is_file();
            assert_eq!(
                entry.i18n.contains_key(locale),
                has_file,
                "{} {locale}",
                app.name()
            );
        }
    }
    let entry = snapshot.app("adguardhome").unwrap().entry();
    assert_eq!(
        entry.i18n["zh-CN"].metadata.description,
        "全网广告与跟踪器屏蔽 DNS 服务器"
    );
    assert!(
        entry.i18n["zh-CN"]
            .spec
            .full_description
            .starts_with("AdGuard Home 是")
    );
    assert_eq!(
        entry.description,
        Text::Plain("Network-wide ads & trackers blocking DNS server".into())
    );
    assert!(snapshot.app("vramarket").unwrap().entry().i18n.is_empty());
}

#[tokio::test]
async fn an_entry_derives_from_the_manifest_as_upstream_derives_it() {
    let source = serve(olares_catalog()).await;
    let id = app_id("adguardhome");
    assert_eq!(id, "66c85bed");
    let answer = client::details(&source.base, std::slice::from_ref(&id), "1.12.6").await;
    let entry = &answer.apps[&id];
    assert_eq!(entry.cfg_type, "app");
    assert_eq!(entry.api_version, "v3");
    assert_eq!(entry.version_name, "0.107.77");
    assert_eq!(entry.required_memory, "524288000");
    assert_eq!(entry.required_disk, "134217728");
    assert_eq!(entry.required_cpu, "0.2");
    assert_eq!(entry.limited_memory, "2147483648");
    assert_eq!(entry.limited_cpu, "2");
    assert_eq!(entry.support_arch, ["amd64", "arm64"]);
    assert!(entry.only_admin);
    assert_eq!(entry.categories, ["Utilities_v112"]);
    assert_eq!(entry.entrances[0]["name"], "adguardhome");
    assert_eq!(entry.ports.len(), 2);
    assert_eq!(entry.permission["appData"], true);
    assert_eq!(entry.options["dependencies"][0]["version"], ">=1.12.6-0");
    assert_eq!(entry.license[0]["text"], "GPL-3.0");
    assert!(entry.middleware.is_none());
    assert!(entry.app_labels.is_empty());
}

#[tokio::test]
async fn templated_manifests_merge_the_admin_and_user_views() {
    let snapshot = olares_catalog().snapshot();
    // comfyuisharev2 asks 20Gi of the admin and 64Mi of anyone else.
    let entry = snapshot.app("comfyuisharev2").unwrap().entry();
    assert_eq!(entry.required_memory, "21474836480||67108864");
    assert_eq!(entry.required_cpu, "4||0.01");
    let entrances: Vec<_> = entry
        .entrances
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(entrances.contains(&"comfyuilauncherweb"), "{entrances:?}");
    // The user view depends on the shared app: the longer dependency list wins.
    let deps: Vec<_> = entry.options["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(deps, ["olares", "comfyuisharev2"]);
    assert_eq!(entry.options["appScope"]["clusterScoped"], true);
    // `{{ .Release.Name }}` in a description renders to the app name.
    let difyv3 = snapshot.app("difyv3").unwrap().entry();
    let Text::Plain(upgrade) = &difyv3.upgrade_description else {
        panic!()
    };
    assert!(!upgrade.contains("{{"));
    assert!(upgrade.contains("uses difyv3 so"), "{upgrade}");
}

#[tokio::test]
async fn the_olares_version_filters_the_listing() {
    let source = serve(olares_catalog()).await;
    let kept_names = |synced: &client::Synced| names(synced.kept.values());

    let v126 = sync(&source.base, "1.12.6").await;
    assert_eq!(v126.info.version, "1.12.6");
    assert_eq!(
        v126.info.data.apps.len(),
        25,
        "19 kept + the 6 suspended (older constraints)"
    );
    assert_eq!(v126.kept.len(), 19);
    for app in BEFORE_1_12_6 {
        assert!(!kept_names(&v126).contains(app));
    }

    let v123 = sync(&source.base, "1.12.3").await;
    assert_eq!(kept_names(&v123), BEFORE_1_12_6.map(String::from).into());

    let before = sync(&source.base, "1.10.0").await;
    assert!(before.info.data.apps.is_empty());
    assert!(!before.hash.is_empty());

    let hashes: BTreeSet<&str> = [&v126.hash, &v123.hash, &before.hash]
        .into_iter()
        .map(String::as_str)
        .collect();
    assert_eq!(hashes.len(), 3, "each listing has its own hash");

    // No version, `latest` and nonsense list everything, with the same hash.
    let everything = client::hash(&source.base, "latest").await.hash;
    for version in ["", "undefined", "not-a-version"] {
        let answer = client::hash(&source.base, version).await;
        assert_eq!(answer.hash, everything, "{version:?}");
    }
    assert_eq!(client::hash(&source.base, "").await.version, "latest");

    // Details and charts do not hide an app from an older box (upstream falls back to
    // the latest version).
    let id = app_id("adguardhome");
    let answer = client::details(&source.base, std::slice::from_ref(&id), "1.10.0").await;
    assert!(answer.apps.contains_key(&id));
}

#[tokio::test]
async fn suspended_apps_keep_their_chart() {
    let source = serve(olares_catalog()).await;
    let snapshot = source.catalog.snapshot();
    let wise = snapshot.app("wise").unwrap();
    assert!(wise.is_delisted());
    let bytes = client::chart(&source.base, wise.entry()).await;
    assert_eq!(client::sha256(&bytes), wise.package_sha256());
}

#[tokio::test]
async fn the_source_works_under_a_path_prefix() {
    let source = serve_under(olares_catalog(), "/market").await;
    let synced = sync(&source.base, "latest").await;
    assert_eq!(synced.kept.len(), 21);
}

#[tokio::test]
async fn packages_and_hashes_are_deterministic() {
    let snapshot = olares_catalog().snapshot();
    // A second reading of the same folder gives the same bytes and the same hash.
    let again = market_source::Catalog::open(fixtures::chart("olares")).unwrap();
    let again = again.snapshot();
    assert_eq!(again.digest(), snapshot.digest());
    assert_eq!(
        again.view("latest").hash().hash,
        snapshot.view("latest").hash().hash
    );
    for app in snapshot.apps() {
        assert_eq!(again.app(app.name()).unwrap().package(), app.package());
    }
    let adguard = snapshot.app("adguardhome").unwrap();
    let archive =
        olares_chart::read_chart_archive(adguard.package(), &olares_chart::Limits::default())
            .unwrap();
    let paths: BTreeSet<&str> = archive.files.iter().map(|f| f.path.as_str()).collect();
    assert!(paths.contains("Chart.yaml") && paths.contains("i18n/zh-CN/OlaresManifest.yaml"));
    assert!(paths.contains("owners"));
}

#[tokio::test]
async fn packages_hold_what_helms_loader_reads() {
    let snapshot = olares_catalog().snapshot();
    for app in snapshot.apps() {
        let dir = fixtures::chart(&format!("olares/{}", app.folder()));
        let helm: Vec<(String, Vec<u8>)> = helm_template::load::read_dir(&dir)
            .unwrap()
            .into_iter()
            .map(|f| (f.name, f.data))
            .collect();
        let archive =
            olares_chart::read_chart_archive(app.package(), &olares_chart::Limits::default())
                .unwrap();
        let mut ours: Vec<(String, Vec<u8>)> = archive
            .files
            .into_iter()
            .map(|f| (f.path, f.data))
            .collect();
        ours.sort();
        let mut helm = helm;
        helm.sort();
        assert_eq!(
            ours.iter().map(|f| &f.0).collect::<Vec<_>>(),
            helm.iter().map(|f| &f.0).collect::<Vec<_>>(),
            "{}",
            app.name()
        );
        assert!(ours == helm, "{}: same bytes", app.name());
    }
}
