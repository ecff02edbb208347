//! Issue 8 item 7: the whole fixture catalog through the real system, with images. `market
//! source serve` over a copy of `../shared/fixtures/charts/olares`, chart-repo and market on
//! both profiles; every image the fixtures use is uploaded to the harness registry (a
//! third for amd64 and arm64, a third for each alone, layers of different sizes) and
//! `docker.io`/`ghcr.io` are mirrored to it, the only host chart-repo may contact.
//!
//! After start, the `/market/data` of alice (the admin) and of bob lists the 21 listed
//! apps (not the six `.suspend` ones, nor the `.remove` tombstone), each with its rendered
//! info (name, id, version, title, declared architectures) and an image analysis that
//! names exactly the images that user's render uses, with the digests, platforms, layers
//! and sizes uploaded, and the architecture warnings those platforms imply. Then one app
//! is edited in the source folder (new version, new description, a new image tag), the
//! source reloaded and one catalog sync triggered (the periodic sync is an hour away):
//! alice's `/market/data` shows the new version, text and image analysis, and her index
//! in chart-repo lists only the new package; the old package's URL answers 404.

#![allow(clippy::unwrap_used)] // a test crate: a failed step must panic

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use e2e::system::{MIRRORED_REGISTRIES, Profile, SOURCE, System, SystemConfig, bump_version};
use serde_json::Value;
use test_harness::oci::BuiltImage;
use test_harness::{RegistryServer, eventually, fixtures};

/// Apps the fixture catalog lists: 28 folders, less six `.suspend` and the `dify` tombstone.
const LISTED: usize = 21;
/// Cold hydration of the whole catalog for two users on a loaded 2-core machine.
const HYDRATED_WITHIN: Duration = Duration::from_secs(150);
const WITHIN: Duration = Duration::from_secs(60);

/// The app edited mid-test: its version, description and image tag.
const EDITED: &str = "uptimekuma";
const OLD_VERSION: &str = "1.0.7";
const NEW_VERSION: &str = "1.0.8";
const OLD_DESCRIPTION: &str = "A fancy self-hosted monitoring tool";
const NEW_DESCRIPTION: &str = "A fancy self-hosted monitoring tool, edited for the e2e test";
const OLD_IMAGE: &str = "docker.io/beclab/louislam-uptime-kuma:1";
const NEW_IMAGE: &str = "docker.io/beclab/louislam-uptime-kuma:2";

/// One fixture app folder as the test expects alice (the admin) and bob to see it.
#[derive(Debug)]
struct FixtureApp {
    name: String,
    /// Neither `.suspend` nor `.remove`.
    listed: bool,
    /// `Chart.yaml`'s version.
    version: String,
    /// `metadata.title`, as the en-US i18n file gives it, else the manifest.
    title: String,
    /// `spec.supportArch`.
    support_arch: Vec<String>,
    /// Normalized references of the pod images and `options.images` of the admin's
    /// render (alice's) and of a normal user's (bob's).
    images: BTreeSet<String>,
    user_images: BTreeSet<String>,
}

impl FixtureApp {
    fn images_of(&self, user: &str) -> &BTreeSet<String> {
        if user == "alice" {
            &self.images
        } else {
            &self.user_images
        }
    }
}

/// An image reference as `distribution/reference` normalizes it (the fixtures name no
/// digests and always a tag): `docker.io` when the first component is no host, `library/`
/// before a one-component Docker Hub name.
fn normalize(reference: &str) -> String {
    let (first, rest) = reference.split_once('/').unwrap_or(("", reference));
    let is_host = first.contains('.') || first.contains(':') || first == "localhost";
    let (host, path) = match (first, is_host) {
        ("", _) => ("docker.io", format!("library/{rest}")),
        (_, true) => (first, rest.to_owned()),
        (_, false) => ("docker.io", reference.to_owned()),
    };
    let host = if host == "index.docker.io" {
        "docker.io"
    } else {
        host
    };
    let last = path.rsplit('/').next().unwrap();
    assert!(last.contains(':'), "{reference} names a tag");
    format!("{host}/{path}")
}

/// `host/repository:tag` → (repository, tag).
fn repository_and_tag(normalized: &str) -> (&str, &str) {
    let (_, path) = normalized.split_once('/').unwrap();
    path.rsplit_once(':').unwrap()
}

