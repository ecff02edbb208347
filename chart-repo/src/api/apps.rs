//! Rendered apps: `DELETE /apps/{source}/{name}?user=`, `POST /apps`, `GET /repo/data`,
//! `DELETE /local-apps/delete`, `GET /app/version-for-download-history`. Every query is
//! scoped to the user the caller names (DESIGN.md §7: partitioning).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{delete, get, post};
use market_model::{Envelope, ErrorBody, SourceId};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Json, Query};
use super::openapi;
use crate::repo;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/apps/{source}/{name}", delete(remove_app))
        .route("/apps", post(apps))
        .route("/repo/data", get(repo_data))
        .route("/local-apps/delete", delete(delete_local))
        .route("/app/version-for-download-history", get(download_history))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UserQuery {
    /// The user (absent: every user, where the route allows it).
    user: Option<String>,
}

fn source_id(raw: &str) -> Result<SourceId, ApiError> {
    SourceId::parse(raw).map_err(|e| ApiError::BadRequest(format!("source: {e}")))
}

/// Removes the app's rendered record and package for `user`, or for every user when
/// `user` is absent; one `app_removed` change per user.
#[utoipa::path(delete, path = "/apps/{source}/{name}", tag = "apps",
    params(("source" = String, Path, description = "The market source"),
        ("name" = String, Path, description = "The app name"), UserQuery),
    responses(
        (status = 200, body = Envelope<openapi::RemovedApp>),
        (status = 400, description = "An invalid source, or an empty `user`", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody), (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn remove_app(
    State(state): State<AppState>,
    Path((source, name)): Path<(String, String)>,
    Query(q): Query<UserQuery>,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    let source = source_id(&source)?;
    // Absent means every user; present but empty is a caller's bug, not "everyone".
    if q.user.as_deref() == Some("") {
        return Err(ApiError::BadRequest(
            "user is empty; leave it out to remove the app for every user".into(),
        ));
    }
    let user = q.user;
    let removed = repo::remove_app(
        &state.store,
        &state.indexes,
        &state.packages,
        &source,
        &name,
        user.as_deref(),
    )
    .await?;
    let users: Vec<&str> = removed.iter().map(|r| r.user.as_str()).collect();
    Ok(axum::Json(Envelope::ok(
        json!({ "app_name": name, "source": source, "removed_for": users }),
    )))
}

#[derive(Deserialize, ToSchema)]
struct AppsRequest {
    #[serde(default)]
    apps: Vec<AppRef>,
    userid: String,
}

#[derive(Deserialize, ToSchema)]
struct AppRef {
    /// The 8-hex app id or the app name.
    appid: String,
    #[serde(rename = "sourceDataName")]
    source_data_name: String,
}

/// The user's rendered payloads for `{appid, sourceDataName}` pairs; ids it lacks are
/// listed in `not_found`.
#[utoipa::path(post, path = "/apps", tag = "apps", request_body = AppsRequest,
    responses(
        (status = 200, body = Envelope<openapi::AppsAnswer>),
        (status = 400, description = "A malformed body, an empty `userid` or an invalid source", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody), (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn apps(
    State(state): State<AppState>,
    Json(req): Json<AppsRequest>,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    if req.userid.is_empty() {
        return Err(ApiError::BadRequest("userid is empty".into()));
    }
    let mut by_source: BTreeMap<String, Vec<crate::store::AppRecord>> = BTreeMap::new();
    let (mut found, mut not_found) = (Vec::new(), Vec::new());
    for wanted in &req.apps {
        if !by_source.contains_key(&wanted.source_data_name) {
            let source = source_id(&wanted.source_data_name)?;
            let records = state.store.apps(&req.userid, Some(&source)).await?;
            by_source.insert(wanted.source_data_name.clone(), records);
        }
        let records = &by_source[&wanted.source_data_name];
        match records
            .iter()
            .find(|r| r.app_id == wanted.appid || r.app_name == wanted.appid)
        {
            Some(r) => found.push(r.payload.clone()),
            None => not_found.push(wanted.appid.clone()),
        }
    }
    Ok(axum::Json(Envelope::ok(
        json!({ "apps": found, "not_found": not_found }),
    )))
}

/// What the repository holds for a user, by source; not enveloped (Olares' shape).
#[utoipa::path(get, path = "/repo/data", tag = "apps", params(UserQuery),
    responses(
        (status = 200, description = "Not enveloped (Olares' shape)", body = openapi::RepoData),
        (status = 400, description = "`user` is missing or empty", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody), (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn repo_data(
    State(state): State<AppState>,
    Query(q): Query<UserQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    let user = q
        .user
        .filter(|u| !u.is_empty())
        .ok_or(ApiError::BadRequest("user is required".into()))?;
    let mut sources: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for record in state.store.apps(&user, None).await? {
        let info = json!({ "app_simple_info": { "app_id": record.app_id, "support_arch": record.support_arch } });
        sources
            .entry(record.source.to_string())
            .or_default()
            .push(info);
    }
    let sources: serde_json::Map<String, Value> = sources
        .into_iter()
        .map(|(s, apps)| (s, json!({ "app_info_latest": apps })))
        .collect();
    Ok(axum::Json(json!({ "user_data": { "sources": sources } })))
}

#[derive(Deserialize, ToSchema)]
struct DeleteLocal {
    app_name: String,
    #[serde(default)]
    app_version: String,
    source_id: String,
}

/// Deletes an uploaded app: the caller's copy (`X-Bfl-User`), or every user's when the
/// header is absent. A version that is not the stored one is a 404.
#[utoipa::path(delete, path = "/local-apps/delete", tag = "apps", request_body = DeleteLocal,
    params(("X-Bfl-User" = Option<String>, Header, description = "The caller; absent: every user's copy")),
    responses(
        (status = 200, body = Envelope<openapi::DeletedLocal>),
        (status = 400, description = "A malformed body, an invalid source or an empty `X-Bfl-User`", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody),
        (status = 404, description = "No such app (at that version)", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn delete_local(
    State(state): State<AppState>,
    headers: HeaderMap,
    Json(req): Json<DeleteLocal>,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    let source = source_id(&req.source_id)?;
    let user = match headers.get("x-bfl-user").map(|v| v.to_str()) {
        None => None,
        Some(Ok(u)) if !u.is_empty() => Some(u),
        // Present but empty or unreadable is a caller's bug, not "every user".
        Some(_) => {
            return Err(ApiError::BadRequest(
                "X-Bfl-User is empty; leave it out to delete the app for every user".into(),
            ));
        }
    };
    if !req.app_version.is_empty() {
        let users = match user {
            Some(u) => vec![u.to_owned()],
            None => state.store.users_with_app(&source, &req.app_name).await?,
        };
        let mut matches = false;
        for u in &users {
            if let Some(r) = state.store.app(u, &source, &req.app_name).await? {
                matches |= r.version == req.app_version;
            }
        }
        if !matches {
            return Err(ApiError::NotFound(format!(
                "{} {} is not in {source}",
                req.app_name, req.app_version
            )));
        }
    }
    let removed = repo::remove_app(
        &state.store,
        &state.indexes,
        &state.packages,
        &source,
        &req.app_name,
        user,
    )
    .await?;
    if removed.is_empty() {
        return Err(ApiError::NotFound(format!(
            "{} is not in {source}",
            req.app_name
        )));
    }
    Ok(axum::Json(Envelope::ok(
        json!({ "app_name": req.app_name, "removed": removed.len() }),
    )))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    user: String,
    app_name: String,
}

/// The version and source of the last package `user` downloaded of `app_name`.
#[utoipa::path(get, path = "/app/version-for-download-history", tag = "apps", params(HistoryQuery),
    responses(
        (status = 200, body = Envelope<openapi::DownloadHistory>),
        (status = 400, description = "`user` or `app_name` is missing", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody),
        (status = 404, description = "That user never downloaded the app", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn download_history(
    State(state): State<AppState>,
    Query(q): Query<HistoryQuery>,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    let download = state
        .store
        .last_download(&q.user, &q.app_name)
        .await?
        .ok_or_else(|| {
            ApiError::NotFound(format!("{} has not downloaded {}", q.user, q.app_name))
        })?;
    Ok(axum::Json(Envelope::ok(
        json!({ "version": download.version, "source": download.source }),
    )))
}
