//! market's port to chart-repo's control API (`/chart-repo/api/v2`, DESIGN.md §4.1 and
//! `docs/api.md`): the [`ChartRepoClient`] trait the rest of market depends on (as
//! `Arc<dyn ChartRepoClient>`) and its HTTP implementation [`HttpChartRepo`], one method
//! per route market calls, with the optional bearer token, timeouts and retries.
//!
//! Never: decides what to hydrate or remove (the syncer and watcher do).

use std::collections::BTreeMap;
use std::time::Duration;

use std::path::Path;

use market_model::sync::{SyncAppData, SyncAppPayload, SyncAppRequest, SyncFailure, SyncStatus};
use market_model::{
    Envelope, ErrorBody, MarketSource, SourceId, StateChangesGone, StateChangesPage,
};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::outbound::{CallError, RetryPolicy, current_request_id};

/// The control API's prefix.
pub const PREFIX: &str = "/chart-repo/api/v2";

/// The header carrying the id of the request being served (see
/// [`crate::outbound::with_request_id`]).
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The header naming the user a request is for.
const USER_HEADER: &str = "x-bfl-user";

/// What can go wrong asking chart-repo.
#[derive(Debug, thiserror::Error)]
pub enum ChartRepoError {
    /// On the wire, or an error status; retryable as [`CallError::is_retryable`] says.
    #[error(transparent)]
    Call(#[from] CallError),
    /// An answer the client does not understand (a contract mismatch). Permanent.
    #[error("chart-repo {route}: {reason}")]
    Unexpected { route: &'static str, reason: String },
}

impl ChartRepoError {
    /// Whether trying again later may succeed (STYLE.md §4).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Call(e) => e.is_retryable(),
            Self::Unexpected { .. } => false,
        }
    }
}

/// How a `sync-app` ended.
#[derive(Clone, Debug, PartialEq)]
pub enum SyncOutcome {
    /// Hydrated: the rendered app (`status` new, updated or existing).
    Done(Box<SyncAppData>),
    /// Failed for good (`render_failed`): the step and the reason, to show the user.
    Failed(SyncFailure),
    /// Still running (or backing off after a retryable failure); asking again joins it.
    InProgress { job_id: i64 },
}

/// Whose copy of an app [`ChartRepoClient::remove_app`] removes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RemoveFor<'a> {
    /// Every user's copy (an app delisted upstream).
    AllUsers,
    User(&'a str),
}

/// `DELETE /apps/{source}/{name}`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct RemovedApp {
    pub app_name: String,
    pub source: String,
    /// The users whose copy was removed (one `app_removed` change each).
    pub removed_for: Vec<String>,
}

/// `POST /apps/upload`'s answer: the uploader's rendered app.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
pub struct Uploaded {
    pub app_data: SyncAppPayload,
    pub status: SyncStatus,
}

/// One chart to pass on to `POST /apps/upload`.
#[derive(Clone, Copy, Debug)]
pub struct Upload<'a> {
    /// The uploader (`X-Bfl-User`).
    pub user: &'a str,
    /// The admin whose values the render uses (`admin_user`).
    pub admin: &'a str,
    /// The local source it goes to.
    pub source: &'a SourceId,
    /// The package, already on disk (read again for each attempt).
    pub package: &'a Path,
    /// The file name the uploader gave it.
    pub file_name: &'a str,
}

/// `DELETE /local-apps/delete`'s answer.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct DeletedLocal {
    pub app_name: String,
    /// How many users' copies were removed (0 or 1 for one caller).
    pub removed: u64,
}

/// What the repository holds for one user (`GET /repo/data`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoData {
    /// Source id → the apps rendered for the user from it.
    pub sources: BTreeMap<String, Vec<RepoApp>>,
}

/// One rendered app in [`RepoData`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RepoApp {
    pub app_id: String,
    pub support_arch: Vec<String>,
}

