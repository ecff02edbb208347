//! Step 3, CustomParams: the user's overrides (`values[]` of the request: an env, a
//! permission or a resource limit) applied to the render values, and the app rendered
//! again with them. Without overrides the step skips.

use super::rendered_chart::render_blocking;
use super::{Hydration, Step, StepError, StepName, StepOutcome};

pub struct CustomParams;

#[async_trait::async_trait]
impl Step for CustomParams {
    fn name(&self) -> StepName {
        StepName::CustomParams
    }

    async fn run(&self, job: &mut Hydration) -> Result<StepOutcome, StepError> {
        let overrides = &job.request.app_info_latest_pending_data.values;
        if overrides.is_empty() || job.rendered.is_none() {
            return Ok(StepOutcome::Skipped);
        }
        let package = job
            .source_package
            .as_ref()
            .ok_or_else(|| StepError::Permanent("no source package to render".into()))?;
        job.rendered = Some(render_blocking(package, &job.app, &job.viewer, overrides).await?);
        Ok(StepOutcome::Ran)
    }
}