/// The items of the block list under the first `key:` line (`- amd64  # note`).
fn yaml_list_after(text: &str, key: &str) -> Vec<String> {
    let mut lines = text.lines().skip_while(|l| l.trim() != format!("{key}:"));
    lines.next().unwrap_or_else(|| panic!("no {key}:"));
    lines
        .map(str::trim)
        .take_while(|l| l.starts_with("- "))
        .map(|l| {
            let item = l.trim_start_matches("- ");
            item.split('#').next().unwrap().trim().to_owned()
        })
        .collect()
}

/// The first `  title:` under `metadata:` (manifests may be templates, so read as text).
fn metadata_title(manifest: &str) -> String {
    manifest
        .lines()
        .skip_while(|l| *l != "metadata:")
        .find_map(|l| l.strip_prefix("  title: "))
        .unwrap()
        .trim()
        .to_owned()
}

fn fixture_apps() -> Vec<FixtureApp> {
    let root = fixtures::chart("olares");
    let images: BTreeMap<String, BTreeMap<String, Vec<String>>> = serde_json::from_slice(
        &std::fs::read(fixtures::shared_dir().join("fixtures/charts/images.json")).unwrap(),
    )
    .unwrap();
    let mut apps: Vec<FixtureApp> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let dir = e.path();
            let listed = !dir.join(".suspend").exists() && !dir.join(".remove").exists();
            if !dir.join("Chart.yaml").exists() {
                assert!(!listed, "{name} has no chart, so it must be a tombstone");
                return FixtureApp {
                    name,
                    listed,
                    version: String::new(),
                    title: String::new(),
                    support_arch: Vec::new(),
                    images: BTreeSet::new(),
                    user_images: BTreeSet::new(),
                };
            }
            let chart =
                helm_yaml::read::parse(&std::fs::read_to_string(dir.join("Chart.yaml")).unwrap())
                    .unwrap();
            let manifest = std::fs::read_to_string(dir.join("OlaresManifest.yaml")).unwrap();
            let i18n_title = std::fs::read_to_string(dir.join("i18n/en-US/OlaresManifest.yaml"))
                .ok()
                .and_then(|t| helm_yaml::read::parse(&t).ok())
                .and_then(|v| v["metadata"]["title"].as_str().map(str::to_owned));
            let lists = &images[&format!("olares/{name}")];
            let normalized = |case: &str| -> BTreeSet<String> {
                lists[case]
                    .iter()
                    .chain(&lists["manifest_options_images"])
                    .map(|i| normalize(i))
                    .collect()
            };
            FixtureApp {
                version: chart["version"].as_str().unwrap().to_owned(),
                title: i18n_title.unwrap_or_else(|| metadata_title(&manifest)),
                support_arch: yaml_list_after(&manifest, "supportArch"),
                images: normalized("admin"),
                user_images: normalized("user"),
                name,
                listed,
            }
        })
        .collect();
    apps.sort_by(|a, b| a.name.cmp(&b.name));
    apps
}

/// The platforms an image is uploaded for: by its place in the sorted list, both
/// `linux/amd64` and `linux/arm64/v8`, only amd64, or only arm64.
fn platforms_of(place: usize) -> &'static [&'static str] {
    match place % 3 {
        0 => &["linux/amd64", "linux/arm64/v8"],
        1 => &["linux/amd64"],
        _ => &["linux/arm64/v8"],
    }
}

/// Uploads every image the fixtures use (any user, any sub-chart) and the edited app's
/// new image; what was uploaded, by normalized reference.
fn upload_images(registry: &RegistryServer) -> BTreeMap<String, BuiltImage> {
    let all: BTreeMap<String, BTreeMap<String, Vec<String>>> = serde_json::from_slice(
        &std::fs::read(fixtures::shared_dir().join("fixtures/charts/images.json")).unwrap(),
    )
    .unwrap();
    let mut names: BTreeSet<String> = all
        .into_iter()
        .filter(|(chart, _)| chart.starts_with("olares/"))
        .flat_map(|(_, lists)| lists.into_values().flatten())
        .map(|i| normalize(&i))
        .collect();
    names.insert(NEW_IMAGE.to_owned());
    let mut repositories = BTreeSet::new();
    names
        .into_iter()
        .enumerate()
        .map(|(place, name)| {
            let host = name.split('/').next().unwrap();
            assert!(MIRRORED_REGISTRIES.contains(&host), "{name}");
            let (repository, tag) = repository_and_tag(&name);
            // Both mirrored hosts land in one registry: their paths must not collide.
            let path = format!("{repository}:{tag}");
            assert!(
                repositories.insert(path),
                "{name} collides with another host's"
            );
            // Layers of 2 KiB and up, in steps of 512 bytes: sizes differ between images.
            let padding = 512 * (place % 7);
            let built = registry.upload_synthetic(repository, tag, platforms_of(place), padding);
            (name, built)
        })
        .collect()
}