/// chart-repo's control API as market uses it.
#[async_trait::async_trait]
pub trait ChartRepoClient: Send + Sync {
    /// `POST /dcr/sync-app`: hydrate one (user, source, app, version).
    async fn sync_app(&self, request: &SyncAppRequest) -> Result<SyncOutcome, ChartRepoError>;
    /// `GET /state-changes`: the changes after `after_id`, or `Err(gone)` when the cursor
    /// is older than chart-repo's retention (resync everything, then go on from
    /// `gone.latest_id`).
    async fn state_changes(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Result<StateChangesPage, StateChangesGone>, ChartRepoError>;
    /// `DELETE /apps/{source}/{name}[?user=]`.
    async fn remove_app(
        &self,
        source: &SourceId,
        name: &str,
        whom: RemoveFor<'_>,
    ) -> Result<RemovedApp, ChartRepoError>;
    /// `POST /settings/market-source`: create or replace one source.
    async fn put_source(&self, source: &MarketSource) -> Result<(), ChartRepoError>;
    /// `DELETE /settings/market-source/{id}`; `false` when chart-repo did not know it.
    async fn delete_source(&self, id: &SourceId) -> Result<bool, ChartRepoError>;
    /// `GET /repo/data?user=`.
    async fn repo_data(&self, user: &str) -> Result<RepoData, ChartRepoError>;
    /// `POST /apps/upload`: checks and hydrates an uploaded chart for its uploader. The
    /// package is streamed from its file; an error status comes back as
    /// [`CallError::Status`] with chart-repo's code (`invalid_chart`, `too_large`, …).
    async fn upload(&self, upload: Upload<'_>) -> Result<Uploaded, ChartRepoError>;
    /// `DELETE /local-apps/delete` for one user's copy (`app_version` empty: any version).
    async fn delete_local(
        &self,
        user: &str,
        source: &SourceId,
        app_name: &str,
        app_version: &str,
    ) -> Result<DeletedLocal, ChartRepoError>;
    /// `POST /apps`: the user's rendered payloads (`SyncAppPayload` JSON) for
    /// `(app id or name, source)` pairs; the ones chart-repo lacks are left out.
    async fn apps(
        &self,
        user: &str,
        wanted: &[(&str, &SourceId)],
    ) -> Result<Vec<serde_json::Value>, ChartRepoError>;
}

/// Timeouts and retries of [`HttpChartRepo`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChartRepoClientConfig {
    pub connect_timeout: Duration,
    /// Every route but `sync-app`.
    pub calls: RetryPolicy,
    /// `sync-app` waits up to 45 s server-side before answering 202, so its attempts
    /// need longer; it is idempotent (chart-repo deduplicates by the request's key).
    pub sync: RetryPolicy,
}

impl Default for ChartRepoClientConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            calls: RetryPolicy {
                attempt_timeout: Duration::from_secs(15),
                deadline: Duration::from_secs(45),
                max_attempts: 4,
                first_backoff: Duration::from_millis(200),
                max_backoff: Duration::from_secs(5),
            },
            sync: RetryPolicy {
                attempt_timeout: Duration::from_secs(60),
                deadline: Duration::from_secs(150),
                max_attempts: 3,
                first_backoff: Duration::from_millis(500),
                max_backoff: Duration::from_secs(5),
            },
        }
    }
}

/// [`ChartRepoClient`] over HTTP.
#[derive(Clone)]
pub struct HttpChartRepo {
    http: reqwest::Client,
    base: Url,
    token: Option<SecretString>,
    config: ChartRepoClientConfig,
}

impl std::fmt::Debug for HttpChartRepo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpChartRepo")
            .field("base", &self.base.as_str())
            .field("token", &self.token.as_ref().map(|_| "[redacted]"))
            .field("config", &self.config)
            .finish()
    }
}

