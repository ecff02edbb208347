//! One request to a registry, the way every request goes: only to an allowed host
//! (redirect targets too, without credentials when the host changes), holding a permit of
//! that host's semaphore, retried for connection failures, 429 and 5xx with backoff that
//! honours `Retry-After` (see `retry`), counted, and with its body read up to a cap.
//!
//! Never: contact a host outside `CHART_REPO_REGISTRY_ALLOW`.

use crate::metrics::RegistryOutcome;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};
use tokio::sync::Semaphore;
use url::Url;

use super::auth::Authorization;
use super::config::RegistryConfig;
use super::error::RegistryError;
use super::retry::parse_retry_after;

/// Sent with every request, so a registry's access log tells our requests apart.
pub const USER_AGENT: &str = concat!("olares-chart-repo/", env!("CARGO_PKG_VERSION"));

/// Every manifest media type analysis reads: OCI and Docker v2, images and indexes.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";

const MAX_REDIRECTS: usize = 3;

/// The HTTP client with per-host limits and a request counter.
#[derive(Debug)]
pub struct Transport {
    http: reqwest::Client,
    config: Arc<RegistryConfig>,
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    requests: AtomicU64,
}

impl Transport {
    pub fn new(config: Arc<RegistryConfig>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .user_agent(USER_AGENT)
            .build()?;
        Ok(Self {
            http,
            config,
            limits: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
        })
    }

    /// Requests sent so far, every attempt and redirect counted.
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// One request with retries for connection failures, 429 and 5xx, following
    /// redirects to allowed hosts. Every attempt holds a permit of its host's semaphore.
    pub async fn request(
        &self,
        method: Method,
        url: &str,
        authorization: Option<&Authorization>,
        what: &str,
    ) -> Result<Response, RegistryError> {
        let mut url = Url::parse(url).map_err(|e| RegistryError::malformed(what, e.to_string()))?;
        let origin = host_of(&url);
        let mut redirects = 0;
        let mut attempt = 0;
        loop {
            let host = host_of(&url);
            if !allowed(&self.config, &host) {
                return Err(if host == origin {
                    RegistryError::HostNotAllowed(host)
                } else {
                    RegistryError::LinkNotAllowed {
                        what: "redirect",
                        host,
                    }
                });
            }
            // Credentials go only to the host they were meant for.
            let authorization = authorization.filter(|_| host == origin);
            let (result, retry_after) = self
                .attempt(&host, method.clone(), &url, authorization, what)
                .await;
            match result {
                Ok(response) if response.status().is_redirection() => {
                    let next = header(response.headers(), LOCATION.as_str())
                        .and_then(|l| url.join(&l).ok());
                    match next {
                        Some(next) if redirects < MAX_REDIRECTS => {
                            redirects += 1;
                            url = next;
                        }
                        _ => return Ok(response),
                    }
                }
                Ok(response) => return Ok(response),
                Err(error) => {
                    let Some(wait) = self.config.retry.wait(attempt, retry_after) else {
                        return Err(error);
                    };
                    tracing::debug!(%error, wait_ms = wait.as_millis() as u64, "registry request will be retried");
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Sends once. A retryable failure comes back as an error, with the registry's
    /// `Retry-After` when it sent one.
    async fn attempt(
        &self,
        host: &str,
        method: Method,
        url: &Url,
        authorization: Option<&Authorization>,
        what: &str,
    ) -> (Result<Response, RegistryError>, Option<Duration>) {
        let limit = self.limit(host);
        // The semaphore is never closed, so acquiring fails only if it were; treat
        // that like an unreachable host rather than panicking.
        let Ok(_permit) = limit.acquire().await else {
            let reason = "host limit closed".to_owned();
            return (
                Err(RegistryError::Unreachable {
                    host: host.into(),
                    reason,
                }),
                None,
            );
        };
        let mut request = self
            .http
            .request(method, url.clone())
            .header(ACCEPT, MANIFEST_ACCEPT);
        if let Some(authorization) = authorization {
            request = authorization.apply(request);
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                self.config.requests.count(RegistryOutcome::Unreachable);
                let reason = if e.is_timeout() {
                    "timed out".to_owned()
                } else {
                    e.to_string()
                };
                return (
                    Err(RegistryError::Unreachable {
                        host: host.into(),
                        reason,
                    }),
                    None,
                );
            }
        };
        let status = response.status();
        self.config
            .requests
            .count(RegistryOutcome::of_status(status.as_u16()));
        let retry_after = header(response.headers(), RETRY_AFTER.as_str())
            .and_then(|v| parse_retry_after(&v, SystemTime::now()));
        if status == StatusCode::TOO_MANY_REQUESTS {
            let error = RegistryError::RateLimited {
                what: what.into(),
                retry_after,
            };
            return (Err(error), retry_after);
        }
        if status.is_server_error() {
            let error = RegistryError::Status {
                what: what.into(),
                status: status.as_u16(),
            };
            return (Err(error), retry_after);
        }
        (Ok(response), None)
    }

    fn limit(&self, host: &str) -> Arc<Semaphore> {
        let mut limits = self
            .limits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        limits
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(self.config.per_host_concurrency.max(1))))
            .clone()
    }
}

/// `http://` for loopback hosts (as Docker treats them: insecure by default), else
/// `https://`.
pub fn base_url(host: &str) -> String {
    let name = host
        .strip_prefix('[')
        .and_then(|h| h.split_once(']'))
        .map_or_else(
            || host.rsplit_once(':').map_or(host, |(h, _)| h),
            |(h, _)| h,
        );
    let loopback = name == "localhost"
        || name == "::1"
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback());
    let scheme = if loopback { "http" } else { "https" };
    // References say `docker.io`; its registry API answers on another name.
    let host = if host == "docker.io" {
        DOCKER_HUB_API
    } else {
        host
    };
    format!("{scheme}://{host}")
}

/// Docker Hub's API host.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Whether `host` may be contacted; allowing `docker.io` allows its API host.
pub fn allowed(config: &RegistryConfig, host: &str) -> bool {
    config.allow.allows(host) || (host == DOCKER_HUB_API && config.allow.allows("docker.io"))
}

/// `host[:port]` of a URL, as the allow-list and credentials name hosts.
pub fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

pub fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads a body, refusing one larger than `cap`.
pub async fn read_capped(
    mut response: Response,
    cap: usize,
    what: &str,
) -> Result<Vec<u8>, RegistryError> {
    let too_large = || RegistryError::malformed(what, format!("larger than {cap} bytes"));
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| RegistryError::Unreachable {
            host: response.url().host_str().unwrap_or_default().to_owned(),
            reason: e.to_string(),
        })?
    {
        if body.len() + chunk.len() > cap {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_registries_speak_http() {
        assert_eq!(base_url("127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(base_url("localhost"), "http://localhost");
        assert_eq!(base_url("[::1]:5000"), "http://[::1]:5000");
        assert_eq!(base_url("docker.io"), "https://registry-1.docker.io");
        assert_eq!(base_url("ghcr.io:443"), "https://ghcr.io:443");
    }
}
