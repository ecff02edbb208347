//! The client of a remote market source (DESIGN.md §5.4): `hash`, `info`, `details` (at
//! most [`MAX_APP_IDS`] ids a call; the caller batches) and `chart`, each with timeouts,
//! retries and a deadline ([`RetryPolicy`]). The base URL may carry a path prefix
//! (`https://host/market`).
//!
//! Never: interprets the catalog (that is [`super::fetch`]), or stores anything.

use std::time::Duration;

use market_model::protocol::{
    AppsInfoRequest, AppsInfoResponse, DETAILS_PATH, HASH_PATH, HashResponse, INFO_PATH,
    MAX_APP_IDS, StoreInfoResponse,
};
use serde::de::DeserializeOwned;
use url::Url;

use crate::outbound::{CallError, RetryPolicy};

/// What a remote source call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// On the wire; retryable or not as [`CallError::is_retryable`] says.
    #[error(transparent)]
    Call(#[from] CallError),
    /// A caller's bug: too many ids for one details call. Permanent.
    #[error("{0} app ids in one details request (at most {MAX_APP_IDS})")]
    TooManyIds(usize),
    /// The source answered, but not what the protocol needs (an empty hash or version).
    /// Permanent until the source is fixed.
    #[error("{url}: {reason}")]
    Invalid { url: String, reason: String },
    /// The base URL cannot take the protocol's paths (`mailto:` and the like). Permanent.
    #[error("{0}: not a base URL for a market source")]
    BadBaseUrl(String),
}

impl SourceError {
    /// Whether trying again later may succeed (STYLE.md §4).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Call(e) => e.is_retryable(),
            Self::TooManyIds(_) | Self::Invalid { .. } | Self::BadBaseUrl(_) => false,
        }
    }
}

/// The protocol calls a catalog fetch needs; [`SourceClient`] speaks them over HTTP.
#[async_trait::async_trait]
pub trait RemoteSource: Send + Sync {
    /// `GET /api/v1/appstore/hash?version=V`.
    async fn hash(&self, version: &str) -> Result<HashResponse, SourceError>;
    /// `GET /api/v1/appstore/info?version=V`.
    async fn info(&self, version: &str) -> Result<StoreInfoResponse, SourceError>;
    /// `POST /api/v1/applications/info` for at most [`MAX_APP_IDS`] ids.
    async fn details(
        &self,
        app_ids: &[String],
        version: &str,
    ) -> Result<AppsInfoResponse, SourceError>;
}

/// Timeouts and retries of a [`SourceClient`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceClientConfig {
    pub connect_timeout: Duration,
    /// For `hash`, `info` and `details`.
    pub json: RetryPolicy,
    /// For `chart` (a package can be a few MiB).
    pub chart: RetryPolicy,
}

impl Default for SourceClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            json: RetryPolicy {
                attempt_timeout: Duration::from_secs(20),
                deadline: Duration::from_secs(90),
                max_attempts: 5,
                first_backoff: Duration::from_millis(500),
                max_backoff: Duration::from_secs(10),
            },
            chart: RetryPolicy {
                attempt_timeout: Duration::from_secs(60),
                deadline: Duration::from_secs(180),
                max_attempts: 4,
                first_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(10),
            },
        }
    }
}

/// An HTTP client of one market source.
#[derive(Clone, Debug)]
pub struct SourceClient {
    http: reqwest::Client,
    base: Url,
    config: SourceClientConfig,
}

