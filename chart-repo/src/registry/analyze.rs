//! The analysis of one image: allow-list check (before any I/O), the cache, then manifest
//! or index, each platform's manifest and config, under one deadline. Never fails: an
//! error becomes the image's status and reason. Cold cost of a single-arch image on a
//! known host: manifest GET + config GET (+ one token GET on a Bearer host).

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::{StreamExt, future::try_join_all, stream};
use market_model::{ImageInfo, ImageStatus, LayerInfo, PlatformInfo};

use super::cache::{CachedImage, ImageCache};
use super::client::{CONFIG_CAP, RegistryClient, Target};
use super::config::RegistryConfig;
use super::error::RegistryError;
use super::manifest::{
    Descriptor, ImageConfig, ImageManifest, Manifest, parse_manifest, sha256_digest,
};
use super::reference::ImageRef;

/// Analyses images against their registries; one per process, shared.
#[derive(Clone)]
pub struct Analyzer {
    config: Arc<RegistryConfig>,
    client: Arc<RegistryClient>,
    cache: Arc<dyn ImageCache>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The HTTP client could not be built (TLS initialisation).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the registry HTTP client: {0}")]
pub struct BuildError(#[from] reqwest::Error);

impl Analyzer {
    pub fn new(config: RegistryConfig, cache: Arc<dyn ImageCache>) -> Result<Self, BuildError> {
        let config = Arc::new(config);
        let client = Arc::new(RegistryClient::new(config.clone())?);
        Ok(Self {
            config,
            client,
            cache,
        })
    }

    /// HTTP requests sent to registries so far, by this analyzer.
    pub fn requests_sent(&self) -> u64 {
        self.client.requests_sent()
    }

    /// Analyses many images, `concurrency` at a time, in the order given.
    pub async fn analyze_all(&self, images: &[ImageRef]) -> Vec<ImageInfo> {
        // The futures are made up front (lazily polled by `buffered`): a `map` closure over
        // borrowed references would not be `Send` for every lifetime, which async traits need.
        let futures: Vec<_> = images.iter().map(|image| self.analyze(image)).collect();
        stream::iter(futures)
            .buffered(self.config.concurrency.max(1))
            .collect()
            .await
    }

    /// Analyses one image. A disallowed host is refused without any I/O; a fresh cache
    /// entry is returned without asking the registry.
    #[tracing::instrument(skip_all, fields(image = %image))]
    pub async fn analyze(&self, image: &ImageRef) -> ImageInfo {
        let name = image.to_string();
        let host = self.config.contacted_host(&image.registry);
        if !self.config.allow.allows(host) {
            let error = RegistryError::HostNotAllowed(host.to_owned());
            return failed(&name, &error);
        }
        // A store that hangs must not hang the analysis: it gets the deadline too.
        let cached = match tokio::time::timeout(self.config.deadline, self.cache.get(&name)).await {
            Ok(Ok(entry)) => entry,
            Ok(Err(error)) => {
                tracing::warn!(%error, "image cache read failed; asking the registry");
                None
            }
            Err(_) => {
                tracing::warn!("image cache read timed out; asking the registry");
                None
            }
        };
        if let Some(entry) = &cached
            && self.is_fresh(entry)
        {
            return entry.info.clone();
        }
        let target = Target {
            host: host.to_owned(),
            repository: image.repository.clone(),
        };
        let work = self.refresh(image, &target, cached);
        let result = match tokio::time::timeout(self.config.deadline, work).await {
            Ok(result) => result,
            Err(_) => Err(RegistryError::DeadlineExceeded),
        };
        match result {
            Ok(entry) => {
                let put = self.cache.put(&name, &entry);
                match tokio::time::timeout(self.config.deadline, put).await {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => tracing::warn!(%error, "image cache write failed"),
                    Err(_) => tracing::warn!("image cache write timed out"),
                }
                entry.info
            }
            Err(error) => {
                tracing::debug!(%error, "image analysis failed");
                failed(&name, &error)
            }
        }
    }

    fn is_fresh(&self, entry: &CachedImage) -> bool {
        let age = Utc::now().signed_duration_since(entry.fetched_at);
        age.to_std().is_ok_and(|age| age < self.config.cache_ttl)
    }

    /// A stale entry is revalidated: a pinned digest never changes, and a tag whose HEAD
    /// still names the same digest keeps its analysis. Otherwise a full analysis.
    async fn refresh(
        &self,
        image: &ImageRef,
        target: &Target,
        stale: Option<CachedImage>,
    ) -> Result<CachedImage, RegistryError> {
        if let Some(mut entry) = stale {
            let unchanged = match &image.digest {
                Some(pinned) => pinned == &entry.digest,
                None => {
                    let head = self
                        .client
                        .manifest_digest(target, image.reference())
                        .await?;
                    head.as_deref() == Some(entry.digest.as_str())
                }
            };
            if unchanged {
                entry.fetched_at = Utc::now();
                return Ok(entry);
            }
        }
        let info = self.fetch(image, target).await?;
        Ok(CachedImage {
            digest: info.digest.clone().unwrap_or_default(),
            fetched_at: info.analyzed_at,
            info,
        })
    }

    /// Manifest or index, then every platform.
    async fn fetch(&self, image: &ImageRef, target: &Target) -> Result<ImageInfo, RegistryError> {
        let top = self.client.manifest(target, image.reference()).await?;
        let what = format!("manifest {}", image.reference());
        let computed = sha256_digest(&top.bytes);
        if let Some(pinned) = image.digest.as_deref().filter(|d| d.starts_with("sha256:"))
            && pinned != computed
        {
            let reason = format!("content digest {computed} does not match the reference");
            return Err(RegistryError::malformed(what, reason));
        }
        let digest = image
            .digest
            .clone()
            .or(top.header_digest)
            .unwrap_or(computed);
        let manifest = parse_manifest(top.media_type.as_deref(), &top.bytes)
            .map_err(|reason| RegistryError::malformed(&what, reason))?;
        let platforms = match manifest {
            Manifest::Image(m) => vec![self.platform(target, &digest, &m, None).await?],
            Manifest::Index(index) => {
                let wanted = index.manifests.iter().filter(|d| is_runnable(d));
                try_join_all(wanted.map(|d| self.indexed_platform(target, d))).await?
            }
        };
        if platforms.is_empty() {
            return Err(RegistryError::malformed(
                what,
                "the index lists no platform",
            ));
        }
        let distinct: BTreeMap<&str, u64> = platforms
            .iter()
            .flat_map(|p| &p.layers)
            .map(|l| (l.digest.as_str(), l.size))
            .collect();
        let total_size = distinct.values().sum();
        Ok(ImageInfo {
            name: image.to_string(),
            digest: Some(digest),
            status: ImageStatus::Analyzed,
            reason: String::new(),
            retryable: false,
            total_size,
            platforms,
            analyzed_at: Utc::now(),
        })
    }

    async fn indexed_platform(
        &self,
        target: &Target,
        entry: &Descriptor,
    ) -> Result<PlatformInfo, RegistryError> {
        let fetched = self.client.manifest(target, &entry.digest).await?;
        let what = format!("manifest {}", entry.digest);
        match parse_manifest(fetched.media_type.as_deref(), &fetched.bytes) {
            Ok(Manifest::Image(m)) => self.platform(target, &entry.digest, &m, Some(entry)).await,
            Ok(Manifest::Index(_)) => {
                Err(RegistryError::malformed(what, "an index inside an index"))
            }
            Err(reason) => Err(RegistryError::malformed(what, reason)),
        }
    }

    /// One platform: its layers from the manifest, `created` (and, for a single-arch
    /// image, the platform itself) from the config blob.
    async fn platform(
        &self,
        target: &Target,
        digest: &str,
        manifest: &ImageManifest,
        entry: Option<&Descriptor>,
    ) -> Result<PlatformInfo, RegistryError> {
        let bytes = self
            .client
            .blob(target, &manifest.config.digest, CONFIG_CAP)
            .await?;
        let config: ImageConfig = serde_json::from_slice(&bytes).map_err(|e| {
            RegistryError::malformed(format!("config {}", manifest.config.digest), e.to_string())
        })?;
        let created = config
            .created
            .as_deref()
            .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
            .map(|c| c.with_timezone(&Utc));
        let (os, architecture, variant) = match entry.and_then(|e| e.platform.as_ref()) {
            Some(p) => (p.os.clone(), p.architecture.clone(), p.variant.clone()),
            None => (
                config.os.unwrap_or_default(),
                config.architecture.unwrap_or_default(),
                config.variant,
            ),
        };
        let layers: Vec<LayerInfo> = manifest
            .layers
            .iter()
            .map(|l| LayerInfo {
                digest: l.digest.clone(),
                size: l.size,
            })
            .collect();
        Ok(PlatformInfo {
            os,
            architecture,
            variant,
            digest: digest.to_owned(),
            size: layers.iter().map(|l| l.size).sum(),
            layers,
            created,
        })
    }
}

/// Index entries that are images to run: not attestations (`unknown/unknown`), not
/// nested indexes or artifacts of other types.
fn is_runnable(d: &Descriptor) -> bool {
    let platform_ok = d
        .platform
        .as_ref()
        .is_none_or(|p| p.os != "unknown" && p.architecture != "unknown");
    let type_ok = d.media_type.is_empty()
        || d.media_type == "application/vnd.oci.image.manifest.v1+json"
        || d.media_type == "application/vnd.docker.distribution.manifest.v2+json";
    platform_ok && type_ok
}

fn failed(name: &str, error: &RegistryError) -> ImageInfo {
    ImageInfo::failed(
        name,
        error.status(),
        error.to_string(),
        error.is_retryable(),
    )
}