impl HttpChartRepo {
    /// A client of the chart-repo at `base` (`MARKET_CHART_REPO_URL`), sending `token`
    /// (`MARKET_CHART_REPO_TOKEN`) as `Authorization: Bearer` when set.
    pub fn new(
        base: Url,
        token: Option<SecretString>,
        config: ChartRepoClientConfig,
    ) -> Result<Self, ChartRepoError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| CallError::from_reqwest(base.as_str(), &e))?;
        Ok(Self {
            http,
            base,
            token,
            config,
        })
    }

    /// `base` + [`PREFIX`] + `segments` (each escaped).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty()
                .extend(["chart-repo", "api", "v2"])
                .extend(segments);
        }
        url
    }

    fn request(&self, method: reqwest::Method, url: &Url) -> reqwest::RequestBuilder {
        let mut request = self
            .http
            .request(method, url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(id) = current_request_id() {
            request = request.header(REQUEST_ID_HEADER, id);
        }
        match &self.token {
            Some(token) => request.bearer_auth(token.expose_secret()),
            None => request,
        }
    }

    /// Sends one request (again on retryable failures) and hands back status and body.
    async fn send(
        &self,
        operation: &'static str,
        policy: &RetryPolicy,
        url: &Url,
        build: impl Fn() -> reqwest::RequestBuilder + Sync,
    ) -> Result<(u16, Vec<u8>), ChartRepoError> {
        let answer = policy
            .run(operation, url.as_str(), || exchange(url, build()))
            .await?;
        Ok(answer)
    }

    /// A JSON route answering the envelope; `data` decoded as `T`.
    async fn envelope<T: DeserializeOwned>(
        &self,
        route: &'static str,
        url: &Url,
        build: impl Fn() -> reqwest::RequestBuilder + Sync,
    ) -> Result<T, ChartRepoError> {
        let (_, body) = self.send(route, &self.config.calls, url, build).await?;
        let envelope: Envelope<T> = decode(route, &body)?;
        Ok(envelope.data)
    }
}

/// Sends `request` once and reads the answer: its status and body. 410 on the feed and
/// 200 `success:false` on sync-app are answers, not failures; every other error status
/// becomes a [`CallError`].
async fn exchange(
    url: &Url,
    request: reqwest::RequestBuilder,
) -> Result<(u16, Vec<u8>), CallError> {
    let response = request
        .send()
        .await
        .map_err(|e| CallError::from_reqwest(url.as_str(), &e))?;
    let status = response.status().as_u16();
    let response = if status == 410 {
        response
    } else {
        CallError::check(url.as_str(), response).await?
    };
    let body = response
        .bytes()
        .await
        .map_err(|e| CallError::from_reqwest(url.as_str(), &e))?;
    Ok((status, body.to_vec()))
}

fn decode<T: DeserializeOwned>(route: &'static str, body: &[u8]) -> Result<T, ChartRepoError> {
    serde_json::from_slice(body).map_err(|e| ChartRepoError::Unexpected {
        route,
        reason: e.to_string(),
    })
}

#[async_trait::async_trait]
impl ChartRepoClient for HttpChartRepo {
    async fn sync_app(&self, request: &SyncAppRequest) -> Result<SyncOutcome, ChartRepoError> {
        const ROUTE: &str = "sync-app";
        let url = self.url(&["dcr", "sync-app"]);
        let build = || self.request(reqwest::Method::POST, &url).json(request);
        let (status, body) = self.send(ROUTE, &self.config.sync, &url, build).await?;
        if status == 202 {
            #[derive(Deserialize)]
            struct Running {
                job_id: i64,
            }
            let running: Envelope<Running> = decode(ROUTE, &body)?;
            return Ok(SyncOutcome::InProgress {
                job_id: running.data.job_id,
            });
        }
        let value: serde_json::Value = decode(ROUTE, &body)?;
        if value.get("success").and_then(serde_json::Value::as_bool) == Some(true) {
            let done: Envelope<SyncAppData> = decode(ROUTE, &body)?;
            return Ok(SyncOutcome::Done(Box::new(done.data)));
        }
        let failed: ErrorBody = decode(ROUTE, &body)?;
        match (failed.code.as_str(), failed.data) {
            ("render_failed", Some(data)) => {
                let failure =
                    serde_json::from_value(data).map_err(|e| ChartRepoError::Unexpected {
                        route: ROUTE,
                        reason: e.to_string(),
                    })?;
                Ok(SyncOutcome::Failed(failure))
            }
            (code, _) => Err(ChartRepoError::Unexpected {
                route: ROUTE,
                reason: format!("success:false with code {code:?}: {}", failed.message),
            }),
        }
    }

