//! Accepting an uploaded chart (`POST /apps/upload`): read by the capped reader, checked
//! (one top folder named after the chart, an `OlaresManifest.yaml`, a render for the
//! uploader that succeeds), stored by content and hydrated for the uploader into a local
//! source. A chart refused here leaves nothing behind: it is checked before anything is
//! stored or queued.

use std::sync::Arc;
use std::time::Duration;

use market_model::protocol::ApplicationInfoEntry;
use market_model::sync::{PendingAppData, SyncAppData, SyncAppRequest};
use market_model::{SourceId, SourceType};
use olares_chart::manifest::OLARES_MANIFEST;
use olares_chart::{Limits, OlaresApp, read_chart_archive};

use crate::hydrator::render::render_app;
use crate::hydrator::values::Viewer;
use crate::hydrator::worker::SubmitError;
use crate::state::AppState;
use crate::store::{JobState, StoreError};

/// How long an upload waits for its hydration.
const UPLOAD_WAIT: Duration = Duration::from_secs(45);

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0}")]
    InvalidChart(String),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

/// Checks, stores and hydrates an uploaded package for `user` in the local `source`.
pub async fn accept(
    state: &AppState,
    user: &str,
    source: &SourceId,
    admin: &str,
    bytes: Vec<u8>,
) -> Result<SyncAppData, UploadError> {
    let known = state.store.source(source).await?;
    if !known.is_some_and(|s| s.kind == SourceType::Local) {
        return Err(UploadError::BadRequest(format!(
            "{source} is not a local market source"
        )));
    }
    let viewer = Viewer {
        user: user.to_owned(),
        admin: admin.to_owned(),
        zone_suffix: state.config.zone_suffix.clone(),
    };
    let bytes = Arc::new(bytes);
    let checked = bytes.clone();
    let entry = tokio::task::spawn_blocking(move || check(&checked, &viewer))
        .await
        .map_err(|e| UploadError::Internal(e.to_string()))??;
    let digest = state
        .packages
        .put_source(&bytes)
        .await
        .map_err(|e| UploadError::Internal(e.to_string()))?;
    let request = SyncAppRequest {
        app_info_latest_pending_data: PendingAppData {
            kind: "app-info-latest-pending".into(),
            timestamp: chrono::Utc::now().timestamp(),
            version: entry.version.clone(),
            raw_data: Some(entry),
            raw_package: digest,
            ..PendingAppData::default()
        },
        source_id: source.to_string(),
        user_name: user.to_owned(),
        admin_user: admin.to_owned(),
    };
    let id = state.hydrator.submit(&request).await.map_err(|e| match e {
        SubmitError::BadRequest(m) => UploadError::BadRequest(m),
        SubmitError::Store(e) => UploadError::Store(e),
    })?;
    let job = state
        .hydrator
        .wait(id, UPLOAD_WAIT)
        .await?
        .ok_or_else(|| UploadError::Internal("the upload's job vanished".into()))?;
    match job.state {
        JobState::Done => job
            .result
            .and_then(|r| serde_json::from_value(r).ok())
            .ok_or_else(|| UploadError::Internal("the upload's job has no result".into())),
        JobState::Failed => {
            let reason = job
                .last_failure
                .map(|f| format!("{}: {}", f.step, f.reason))
                .unwrap_or_default();
            Err(UploadError::InvalidChart(reason))
        }
        JobState::Pending | JobState::Leased => Err(UploadError::Internal(
            "the upload is still being hydrated; it will appear when done".into(),
        )),
    }
}

/// The capped read and a render for the uploader; the catalog entry of the chart.
fn check(bytes: &[u8], viewer: &Viewer) -> Result<ApplicationInfoEntry, UploadError> {
    let invalid = |e: String| UploadError::InvalidChart(e);
    let archive =
        read_chart_archive(bytes, &Limits::default()).map_err(|e| invalid(e.to_string()))?;
    let chart = olares_chart::parse_metadata(
        &archive
            .file(olares_chart::chart_yaml::CHART_YAML)
            .ok_or_else(|| invalid("Chart.yaml is missing".into()))?
            .data,
    )
    .map_err(|e| invalid(format!("Chart.yaml: {e}")))?;
    archive
        .require_top(&chart.name)
        .map_err(|e| invalid(e.to_string()))?;
    if archive.file(OLARES_MANIFEST).is_none() {
        return Err(invalid(format!("{OLARES_MANIFEST} is missing")));
    }
    let rendered = render_app(bytes, &archive, &chart.name, viewer, &[]).map_err(invalid)?;
    let app: &OlaresApp = &rendered.app;
    let file = format!("{}-{}.tgz", chart.name, chart.version);
    let mut entry = market_source::app_entry(app, &file);
    if entry.version.is_empty() {
        entry.version = chart.version.clone();
    }
    if entry.name != chart.name {
        return Err(invalid(format!(
            "{OLARES_MANIFEST} names the app {:?} but Chart.yaml names the chart {:?}",
            entry.name, chart.name
        )));
    }
    Ok(entry)
}
