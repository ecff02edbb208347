//! The HTTP face: app-service's routes under `/app-service/v1`, and the simulator's own
//! control routes under `/sim` (faults, the call log).
//!
//! Errors are answered as app-service answers them (`pkg/apiserver/api/utils.go`): plain
//! text from `http.Error` with 400/401/404/500, and JSON only for the 422 failed check.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Shared;
use super::apps::{self, Caller, OpError};
use super::chart::{MARKET_SOURCE, MARKET_USER};
use super::faults::{Call, Fault, Faults, SetFault};
use super::state::OpType;
use super::wire::{AdminUsername, AdminUsernameResponse, FailedCheckData, FailedCheckResponse};

/// The user header the ingress sets; app-service refuses a request without it (401).
const BFL_USER: &str = "X-Bfl-User";
/// The user's token market passes on.
const AUTHORIZATION: &str = "X-Authorization";
/// The request id market passes on from the submitting request.
const REQUEST_ID: &str = "x-request-id";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/app-service/v1/apps/{name}/{op}", post(operation))
        .route("/app-service/v1/all/apps", get(all_apps))
        .route("/app-service/v1/users/admin/username", get(admin_username))
        .route("/app-service/v1/apps/oamvalues", get(oam_values))
        .route(
            "/sim/faults",
            get(faults).post(set_fault).delete(clear_faults),
        )
        .route("/sim/calls", get(calls))
        .route("/healthz", get(|| async { "ok" }))
        .with_state(shared)
}

fn text(status: StatusCode, message: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{message}\n"),
    )
        .into_response()
}

impl IntoResponse for OpError {
    fn into_response(self) -> Response {
        match self {
            Self::Unauthorized => text(StatusCode::UNAUTHORIZED, &self.to_string()),
            Self::BadRequest(m) => text(StatusCode::BAD_REQUEST, &m),
            Self::NotFound(m) => text(StatusCode::NOT_FOUND, &m),
            Self::AppEnv(result) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(FailedCheckResponse {
                    code: 422,
                    data: FailedCheckData {
                        kind: "appenv".into(),
                        data: result,
                    },
                }),
            )
                .into_response(),
        }
    }
}

fn header_str(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// What a fault makes of a request before it is handled: `Some` answers it.
async fn misbehave(shared: &Shared, fault: Option<Fault>) -> Option<Response> {
    match fault? {
        Fault::Hang => {
            // Hold the connection open; only a shutdown ends it.
            shared.stop.cancelled().await;
            Some(text(StatusCode::SERVICE_UNAVAILABLE, "simulator stopped"))
        }
        Fault::Fail500 => Some(text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Internal Server Error",
        )),
        Fault::CrashMidInstall | Fault::FailState { .. } | Fault::Stall => None,
    }
}

#[derive(Deserialize)]
struct CancelQuery {
    #[serde(rename = "type", default)]
    kind: Option<String>,
}

async fn operation(
    State(shared): State<Arc<Shared>>,
    Path((app, op)): Path<(String, String)>,
    Query(query): Query<CancelQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let op = match op.as_str() {
        "install" => OpType::Install,
        "upgrade" => OpType::Upgrade,
        "uninstall" => OpType::Uninstall,
        "cancel" => OpType::Cancel,
        "suspend" => OpType::Suspend,
        "resume" => OpType::Resume,
        _ => return text(StatusCode::NOT_FOUND, "404 page not found"),
    };
    let repo_url = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|b| {
            ["repoUrl", "repoURL"]
                .iter()
                .find_map(|k| b.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
        })
        .unwrap_or_default();
    let (index, fault) = {
        let mut st = shared.lock();
        st.calls.push(Call {
            user: header_str(&headers, BFL_USER),
            app: app.clone(),
            op,
            op_id: None,
            body_sha256: hex::encode(Sha256::digest(&body)),
            status: None,
            market_user: header_str(&headers, MARKET_USER),
            market_source: header_str(&headers, MARKET_SOURCE),
            authorization: header_str(&headers, AUTHORIZATION),
            request_id: header_str(&headers, REQUEST_ID),
            repo_url,
            chart: None,
        });
        (st.calls.len() - 1, st.faults.for_app(Some(&app)))
    };
    let caller = Caller {
        owner: header_str(&headers, BFL_USER),
        market_user: header_str(&headers, MARKET_USER),
        market_source: header_str(&headers, MARKET_SOURCE),
        call: index,
    };
    let answer = match misbehave(&shared, fault).await {
        Some(response) => Err(response),
        None => Ok(dispatch(&shared, caller, &app, op, query, &body, fault).await),
    };
    let (response, op_id) = match answer {
        Err(response) => (response, None),
        Ok(Ok(ok)) => {
            let op_id = ok.data.op_id.clone();
            (axum::Json(ok).into_response(), Some(op_id))
        }
        Ok(Err(e)) => (e.into_response(), None),
    };
    if let Some(call) = shared.lock().calls.get_mut(index) {
        call.status = Some(response.status().as_u16());
        call.op_id = op_id;
    }
    response
}