    async fn state_changes(
        &self,
        after_id: i64,
        limit: u32,
    ) -> Result<Result<StateChangesPage, StateChangesGone>, ChartRepoError> {
        const ROUTE: &str = "state-changes";
        let mut url = self.url(&["state-changes"]);
        url.query_pairs_mut()
            .append_pair("after_id", &after_id.to_string())
            .append_pair("limit", &limit.to_string());
        let build = || self.request(reqwest::Method::GET, &url);
        let (status, body) = self.send(ROUTE, &self.config.calls, &url, build).await?;
        if status == 410 {
            let gone: ErrorBody = decode(ROUTE, &body)?;
            let data = gone.data.ok_or_else(|| ChartRepoError::Unexpected {
                route: ROUTE,
                reason: "410 without {oldest_id, latest_id}".into(),
            })?;
            let gone = serde_json::from_value(data).map_err(|e| ChartRepoError::Unexpected {
                route: ROUTE,
                reason: e.to_string(),
            })?;
            return Ok(Err(gone));
        }
        let page: Envelope<StateChangesPage> = decode(ROUTE, &body)?;
        Ok(Ok(page.data))
    }

    async fn remove_app(
        &self,
        source: &SourceId,
        name: &str,
        whom: RemoveFor<'_>,
    ) -> Result<RemovedApp, ChartRepoError> {
        let mut url = self.url(&["apps", source.as_str(), name]);
        if let RemoveFor::User(user) = whom {
            url.query_pairs_mut().append_pair("user", user);
        }
        let build = || self.request(reqwest::Method::DELETE, &url);
        self.envelope("remove app", &url, build).await
    }

    async fn put_source(&self, source: &MarketSource) -> Result<(), ChartRepoError> {
        let url = self.url(&["settings", "market-source"]);
        let build = || self.request(reqwest::Method::POST, &url).json(source);
        let _: serde_json::Value = self.envelope("put source", &url, build).await?;
        Ok(())
    }

