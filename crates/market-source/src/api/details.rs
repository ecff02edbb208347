//! `POST /api/v1/applications/info`: details of at most ten apps by id, unknown ids in
//! `not_found`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use serde_json::Value;

use market_model::protocol::{AppsInfoRequest, AppsInfoResponse, MAX_APP_IDS};

use super::ApiError;
use crate::Catalog;

/// The body is read as JSON whatever its `Content-Type` says: the market sends
/// `application/json`, and other clients need not.
pub(super) async fn details(
    State(catalog): State<Arc<Catalog>>,
    body: Bytes,
) -> Result<Json<AppsInfoResponse>, ApiError> {
    let invalid = |e: serde_json::Error| ApiError::InvalidBody(e.to_string());
    // An object, as Go's decoder wants one (serde would also read a struct from an array).
    let request = match serde_json::from_slice(&body).map_err(invalid)? {
        object @ Value::Object(_) => {
            serde_json::from_value::<AppsInfoRequest>(object).map_err(invalid)?
        }
        _ => {
            return Err(ApiError::InvalidBody(
                "expected a JSON object {\"app_ids\": [...], \"version\": \"...\"}".into(),
            ));
        }
    };
    if request.app_ids.len() > MAX_APP_IDS {
        return Err(ApiError::TooManyAppIds {
            count: request.app_ids.len(),
        });
    }
    Ok(Json(catalog.snapshot().details(&request)))
}
