//! App operations and tasks (DESIGN.md §5.1, §5.3): install, clone, cancel,
//! upgrade, uninstall (each a task committed before the answer; `"sync": true`
//! waits up to `MARKET_TASK_SYNC_WAIT`, then answers 202 with the task id),
//! stop and resume (direct app-service calls, as Olares makes them), the task
//! list, and the app state events app-service posts.
//!
//! Bodies and answers are Olares' (`pkg/v2/api/task.go`, `system.go`): `data:
//! {task_id}` plus ours, `task`. The caller's `X-Authorization` goes with the
//! task and is never answered or logged.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use market_model::task::{
    AppEntrance, AppEnvVar, AppStateEvent, CloneRequest, ImageRef, Task, TaskKind, TaskStatus,
};
use market_model::{Envelope, SourceId};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Json, Path, Query};
use super::identity::Caller;
use super::openapi;
use crate::app_service::{OpHeaders, Operation};
use crate::state::AppState;
use crate::store::{NewTask, Submitted, TaskFilter, TaskRequest, UserAppKey};
use crate::tasks;

/// The header carrying the caller's token (kept with the task, never answered).
pub const TOKEN_HEADER: &str = "X-Authorization";
/// The idempotency header: the same key returns the same task.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/apps/{id}/install", post(install).delete(cancel))
        .route("/apps/{id}/clone", post(clone))
        .route("/apps/{id}/upgrade", put(upgrade))
        .route("/apps/{id}", delete(uninstall))
        .route("/apps/stop", post(stop))
        .route("/apps/resume", post(resume))
        .route("/tasks", get(list))
        .route("/tasks/{id}", get(one))
        .route("/app-state-events", post(app_state_event))
}

/// `POST /apps/{id}/install` and `PUT /apps/{id}/upgrade` (Olares' `InstallAppRequest`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct InstallBody {
    pub source: String,
    /// Defaults to `{id}`.
    pub app_name: String,
    pub version: String,
    pub sync: bool,
    #[schema(value_type = Vec<Object>)]
    pub envs: Vec<AppEnvVar>,
}

/// `POST /apps/{id}/clone` (Olares' `CloneAppRequest`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CloneBody {
    pub source: String,
    pub app_name: String,
    pub title: String,
    pub sync: bool,
    #[schema(value_type = Vec<Object>)]
    pub envs: Vec<AppEnvVar>,
    #[schema(value_type = Vec<Object>)]
    pub entrances: Vec<AppEntrance>,
}

/// `DELETE /apps/{id}` (Olares reads `sync`, `all`, `deleteData`, `version`).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct UninstallBody {
    pub sync: bool,
    pub all: bool,
    #[serde(rename = "deleteData")]
    pub delete_data: bool,
    pub version: String,
}

/// `DELETE /apps/{id}/install` (cancel).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CancelBody {
    pub sync: bool,
}

/// `POST /apps/stop` and `/apps/resume`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct StopBody {
    #[serde(rename = "appName")]
    pub app_name: String,
    pub all: bool,
}

/// What an operation answers: Olares' `task_id`, and the task (ours).
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskAnswer {
    pub task_id: i64,
    #[schema(value_type = Object)]
    pub task: Task,
}

/// `POST /apps/stop` / `/apps/resume` answer (Olares').
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectAnswer {
    #[serde(rename = "appName")]
    pub app_name: String,
    #[schema(value_type = Object)]
    pub result: Value,
}

/// `GET /tasks` filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskQuery {
    /// pending, running, completed, failed, canceled
    pub status: Option<String>,
    /// install, uninstall, cancel, upgrade, clone
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub app: Option<String>,
    /// 1..=1000, default 100.
    pub limit: Option<u32>,
}

/// The tasks `POST /app-state-events` ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct StateAnswer {
    pub ended: Vec<i64>,
}

fn body_kind(raw: &str) -> Result<(), ApiError> {
    if raw.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "Missing required fields: source, app_name, and version are required".into(),
        ));
    }
    Ok(())
}

/// A body that may be absent (Olares' DELETE routes read one when sent).
fn optional_body<T: serde::de::DeserializeOwned + Default>(raw: &[u8]) -> Result<T, ApiError> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(raw).map_err(|e| ApiError::BadRequest(format!("body: {e}")))
}

