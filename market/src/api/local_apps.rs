//! `POST /apps/upload` and `DELETE /local-apps/delete` (DESIGN.md §5.1): a user's own
//! charts in a local source (`upload` by default). Market checks the caller and the
//! source, passes the chart on to chart-repo (which validates it with the capped reader
//! and hydrates it for the caller), and records the answer at once, so the app is in the
//! caller's `/market/data` when the answer arrives (the data watcher sees the same change
//! later and finds it applied).
//!
//! The upload is streamed to a file under `{MARKET_DATA_DIR}/uploads` (at most 100 MiB,
//! never whole in memory) and from that file to chart-repo; the file is removed whatever
//! happens. The render's admin is market's admin: an `admin_user` in the form is ignored.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::routing::{delete, post};
use chrono::Utc;
use market_model::protocol::app_id;
use market_model::sync::SyncStatus;
use market_model::{Envelope, SourceId, SourceType};
use serde::Deserialize;
use serde_json::json;
use service_runtime::upload::{Multipart, SpoolError, TempFile, spool};
use utoipa::ToSchema;

use super::error::{ApiError, Json};
use super::identity::Caller;
use super::openapi;
use crate::chart_repo::{DeletedLocal, Upload, Uploaded};
use crate::hydration::EVENT_NEW_APP_READY;
use crate::state::AppState;
use crate::store::UserAppKey;
use crate::watcher::EVENT_APP_REMOVED;

/// The largest chart package accepted.
pub const MAX_UPLOAD: u64 = 100 * 1024 * 1024;

/// The source an upload goes to when the form names none.
const DEFAULT_SOURCE: &str = "upload";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/apps/upload",
            // The multipart framing around the package needs some room beyond the cap.
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD as usize + 1024 * 1024)),
        )
        .route("/local-apps/delete", delete(delete_local))
}

/// A source the caller's own charts may go to: known and local.
async fn local_source(state: &AppState, raw: &str) -> Result<SourceId, ApiError> {
    let id = SourceId::parse(raw).map_err(|e| ApiError::BadRequest(format!("source: {e}")))?;
    match state.store.source(&id).await? {
        Some(source) if source.kind == SourceType::Local => Ok(id),
        Some(_) => Err(ApiError::BadRequest(format!(
            "source: {id} is a remote source; uploads go to a local one (e.g. {DEFAULT_SOURCE})"
        ))),
        None => Err(ApiError::BadRequest(format!(
            "source: no market source {id}"
        ))),
    }
}

