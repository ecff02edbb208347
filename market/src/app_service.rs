//! market's port to app-service (`MARKET_APP_SERVICE_URL`, DESIGN.md §5.3): the
//! [`AppServiceClient`] trait (held as `Arc<dyn …>`) and [`HttpAppService`], one
//! method per route, with the headers and bodies Olares' market sends
//! (`internal/v2/appservice/{client,types}.go`).
//!
//! One call is one attempt bounded by a timeout: the task engine retries, with
//! its attempts and backoff kept in the store. Never: decides what a state
//! means for a task (`tasks/` does), or logs the caller's token.

use std::time::Duration;

use market_model::task::{AppServiceInstall, AppServiceOpResponse, AppServiceUninstall};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::outbound::CallError;

/// What can go wrong asking app-service for an operation.
#[derive(Debug, thiserror::Error)]
pub enum AppServiceError {
    /// No answer, a timeout or an error status without app-service's envelope;
    /// retryable as [`CallError::is_retryable`] says (timeouts, transport, 5xx).
    #[error(transparent)]
    Call(#[from] CallError),
    /// app-service refused: `code` other than 200 (on any HTTP status). Permanent.
    #[error("app-service refused ({code}): {message}")]
    Rejected {
        status: u16,
        code: i64,
        message: String,
        /// app-service's `data`, verbatim (the 422 `appenv` payload).
        data: Option<Value>,
    },
    /// Accepted without an `opID`. Permanent.
    #[error("app-service answered without an opID")]
    NoOpId,
}

impl AppServiceError {
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Call(e) => e.is_retryable(),
            Self::Rejected { .. } | Self::NoOpId => false,
        }
    }

    /// Whether app-service answered and refused with a client error (a 4xx status, or
    /// a 4xx `code` in its envelope), e.g. a 404 for an app it does not run: the
    /// request was wrong for the app's state, app-service did not fail.
    pub fn is_refusal(&self) -> bool {
        let client_error = |n: i64| (400..500).contains(&n);
        match self {
            Self::Rejected { status, code, .. } => {
                client_error(i64::from(*status)) || (*status < 400 && client_error(*code))
            }
            Self::Call(CallError::Status { status, .. }) => {
                client_error(i64::from(*status)) && !self.is_retryable()
            }
            Self::Call(_) | Self::NoOpId => false,
        }
    }
}

/// The per-operation headers (Olares' `OpHeaders`): `X-Authorization` (the
/// caller's token), `X-Bfl-User`, `X-Market-User`, `X-Market-Source`; and ours,
/// `x-request-id` of the request that submitted the task.
#[derive(Clone, Debug, Default)]
pub struct OpHeaders {
    pub token: Option<SecretString>,
    pub user: String,
    pub market_source: String,
    pub request_id: Option<String>,
}

/// An operation app-service runs for one app.
#[derive(Clone, Debug)]
pub enum Operation {
    /// `POST /apps/{name}/install` (a clone is an install of `raw name + hash`).
    Install(Box<AppServiceInstall>),
    /// `POST /apps/{name}/upgrade`.
    Upgrade(Box<AppServiceInstall>),
    /// `POST /apps/{name}/uninstall`.
    Uninstall(AppServiceUninstall),
    /// `POST /apps/{name}/cancel?type=operate`, no body.
    Cancel,
    /// `POST /apps/{name}/suspend` with `{all}`.
    Suspend { all: bool },
    /// `POST /apps/{name}/resume`, no body.
    Resume,
}

impl Operation {
    fn path(&self, name: &str) -> String {
        let verb = match self {
            Self::Install(_) => "install",
            Self::Upgrade(_) => "upgrade",
            Self::Uninstall(_) => "uninstall",
            Self::Cancel => "cancel",
            Self::Suspend { .. } => "suspend",
            Self::Resume => "resume",
        };
        let query = if matches!(self, Self::Cancel) {
            "?type=operate"
        } else {
            ""
        };
        format!("app-service/v1/apps/{name}/{verb}{query}")
    }

