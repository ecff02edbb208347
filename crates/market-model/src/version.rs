//! What `GET /version` answers on both services.

use serde::{Deserialize, Serialize};

/// Build and runtime identity of a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionInfo {
    pub version: String,
    pub build_time: String,
    pub git_commit: String,
    /// Unix seconds at the time of the answer.
    pub timestamp: i64,
}
