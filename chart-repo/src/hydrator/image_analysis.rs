//! Step 4, ImageAnalysis: the image of every container of every pod spec in the rendered
//! templates, plus the manifest's `options.images`, each asked of its registry through
//! the [`ImageAnalyzer`]; then the app's architectures. An image that cannot be analysed
//! is marked, never fails the app; only a chart whose templates cannot be read as YAML
//! fails here.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;

use super::{Hydration, Step, StepError, StepName, StepOutcome};
use crate::registry::{ImageRef, manifest_images, pod_images};

/// One image of the app, as analysed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AnalyzedImage {
    /// The reference as the chart wrote it.
    pub name: String,
    /// Architectures the registry offers for it; empty when analysis failed.
    pub architectures: Vec<String>,
    /// The analysis (Olares' `ImageInfo` shape).
    pub info: serde_json::Value,
}

/// Asks registries about images. Never fails: a failure is a status in the result.
#[async_trait::async_trait]
pub trait ImageAnalyzer: Send + Sync {
    async fn analyze(&self, name: &str, image: &ImageRef) -> AnalyzedImage;
}

pub struct ImageAnalysis {
    analyzer: Arc<dyn ImageAnalyzer>,
}

impl ImageAnalysis {
    pub fn new(analyzer: Arc<dyn ImageAnalyzer>) -> Self {
        Self { analyzer }
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

/// The app's architectures: the manifest's declared `spec.supportArch` when present, else
/// the intersection over the analysed images (images that failed analysis do not
/// constrain). A declared architecture the analysed images lack is a warning.
pub fn support_arch(declared: &[String], images: &[AnalyzedImage]) -> (Vec<String>, Vec<String>) {
    let analysed: Vec<BTreeSet<&str>> = images
        .iter()
        .filter(|i| !i.architectures.is_empty())
        .map(|i| i.architectures.iter().map(String::as_str).collect())
        .collect();
    let common: Option<BTreeSet<&str>> = analysed
        .iter()
        .cloned()
        .reduce(|a, b| a.intersection(&b).copied().collect());
    if !declared.is_empty() {
        let warnings = match &common {
            Some(common) => declared
                .iter()
                .filter(|arch| !common.contains(arch.as_str()))
                .map(|arch| format!("declared architecture {arch} is not offered by every image"))
                .collect(),
            None => Vec::new(),
        };
        return (declared.to_vec(), warnings);
    }
    let arches = common
        .map(|c| c.into_iter().map(str::to_owned).collect())
        .unwrap_or_default();
    (arches, Vec::new())
}

#[async_trait::async_trait]
impl Step for ImageAnalysis {
    fn name(&self) -> StepName {
        StepName::ImageAnalysis
    }

    async fn run(&self, job: &mut Hydration) -> Result<StepOutcome, StepError> {
        let names = app_images(job)?;
        let mut images = Vec::with_capacity(names.len());
        for name in names {
            let analyzed = match ImageRef::parse(&name) {
                Ok(reference) => self.analyzer.analyze(&name, &reference).await,
                Err(e) => AnalyzedImage {
                    name: name.clone(),
                    architectures: Vec::new(),
                    info: serde_json::json!({
                        "name": name, "status": "analysis_failed",
                        "error_message": format!("not an image reference: {e}"),
                    }),
                },
            };
            images.push(analyzed);
        }
        let declared = job
            .rendered
            .as_ref()
            .map(|r| r.app.manifest.spec.support_arch.clone())
            .unwrap_or_default();
        (job.support_arch, job.arch_warnings) = support_arch(&declared, &images);
        job.images = images;
        Ok(StepOutcome::Ran)
    }
}

/// The analyzer the service runs with.
// FIXME(issue 6): replaced by the registry client when it lands; until then every image
// is reported as not analysed, which never fails an app.
pub fn analyzer(_config: &crate::config::Config) -> Arc<dyn ImageAnalyzer> {
    Arc::new(NotAnalyzed)
}

struct NotAnalyzed;

#[async_trait::async_trait]
impl ImageAnalyzer for NotAnalyzed {
    async fn analyze(&self, name: &str, _image: &ImageRef) -> AnalyzedImage {
        AnalyzedImage {
            name: name.to_owned(),
            architectures: Vec::new(),
            info: serde_json::json!({
                "name": name, "status": "registry_error",
                "error_message": "image analysis is not configured in this build",
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(arches: &[&str]) -> AnalyzedImage {
        AnalyzedImage {
            name: "x".into(),
            architectures: arches.iter().map(|s| (*s).to_owned()).collect(),
            info: serde_json::Value::Null,
        }
    }

    #[test]
    fn declared_arches_win_and_missing_ones_warn() {
        let images = [image(&["amd64", "arm64"]), image(&["amd64"]), image(&[])];
        let (arches, warnings) = support_arch(&["amd64".into(), "arm64".into()], &images);
        assert_eq!(arches, ["amd64", "arm64"]);
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("arm64"), "{warnings:?}");
    }

    #[test]
    fn without_a_declaration_the_images_decide() {
        let images = [
            image(&["amd64", "arm64"]),
            image(&["arm64", "amd64", "s390x"]),
            image(&[]),
        ];
        assert_eq!(
            support_arch(&[], &images),
            (vec!["amd64".into(), "arm64".into()], vec![])
        );
        assert_eq!(support_arch(&[], &[image(&[])]), (vec![], vec![]));
    }
}
