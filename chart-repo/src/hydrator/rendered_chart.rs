//! Step 2, RenderedChart: the manifest and templates rendered for the user, and the
//! user's package (see `render.rs`). Rendering is CPU work: it runs on a blocking thread.

use market_model::sync::CustomValue;

use super::render::{RenderedApp, render_app};
use super::values::Viewer;
use super::{Hydration, SourcePackage, Step, StepError, StepName, StepOutcome};

pub struct RenderedChart;

/// Renders on a blocking thread; every failure is the chart's (permanent).
pub(super) async fn render_blocking(
    package: &SourcePackage,
    app: &str,
    viewer: &Viewer,
    overrides: &[CustomValue],
) -> Result<RenderedApp, StepError> {
    let (bytes, archive) = (package.bytes.clone(), package.archive.clone());
    let (app, viewer, overrides) = (app.to_owned(), viewer.clone(), overrides.to_vec());
    tokio::task::spawn_blocking(move || render_app(&bytes, &archive, &app, &viewer, &overrides))
        .await
        .map_err(|e| StepError::Retryable(format!("rendering: {e}")))?
        .map_err(StepError::Permanent)
}

#[async_trait::async_trait]
impl Step for RenderedChart {
    fn name(&self) -> StepName {
        StepName::RenderedChart
    }

    async fn run(&self, job: &mut Hydration) -> Result<StepOutcome, StepError> {
        if job.rendered.is_some() {
            return Ok(StepOutcome::Skipped);
        }
        let package = job
            .source_package
            .as_ref()
            .ok_or_else(|| StepError::Permanent("no source package to render".into()))?;
        job.rendered = Some(render_blocking(package, &job.app, &job.viewer, &[]).await?);
        Ok(StepOutcome::Ran)
    }
}
