//! Step 5, DatabaseUpdate: the user's app record (the SyncAppPayload market reads), the
//! user's package in the package store, the index entry, and the state change — the
//! record, the change and the job's completion committed together by the store.

use std::collections::BTreeMap;

use market_model::protocol::app_id;
use market_model::sync::{AppSimpleInfo, SyncAppPayload};
use olares_chart::OlaresApp;
use serde_json::{Value, json};

use super::Hydration;

/// The payload `type` Olares gives a rendered app.
pub const PAYLOAD_TYPE: &str = "app-info-latest";

/// The locale a manifest's own texts are filed under.
const DEFAULT_LOCALE: &str = "en-US";

/// The SyncAppPayload of a finished hydration (steps 1–4 done).
pub fn payload(job: &Hydration, now: i64) -> Result<SyncAppPayload, String> {
    let rendered = job.rendered.as_ref().ok_or("the app was not rendered")?;
    let source = job.source_package.as_ref().ok_or("no source package")?;
    let manifest_json: Value = helm_yaml::read::parse(&rendered.manifest_text)
        .map_err(|e| format!("the rendered manifest: {e}"))?;
    let app = &rendered.app;
    let images: serde_json::Map<String, Value> = job
        .images
        .iter()
        .map(|i| (i.name.clone(), i.info.clone()))
        .collect();
    let pending = &job.request.app_info_latest_pending_data;
    Ok(SyncAppPayload {
        kind: PAYLOAD_TYPE.into(),
        timestamp: now,
        version: job.version.clone(),
        raw_data: pending.raw_data.clone(),
        raw_data_ex: manifest_json,
        image_analysis: Some(json!({
            "app_id": app_id(&job.app),
            "user_id": job.user,
            "source_id": job.source.as_str(),
            "analyzed_at": chrono::DateTime::from_timestamp(now, 0).unwrap_or_default(),
            "total_images": images.len(),
            "images": images,
        })),
        i18n: i18n(app),
        version_history: pending
            .raw_data
            .as_ref()
            .map(|r| r.version_history.clone())
            .unwrap_or_default(),
        raw_package: format!("sources/{}.tgz", source.digest),
        rendered_package: format!("charts/{}-{}.tgz", job.app, job.version),
        values: pending.values.clone(),
        app_info: pending.app_info.clone(),
        app_simple_info: simple_info(job, app),
        source_digest: source.digest.clone(),
        package_digest: rendered.package_digest.clone(),
        arch_warnings: job.arch_warnings.clone(),
    })
}

/// Locale → texts: the manifest's own under `en-US`, then each `i18n/<locale>` file.
fn i18n(app: &OlaresApp) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let meta = &app.manifest.metadata;
    let mut own = BTreeMap::new();
    put(&mut own, "title", &meta.title);
    put(&mut own, "description", &meta.description);
    out.insert(DEFAULT_LOCALE.to_owned(), own);
    for (locale, texts) in &app.i18n {
        let entry = out.entry(locale.clone()).or_insert_with(BTreeMap::new);
        put(entry, "title", &texts.metadata.title);
        put(entry, "description", &texts.metadata.description);
        put(entry, "fullDescription", &texts.spec.full_description);
        put(entry, "upgradeDescription", &texts.spec.upgrade_description);
    }
    out
}

fn put(map: &mut BTreeMap<String, String>, key: &str, value: &str) {
    if !value.is_empty() {
        map.insert(key.to_owned(), value.to_owned());
    }
}

fn simple_info(job: &Hydration, app: &OlaresApp) -> AppSimpleInfo {
    let meta = &app.manifest.metadata;
    let texts = i18n(app);
    let per_locale = |key: &str| -> BTreeMap<String, String> {
        texts
            .iter()
            .filter_map(|(locale, t)| t.get(key).map(|v| (locale.clone(), v.clone())))
            .collect()
    };
    AppSimpleInfo {
        app_id: app_id(&job.app),
        app_name: job.app.clone(),
        app_icon: meta.icon.clone(),
        app_description: per_locale("description"),
        app_version: job.version.clone(),
        app_title: per_locale("title"),
        categories: meta.categories.clone(),
        support_arch: job.support_arch.clone(),
    }
}
