//! The caller's catalog: `GET /market/hash`, `/market/data`, `/market/state`,
//! `/market/statesimple` (shapes in `crate::view`).

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;
use market_model::Envelope;

use super::error::{ApiError, Json};
use super::identity::Caller;
use super::openapi;
use crate::state::AppState;
use crate::view::{MarketData, MarketHash, MarketState, UserView};

/// The routes every open frontend polls (the hash, then the data with `If-None-Match`):
/// their `request` span is at DEBUG (see `service_runtime::http::StackConfig`).
pub const QUIET_ROUTES: &[&str] = &[
    "/app-store/api/v2/market/hash",
    "/app-store/api/v2/market/data",
];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/market/hash", get(hash))
        .route("/market/data", get(data))
        .route("/market/state", get(state))
        .route("/market/statesimple", get(state_simple))
}

/// A hash of everything `/market/data` shows the caller (poll it; refetch the data when it changes).
#[utoipa::path(get, path = "/market/hash", tag = "catalog", security(("bfl_user" = [])),
    responses(
        (status = 200, body = openapi::Envelope<MarketHash>),
        (status = 401, body = openapi::ErrorBody),
    ))]
pub async fn hash(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Envelope<MarketHash>>, ApiError> {
    let hash = state
        .hashes
        .hash(state.store.as_ref(), caller.name())
        .await?;
    Ok(Json(Envelope::ok(MarketHash { hash })))
}

/// The caller's catalog: per visible source its listing (`others`), the caller's rendered apps and their hydration.
///
/// The `ETag` is the caller's hash: with a matching `If-None-Match` the answer is 304.
#[utoipa::path(get, path = "/market/data", tag = "catalog", security(("bfl_user" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The ETag of a previous answer")),
    responses(
        (status = 200, body = openapi::Envelope<MarketData>, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the ETag sent"),
        (status = 401, body = openapi::ErrorBody),
    ))]
pub async fn data(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let store = state.store.as_ref();
    // A conditional request is answered from the caller's hash (kept between requests)
    // when it matches; the whole view is read only for a 200.
    if headers.contains_key(header::IF_NONE_MATCH) {
        let etag = etag_of(&state.hashes.hash(store, caller.name()).await?);
        if is_fresh(&headers, &etag) {
            return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
        }
    }
    let built = state.data.body(store, caller.name(), Utc::now()).await?;
    let etag = etag_of(&built.hash);
    if is_fresh(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    Ok((
        [
            (header::ETAG, etag),
            (header::CONTENT_TYPE, "application/json".to_owned()),
        ],
        built.body,
    )
        .into_response())
}

/// The `ETag` of a `/market/data` answer: the caller's hash, quoted.
fn etag_of(hash: &str) -> String {
    format!("\"{hash}\"")
}

/// Whether `If-None-Match` names `etag` (weak or strong) or is `*`.
fn is_fresh(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == etag
        })
}

/// Per visible source, the caller's app states.
#[utoipa::path(get, path = "/market/state", tag = "catalog", security(("bfl_user" = [])),
    responses(
        (status = 200, body = openapi::Envelope<MarketState>),
        (status = 401, body = openapi::ErrorBody),
    ))]
pub async fn state(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Envelope<MarketState>>, ApiError> {
    let view = UserView::load(state.store.as_ref(), caller.name()).await?;
    Ok(Json(Envelope::ok(view.market_state(false, Utc::now()))))
}

/// As `/market/state`, plus each source's rendered apps with their simple info only.
#[utoipa::path(get, path = "/market/statesimple", tag = "catalog", security(("bfl_user" = [])),
    responses(
        (status = 200, body = openapi::Envelope<MarketState>),
        (status = 401, body = openapi::ErrorBody),
    ))]
pub async fn state_simple(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<Envelope<MarketState>>, ApiError> {
    let view = UserView::load(state.store.as_ref(), caller.name()).await?;
    Ok(Json(Envelope::ok(view.market_state(true, Utc::now()))))
}