/// The source's entry in `user`'s `/market/data`.
async fn market_data(system: &System, user: &str) -> Value {
    let a = system.get("/market/data", user).await;
    assert_eq!(a.status, 200, "{}", a.body);
    a.body["data"]["user_data"]["sources"][SOURCE].clone()
}

/// The rendered apps of a `/market/data` source entry, by name.
fn rendered(source: &Value) -> BTreeMap<String, Value> {
    source["app_info_latest"]
        .as_array()
        .map(|apps| {
            apps.iter()
                .map(|a| {
                    let name = a["app_simple_info"]["app_name"].as_str().unwrap();
                    (name.to_owned(), a.clone())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The image analysis of one image equals what was uploaded for it: its digest, each
/// platform's os/architecture/variant, manifest digest, layers, size and created time,
/// and the total of distinct layer bytes.
fn assert_image(app: &str, name: &str, info: &Value, built: &BuiltImage) {
    let at = format!("{app}: {name}");
    assert_eq!(info["name"], name, "{at}");
    assert_eq!(info["status"], "analyzed", "{at}: {info}");
    assert_eq!(info["digest"], built.digest.as_str(), "{at}");
    let mut want: Vec<Value> = built
        .platforms
        .iter()
        .map(|(p, manifest, layer, size, created)| {
            let mut platform = serde_json::json!({
                "os": p.os,
                "architecture": p.architecture,
                "digest": manifest,
                "size": size,
                "layers": [{"digest": layer, "size": size}],
                "created": created,
            });
            if let Some(v) = &p.variant {
                platform["variant"] = Value::String(v.clone());
            }
            platform
        })
        .collect();
    let mut got = info["platforms"].as_array().cloned().unwrap_or_default();
    for list in [&mut want, &mut got] {
        list.sort_by_key(|p| p["digest"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(got, want, "{at}: platforms");
    let total: u64 = built.platforms.iter().map(|(.., size, _)| size).sum();
    assert_eq!(info["total_size"], total, "{at}");
}

/// `user`'s rendered `app` shows the fixture's name, version, title, declared
/// architectures, and an image analysis of exactly the images the user's render uses,
/// each as uploaded; a declared architecture some image lacks is warned about naming
/// exactly those images.
fn assert_rendered_app(
    user: &str,
    app: &Value,
    fixture: &FixtureApp,
    uploaded: &BTreeMap<String, BuiltImage>,
) {
    let name = fixture.name.as_str();
    let images = fixture.images_of(user);
    let info = &app["app_simple_info"];
    assert_eq!(app["type"], "app-info-latest", "{name}");
    assert_eq!(app["version"], fixture.version.as_str(), "{name}");
    assert_eq!(info["app_version"], fixture.version.as_str(), "{name}");
    let md5 = <md5::Md5 as md5::Digest>::digest(name.as_bytes());
    assert_eq!(info["app_id"], hex::encode(md5)[..8], "{name}");
    assert_eq!(info["app_title"]["en-US"], fixture.title.as_str(), "{name}");
    assert_eq!(
        info["support_arch"],
        serde_json::json!(fixture.support_arch),
        "{name}"
    );

    let analysis = &app["image_analysis"];
    assert_eq!(analysis["app_id"], info["app_id"], "{name}");
    assert_eq!(analysis["user_id"], user, "{name}");
    assert_eq!(analysis["source_id"], SOURCE, "{name}");
    assert_eq!(analysis["total_images"], images.len(), "{name}");
    let listed: BTreeMap<String, Value> = analysis["images"]
        .as_object()
        .unwrap_or_else(|| panic!("{name}: no image analysis in {app}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    assert_eq!(
        listed.keys().cloned().collect::<BTreeSet<_>>(),
        *images,
        "{name}: the images its chart uses"
    );
    for (image, info) in &listed {
        assert_image(name, image, info, &uploaded[image]);
    }

    // Per declared architecture, the images uploaded without it.
    let arch_of = |image: &str| -> BTreeSet<String> {
        uploaded[image]
            .platforms
            .iter()
            .map(|(p, ..)| p.architecture.clone())
            .collect()
    };
    let want: BTreeMap<String, BTreeSet<String>> = fixture
        .support_arch
        .iter()
        .map(|arch| {
            let lacking = images
                .iter()
                .filter(|i| !arch_of(i).contains(arch))
                .cloned()
                .collect::<BTreeSet<_>>();
            (arch.clone(), lacking)
        })
        .filter(|(_, lacking)| !lacking.is_empty())
        .collect();
    let got: BTreeMap<String, BTreeSet<String>> = app["arch_warnings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            let w = w.as_str().unwrap();
            let rest = w.strip_prefix("declared architecture ").unwrap();
            let (arch, names) = rest.split_once(" is missing from ").unwrap();
            let names = names.split(", ").map(str::to_owned).collect();
            (arch.to_owned(), names)
        })
        .collect();
    assert_eq!(got, want, "{name}: arch warnings");
}

/// The catalog's hash as `market source serve` publishes it now.
async fn source_hash(system: &System) -> String {
    let url = format!("{}/api/v1/appstore/hash", system.source.url);
    let body: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    body["hash"].as_str().unwrap().to_owned()
}

/// alice's index in chart-repo, as `helm repo add` without headers reads it.
async fn alice_index(system: &System) -> Value {
    let url = format!("{}/u/alice/{SOURCE}/index.yaml", system.chart_repo.url);
    let res = reqwest::get(url).await.unwrap();
    assert_eq!(res.status(), 200);
    helm_yaml::read::parse(&res.text().await.unwrap()).unwrap()
}

async fn package_status(system: &System, version: &str) -> u16 {
    let url = format!(
        "{}/u/alice/{SOURCE}/charts/{EDITED}-{version}.tgz",
        system.chart_repo.url
    );
    reqwest::get(url).await.unwrap().status().as_u16()
}

/// The edit: a new version, a new description (manifest and en-US i18n) and a new tag
/// of the app's image.
fn edit_app(dir: &Path) {
    bump_version(dir, OLD_VERSION, NEW_VERSION);
    for (file, from, to) in [
        ("OlaresManifest.yaml", OLD_DESCRIPTION, NEW_DESCRIPTION),
        (
            "i18n/en-US/OlaresManifest.yaml",
            OLD_DESCRIPTION,
            NEW_DESCRIPTION,
        ),
        ("templates/uptimekuma.yaml", OLD_IMAGE, NEW_IMAGE),
    ] {
        let path = dir.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{} holds {from}", path.display());
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
}

async fn catalog_with_images(profile: Profile) {
    let started = Instant::now();
    let fixtures = fixture_apps();
    let listed: Vec<&FixtureApp> = fixtures.iter().filter(|a| a.listed).collect();
    assert_eq!(listed.len(), LISTED, "{fixtures:#?}");
    let edited = listed.iter().find(|a| a.name == EDITED).unwrap();
    assert_eq!(edited.version, OLD_VERSION);
    assert!(edited.images.contains(OLD_IMAGE), "{edited:?}");

    let (registry, uploaded) = tokio::task::spawn_blocking(|| {
        let registry = RegistryServer::start();
        let uploaded = upload_images(&registry);
        (registry, uploaded)
    })
    .await
    .unwrap();
    let pushed_in = started.elapsed();

    let tmp = tempfile::tempdir().unwrap();
    let catalog = tmp.path().join("catalog");
    e2e::system::copy_dir(&fixtures::chart("olares"), &catalog);
    let config = SystemConfig {
        profile,
        // Syncs at start, then only when the test asks (one sync per edit).
        sync_interval: Duration::from_secs(3600),
        image_registry: Some(registry.host()),
        ..SystemConfig::default()
    };
    let system = System::start_with(config, tmp, catalog).await;

    // Every listed app rendered for alice (the admin) and bob, with its images analysed.
    let want: BTreeSet<&str> = listed.iter().map(|a| a.name.as_str()).collect();
    let unlisted: Vec<&str> = fixtures
        .iter()
        .filter(|a| !a.listed)
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(unlisted.len(), 7, "six .suspend, one .remove: {unlisted:?}");
    let mut hydrated_in = Duration::ZERO;
    for user in ["alice", "bob"] {
        let source = eventually(
            HYDRATED_WITHIN,
            &format!("{user}'s {LISTED} apps rendered"),
            || async {
                let source = market_data(&system, user).await;
                (rendered(&source).len() == LISTED).then_some(source)
            },
        )
        .await;
        hydrated_in = started.elapsed();
        let apps = rendered(&source);
        let names: BTreeSet<&str> = apps.keys().map(String::as_str).collect();
        assert_eq!(
            names, want,
            "{user}: the listed apps, not the suspended or removed ones"
        );
        for name in &unlisted {
            assert!(!apps.contains_key(*name), "{user}: {name} is not listed");
        }
        for fixture in &listed {
            assert_rendered_app(user, &apps[&fixture.name], fixture, &uploaded);
        }
        let pending: Vec<&str> = source["app_hydration"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["app_name"].as_str().unwrap())
            .collect();
        assert!(
            pending.is_empty(),
            "{user}: nothing pending or failed: {pending:?}"
        );
    }
    assert!(
        registry.requests_from("olares-chart-repo") > 0,
        "chart-repo asked the harness registry"
    );

    // alice's index in chart-repo holds each listed app at its version.
    let index = alice_index(&system).await;
    let entries = index["entries"].as_object().unwrap();
    let indexed: BTreeSet<&str> = entries.keys().map(String::as_str).collect();
    assert_eq!(indexed, want);
    assert_eq!(entries[EDITED][0]["version"], OLD_VERSION);
    assert_eq!(package_status(&system, OLD_VERSION).await, 200);

    // Edit one app in the source folder, reload the source, sync once.
    let before = source_hash(&system).await;
    edit_app(&system.catalog.join(EDITED));
    system.reload_source();
    eventually(WITHIN, "the source to publish the edit", || async {
        (source_hash(&system).await != before).then_some(())
    })
    .await;
    let edit_started = Instant::now();
    system.sync_catalog("alice").await;
    let edited_app = eventually(
        WITHIN,
        &format!("alice's {EDITED} {NEW_VERSION}"),
        || async {
            let apps = rendered(&market_data(&system, "alice").await);
            apps.get(EDITED)
                .filter(|a| a["version"] == NEW_VERSION)
                .cloned()
        },
    )
    .await;
    let edit_reached_in = edit_started.elapsed();
    let new_fixture = FixtureApp {
        name: EDITED.into(),
        listed: true,
        version: NEW_VERSION.into(),
        title: edited.title.clone(),
        support_arch: edited.support_arch.clone(),
        images: BTreeSet::from([NEW_IMAGE.to_owned()]),
        user_images: BTreeSet::new(),
    };
    assert_rendered_app("alice", &edited_app, &new_fixture, &uploaded);
    assert_eq!(
        edited_app["app_simple_info"]["app_description"]["en-US"],
        NEW_DESCRIPTION
    );
    assert_ne!(
        uploaded[NEW_IMAGE].digest, uploaded[OLD_IMAGE].digest,
        "the new tag is another image"
    );
    // The other apps are as they were.
    let after = rendered(&market_data(&system, "alice").await);
    assert_eq!(after.len(), LISTED);
    for fixture in listed.iter().filter(|a| a.name != EDITED) {
        assert_eq!(
            after[&fixture.name]["version"],
            fixture.version.as_str(),
            "{}",
            fixture.name
        );
    }

    // chart-repo: only the new package in alice's index; the old one is gone.
    let index = eventually(WITHIN, "only the new package in alice's index", || async {
        let index = alice_index(&system).await;
        let versions: Vec<String> = index["entries"][EDITED]
            .as_array()?
            .iter()
            .map(|v| v["version"].as_str().unwrap_or_default().to_owned())
            .collect();
        (versions == [NEW_VERSION]).then_some(index)
    })
    .await;
    let entry = &index["entries"][EDITED][0];
    assert_eq!(
        entry["urls"],
        serde_json::json!([format!("charts/{EDITED}-{NEW_VERSION}.tgz")])
    );
    assert_eq!(
        entry["description"],
        "Uptime Kuma is an easy-to-use self-hosted monitoring tool."
    );
    assert_eq!(
        index["entries"].as_object().unwrap().len(),
        LISTED,
        "every other app stays indexed"
    );
    assert_eq!(package_status(&system, NEW_VERSION).await, 200);
    assert_eq!(package_status(&system, OLD_VERSION).await, 404);

    eprintln!(
        "catalog with images on {profile:?}: {} images uploaded in {pushed_in:?}, {LISTED} apps \
         rendered for alice and bob after {hydrated_in:?}, the edit reached alice {edit_reached_in:?} after its \
         sync, {:?} in all",
        uploaded.len(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_with_images_on_the_embedded_profile() {
    catalog_with_images(Profile::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_with_images_on_the_production_profile() {
    catalog_with_images(Profile::Production).await;
}
