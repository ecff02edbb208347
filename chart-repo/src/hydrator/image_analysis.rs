//! Step 4, ImageAnalysis: the image of every container of every pod spec in the rendered
//! templates, plus the manifest's `options.images`, each asked of its registry by the
//! [`Analyzer`] (allow-list, mirrors, cache); then the app's architectures. An image that
//! cannot be analysed is marked, never fails the app; only a chart whose templates cannot
//! be read as YAML fails here. An image whose digest changed since it was last analysed
//! appends an `image_info_updated` change.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::Utc;
use market_model::{ImageInfo, ImageStatus, arch_support};

use super::{Hydration, Step, StepError, StepName, StepOutcome};
use crate::registry::{Analyzer, ImageRef, manifest_images, pod_images};
use crate::store::{RepoStore, StateChangeDraft};

pub struct ImageAnalysis {
    analyzer: Arc<Analyzer>,
    store: Arc<dyn RepoStore>,
}

impl ImageAnalysis {
    pub fn new(analyzer: Arc<Analyzer>, store: Arc<dyn RepoStore>) -> Self {
        Self { analyzer, store }
    }
}

/// Every image the rendered app uses, deduplicated, in first-seen order: pod images
/// first, then the manifest's own list.
pub fn app_images(job: &Hydration) -> Result<Vec<String>, StepError> {
    let Some(rendered) = &job.rendered else {
        return Ok(Vec::new());
    };
    let mut names =
        pod_images(&rendered.templates).map_err(|e| StepError::Permanent(e.to_string()))?;
    if let Ok(manifest) = helm_yaml::read::parse(&rendered.manifest_text) {
        names.extend(manifest_images(&manifest));
    }
    let mut seen = BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    Ok(names)
}

#[async_trait::async_trait]
impl Step for ImageAnalysis {
    fn name(&self) -> StepName {
        StepName::ImageAnalysis
    }

    async fn run(&self, job: &mut Hydration) -> Result<StepOutcome, StepError> {
        let mut refs = Vec::new();
        let mut refused = Vec::new();
        for name in app_images(job)? {
            match ImageRef::parse(&name) {
                Ok(r) => refs.push(r),
                Err(e) => refused.push(ImageInfo::failed(
                    name,
                    ImageStatus::AnalysisFailed,
                    format!("not an image reference: {e}"),
                    false,
                )),
            }
        }
        let mut before = Vec::with_capacity(refs.len());
        for r in &refs {
            let cached = self
                .store
                .image_cache_get(&r.to_string())
                .await
                .ok()
                .flatten();
            before.push(cached.map(|c| c.digest));
        }
        let mut images = self.analyzer.analyze_all(&refs).await;
        for (info, old) in images.iter().zip(&before) {
            if info.status == ImageStatus::Analyzed && info.digest.is_some() && info.digest != *old
            {
                let change = StateChangeDraft::image_updated(info.name.clone(), Utc::now());
                if let Err(e) = self.store.append_state_change(&change).await {
                    tracing::warn!(error = %e, image = info.name, "could not announce an image update");
                }
            }
        }
        images.extend(refused);
        let declared = job
            .rendered
            .as_ref()
            .map(|r| r.app.manifest.spec.support_arch.clone())
            .unwrap_or_default();
        let declared = (!declared.is_empty()).then_some(declared.as_slice());
        let support = arch_support(declared, &images);
        (job.support_arch, job.arch_warnings) = (support.support_arch, support.arch_warnings);
        job.images = images;
        Ok(StepOutcome::Ran)
    }
}