    fn body(&self) -> Option<Value> {
        fn json<T: Serialize>(v: &T) -> Option<Value> {
            serde_json::to_value(v).ok()
        }
        match self {
            Self::Install(b) | Self::Upgrade(b) => json(b.as_ref()),
            Self::Uninstall(b) => json(b),
            Self::Suspend { all } => Some(serde_json::json!({ "all": all })),
            Self::Cancel | Self::Resume => None,
        }
    }

    /// Whether a success must carry an `opID` (suspend and resume answer without).
    fn needs_op_id(&self) -> bool {
        !matches!(self, Self::Suspend { .. } | Self::Resume)
    }
}

/// One app of `GET /app-service/v1/all/apps`.
#[derive(Clone, Debug, PartialEq)]
pub struct RunningApp {
    pub name: String,
    pub owner: String,
    pub state: String,
    pub op_type: String,
    /// The whole entry, as app-service sent it.
    pub raw: Value,
}

/// app-service as market uses it.
#[async_trait::async_trait]
pub trait AppServiceClient: Send + Sync {
    /// Runs an operation; app-service's answer when it accepted it.
    async fn operate(
        &self,
        app: &str,
        op: &Operation,
        headers: &OpHeaders,
    ) -> Result<AppServiceOpResponse, AppServiceError>;
    /// `GET /app-service/v1/all/apps`: every user's apps.
    async fn all_apps(&self) -> Result<Vec<RunningApp>, AppServiceError>;
}

/// [`AppServiceClient`] over HTTP.
pub struct HttpAppService {
    base: Url,
    http: reqwest::Client,
    timeout: Duration,
}

impl HttpAppService {
    pub fn new(base: Url, timeout: Duration) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .build()?;
        Ok(Self {
            base,
            http,
            timeout,
        })
    }

    fn url(&self, path: &str) -> Result<Url, AppServiceError> {
        let mut base = self.base.clone();
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        base.join(path).map_err(|e| {
            AppServiceError::Call(CallError::Decode {
                url: path.to_owned(),
                reason: e.to_string(),
            })
        })
    }
}

