//! `GET /api/v1/appstore/hash` and `GET /api/v1/appstore/info`: always 200, whatever the
//! `version` (a failed hash call aborts the market's whole sync).

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use market_model::protocol::HashResponse;

use crate::Catalog;

/// The query both routes take.
#[derive(Debug, Default, Deserialize)]
pub(super) struct VersionQuery {
    #[serde(default)]
    version: String,
}

/// A query that does not parse is read as no query: these routes never answer 4xx.
fn version(query: Result<Query<VersionQuery>, axum::extract::rejection::QueryRejection>) -> String {
    query.map(|Query(q)| q.version).unwrap_or_default()
}

pub(super) async fn hash(
    State(catalog): State<Arc<Catalog>>,
    query: Result<Query<VersionQuery>, axum::extract::rejection::QueryRejection>,
) -> Json<HashResponse> {
    let view = catalog.snapshot().view(&version(query));
    Json(view.hash().clone())
}

pub(super) async fn info(
    State(catalog): State<Arc<Catalog>>,
    query: Result<Query<VersionQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let view = catalog.snapshot().view(&version(query));
    (
        [(header::CONTENT_TYPE, "application/json")],
        view.info_json().clone(),
    )
        .into_response()
}
