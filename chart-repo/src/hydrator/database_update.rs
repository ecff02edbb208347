//! Step 5, DatabaseUpdate: the user's app record (the SyncAppPayload market reads), the
//! user's package in the package store, the index entry, and the state change — the
//! record, the change and the job's completion committed together by the store.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use helm_index::ChartVersion;
use market_model::protocol::app_id;
use market_model::sync::{AppSimpleInfo, SyncAppData, SyncAppPayload, SyncStatus};
use olares_chart::{Metadata, OlaresApp};
use serde_json::{Value, json};

use super::{Hydration, Step, StepError, StepName, StepOutcome};
use crate::index::RepoIndexes;
use crate::packages::{PackageStore, PackageStoreError, RenderedKey};
use crate::store::{AppRecord, HydrationCommit, PutOutcome, RepoStore, StateChangeDraft};

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
        .map(|i| {
            (
                i.name.clone(),
                serde_json::to_value(i).unwrap_or(Value::Null),
            )
        })
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
        request_digest: String::new(),
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

/// Step 5 itself.
pub struct DatabaseUpdate {
    store: Arc<dyn RepoStore>,
    packages: PackageStore,
    indexes: Arc<RepoIndexes>,
}

impl DatabaseUpdate {
    pub fn new(
        store: Arc<dyn RepoStore>,
        packages: PackageStore,
        indexes: Arc<RepoIndexes>,
    ) -> Self {
        Self {
            store,
            packages,
            indexes,
        }
    }

    /// The stored record is current: answer `existing` from it and finish the job.
    /// Publishes `record` in the user's served index unless it is there with
    /// the same digest already (cheap when it is: one map lookup).
    fn ensure_served(&self, job: &Hydration, record: &AppRecord) -> Result<(), StepError> {
        let file = format!("{}-{}.tgz", record.app_name, record.version);
        let served = self
            .indexes
            .package(&job.user, job.source.as_str(), &file)
            .is_some_and(|p| p.digest == record.package_digest);
        if !served {
            let entry = index_entry(record).map_err(StepError::Permanent)?;
            self.indexes.upsert(&job.user, job.source.as_str(), entry);
        }
        Ok(())
    }

    async fn finish_current(
        &self,
        job: &mut Hydration,
        record: AppRecord,
    ) -> Result<StepOutcome, StepError> {
        let payload: SyncAppPayload = serde_json::from_value(record.payload.clone())
            .map_err(|e| StepError::Permanent(format!("the stored record: {e}")))?;
        let data = sync_data(job, SyncStatus::Existing, payload);
        // An earlier attempt may have committed the record and lost the store's
        // reply (a cut link): the record is current but was never published.
        self.ensure_served(job, &record)?;
        if let Some((id, token)) = job.lease {
            let result =
                serde_json::to_value(&data).map_err(|e| StepError::Permanent(e.to_string()))?;
            let done = self
                .store
                .complete(id, token, &result, Utc::now())
                .await
                .map_err(store_error)?;
            if !done {
                return Err(StepError::Cancelled);
            }
        }
        job.result = Some(data);
        Ok(StepOutcome::Skipped)
    }
}

/// The index entry of a record.
pub fn index_entry(record: &AppRecord) -> Result<ChartVersion, String> {
    let metadata: Metadata = serde_json::from_value(record.chart.clone())
        .map_err(|e| format!("the stored Chart.yaml: {e}"))?;
    let url = format!("charts/{}-{}.tgz", record.app_name, record.version);
    let mut entry = ChartVersion::new(metadata, url, record.package_digest.clone());
    entry.created = record.created.fixed_offset();
    Ok(entry)
}

fn sync_data(job: &Hydration, status: SyncStatus, payload: SyncAppPayload) -> SyncAppData {
    SyncAppData {
        app_id: app_id(&job.app),
        user_id: job.user.clone(),
        source_id: job.source.to_string(),
        version: job.version.clone(),
        status,
        message: match status {
            SyncStatus::New => "app hydrated".into(),
            SyncStatus::Updated => "app updated".into(),
            SyncStatus::Existing => "app is current".into(),
        },
        app_data: payload,
    }
}