#[async_trait::async_trait]
impl AppServiceClient for HttpAppService {
    async fn operate(
        &self,
        app: &str,
        op: &Operation,
        headers: &OpHeaders,
    ) -> Result<AppServiceOpResponse, AppServiceError> {
        if app.is_empty() || app.contains(['/', '?', '#']) {
            return Err(AppServiceError::Rejected {
                status: 400,
                code: 400,
                message: format!("{app:?} is not an app name"),
                data: None,
            });
        }
        let url = self.url(&op.path(app))?;
        let shown = url.to_string();
        let mut request = self
            .http
            .post(url)
            .header("Accept", "*/*")
            .header("X-Bfl-User", &headers.user)
            .header("X-Market-User", &headers.user)
            .header("X-Market-Source", &headers.market_source);
        if let Some(token) = &headers.token {
            request = request.header("X-Authorization", token.expose_secret());
        }
        if let Some(id) = &headers.request_id {
            request = request.header(crate::chart_repo::REQUEST_ID_HEADER, id);
        }
        request = match op.body() {
            Some(body) => request.json(&body),
            None => request.header("Content-Type", "application/json"),
        };
        let response = tokio::time::timeout(self.timeout, async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, text))
        })
        .await;
        let (status, text) = match response {
            Err(_) => {
                return Err(CallError::Timeout {
                    url: shown,
                    timeout: self.timeout,
                }
                .into());
            }
            Ok(Err(e)) => return Err(CallError::from_reqwest(&shown, &e).into()),
            Ok(Ok(answer)) => answer,
        };
        let envelope = serde_json::from_str::<AppServiceOpResponse>(&text).ok();
        let ok_http = (200..300).contains(&status);
        match envelope {
            // app-service's envelope: code 200 (or absent on HTTP 200) is success.
            Some(r) if ok_http && (r.code == 200 || r.code == 0) => {
                if op.needs_op_id() && r.op_id().is_none() {
                    return Err(AppServiceError::NoOpId);
                }
                Ok(r)
            }
            Some(r) if r.code != 0 || !r.message.is_empty() || r.data.is_some() => {
                // A 5xx with an envelope is still app-service failing, not refusing.
                if crate::outbound::retryable_status(status) && r.code != 422 {
                    return Err(CallError::Status {
                        url: shown,
                        status,
                        code: None,
                        message: r.message,
                        retry_after: None,
                    }
                    .into());
                }
                Err(AppServiceError::Rejected {
                    status,
                    code: if r.code == 0 {
                        i64::from(status)
                    } else {
                        r.code
                    },
                    message: r.message,
                    data: r.data,
                })
            }
            _ if ok_http && !op.needs_op_id() => Ok(AppServiceOpResponse {
                code: 200,
                message: String::new(),
                data: serde_json::from_str(&text).ok(),
            }),
            _ if ok_http => Err(CallError::Decode {
                url: shown,
                reason: "not app-service's {code, data} envelope".into(),
            }
            .into()),
            _ => Err(CallError::Status {
                url: shown,
                status,
                code: None,
                message: text.chars().take(200).collect(),
                retry_after: None,
            }
            .into()),
        }
    }

    async fn all_apps(&self) -> Result<Vec<RunningApp>, AppServiceError> {
        let url = self.url("app-service/v1/all/apps")?;
        let shown = url.to_string();
        let answer = tokio::time::timeout(self.timeout, async {
            let response = self.http.get(url).header("Accept", "*/*").send().await?;
            let status = response.status().as_u16();
            let text = response.text().await?;
            Ok::<_, reqwest::Error>((status, text))
        })
        .await;
        let (status, text) = match answer {
            Err(_) => {
                return Err(CallError::Timeout {
                    url: shown,
                    timeout: self.timeout,
                }
                .into());
            }
            Ok(Err(e)) => return Err(CallError::from_reqwest(&shown, &e).into()),
            Ok(Ok(answer)) => answer,
        };
        if !(200..300).contains(&status) {
            return Err(CallError::Status {
                url: shown,
                status,
                code: None,
                message: text.chars().take(200).collect(),
                retry_after: None,
            }
            .into());
        }
        let doc: Value = serde_json::from_str(&text).map_err(|e| CallError::Decode {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
        // A bare list (Olares' client), or one wrapped in `{data: [...]}`.
        let list = match doc {
            Value::Array(list) => list,
            Value::Object(mut o) => match o.remove("data") {
                Some(Value::Array(list)) => list,
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        Ok(list.into_iter().filter_map(running_app).collect())
    }
}

fn running_app(raw: Value) -> Option<RunningApp> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();
    let spec = raw.get("spec")?;
    let name = text(spec.get("name"));
    let owner = text(spec.get("owner"));
    if name.is_empty() || owner.is_empty() {
        return None;
    }
    let state = text(raw.get("status").and_then(|s| s.get("state")));
    let state = if state.is_empty() {
        text(spec.get("state"))
    } else {
        state
    };
    let op_type = text(spec.get("opType"));
    Some(RunningApp {
        name,
        owner,
        state,
        op_type,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_olares_routes() {
        assert_eq!(
            Operation::Cancel.path("firefox"),
            "app-service/v1/apps/firefox/cancel?type=operate"
        );
        assert_eq!(
            Operation::Suspend { all: false }.path("a"),
            "app-service/v1/apps/a/suspend"
        );
        assert_eq!(
            Operation::Install(Box::default()).body().unwrap(),
            serde_json::json!({"envs": []})
        );
    }

    #[test]
    fn reads_an_all_apps_entry() {
        let app = running_app(serde_json::json!({
            "metadata": {"name": "firefox-alice"},
            "spec": {"name": "firefox", "owner": "alice", "opType": "install"},
            "status": {"state": "running"}
        }))
        .unwrap();
        assert_eq!(
            (app.name.as_str(), app.owner.as_str(), app.state.as_str()),
            ("firefox", "alice", "running")
        );
    }
}