fn token(headers: &HeaderMap) -> Option<SecretString> {
    headers
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(|v| SecretString::from(v.to_owned()))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(raw) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    match raw.to_str() {
        Ok(k) if !k.trim().is_empty() && k.len() <= 255 => Ok(Some(k.trim().to_owned())),
        _ => Err(ApiError::BadRequest(format!(
            "{IDEMPOTENCY_HEADER}: 1 to 255 visible characters"
        ))),
    }
}

fn source_id(raw: &str) -> Result<SourceId, ApiError> {
    SourceId::parse(raw).map_err(|e| ApiError::BadRequest(format!("source: {e}")))
}

/// The caller's rendered app at `version` (any version when empty), and the
/// images its analysis found.
async fn rendered(
    state: &AppState,
    user: &str,
    source: &SourceId,
    app: &str,
    version: &str,
) -> Result<(String, Vec<ImageRef>), ApiError> {
    let key = UserAppKey::new(user, source, app);
    let payload = state
        .store
        .user_app(&key)
        .await?
        .and_then(|a| a.payload)
        .ok_or_else(|| ApiError::AppNotFound(format!("App not found: {app} in {source}")))?;
    let have = payload["version"].as_str().unwrap_or_default().to_owned();
    if !version.is_empty() && have != version {
        return Err(ApiError::AppNotFound(format!(
            "App not found: {app} version {version} in {source}"
        )));
    }
    let images = payload["image_analysis"]["images"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, info)| ImageRef {
                    name: info["name"].as_str().unwrap_or(name).to_owned(),
                    size: info["total_size"].as_i64().unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((have, images))
}

/// Answers a submission: at once, or after the task ended (`sync`).
async fn answer(
    state: &AppState,
    submitted: Submitted,
    sync: bool,
    what: &str,
) -> Result<Response, ApiError> {
    let task = submitted.task;
    if !sync {
        let message = format!("App {what} started successfully");
        return Ok(ok(StatusCode::OK, message, task));
    }
    let task = tasks::wait(state, task.id, state.config.tasks.sync_wait).await?;
    Ok(match task.status {
        TaskStatus::Completed => ok(
            StatusCode::OK,
            format!("App {what} completed successfully"),
            task,
        ),
        TaskStatus::Pending | TaskStatus::Running => ok(
            StatusCode::ACCEPTED,
            "Task is still running, query task status for result".into(),
            task,
        ),
        TaskStatus::Failed | TaskStatus::Canceled => return Err(ended(task, what)),
    })
}

fn ok(status: StatusCode, message: String, task: Task) -> Response {
    let body = Envelope {
        success: true,
        message,
        data: TaskAnswer {
            task_id: task.id,
            task,
        },
    };
    (status, axum::Json(body)).into_response()
}

fn ended(task: Task, what: &str) -> ApiError {
    let (code, status, reason) = match (&task.status, &task.error) {
        (TaskStatus::Canceled, _) => ("task_canceled", StatusCode::CONFLICT, "canceled".to_owned()),
        (_, Some(e)) if e.code == "app_env_required" => (
            "app_env_required",
            StatusCode::UNPROCESSABLE_ENTITY,
            e.message.clone(),
        ),
        // app-service refused the operation (e.g. uninstalling an app it does not run).
        (_, Some(e)) if e.code == "app_service_rejected" => {
            ("task_failed", StatusCode::CONFLICT, e.message.clone())
        }
        (_, Some(e)) => ("task_failed", StatusCode::BAD_GATEWAY, e.message.clone()),
        (_, None) => ("task_failed", StatusCode::BAD_GATEWAY, "failed".to_owned()),
    };
    ApiError::TaskEnded {
        code,
        status,
        message: format!("App {what} failed: {reason}"),
        data: json!({"task_id": task.id, "task": task}),
    }
}

/// Installs an app for the caller.
#[utoipa::path(post, path = "/apps/{id}/install", tag = "tasks", security(("bfl_user" = [])),
    params(("id" = String, Path, description = "the app name"),
        ("Idempotency-Key" = Option<String>, Header, description = "the same key returns the same task"),
        ("X-Authorization" = Option<String>, Header, description = "the caller's token, passed to app-service")),
    request_body = InstallBody,
    responses(
        (status = 200, body = openapi::Envelope<TaskAnswer>, description = "submitted (or, with sync, completed)"),
        (status = 202, body = openapi::Envelope<TaskAnswer>, description = "sync: still running"),
        (status = 400, body = openapi::ErrorBody),
        (status = 404, body = openapi::ErrorBody, description = "app_not_found"),
        (status = 422, body = openapi::ErrorBody, description = "sync: app_env_required, data = the task"),
    ))]
