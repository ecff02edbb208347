//! The hydrator (DESIGN.md §4.3): one hydration = one (user, source, app, version), run
//! as five [`Step`]s by one [`Pipeline`]. The pipeline owns what every step needs — the
//! `step` span, timing (`chart_repo_step_duration_seconds{step}`), cancellation between
//! steps — so no step repeats it. A step that finds its output current skips itself.
//!
//! Modules: `values` (the Olares values of one user), `render` (manifest, templates and
//! the user's package), one file per step, `worker` (leasing jobs from the durable queue).
//! Never: HTTP handling (the API enqueues and waits), storage details (the store does).

pub mod custom_params;
pub mod database_update;
pub mod image_analysis;
pub mod render;
pub mod rendered_chart;
pub mod source_chart;
pub mod values;
pub mod worker;

use std::sync::Arc;
use std::time::Instant;

use market_model::SourceId;
use market_model::sync::{SyncAppData, SyncAppRequest};
use olares_chart::ChartArchive;
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::metrics::RepoMetrics;
use crate::store::{AppRecord, JobId, LeaseToken};
use render::RenderedApp;
use values::Viewer;

/// The five steps, in order. Span field, metric label and `failure_step` value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepName {
    SourceChart,
    RenderedChart,
    CustomParams,
    ImageAnalysis,
    DatabaseUpdate,
}

impl StepName {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SourceChart => "source_chart",
            Self::RenderedChart => "rendered_chart",
            Self::CustomParams => "custom_params",
            Self::ImageAnalysis => "image_analysis",
            Self::DatabaseUpdate => "database_update",
        }
    }
}

/// Why a step failed, and whether trying again later can help.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// Network trouble, a busy peer, the store away: back off and retry.
    #[error("{0}")]
    Retryable(String),
    /// A bad chart or request: retrying cannot help until the chart or version changes.
    #[error("{0}")]
    Permanent(String),
    /// The hydration was cancelled (shutdown); it goes back to the queue untouched.
    #[error("cancelled")]
    Cancelled,
}

impl StepError {
    pub fn is_retryable(&self) -> bool {
        !matches!(self, Self::Permanent(_))
    }
}

/// A step failed: which one and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{step:?}: {error}")]
pub struct Failed {
    pub step: StepName,
    pub error: StepError,
}

/// Whether a step did its work or found its output current.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    Ran,
    Skipped,
}

/// The source package, read by the capped reader.
pub struct SourcePackage {
    /// SHA-256 of the package bytes (its name in the package store).
    pub digest: String,
    pub bytes: Arc<Vec<u8>>,
    pub archive: Arc<ChartArchive>,
}

/// One hydration and what its steps have produced so far.
pub struct Hydration {
    pub user: String,
    pub source: SourceId,
    pub app: String,
    pub version: String,
    pub viewer: Viewer,
    pub request: SyncAppRequest,
    /// Step 1.
    pub source_package: Option<SourcePackage>,
    /// Steps 2 and 3.
    pub rendered: Option<RenderedApp>,
    /// Step 4: the analysed images, in the order they were found.
    pub images: Vec<market_model::ImageInfo>,
    pub support_arch: Vec<String>,
    pub arch_warnings: Vec<String>,
    /// The job and lease this hydration runs under (DatabaseUpdate commits with it).
    pub lease: Option<(JobId, LeaseToken)>,
    /// The user's stored record of this app, when it was rendered from the same request:
    /// every step skips and the sync answers `existing`.
    pub current: Option<AppRecord>,
    /// SHA-256 of what the render depends on in the request (see [`request_digest`]).
    pub request_digest: String,
    /// Step 5: what the sync answers.
    pub result: Option<SyncAppData>,
}

/// A digest of what a hydration's output depends on in its request: the catalog entry
/// (whose `lastCommitHash` changes when a chart is republished), the overrides and the
/// admin. Equal digests and an existing record mean the record is current.
pub fn request_digest(request: &SyncAppRequest) -> String {
    use sha2::{Digest, Sha256};
    let pending = &request.app_info_latest_pending_data;
    let material = serde_json::json!([
        pending.raw_data,
        pending.values,
        pending.raw_package,
        request.admin_user,
        request.user_name,
    ]);
    hex::encode(Sha256::digest(material.to_string().as_bytes()))
}

impl Hydration {
    /// A hydration of the app `request` names, for `request.user_name`.
    pub fn new(
        request: SyncAppRequest,
        source: SourceId,
        zone_suffix: &str,
    ) -> Result<Self, String> {
        let raw = request
            .app_info_latest_pending_data
            .raw_data
            .as_ref()
            .ok_or("app_info_latest_pending_data.raw_data is missing")?;
        if raw.name.is_empty() {
            return Err("app_info_latest_pending_data.raw_data.name is empty".into());
        }
        let version = if raw.version.is_empty() {
            request.app_info_latest_pending_data.version.clone()
        } else {
            raw.version.clone()
        };
        if version.is_empty() {
            return Err("the app's version is empty".into());
        }
        let admin = if request.admin_user.is_empty() {
            request.user_name.clone()
        } else {
            request.admin_user.clone()
        };
        Ok(Self {
            request_digest: request_digest(&request),
            lease: None,
            current: None,
            user: request.user_name.clone(),
            source,
            app: raw.name.clone(),
            version,
            viewer: Viewer {
                user: request.user_name.clone(),
                admin,
                zone_suffix: zone_suffix.to_owned(),
            },
            request,
            source_package: None,
            rendered: None,
            images: Vec::new(),
            support_arch: Vec::new(),
            arch_warnings: Vec::new(),
            result: None,
        })
    }
}

impl Hydration {
    /// Whether the stored record already is this hydration's output.
    pub fn is_current(&self) -> bool {
        self.current.is_some()
    }
}

/// One step of the pipeline.
#[async_trait::async_trait]
pub trait Step: Send + Sync {
    fn name(&self) -> StepName;
    async fn run(&self, job: &mut Hydration) -> Result<StepOutcome, StepError>;
}

/// The steps, run in order for each hydration.
pub struct Pipeline {
    steps: Vec<Box<dyn Step>>,
    metrics: RepoMetrics,
}

impl Pipeline {
    pub fn new(steps: Vec<Box<dyn Step>>, metrics: RepoMetrics) -> Self {
        Self { steps, metrics }
    }

    /// Runs every step; the first failure stops the hydration. Cancellation is checked
    /// before each step, so a cancelled hydration never half-writes a step's output.
    pub async fn run(&self, job: &mut Hydration, cancel: &CancellationToken) -> Result<(), Failed> {
        for step in &self.steps {
            let name = step.name();
            if cancel.is_cancelled() {
                return Err(Failed {
                    step: name,
                    error: StepError::Cancelled,
                });
            }
            let span = tracing::info_span!("step", step = name.as_str(), app = %job.app, version = %job.version, user = %job.user);
            let started = Instant::now();
            let outcome = if job.is_current() && name != StepName::DatabaseUpdate {
                Ok(StepOutcome::Skipped)
            } else {
                step.run(job).instrument(span.clone()).await
            };
            self.metrics
                .observe_step(name, started.elapsed().as_secs_f64());
            match outcome {
                Ok(StepOutcome::Skipped) => {
                    span.in_scope(|| tracing::debug!("step skipped: output current"))
                }
                Ok(StepOutcome::Ran) => {}
                Err(error) => return Err(Failed { step: name, error }),
            }
        }
        Ok(())
    }
}