impl SourceClient {
    /// A client of the source at `base` (its path prefix kept).
    pub fn new(base: Url, config: SourceClientConfig) -> Result<Self, SourceError> {
        if base.cannot_be_a_base() {
            return Err(SourceError::BadBaseUrl(base.to_string()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("olares-market/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CallError::from_reqwest(base.as_str(), &e))?;
        Ok(Self { http, base, config })
    }

    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// `GET /api/v1/applications/{name}/chart?version=&fileName=`: the package's bytes.
    pub async fn chart(
        &self,
        name: &str,
        version: &str,
        file_name: &str,
    ) -> Result<Vec<u8>, SourceError> {
        let mut url = self.url(&["api", "v1", "applications", name, "chart"]);
        url.query_pairs_mut()
            .append_pair("version", version)
            .append_pair("fileName", file_name);
        let bytes = self
            .config
            .chart
            .run("source chart", url.as_str(), || async {
                let response = self
                    .http
                    .get(url.clone())
                    .send()
                    .await
                    .map_err(|e| CallError::from_reqwest(url.as_str(), &e))?;
                let response = CallError::check(url.as_str(), response).await?;
                response
                    .bytes()
                    .await
                    .map_err(|e| CallError::from_reqwest(url.as_str(), &e))
            })
            .await?;
        Ok(bytes.to_vec())
    }

    /// `base` + the protocol path (`/api/v1/...`), segments escaped.
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    fn protocol_url(&self, path: &str) -> Url {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.url(&segments)
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        operation: &'static str,
        path: &str,
        version: &str,
    ) -> Result<T, SourceError> {
        let mut url = self.protocol_url(path);
        url.query_pairs_mut().append_pair("version", version);
        let answer = self
            .config
            .json
            .run(operation, url.as_str(), || async {
                let request = self.http.get(url.clone());
                read_json(url.as_str(), request).await
            })
            .await?;
        Ok(answer)
    }
}

#[async_trait::async_trait]
impl RemoteSource for SourceClient {
    async fn hash(&self, version: &str) -> Result<HashResponse, SourceError> {
        let answer: HashResponse = self.get_json("source hash", HASH_PATH, version).await?;
        if answer.hash.is_empty() {
            return Err(SourceError::Invalid {
                url: self.protocol_url(HASH_PATH).to_string(),
                reason: "the hash is empty".into(),
            });
        }
        Ok(answer)
    }

    async fn info(&self, version: &str) -> Result<StoreInfoResponse, SourceError> {
        let answer: StoreInfoResponse = self.get_json("source info", INFO_PATH, version).await?;
        // Olares' market refuses these too: without them a sync cannot be recorded.
        if answer.hash.is_empty() || answer.version.is_empty() {
            return Err(SourceError::Invalid {
                url: self.protocol_url(INFO_PATH).to_string(),
                reason: "the listing has an empty hash or version".into(),
            });
        }
        Ok(answer)
    }

    async fn details(
        &self,
        app_ids: &[String],
        version: &str,
    ) -> Result<AppsInfoResponse, SourceError> {
        if app_ids.len() > MAX_APP_IDS {
            return Err(SourceError::TooManyIds(app_ids.len()));
        }
        let url = self.protocol_url(DETAILS_PATH);
        let body = AppsInfoRequest {
            app_ids: app_ids.to_vec(),
            version: version.to_owned(),
        };
        let answer = self
            .config
            .json
            .run("source details", url.as_str(), || async {
                let request = self.http.post(url.clone()).json(&body);
                read_json(url.as_str(), request).await
            })
            .await?;
        Ok(answer)
    }
}

/// Sends `request` and reads a JSON answer.
async fn read_json<T: DeserializeOwned>(
    url: &str,
    request: reqwest::RequestBuilder,
) -> Result<T, CallError> {
    let response = request
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| CallError::from_reqwest(url, &e))?;
    let response = CallError::check(url, response).await?;
    let bytes = response
        .bytes()
        .await
        .map_err(|e| CallError::from_reqwest(url, &e))?;
    serde_json::from_slice(&bytes).map_err(|e| CallError::Decode {
        url: url.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn client(base: &str) -> SourceClient {
        SourceClient::new(Url::parse(base).unwrap(), SourceClientConfig::default()).unwrap()
    }

    #[test]
    fn paths_keep_the_prefix_and_escape_names() {
        let c = client("http://h:1/market");
        assert_eq!(
            c.protocol_url(HASH_PATH).as_str(),
            "http://h:1/market/api/v1/appstore/hash"
        );
        let c = client("http://h:1/market/");
        assert_eq!(
            c.url(&["api", "v1", "applications", "a b/c", "chart"])
                .as_str(),
            "http://h:1/market/api/v1/applications/a%20b%2Fc/chart"
        );
        let c = client("http://h:1");
        assert_eq!(
            c.protocol_url(DETAILS_PATH).as_str(),
            "http://h:1/api/v1/applications/info"
        );
    }

    #[tokio::test]
    async fn too_many_ids_is_refused_before_any_call() {
        let ids: Vec<String> = (0..11).map(|i| i.to_string()).collect();
        let err = client("http://127.0.0.1:9")
            .details(&ids, "1.12.3")
            .await
            .unwrap_err();
        assert!(matches!(err, SourceError::TooManyIds(11)));
        assert!(!err.is_retryable());
    }
}
