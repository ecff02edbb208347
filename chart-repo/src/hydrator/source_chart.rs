//! Step 1, SourceChart: the app's source package — downloaded from a remote source
//! (`GET {base_url}/api/v1/applications/{name}/chart?version=&fileName=`) or taken from
//! the upload store for local sources — read by the capped reader, checked to hold
//! `Chart.yaml` and `OlaresManifest.yaml` under one top folder named after the app, and
//! stored under its SHA-256.

use std::sync::Arc;
use std::time::Duration;

use market_model::SourceType;
use olares_chart::manifest::OLARES_MANIFEST;
use olares_chart::{Limits, read_chart_archive};

use super::{Hydration, SourcePackage, Step, StepError, StepName, StepOutcome};
use crate::packages::PackageStore;
use crate::store::RepoStore;

/// How long one chart download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(60);

pub struct SourceChart {
    store: Arc<dyn RepoStore>,
    packages: PackageStore,
    http: reqwest::Client,
    limits: Limits,
}

impl SourceChart {
    pub fn new(
        store: Arc<dyn RepoStore>,
        packages: PackageStore,
        http: reqwest::Client,
        limits: Limits,
    ) -> Self {
        Self {
            store,
            packages,
            http,
            limits,
        }
    }

    async fn fetch(&self, job: &Hydration) -> Result<Vec<u8>, StepError> {
        let source = self
            .store
            .source(&job.source)
            .await
            .map_err(|e| StepError::Retryable(e.to_string()))?
            .ok_or_else(|| {
                StepError::Permanent(format!("market source {} is not known", job.source))
            })?;
        match source.kind {
            SourceType::Remote => self.download(&source.base_url, job).await,
            SourceType::Local => {
                let digest = &job.request.app_info_latest_pending_data.raw_package;
                let bytes = self
                    .packages
                    .source(digest)
                    .await
                    .map_err(|e| StepError::Permanent(format!("raw_package: {e}")))?;
                bytes.ok_or_else(|| {
                    StepError::Permanent(format!("the uploaded package {digest:?} is not stored"))
                })
            }
        }
    }

    async fn download(&self, base_url: &str, job: &Hydration) -> Result<Vec<u8>, StepError> {
        let raw = job.request.app_info_latest_pending_data.raw_data.as_ref();
        let file_name = raw
            .map(|r| r.chart_name.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("{}-{}.tgz", job.app, job.version));
        let url = format!(
            "{}/api/v1/applications/{}/chart",
            base_url.trim_end_matches('/'),
            job.app
        );
        let response = self
            .http
            .get(&url)
            .query(&[
                ("version", job.version.as_str()),
                ("fileName", file_name.as_str()),
            ])
            .timeout(DOWNLOAD_TIMEOUT)
            .send()
            .await
            .map_err(|e| StepError::Retryable(format!("GET {url}: {e}")))?;
        let status = response.status();
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(StepError::Retryable(format!("GET {url}: {status}")));
        }
        if !status.is_success() {
            return Err(StepError::Permanent(format!(
                "GET {url}: {status}: the source does not serve {} {}",
                job.app, job.version
            )));
        }
        read_capped(response, self.limits.max_compressed_bytes, &url).await
    }
}

/// Reads a response body, refusing one larger than `limit` before it is all in memory.
async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
    url: &str,
) -> Result<Vec<u8>, StepError> {
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(StepError::Permanent(format!(
            "{url}: the chart is larger than {limit} bytes"
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| StepError::Retryable(format!("{url}: {e}")))?
    {
        if (body.len() + chunk.len()) as u64 > limit {
            return Err(StepError::Permanent(format!(
                "{url}: the chart is larger than {limit} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[async_trait::async_trait]
impl Step for SourceChart {
    fn name(&self) -> StepName {
        StepName::SourceChart
    }

    async fn run(&self, job: &mut Hydration) -> Result<StepOutcome, StepError> {
        if job.source_package.is_some() {
            return Ok(StepOutcome::Skipped);
        }
        let bytes = self.fetch(job).await?;
        let limits = self.limits.clone();
        let (bytes, archive) = tokio::task::spawn_blocking(move || {
            let archive = read_chart_archive(&bytes, &limits);
            (bytes, archive)
        })
        .await
        .map_err(|e| StepError::Retryable(format!("reading the chart: {e}")))?;
        let archive =
            archive.map_err(|e| StepError::Permanent(format!("the chart package: {e}")))?;
        archive
            .require_top(&job.app)
            .map_err(|e| StepError::Permanent(format!("the chart package: {e}")))?;
        if archive.file(OLARES_MANIFEST).is_none() {
            return Err(StepError::Permanent(format!(
                "the chart package has no {OLARES_MANIFEST}"
            )));
        }
        let digest = self
            .packages
            .put_source(&bytes)
            .await
            .map_err(|e| StepError::Retryable(e.to_string()))?;
        job.source_package = Some(SourcePackage {
            digest,
            bytes: Arc::new(bytes),
            archive: Arc::new(archive),
        });
        Ok(StepOutcome::Ran)
    }
}
