//! The Distribution API as analysis uses it: manifest GET and HEAD, blob GET, under the
//! authorization each host wants. Basic credentials or a Bearer token; the challenge is
//! remembered per host, so a known host costs no challenge round trip, and a token is
//! reused per (host, scope). Built on [`Transport`](super::transport) (retries, limits,
//! allow-list), not on `oci-client`: oci-client (0.18) opens each new scope with an extra
//! `GET /v2/`, has no retries or `Retry-After`, follows redirects and token realms to any
//! host, and offers no way to count requests; analysis needs all of that.
//!
//! Never: send credentials to a host they are not configured for, log them or a token.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use reqwest::{Method, Response, StatusCode};
use url::Url;

use super::auth::{AuthState, Authorization, Challenge, TokenResponse, parse_challenge};
use super::config::RegistryConfig;
use super::error::RegistryError;
use super::transport::{Transport, allowed, base_url, header, host_of, read_capped};

pub use super::transport::USER_AGENT;

/// Largest manifest or index read.
pub const MANIFEST_CAP: usize = 4 << 20;
/// Largest config blob read.
pub const CONFIG_CAP: usize = 8 << 20;
const TOKEN_CAP: usize = 1 << 20;

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
    transport: Transport,
    config: Arc<RegistryConfig>,
    auth: AuthState,
}

impl RegistryClient {
    pub fn new(config: Arc<RegistryConfig>) -> Result<Self, reqwest::Error> {
        Ok(Self {
            transport: Transport::new(config.clone())?,
            auth: AuthState::new(config.credentials.clone()),
            config,
        })
    }

    /// HTTP requests sent so far (retries, redirects and token requests included).
    pub fn requests_sent(&self) -> u64 {
        self.transport.requests_sent()
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
                .transport
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
            .transport
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
}