fn store_error(e: crate::store::StoreError) -> StepError {
    if e.is_retryable() {
        StepError::Retryable(e.to_string())
    } else {
        StepError::Permanent(e.to_string())
    }
}

#[async_trait::async_trait]
impl Step for DatabaseUpdate {
    fn name(&self) -> StepName {
        StepName::DatabaseUpdate
    }

    async fn run(&self, job: &mut Hydration) -> Result<StepOutcome, StepError> {
        if let Some(record) = job.current.clone() {
            return self.finish_current(job, record).await;
        }
        let now = Utc::now();
        let mut payload = payload(job, now.timestamp()).map_err(StepError::Permanent)?;
        payload.request_digest = job.request_digest.clone();
        let rendered = job
            .rendered
            .as_ref()
            .ok_or_else(|| StepError::Permanent("the app was not rendered".into()))?;
        let key = RenderedKey {
            user: job.user.clone(),
            source: job.source.to_string(),
            name: job.app.clone(),
            version: job.version.clone(),
        };
        self.packages
            .put_rendered(&key, &rendered.package)
            .await
            .map_err(|e: PackageStoreError| {
                if e.is_retryable() {
                    StepError::Retryable(e.to_string())
                } else {
                    StepError::Permanent(e.to_string())
                }
            })?;
        let previous = self
            .store
            .app(&job.user, &job.source, &job.app)
            .await
            .map_err(store_error)?;
        let created = match &previous {
            Some(p) if p.version == job.version && p.package_digest == rendered.package_digest => {
                p.created
            }
            _ => now,
        };
        let record = AppRecord {
            user: job.user.clone(),
            source: job.source.clone(),
            app_name: job.app.clone(),
            app_id: app_id(&job.app),
            version: job.version.clone(),
            source_digest: payload.source_digest.clone(),
            package_digest: rendered.package_digest.clone(),
            package_size: rendered.package.len() as u64,
            chart: serde_json::to_value(&rendered.app.chart)
                .map_err(|e| StepError::Permanent(e.to_string()))?,
            payload: serde_json::to_value(&payload)
                .map_err(|e| StepError::Permanent(e.to_string()))?,
            support_arch: job.support_arch.clone(),
            created,
            updated_at: now,
        };
        let status = match record.compare(previous.as_ref()) {
            PutOutcome::New => SyncStatus::New,
            PutOutcome::Updated => SyncStatus::Updated,
            PutOutcome::Existing => SyncStatus::Existing,
        };
        let data = sync_data(job, status, payload);
        let entry = index_entry(&record).map_err(StepError::Permanent)?;
        let commit = HydrationCommit {
            change: Some(StateChangeDraft::upload_completed(record.app_data(), now)),
            result: serde_json::to_value(&data).map_err(|e| StepError::Permanent(e.to_string()))?,
            record,
        };
        let Some((id, token)) = job.lease else {
            return Err(StepError::Permanent(
                "a hydration runs under a lease".into(),
            ));
        };
        let committed = self
            .store
            .commit_hydration(id, token, &commit)
            .await
            .map_err(store_error)?;
        let Some(committed) = committed else {
            // The lease was lost (expired and taken by another worker): that worker commits.
            return Err(StepError::Cancelled);
        };
        if committed.outcome == PutOutcome::Existing {
            // Committed by an earlier attempt whose reply was lost: publish if
            // that attempt never got to.
            self.ensure_served(job, &commit.record)?;
        } else {
            self.indexes.upsert(&job.user, job.source.as_str(), entry);
            if let Some(old) = previous.filter(|p| p.version != job.version) {
                let old_key = RenderedKey {
                    version: old.version,
                    ..key
                };
                if let Err(e) = self.packages.remove_rendered(&old_key).await {
                    tracing::warn!(error = %e, "could not remove the replaced package");
                }
            }
        }
        job.result = Some(data);
        Ok(StepOutcome::Ran)
    }
}
