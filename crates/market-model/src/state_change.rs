//! chart-repo's state-change feed (`GET /chart-repo/api/v2/state-changes`,
//! DESIGN.md §4.1): what changed in the repository, in strictly increasing id
//! order, so market can follow it with a cursor.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The most changes one page may carry.
pub const STATE_CHANGES_MAX_LIMIT: u32 = 1000;

/// What kind of change a [`StateChange`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StateChangeType {
    /// A (re)rendered package is ready for a user (`app_data`).
    AppUploadCompleted,
    /// An image's analysis changed (`image_data`).
    ImageInfoUpdated,
    /// A hydration failed (`app_data`, `failure_step`, `failure_reason`).
    AppRenderFailed,
    /// A user's rendered app was removed (`app_data`).
    AppRemoved,
}

impl StateChangeType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AppUploadCompleted => "app_upload_completed",
            Self::ImageInfoUpdated => "image_info_updated",
            Self::AppRenderFailed => "app_render_failed",
            Self::AppRemoved => "app_removed",
        }
    }
}

/// The app a change is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppData {
    pub user_id: String,
    pub source: String,
    pub app_name: String,
    pub version: String,
}

/// The image a change is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageData {
    pub image_name: String,
}

/// One entry of the feed.
///
/// `timestamp` is RFC 3339: Olares' market decodes it into a Go `time.Time`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateChange {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: StateChangeType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_data: Option<AppData>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_data: Option<ImageData>,
    /// Only on `app_render_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_step: Option<String>,
    /// Only on `app_render_failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    pub timestamp: DateTime<Utc>,
}

/// One page of the feed: the changes with `id > after_id`, oldest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateChangesPage {
    pub after_id: i64,
    pub limit: u32,
    /// `state_changes.len()`.
    pub count: u32,
    /// How many retained changes follow `after_id`, this page included.
    pub total_available: u64,
    pub state_changes: Vec<StateChange>,
}

/// The body of a 410: the cursor points into changes already dropped by
/// retention. The client resyncs, then follows from `latest_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StateChangesGone {
    /// The oldest id still served (`latest_id + 1` when none is retained).
    pub oldest_id: i64,
    /// The last id ever assigned (0 when none was).
    pub latest_id: i64,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    /// The shape of DESIGN.md §4.1, as Olares' market decodes it.
    #[test]
    fn serializes_as_the_feed_promises() {
        let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
        let failed = StateChange {
            id: 7,
            kind: StateChangeType::AppRenderFailed,
            app_data: Some(AppData {
                user_id: "alice".into(),
                source: "market.olares".into(),
                app_name: "demo".into(),
                version: "1.0.0".into(),
            }),
            image_data: None,
            failure_step: Some("rendered_chart".into()),
            failure_reason: Some("boom".into()),
            timestamp: at,
        };
        let image = StateChange {
            id: 8,
            kind: StateChangeType::ImageInfoUpdated,
            app_data: None,
            image_data: Some(ImageData {
                image_name: "nginx:1".into(),
            }),
            failure_step: None,
            failure_reason: None,
            timestamp: at,
        };
        let page = StateChangesPage {
            after_id: 6,
            limit: 2,
            count: 2,
            total_available: 2,
            state_changes: vec![failed, image],
        };
        let want = json!({
            "after_id": 6, "limit": 2, "count": 2, "total_available": 2,
            "state_changes": [
                {"id": 7, "type": "app_render_failed",
                 "app_data": {"user_id": "alice", "source": "market.olares",
                              "app_name": "demo", "version": "1.0.0"},
                 "failure_step": "rendered_chart", "failure_reason": "boom",
                 "timestamp": "2026-01-02T03:04:05Z"},
                {"id": 8, "type": "image_info_updated", "image_data": {"image_name": "nginx:1"},
                 "timestamp": "2026-01-02T03:04:05Z"},
            ],
        });
        assert_eq!(serde_json::to_value(&page).unwrap(), want);
        assert_eq!(
            serde_json::from_value::<StateChangesPage>(want).unwrap(),
            page
        );
        for kind in [
            StateChangeType::AppUploadCompleted,
            StateChangeType::ImageInfoUpdated,
            StateChangeType::AppRenderFailed,
            StateChangeType::AppRemoved,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), json!(kind.as_str()));
        }
        let gone = StateChangesGone {
            oldest_id: 5,
            latest_id: 9,
        };
        assert_eq!(
            serde_json::to_value(gone).unwrap(),
            json!({"oldest_id": 5, "latest_id": 9})
        );
    }
}
