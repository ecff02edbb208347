//! HTTP to registries, written on `reqwest` rather than `oci-client`: oci-client (0.18)
//! opens each new scope with an extra `GET /v2/`, has no retries or `Retry-After`, follows
//! redirects and token realms to any host, and has no hook to count requests. Analysis
//! needs all of those, so this is the small client: the Distribution API's manifest
//! GET/HEAD and blob GET, Basic and Bearer auth (remembered per host, so a known host costs
//! no challenge round trip), a semaphore per host, retries (see `retry`), redirects only to
//! allowed hosts and without credentials when the host changes, capped bodies.
//!
//! Never: contact a host outside the allow-list, log credentials or tokens.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use tokio::sync::Semaphore;
use url::Url;

use super::auth::{AuthState, Authorization, Challenge, TokenResponse, parse_challenge};
use super::config::RegistryConfig;
use super::error::RegistryError;
use super::retry::parse_retry_after;

/// Every manifest media type analysis reads: OCI and Docker v2, images and indexes.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
     application/vnd.oci.image.manifest.v1+json, \
     application/vnd.docker.distribution.manifest.list.v2+json, \
     application/vnd.docker.distribution.manifest.v2+json";

/// Sent with every request, so a registry's access log tells our requests apart.
pub const USER_AGENT: &str = concat!("olares-chart-repo/", env!("CARGO_PKG_VERSION"));

/// Largest manifest or index read.
pub const MANIFEST_CAP: usize = 4 << 20;
/// Largest config blob read.
pub const CONFIG_CAP: usize = 8 << 20;
const TOKEN_CAP: usize = 1 << 20;
const MAX_REDIRECTS: usize = 3;

/// One repository on the host actually contacted.
#[derive(Clone, Debug)]
pub struct Target {
    /// The mirror when one is configured, else the reference's registry.
    pub host: String,
    pub repository: String,
}

impl Target {
    fn scope(&self) -> String {
        format!("repository:{}:pull", self.repository)
    }

    fn url(&self, tail: &str) -> String {
        format!("{}/v2/{}/{tail}", base_url(&self.host), self.repository)
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

/// A manifest as fetched: its bytes, the media type the registry named, its digest.
#[derive(Debug)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub media_type: Option<String>,
    pub header_digest: Option<String>,
}

/// The registry client shared by every analysis.
#[derive(Debug)]
pub struct RegistryClient {
    http: reqwest::Client,
    config: Arc<RegistryConfig>,
    auth: AuthState,
    limits: Mutex<HashMap<String, Arc<Semaphore>>>,
    requests: AtomicU64,
}

impl RegistryClient {
    pub fn new(config: Arc<RegistryConfig>) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .user_agent(USER_AGENT)
            .build()?;
        Ok(Self {
            http,
            auth: AuthState::new(config.credentials.clone()),
            config,
            limits: Mutex::new(HashMap::new()),
            requests: AtomicU64::new(0),
        })
    }