pub async fn install(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<InstallBody>,
) -> Result<Response, ApiError> {
    operate(state, caller, id, headers, body, TaskKind::Install).await
}

/// Upgrades an installed app to `version`.
#[utoipa::path(put, path = "/apps/{id}/upgrade", tag = "tasks", security(("bfl_user" = [])),
    params(("id" = String, Path, description = "the app name")),
    request_body = InstallBody,
    responses(
        (status = 200, body = openapi::Envelope<TaskAnswer>),
        (status = 202, body = openapi::Envelope<TaskAnswer>),
        (status = 400, body = openapi::ErrorBody),
        (status = 404, body = openapi::ErrorBody),
    ))]
pub async fn upgrade(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<InstallBody>,
) -> Result<Response, ApiError> {
    operate(state, caller, id, headers, body, TaskKind::Upgrade).await
}

async fn operate(
    state: AppState,
    caller: Caller,
    id: String,
    headers: HeaderMap,
    body: InstallBody,
    kind: TaskKind,
) -> Result<Response, ApiError> {
    let app = if body.app_name.is_empty() {
        id
    } else {
        body.app_name
    };
    body_kind(&body.source)?;
    body_kind(&body.version)?;
    let source = source_id(&body.source)?;
    let (version, images) = rendered(&state, caller.name(), &source, &app, &body.version).await?;
    let new = NewTask {
        user: caller.0.clone(),
        app_name: app,
        kind,
        source: source.to_string(),
        version,
        request: TaskRequest {
            envs: body.envs,
            images,
            ..TaskRequest::default()
        },
        token: token(&headers),
        idempotency_key: idempotency_key(&headers)?,
        request_id: crate::outbound::current_request_id(),
    };
    let submitted = tasks::submit(&state, &new).await?;
    answer(&state, submitted, body.sync, kind.as_str()).await
}

/// Clones an app: installs it again as `name + hash` (Olares' clone naming).
#[utoipa::path(post, path = "/apps/{id}/clone", tag = "tasks", security(("bfl_user" = [])),
    params(("id" = String, Path, description = "the original app's name")),
    request_body = CloneBody,
    responses(
        (status = 200, body = openapi::Envelope<TaskAnswer>),
        (status = 202, body = openapi::Envelope<TaskAnswer>),
        (status = 400, body = openapi::ErrorBody),
        (status = 404, body = openapi::ErrorBody),
    ))]
pub async fn clone(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Json(body): Json<CloneBody>,
) -> Result<Response, ApiError> {
    let raw = if body.app_name.is_empty() {
        id
    } else {
        body.app_name
    };
    if body.source.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "Missing required fields: source and app_name are required".into(),
        ));
    }
    let source = source_id(&body.source)?;
    let (version, images) = rendered(&state, caller.name(), &source, &raw, "").await?;
    let request = CloneRequest {
        source: body.source,
        app_name: raw.clone(),
        title: body.title,
        sync: body.sync,
        envs: body.envs,
        entrances: body.entrances,
    };
    let hash = request.request_hash();
    let new = NewTask {
        user: caller.0.clone(),
        app_name: format!("{raw}{hash}"),
        kind: TaskKind::Clone,
        source: source.to_string(),
        version,
        request: TaskRequest {
            envs: request.envs,
            images,
            entrances: request.entrances,
            raw_app_name: raw,
            request_hash: hash,
            title: request.title,
            ..TaskRequest::default()
        },
        token: token(&headers),
        idempotency_key: idempotency_key(&headers)?,
        request_id: crate::outbound::current_request_id(),
    };
    let submitted = tasks::submit(&state, &new).await?;
    answer(&state, submitted, body.sync, "clone").await
}

/// Uninstalls an app.
#[utoipa::path(delete, path = "/apps/{id}", tag = "tasks", security(("bfl_user" = [])),
    params(("id" = String, Path, description = "the app name")),
    request_body = UninstallBody,
    responses(
        (status = 200, body = openapi::Envelope<TaskAnswer>),
        (status = 202, body = openapi::Envelope<TaskAnswer>),
    ))]
