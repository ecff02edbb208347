//! `POST /apps/upload` (multipart: `chart` the package, `source` the local source, default
//! `upload`; optional `admin_user`): the package is streamed to a file under the upload
//! folder, never held whole in a request buffer beyond its cap (100 MiB), then checked and
//! hydrated for the caller (`X-Bfl-User`). Whatever happens, the temporary file is removed.

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::routing::post;
use market_model::{Envelope, ErrorBody, SourceId};
use serde_json::{Value, json};
use service_runtime::upload::{Multipart, SpoolError, spool};

use super::error::ApiError;
use super::openapi;
use crate::state::AppState;
use crate::upload::{UploadError, accept};

/// The largest package accepted.
pub const MAX_UPLOAD: u64 = 100 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/apps/upload", post(upload))
        // The multipart framing around the package needs some room beyond the cap.
        .layer(DefaultBodyLimit::max(MAX_UPLOAD as usize + 1024 * 1024))
}

/// Validates an uploaded chart and hydrates it for the caller.
#[utoipa::path(post, path = "/apps/upload", tag = "apps",
    request_body(content = openapi::UploadForm, content_type = "multipart/form-data"),
    params(("X-Bfl-User" = String, Header, description = "The uploader")),
    responses(
        (status = 200, body = Envelope<openapi::UploadAnswer>),
        (status = 400, description = "A missing header or field, a malformed form, an invalid source, or a refused package", body = ErrorBody),
        (status = 401, description = "No valid bearer token (`CHART_REPO_API_TOKEN` is set)", body = ErrorBody),
        (status = 413, description = "Larger than 100 MiB", body = ErrorBody),
        (status = 422, description = "Not a valid Olares chart", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
async fn upload(
    State(state): State<AppState>,
    headers: HeaderMap,
    Multipart(mut form): Multipart,
) -> Result<axum::Json<Envelope<Value>>, ApiError> {
    let user = headers
        .get("x-bfl-user")
        .and_then(|v| v.to_str().ok())
        .filter(|u| !u.is_empty())
        .ok_or(ApiError::MissingHeader("X-Bfl-User"))?
        .to_owned();
    let (mut source, mut admin, mut package) = ("upload".to_owned(), user.clone(), None);
    while let Some(mut field) = form
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(e.body_text()))?
    {
        match field.name().unwrap_or_default() {
            "chart" => {
                let dir = state.packages.uploads_dir();
                let temp = spool(&mut field, &dir, MAX_UPLOAD)
                    .await
                    .map_err(|e| match e {
                        SpoolError::TooLarge(cap) => ApiError::TooLarge(cap),
                        SpoolError::Read(m) => ApiError::BadRequest(m),
                        SpoolError::Io { .. } => ApiError::Internal(e.to_string()),
                    })?;
                package = Some(temp);
            }
            "source" => {
                source = field
                    .text()
                    .await
                    .map_err(|e| ApiError::BadRequest(e.body_text()))?
            }
            "admin_user" => {
                admin = field
                    .text()
                    .await
                    .map_err(|e| ApiError::BadRequest(e.body_text()))?
            }
            _ => {}
        }
    }
    let temp = package
        .ok_or_else(|| ApiError::BadRequest("the multipart field `chart` is missing".into()))?;
    let source =
        SourceId::parse(&source).map_err(|e| ApiError::BadRequest(format!("source: {e}")))?;
    let bytes = tokio::fs::read(temp.path())
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    drop(temp);
    let data = accept(&state, &user, &source, &admin, bytes)
        .await
        .map_err(|e| match e {
            UploadError::InvalidChart(m) => ApiError::InvalidChart(m),
            UploadError::BadRequest(m) => ApiError::BadRequest(m),
            UploadError::Store(e) => ApiError::Store(e),
            UploadError::Internal(m) => ApiError::Internal(m),
        })?;
    Ok(axum::Json(Envelope::ok(
        json!({ "app_data": data.app_data, "status": data.status }),
    )))
}