    /// HTTP requests sent so far (retries, redirects and token requests included).
    pub fn requests_sent(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// `GET /v2/<repo>/manifests/<reference>`.
    pub async fn manifest(
        &self,
        target: &Target,
        reference: &str,
    ) -> Result<Fetched, RegistryError> {
        let what = format!("manifest {reference}");
        let url = target.url(&format!("manifests/{reference}"));
        let response = self.send(target, Method::GET, &url, &what).await?;
        let headers = response.headers().clone();
        let bytes = read_capped(response, MANIFEST_CAP, &what).await?;
        Ok(Fetched {
            bytes,
            media_type: header(&headers, CONTENT_TYPE.as_str()),
            header_digest: header(&headers, "docker-content-digest"),
        })
    }

    /// `HEAD /v2/<repo>/manifests/<reference>`: the digest, when the registry names it.
    pub async fn manifest_digest(
        &self,
        target: &Target,
        reference: &str,
    ) -> Result<Option<String>, RegistryError> {
        let what = format!("manifest {reference}");
        let url = target.url(&format!("manifests/{reference}"));
        let response = self.send(target, Method::HEAD, &url, &what).await?;
        Ok(header(response.headers(), "docker-content-digest"))
    }

    /// `GET /v2/<repo>/blobs/<digest>`, at most `cap` bytes.
    pub async fn blob(
        &self,
        target: &Target,
        digest: &str,
        cap: usize,
    ) -> Result<Vec<u8>, RegistryError> {
        let what = format!("blob {digest}");
        let url = target.url(&format!("blobs/{digest}"));
        let response = self.send(target, Method::GET, &url, &what).await?;
        read_capped(response, cap, &what).await
    }

    /// Sends with the authorization `target.host` is known to want, answers one 401
    /// challenge, and turns every unsuccessful status into an error.
    async fn send(
        &self,
        target: &Target,
        method: Method,
        url: &str,
        what: &str,
    ) -> Result<Response, RegistryError> {
        let mut authorization = match self.auth.remembered(&target.host) {
            Some(challenge) => self.answer(target, &challenge, None).await?,
            None => None,
        };
        let mut answered = false;
        loop {
            let response = self
                .request(method.clone(), url, authorization.as_ref(), what)
                .await?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !answered {
                let challenge = header(response.headers(), WWW_AUTHENTICATE.as_str())
                    .as_deref()
                    .and_then(parse_challenge);
                if let Some(challenge) = challenge {
                    if let Challenge::Bearer { scope, .. } = &challenge {
                        let scope = scope.clone().unwrap_or_else(|| target.scope());
                        self.auth.forget_token(&target.host, &scope);
                    }
                    self.auth.remember(&target.host, challenge.clone());
                    authorization = self.answer(target, &challenge, Some(what)).await?;
                    answered = true;
                    continue;
                }
            }
            return self.check(response, what, &target.host);
        }
    }

    /// The authorization that answers `challenge`: credentials for Basic, a (cached or
    /// new) token for Bearer. `refused` names the request a 401 came back for: then a
    /// Basic challenge without credentials means the image is private.
    async fn answer(
        &self,
        target: &Target,
        challenge: &Challenge,
        refused: Option<&str>,
    ) -> Result<Option<Authorization>, RegistryError> {
        let credentials = self.auth.credentials(&target.host);
        match challenge {
            Challenge::Basic => match (credentials, refused) {
                (Some(c), _) => Ok(Some(Authorization::basic(c))),
                (None, Some(what)) => Err(RegistryError::Unauthorized {
                    what: what.to_owned(),
                    had_credentials: false,
                }),
                (None, None) => Ok(None),
            },
            Challenge::Bearer {
                realm,
                service,
                scope,
            } => {
                // A remembered challenge carries the scope of another repository.
                let scope = match (scope, refused) {
                    (Some(s), Some(_)) => s.clone(),
                    _ => target.scope(),
                };
                if let Some(token) = self.auth.token(&target.host, &scope) {
                    return Ok(Some(Authorization::Bearer(token)));
                }
                let (token, lifetime) = self
                    .fetch_token(target, realm, service.as_deref(), &scope)
                    .await?;
                self.auth
                    .store_token(&target.host, &scope, token.clone(), lifetime);
                Ok(Some(Authorization::Bearer(token)))
            }
        }
    }

    /// `GET realm?service=&scope=`, with the host's credentials when it has some.
    async fn fetch_token(
        &self,
        target: &Target,
        realm: &str,
        service: Option<&str>,
        scope: &str,
    ) -> Result<(secrecy::SecretString, Duration), RegistryError> {
        let token_error = |reason: String| RegistryError::Token {
            realm: realm.to_owned(),
            reason,
        };
        let mut url = Url::parse(realm).map_err(|e| token_error(format!("bad realm URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(token_error("realm is not an http(s) URL".into()));
        }
        let realm_host = host_of(&url);
        if !allowed(&self.config, &realm_host) {
            return Err(RegistryError::LinkNotAllowed {
                what: "token realm",
                host: realm_host,
            });
        }
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = service {
                query.append_pair("service", service);
            }
            query.append_pair("scope", scope);
        }
        let credentials = self
            .auth
            .credentials(&target.host)
            .map(Authorization::basic);
        let what = "token endpoint";
        let response = self
            .request(Method::GET, url.as_str(), credentials.as_ref(), what)
            .await?;
        let had_credentials = credentials.is_some();
        let response = match response.status() {
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => {
                return Err(RegistryError::Unauthorized {
                    what: what.into(),
                    had_credentials,
                });
            }
            _ => self.check(response, what, &host_of(&url))?,
        };
        let body = read_capped(response, TOKEN_CAP, what).await?;
        let parsed: TokenResponse = serde_json::from_slice(&body)
            .map_err(|e| token_error(format!("not a token response: {e}")))?;
        parsed
            .into_token()
            .ok_or_else(|| token_error("no token in the response".into()))
    }

    /// One request with retries for connection failures, 429 and 5xx, following
    /// redirects to allowed hosts. Every attempt holds a permit of its host's semaphore.
    async fn request(
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

    /// The final answer's status as an error, or the response when it succeeded.
    fn check(&self, response: Response, what: &str, host: &str) -> Result<Response, RegistryError> {
        let status = response.status();
        let what = what.to_owned();
        match status {
            s if s.is_success() => Ok(response),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(RegistryError::Unauthorized {
                had_credentials: self.auth.credentials(host).is_some(),
                what,
            }),
            StatusCode::NOT_FOUND => Err(RegistryError::NotFound { what }),
            s => Err(RegistryError::Status {
                what,
                status: s.as_u16(),
            }),
        }
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

/// Docker Hub's API host.
const DOCKER_HUB_API: &str = "registry-1.docker.io";

/// Whether `host` may be contacted; allowing `docker.io` allows its API host.
fn allowed(config: &RegistryConfig, host: &str) -> bool {
    config.allow.allows(host) || (host == DOCKER_HUB_API && config.allow.allows("docker.io"))
}

/// `host[:port]` of a URL, as the allow-list and credentials name hosts.
fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Reads a body, refusing one larger than `cap`.
async fn read_capped(
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