pub async fn uninstall(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let body: UninstallBody = optional_body(&body)?;
    let source = app_source(&state, caller.name(), &id).await?;
    let new = NewTask {
        user: caller.0.clone(),
        app_name: id,
        kind: TaskKind::Uninstall,
        source,
        version: body.version,
        request: TaskRequest {
            all: body.all,
            delete_data: body.delete_data,
            ..TaskRequest::default()
        },
        token: token(&headers),
        idempotency_key: idempotency_key(&headers)?,
        request_id: crate::outbound::current_request_id(),
    };
    let submitted = tasks::submit(&state, &new).await?;
    answer(&state, submitted, body.sync, "uninstall").await
}

/// The market source an installed app came from: its reported state, else its
/// latest task.
async fn app_source(state: &AppState, user: &str, app: &str) -> Result<String, ApiError> {
    let reported = state
        .store
        .app_states(user)
        .await?
        .into_iter()
        .find(|s| s.app_name == app)
        .and_then(|s| s.doc["marketSource"].as_str().map(str::to_owned))
        .filter(|s| !s.is_empty());
    if let Some(source) = reported {
        return Ok(source);
    }
    let filter = TaskFilter {
        app: Some(app.to_owned()),
        limit: 1,
        ..TaskFilter::default()
    };
    let latest = state.store.tasks(user, &filter).await?;
    Ok(latest
        .into_iter()
        .next()
        .map(|t| t.source)
        .unwrap_or_default())
}

/// Cancels the app's install, upgrade or clone: a pending task is canceled at
/// once; a running one is canceled by app-service (a cancel task).
#[utoipa::path(delete, path = "/apps/{id}/install", tag = "tasks", security(("bfl_user" = [])),
    params(("id" = String, Path, description = "the app name")),
    request_body = CancelBody,
    responses(
        (status = 200, body = openapi::Envelope<TaskAnswer>, description = "the canceled task, or the cancel task"),
        (status = 409, body = openapi::ErrorBody, description = "task_not_cancelable: nothing in progress"),
    ))]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let sync = optional_body::<CancelBody>(&body)?.sync;
    let now = chrono::Utc::now();
    let active: Vec<Task> = state
        .store
        .active_tasks(Some(caller.name()))
        .await?
        .into_iter()
        .filter(|t| t.app_name == id && t.kind.is_cancelable())
        .collect();
    for task in active.iter().filter(|t| t.status == TaskStatus::Pending) {
        if let Some(task) = state.store.cancel_pending_task(task.id, None, now).await? {
            tasks::publish(&state, &task).await;
            let message = "App installation cancellation completed successfully".to_owned();
            return Ok(ok(StatusCode::OK, message, task));
        }
    }
    // Re-read: a pending task may have started meanwhile.
    let running = state
        .store
        .active_tasks(Some(caller.name()))
        .await?
        .into_iter()
        .find(|t| t.app_name == id && t.kind.is_cancelable() && t.status == TaskStatus::Running);
    let Some(running) = running else {
        return Err(not_cancelable(&state, caller.name(), &id).await);
    };
    let new = NewTask {
        user: caller.0.clone(),
        app_name: id,
        kind: TaskKind::Cancel,
        source: running.source,
        version: running.version,
        request: TaskRequest::default(),
        token: token(&headers),
        idempotency_key: idempotency_key(&headers)?,
        request_id: crate::outbound::current_request_id(),
    };
    let submitted = tasks::submit(&state, &new).await?;
    answer(&state, submitted, sync, "installation cancellation").await
}

async fn not_cancelable(state: &AppState, user: &str, app: &str) -> ApiError {
    let filter = TaskFilter {
        app: Some(app.to_owned()),
        limit: 10,
        ..TaskFilter::default()
    };
    let latest = match state.store.tasks(user, &filter).await {
        Ok(tasks) => tasks.into_iter().find(|t| t.kind.is_cancelable()),
        Err(e) => return e.into(),
    };
    ApiError::NotCancelable(match latest {
        Some(t) => format!(
            "task {} ({} of {}) is {}: nothing to cancel",
            t.id,
            t.kind.as_str(),
            t.app_name,
            t.status.as_str()
        ),
        None => format!("no install, upgrade or clone of {app} is in progress"),
    })
}

/// Stops (suspends) an app: a direct app-service call, as Olares makes it.
#[utoipa::path(post, path = "/apps/stop", tag = "tasks", security(("bfl_user" = [])),
    request_body = StopBody,
    responses((status = 200, body = openapi::Envelope<DirectAnswer>),
        (status = 502, body = openapi::ErrorBody)))]
