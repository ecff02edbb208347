//! App details: `POST /apps` and `POST /apps/version-history`.

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use market_model::Envelope;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::error::{ApiError, Json};
use super::identity::Caller;
use super::openapi;
use crate::state::AppState;
use crate::view::{self, AppQuery, AppsInfo, UserView, VersionRecord};

/// At most this many apps in one `POST /apps`.
const MAX_APPS: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/apps", post(apps))
        .route("/apps/version-history", post(version_history))
}

/// The body of `POST /apps`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AppsRequest {
    pub apps: Vec<AppQuery>,
}

/// The body of `POST /apps/version-history`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VersionHistoryRequest {
    #[serde(rename = "appName")]
    pub app_name: String,
}

/// Olares' `ListVersionResponse`.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionHistory {
    pub data: Vec<VersionRecord>,
}

/// Details of the asked apps as rendered for the caller; the others in `not_found`.
#[utoipa::path(post, path = "/apps", tag = "catalog", security(("bfl_user" = [])),
    request_body = AppsRequest,
    responses(
        (status = 200, body = openapi::Envelope<AppsInfo>),
        (status = 400, body = openapi::ErrorBody, description = "empty or too many apps, or a malformed body"),
        (status = 401, body = openapi::ErrorBody),
    ))]
pub async fn apps(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<AppsRequest>,
) -> Result<Json<Envelope<AppsInfo>>, ApiError> {
    if body.apps.is_empty() {
        return Err(ApiError::BadRequest(
            "apps: the list cannot be empty".into(),
        ));
    }
    if body.apps.len() > MAX_APPS {
        return Err(ApiError::BadRequest(format!(
            "apps: at most {MAX_APPS} apps in one request"
        )));
    }
    let details = view::app_details(state.store.as_ref(), caller.name(), &body.apps).await?;
    Ok(Json(Envelope::ok(details)))
}

/// The published versions of one app (from the caller's rendered copy).
#[utoipa::path(post, path = "/apps/version-history", tag = "catalog", security(("bfl_user" = [])),
    request_body = VersionHistoryRequest,
    responses(
        (status = 200, body = openapi::Envelope<VersionHistory>),
        (status = 400, body = openapi::ErrorBody, description = "empty appName"),
        (status = 401, body = openapi::ErrorBody),
    ))]
pub async fn version_history(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<VersionHistoryRequest>,
) -> Result<Json<Envelope<VersionHistory>>, ApiError> {
    if body.app_name.trim().is_empty() {
        return Err(ApiError::BadRequest("appName cannot be empty".into()));
    }
    let view = UserView::load(state.store.as_ref(), caller.name()).await?;
    Ok(Json(Envelope::ok(VersionHistory {
        data: view.version_history(&body.app_name),
    })))
}