/// Validates an uploaded chart and renders it for the caller (multipart field `chart`,
/// the package; `source`, a local source, default `upload`).
#[utoipa::path(post, path = "/apps/upload", tag = "tasks",
    request_body(content = openapi::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "Rendered for the caller (`status`: new, updated or existing)", body = openapi::Envelope<openapi::Uploaded>),
        (status = 400, description = "A malformed form, no `chart` field, or a source that is not a local one", body = openapi::ErrorBody),
        (status = 401, description = "No `X-Bfl-User`", body = openapi::ErrorBody),
        (status = 403, description = "Public mode", body = openapi::ErrorBody),
        (status = 413, description = "Larger than 100 MiB", body = openapi::ErrorBody),
        (status = 422, description = "Not a valid Olares chart (`invalid_chart`, chart-repo's reason)", body = openapi::ErrorBody),
        (status = 502, description = "chart-repo did not answer", body = openapi::ErrorBody),
        (status = 503, description = "The store is unavailable", body = openapi::ErrorBody)),
    security(("bfl_user" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Multipart(mut form): Multipart,
) -> Result<Json<Envelope<Uploaded>>, ApiError> {
    let bad = |e: axum::extract::multipart::MultipartError| ApiError::BadRequest(e.body_text());
    let mut source = DEFAULT_SOURCE.to_owned();
    let mut package: Option<(TempFile, String)> = None;
    while let Some(mut field) = form.next_field().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "chart" => {
                let file_name = field.file_name().unwrap_or("chart.tgz").to_owned();
                let dir = state.config.data_dir.join("uploads");
                let temp = spool(&mut field, &dir, MAX_UPLOAD)
                    .await
                    .map_err(|e| match e {
                        SpoolError::TooLarge(cap) => ApiError::TooLarge(cap),
                        SpoolError::Read(m) => ApiError::BadRequest(m),
                        SpoolError::Io { .. } => ApiError::Internal(e.to_string()),
                    })?;
                package = Some((temp, file_name));
            }
            "source" => source = field.text().await.map_err(bad)?,
            _ => {}
        }
    }
    let (temp, file_name) = package
        .ok_or_else(|| ApiError::BadRequest("the multipart field `chart` is missing".into()))?;
    let source = local_source(&state, &source).await?;
    let admin = state
        .store
        .admin()
        .await?
        .unwrap_or_else(|| state.config.admin().to_owned());
    let user = caller.name();
    let uploaded = state
        .chart_repo
        .upload(Upload {
            user,
            admin: &admin,
            source: &source,
            package: temp.path(),
            file_name: &file_name,
        })
        .await
        .map_err(ApiError::from_chart_repo_call)?;
    drop(temp);
    let info = &uploaded.app_data.app_simple_info;
    if info.app_name.is_empty() {
        return Err(ApiError::Internal(
            "chart-repo's upload answer names no app".into(),
        ));
    }
    let key = UserAppKey::new(user, &source, &info.app_name);
    let payload =
        serde_json::to_value(&uploaded.app_data).map_err(|e| ApiError::Internal(e.to_string()))?;
    let now = Utc::now();
    state
        .store
        .put_user_app_ready(
            &key,
            &info.app_id,
            &uploaded.app_data.version,
            &payload,
            now,
        )
        .await?;
    // The same package again (`existing`) is nothing new to tell.
    if uploaded.status != SyncStatus::Existing {
        let data = json!({
            "source": source,
            "app_name": info.app_name,
            "app_id": info.app_id,
            "version": uploaded.app_data.version,
            "status": uploaded.status,
        });
        state
            .store
            .append_event(Some(user), EVENT_NEW_APP_READY, &data, now)
            .await?;
    }
    Ok(Json(Envelope::ok(uploaded)))
}

/// `DELETE /local-apps/delete`'s body.
#[derive(Deserialize, ToSchema)]
pub struct DeleteLocal {
    app_name: String,
    /// Only this version (empty: whichever the caller has).
    #[serde(default)]
    app_version: String,
    /// The local source (`upload`, …).
    source_id: String,
}

/// Deletes the caller's copy of an app in a local source (its rendered record and
/// package); other users' copies stay.
#[utoipa::path(delete, path = "/local-apps/delete", tag = "tasks", request_body = DeleteLocal,
    responses(
        (status = 200, body = openapi::Envelope<openapi::DeletedLocal>),
        (status = 400, description = "A malformed body, or a source that is not a local one", body = openapi::ErrorBody),
        (status = 401, description = "No `X-Bfl-User`", body = openapi::ErrorBody),
        (status = 403, description = "Public mode", body = openapi::ErrorBody),
        (status = 404, description = "The caller has no such app (at that version)", body = openapi::ErrorBody),
        (status = 502, description = "chart-repo did not answer", body = openapi::ErrorBody),
        (status = 503, description = "The store is unavailable", body = openapi::ErrorBody)),
    security(("bfl_user" = [])))]
pub async fn delete_local(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<DeleteLocal>,
) -> Result<Json<Envelope<DeletedLocal>>, ApiError> {
    if req.app_name.is_empty() {
        return Err(ApiError::BadRequest("app_name is empty".into()));
    }
    let source = local_source(&state, &req.source_id).await?;
    let user = caller.name();
    let deleted = state
        .chart_repo
        .delete_local(user, &source, &req.app_name, &req.app_version)
        .await
        .map_err(|e| match ApiError::from_chart_repo_call(e) {
            ApiError::Refused {
                status, message, ..
            } if status.as_u16() == 404 => ApiError::AppNotFound(message),
            other => other,
        })?;
    let now = Utc::now();
    if state
        .store
        .remove_user_app(Some(user), &source, &req.app_name)
        .await?
        > 0
    {
        let data = json!({
            "source": source,
            "app_name": req.app_name,
            "app_id": app_id(&req.app_name),
            "version": req.app_version,
        });
        state
            .store
            .append_event(Some(user), EVENT_APP_REMOVED, &data, now)
            .await?;
    }
    Ok(Json(Envelope::ok(deleted)))
}