pub async fn stop(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(body): Json<StopBody>,
) -> Result<Json<Envelope<DirectAnswer>>, ApiError> {
    let all = body.all;
    direct(
        state,
        caller,
        headers,
        body,
        Operation::Suspend { all },
        "stopped",
    )
    .await
}

/// Resumes a stopped app.
#[utoipa::path(post, path = "/apps/resume", tag = "tasks", security(("bfl_user" = [])),
    request_body = StopBody,
    responses((status = 200, body = openapi::Envelope<DirectAnswer>),
        (status = 502, body = openapi::ErrorBody)))]
pub async fn resume(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Json(body): Json<StopBody>,
) -> Result<Json<Envelope<DirectAnswer>>, ApiError> {
    direct(state, caller, headers, body, Operation::Resume, "resumed").await
}

async fn direct(
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    body: StopBody,
    op: Operation,
    done: &str,
) -> Result<Json<Envelope<DirectAnswer>>, ApiError> {
    if body.app_name.trim().is_empty() {
        return Err(ApiError::BadRequest("AppName cannot be empty".into()));
    }
    let source = app_source(&state, caller.name(), &body.app_name).await?;
    let hdr = OpHeaders {
        token: token(&headers),
        user: caller.0.clone(),
        market_source: source,
        request_id: crate::outbound::current_request_id(),
    };
    let result = state.app_service.operate(&body.app_name, &op, &hdr).await?;
    Ok(Json(Envelope {
        success: true,
        message: format!("Application {done} successfully"),
        data: DirectAnswer {
            app_name: body.app_name,
            result: serde_json::to_value(result).unwrap_or(Value::Null),
        },
    }))
}

/// The caller's tasks, newest first.
#[utoipa::path(get, path = "/tasks", tag = "tasks", security(("bfl_user" = [])),
    params(TaskQuery),
    responses((status = 200, body = openapi::Envelope<Vec<Object>>),
        (status = 400, body = openapi::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<TaskQuery>,
) -> Result<Json<Envelope<Vec<Task>>>, ApiError> {
    let status = q
        .status
        .as_deref()
        .map(|s| {
            TaskStatus::parse(s)
                .ok_or_else(|| ApiError::BadRequest(format!("status: unknown {s:?}")))
        })
        .transpose()?;
    let kind = q
        .kind
        .as_deref()
        .map(|s| {
            TaskKind::parse(s).ok_or_else(|| ApiError::BadRequest(format!("type: unknown {s:?}")))
        })
        .transpose()?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::BadRequest("limit: between 1 and 1000".into()));
    }
    let filter = TaskFilter {
        status,
        kind,
        app: q.app,
        limit,
    };
    Ok(Json(Envelope::ok(
        state.store.tasks(caller.name(), &filter).await?,
    )))
}

/// One of the caller's tasks.
#[utoipa::path(get, path = "/tasks/{id}", tag = "tasks", security(("bfl_user" = [])),
    params(("id" = i64, Path)),
    responses((status = 200, body = openapi::Envelope<Object>),
        (status = 404, body = openapi::ErrorBody, description = "task_not_found (also another user's)")))]
pub async fn one(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Result<Json<Envelope<Task>>, ApiError> {
    match state.store.task(id).await? {
        Some(task) if task.user == caller.name() => Ok(Json(Envelope::ok(task))),
        _ => Err(ApiError::TaskNotFound(id)),
    }
}

/// app-service's `os.application.*` state event: updates the user's app state
/// and ends the running tasks it decides.
#[utoipa::path(post, path = "/app-state-events", tag = "tasks",
    request_body(content = Object, description = "{eventID, createTime, name, rawAppName, opID, opType, state, user, progress, marketSource, reason, message, entranceStatuses}"),
    responses((status = 200, body = openapi::Envelope<StateAnswer>),
        (status = 400, body = openapi::ErrorBody)))]
pub async fn app_state_event(
    State(state): State<AppState>,
    Json(event): Json<AppStateEvent>,
) -> Result<Json<Envelope<StateAnswer>>, ApiError> {
    if event.user.is_empty() || event.name.is_empty() || event.state.is_empty() {
        return Err(ApiError::BadRequest(
            "user, name and state are required".into(),
        ));
    }
    let ended = tasks::app_state::apply_event(&state, &event).await?;
    Ok(Json(Envelope::ok(StateAnswer {
        ended: ended.iter().map(|t| t.id).collect(),
    })))
}
