//! What image analysis found out about one container image (DESIGN.md §4.3 step 4), and
//! the app's `support_arch` / `arch_warnings` derived from it. chart-repo writes these;
//! market reads them. Serde shapes and pure functions only.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How the analysis of one image ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ImageStatus {
    /// The registry answered and every platform was read.
    Analyzed,
    /// The registry could not be asked or did not answer usefully: host not allowed,
    /// network failure, 5xx, 429, deadline exceeded.
    RegistryError,
    /// The registry wants credentials (401/403) that were missing or refused.
    PrivateRegistry,
    /// The registry does not know the repository, tag or digest.
    NotFound,
    /// The registry answered with something that is not a usable image.
    AnalysisFailed,
}

/// One layer of a platform's image: its digest and compressed size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LayerInfo {
    pub digest: String,
    /// Compressed size in bytes, as the manifest declares it.
    pub size: u64,
}

/// One platform of an image (the only one for a single-arch image).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformInfo {
    pub os: String,
    /// As OCI names it: `amd64`, `arm64`, `arm`, …
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Digest of this platform's manifest.
    pub digest: String,
    /// Sum of the compressed layer sizes.
    pub size: u64,
    pub layers: Vec<LayerInfo>,
    /// The config's `created` time, when it has a valid one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
}

/// The analysis of one image reference.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageInfo {
    /// The normalized reference as the chart names it (`docker.io/library/nginx:1.25`),
    /// never the mirror that was asked.
    pub name: String,
    /// Digest of the manifest or index the reference resolved to, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    pub status: ImageStatus,
    /// Why the status is not `analyzed`; empty when it is.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Whether asking again later may succeed (network, 5xx, 429, deadline).
    #[serde(default)]
    pub retryable: bool,
    #[serde(default)]
    pub platforms: Vec<PlatformInfo>,
    /// Bytes of the distinct layers over all platforms.
    #[serde(default)]
    pub total_size: u64,
    pub analyzed_at: DateTime<Utc>,
}

impl ImageInfo {
    /// An image that could not be analysed.
    pub fn failed(
        name: impl Into<String>,
        status: ImageStatus,
        reason: impl Into<String>,
        retryable: bool,
    ) -> Self {
        Self {
            name: name.into(),
            digest: None,
            status,
            reason: reason.into(),
            retryable,
            platforms: Vec::new(),
            total_size: 0,
            analyzed_at: Utc::now(),
        }
    }

    /// The distinct architectures of its platforms (`arm64`, not `arm64/v8`), skipping
    /// the `unknown` entries attestation manifests carry.
    pub fn architectures(&self) -> BTreeSet<String> {
        self.platforms
            .iter()
            .filter(|p| p.architecture != "unknown")
            .map(|p| p.architecture.clone())
            .collect()
    }
}

/// An app's architectures, and what its images contradict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchSupport {
    pub support_arch: Vec<String>,
    /// One sentence per declared architecture some analysed image lacks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub arch_warnings: Vec<String>,
}

/// The manifest's declared `spec.supportArch` when present (non-empty), else the
/// architectures every analysed image has. Images that were not analysed constrain
/// nothing. A declared architecture an analysed image lacks is warned about, naming
/// the images.
pub fn arch_support(declared: Option<&[String]>, images: &[ImageInfo]) -> ArchSupport {
    let analysed: Vec<&ImageInfo> = images
        .iter()
        .filter(|i| i.status == ImageStatus::Analyzed)
        .collect();
    let per_image: Vec<(&str, BTreeSet<String>)> = analysed
        .iter()
        .map(|i| (i.name.as_str(), i.architectures()))
        .collect();
    match declared.filter(|d| !d.is_empty()) {
        Some(declared) => {
            let mut arch_warnings = Vec::new();
            for arch in declared {
                let lacking: Vec<&str> = per_image
                    .iter()
                    .filter(|(_, archs)| !archs.contains(arch))
                    .map(|(name, _)| *name)
                    .collect();
                if !lacking.is_empty() {
                    arch_warnings.push(format!(
                        "declared architecture {arch} is missing from {}",
                        lacking.join(", ")
                    ));
                }
            }
            ArchSupport {
                support_arch: declared.to_vec(),
                arch_warnings,
            }
        }
        None => {
            let mut sets = per_image.into_iter().map(|(_, archs)| archs);
            let common = match sets.next() {
                Some(first) => sets.fold(first, |acc, s| &acc & &s),
                None => BTreeSet::new(),
            };
            ArchSupport {
                support_arch: common.into_iter().collect(),
                arch_warnings: Vec::new(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn image(name: &str, status: ImageStatus, archs: &[&str]) -> ImageInfo {
        let mut info = ImageInfo::failed(name, status, "", false);
        info.platforms = archs
            .iter()
            .map(|a| PlatformInfo {
                os: "linux".into(),
                architecture: (*a).into(),
                variant: None,
                digest: "sha256:00".into(),
                size: 1,
                layers: Vec::new(),
                created: None,
            })
            .collect();
        info
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn derived_support_is_the_intersection_of_analysed_images() {
        let images = [
            image("a", ImageStatus::Analyzed, &["amd64", "arm64", "unknown"]),
            image("b", ImageStatus::Analyzed, &["amd64", "arm64", "arm"]),
            image("c", ImageStatus::NotFound, &[]),
            image("d", ImageStatus::RegistryError, &[]),
        ];
        let got = arch_support(None, &images);
        assert_eq!(got.support_arch, strings(&["amd64", "arm64"]));
        assert!(got.arch_warnings.is_empty());
        let single = arch_support(None, &images[1..2]);
        assert_eq!(single.support_arch, strings(&["amd64", "arm", "arm64"]));
    }

    #[test]
    fn nothing_analysed_derives_nothing() {
        let images = [image("c", ImageStatus::PrivateRegistry, &[])];
        assert_eq!(arch_support(None, &images), ArchSupport::default());
        assert_eq!(arch_support(Some(&[]), &[]), ArchSupport::default());
    }

    #[test]
    fn declared_wins_and_missing_arches_are_warned() {
        let images = [
            image("a", ImageStatus::Analyzed, &["amd64", "arm64"]),
            image("b", ImageStatus::Analyzed, &["amd64"]),
            image("c", ImageStatus::AnalysisFailed, &[]),
        ];
        let declared = strings(&["amd64", "arm64"]);
        let got = arch_support(Some(&declared), &images);
        assert_eq!(got.support_arch, declared);
        assert_eq!(
            got.arch_warnings,
            ["declared architecture arm64 is missing from b"]
        );
        let fine = arch_support(Some(&strings(&["amd64"])), &images);
        assert!(fine.arch_warnings.is_empty());
    }

    #[test]
    fn wire_shape_is_snake_case() {
        let mut info = image(
            "docker.io/library/nginx:1.25",
            ImageStatus::Analyzed,
            &["amd64"],
        );
        info.analyzed_at = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["status"], "analyzed");
        assert_eq!(json["platforms"][0]["architecture"], "amd64");
        assert!(json.get("reason").is_none());
        let back: ImageInfo = serde_json::from_value(json).unwrap();
        assert_eq!(back, info);
        assert_eq!(
            serde_json::to_value(ImageStatus::PrivateRegistry).unwrap(),
            "private_registry"
        );
    }
}