async fn dispatch(
    shared: &Arc<Shared>,
    mut caller: Caller,
    app: &str,
    op: OpType,
    query: CancelQuery,
    body: &[u8],
    fault: Option<Fault>,
) -> Result<super::wire::OpResponse, OpError> {
    if caller.owner.is_empty() {
        return Err(OpError::Unauthorized);
    }
    // app-service downloads as the owner; a market that names the user in X-Market-User
    // gets that name passed on, so a mismatch shows in chart-repo's download history.
    if caller.market_user.is_empty() {
        caller.market_user = caller.owner.clone();
    }
    match op {
        OpType::Install => {
            let req = parse(body)?;
            apps::install(shared, &caller, app, req, fault).await
        }
        OpType::Upgrade => {
            let req = parse(body)?;
            apps::upgrade(shared, &caller, app, req).await
        }
        OpType::Uninstall => {
            let req = if body.is_empty() {
                Default::default()
            } else {
                parse(body)?
            };
            apps::uninstall(shared, &caller, app, req)
        }
        OpType::Cancel => {
            let kind = query.kind.unwrap_or_else(|| "operate".into());
            apps::cancel(shared, &caller, app, &kind)
        }
        OpType::Suspend => apps::suspend(shared, &caller, app),
        OpType::Resume => apps::resume(shared, &caller, app),
        OpType::ApplyEnv => Err(OpError::NotFound("404 page not found".into())),
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, OpError> {
    serde_json::from_slice(body).map_err(|e| OpError::BadRequest(e.to_string()))
}

#[derive(Deserialize)]
struct AllAppsQuery {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    issysapp: Option<String>,
}

async fn all_apps(State(shared): State<Arc<Shared>>, Query(q): Query<AllAppsQuery>) -> Response {
    let fault = shared.lock().faults.for_app(None);
    if let Some(response) = misbehave(&shared, fault).await {
        return response;
    }
    if q.issysapp.as_deref() == Some("true") {
        return axum::Json(json!([])).into_response();
    }
    let states: Option<Vec<String>> = q
        .state
        .filter(|s| !s.is_empty())
        .map(|s| s.split('|').map(str::to_owned).collect());
    let apps = shared.lock().apps.listed(states.as_deref());
    axum::Json(apps).into_response()
}

async fn admin_username(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(AdminUsernameResponse {
        code: 200,
        data: AdminUsername {
            username: shared.config.admin.clone(),
        },
    })
    .into_response()
}

/// `oamValues` in `pkg/apiserver/handler_app.go`: placeholder values for rendering a
/// manifest outside any user (no GPU node: `GPU.Type` is `none`).
async fn oam_values(State(shared): State<Arc<Shared>>) -> Response {
    let admin = &shared.config.admin;
    axum::Json(json!({
        "admin": admin,
        "bfl": {"username": admin},
        "GPU": {"Type": "none", "Cuda": ""},
        "user": {"zone": "user-zone"},
        "schedule": {"nodeName": "node"},
        "oidc": {"client": {}, "issuer": "issuer"},
        "userspace": {"appCache": "appcache", "userData": "userspace/Home"},
        "os": {"appKey": "appKey", "appSecret": "appSecret"},
        "domain": {},
        "cluster": {},
        "dep": {},
        "postgres": {"databases": {}},
        "mariadb": {"databases": {}},
        "mysql": {"databases": {}},
        "minio": {"buckets": {}},
        "rabbitmq": {"vhosts": {}},
        "elasticsearch": {"indexes": {}},
        "redis": {},
        "mongodb": {"databases": {}},
        "svcs": {},
        "nats": {"subjects": {}, "refs": {}},
    }))
    .into_response()
}

async fn faults(State(shared): State<Arc<Shared>>) -> axum::Json<Faults> {
    axum::Json(shared.lock().faults.clone())
}

async fn set_fault(
    State(shared): State<Arc<Shared>>,
    axum::Json(body): axum::Json<SetFault>,
) -> axum::Json<Faults> {
    let mut st = shared.lock();
    st.faults.set(body.app.as_deref(), body.fault);
    axum::Json(st.faults.clone())
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> StatusCode {
    shared.lock().faults = Faults::default();
    StatusCode::NO_CONTENT
}

async fn calls(State(shared): State<Arc<Shared>>) -> axum::Json<Vec<Call>> {
    axum::Json(shared.lock().calls.clone())
}