    async fn delete_source(&self, id: &SourceId) -> Result<bool, ChartRepoError> {
        let url = self.url(&["settings", "market-source", id.as_str()]);
        let build = || self.request(reqwest::Method::DELETE, &url);
        match self
            .envelope::<serde_json::Value>("delete source", &url, build)
            .await
        {
            Ok(_) => Ok(true),
            Err(ChartRepoError::Call(e)) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn repo_data(&self, user: &str) -> Result<RepoData, ChartRepoError> {
        const ROUTE: &str = "repo data";
        #[derive(Deserialize)]
        struct Answer {
            user_data: UserData,
        }
        #[derive(Deserialize)]
        struct UserData {
            #[serde(default)]
            sources: BTreeMap<String, SourceApps>,
        }
        #[derive(Deserialize)]
        struct SourceApps {
            #[serde(default)]
            app_info_latest: Vec<Latest>,
        }
        #[derive(Deserialize)]
        struct Latest {
            app_simple_info: RepoApp,
        }
        let mut url = self.url(&["repo", "data"]);
        url.query_pairs_mut().append_pair("user", user);
        let build = || self.request(reqwest::Method::GET, &url);
        let (_, body) = self.send(ROUTE, &self.config.calls, &url, build).await?;
        // Not enveloped (Olares' shape).
        let answer: Answer = decode(ROUTE, &body)?;
        let sources = answer
            .user_data
            .sources
            .into_iter()
            .map(|(source, apps)| {
                let apps = apps
                    .app_info_latest
                    .into_iter()
                    .map(|a| a.app_simple_info)
                    .collect();
                (source, apps)
            })
            .collect();
        Ok(RepoData { sources })
    }

    async fn upload(&self, upload: Upload<'_>) -> Result<Uploaded, ChartRepoError> {
        const ROUTE: &str = "upload";
        let url = self.url(&["apps", "upload"]);
        // Uploading the same chart again answers `existing`: safe to retry, on the
        // policy of sync-app (the upload is hydrated before chart-repo answers).
        let (_, body) = self
            .config
            .sync
            .run(ROUTE, url.as_str(), || async {
                // The file is opened again for each attempt: a stream is read only once.
                let reading = |e: std::io::Error| CallError::Transport {
                    url: url.to_string(),
                    reason: format!("reading the upload: {e}"),
                };
                let file = tokio::fs::File::open(upload.package)
                    .await
                    .map_err(reading)?;
                let length = file.metadata().await.map_err(reading)?.len();
                let chart = reqwest::multipart::Part::stream_with_length(file, length)
                    .file_name(upload.file_name.to_owned())
                    .mime_str("application/gzip")
                    .map_err(|e| CallError::Decode {
                        url: url.to_string(),
                        reason: e.to_string(),
                    })?;
                let form = reqwest::multipart::Form::new()
                    .text("source", upload.source.to_string())
                    .text("admin_user", upload.admin.to_owned())
                    .part("chart", chart);
                let request = self
                    .request(reqwest::Method::POST, &url)
                    .header(USER_HEADER, upload.user)
                    .multipart(form);
                exchange(&url, request).await
            })
            .await?;
        let answer: Envelope<Uploaded> = decode(ROUTE, &body)?;
        Ok(answer.data)
    }

    async fn delete_local(
        &self,
        user: &str,
        source: &SourceId,
        app_name: &str,
        app_version: &str,
    ) -> Result<DeletedLocal, ChartRepoError> {
        let url = self.url(&["local-apps", "delete"]);
        let body = serde_json::json!({
            "app_name": app_name,
            "app_version": app_version,
            "source_id": source.as_str(),
        });
        let build = || {
            self.request(reqwest::Method::DELETE, &url)
                .header(USER_HEADER, user)
                .json(&body)
        };
        self.envelope("delete local app", &url, build).await
    }

    async fn apps(
        &self,
        user: &str,
        wanted: &[(&str, &SourceId)],
    ) -> Result<Vec<serde_json::Value>, ChartRepoError> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(default)]
            apps: Vec<serde_json::Value>,
        }
        let url = self.url(&["apps"]);
        let apps: Vec<serde_json::Value> = wanted
            .iter()
            .map(|(id, source)| serde_json::json!({ "appid": id, "sourceDataName": source.as_str() }))
            .collect();
        let body = serde_json::json!({ "apps": apps, "userid": user });
        let build = || self.request(reqwest::Method::POST, &url).json(&body);
        let answer: Answer = self.envelope("apps", &url, build).await?;
        Ok(answer.apps)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn urls_and_debug() {
        let repo = HttpChartRepo::new(
            Url::parse("http://127.0.0.1:8082").unwrap(),
            Some(SecretString::from("s3cret")),
            ChartRepoClientConfig::default(),
        )
        .unwrap();
        assert_eq!(
            repo.url(&["apps", "market.olares", "a/b"]).as_str(),
            "http://127.0.0.1:8082/chart-repo/api/v2/apps/market.olares/a%2Fb"
        );
        assert!(!format!("{repo:?}").contains("s3cret"));
    }

    #[tokio::test]
    async fn requests_carry_the_token_and_the_current_request_id() {
        let repo = HttpChartRepo::new(
            Url::parse("http://127.0.0.1:8082").unwrap(),
            Some(SecretString::from("s3cret")),
            ChartRepoClientConfig::default(),
        )
        .unwrap();
        let url = repo.url(&["state-changes"]);
        let plain = repo.request(reqwest::Method::GET, &url).build().unwrap();
        assert_eq!(plain.headers()["authorization"], "Bearer s3cret");
        assert!(plain.headers().get(REQUEST_ID_HEADER).is_none());
        let traced = crate::outbound::with_request_id("req-1".into(), async {
            repo.request(reqwest::Method::GET, &url).build().unwrap()
        })
        .await;
        assert_eq!(traced.headers()[REQUEST_ID_HEADER], "req-1");
    }
}
