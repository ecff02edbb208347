//! The Olares response envelope and the error body that adds a stable `code`.

use serde::{Deserialize, Serialize};

/// A successful JSON reply: `{success: true, message, data}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Envelope<T> {
    pub success: bool,
    pub message: String,
    pub data: T,
}

impl<T> Envelope<T> {
    /// A success envelope with the conventional message.
    pub fn ok(data: T) -> Self {
        Self {
            success: true,
            message: "success".to_owned(),
            data,
        }
    }
}

/// A failed reply: `{success: false, message, code, data?}`.
///
/// `code` is a stable snake_case identifier clients may match on; `message` is
/// for people and may change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub success: bool,
    pub message: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

impl ErrorBody {
    /// An error body with no data.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            success: false,
            message: message.into(),
            code: code.into(),
            data: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_olares_field_names() {
        let json = serde_json::to_value(Envelope::ok(1)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"success": true, "message": "success", "data": 1})
        );
    }

    #[test]
    fn error_body_omits_absent_data() {
        let json = serde_json::to_value(ErrorBody::new("app_not_found", "no app x")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"success": false, "message": "no app x", "code": "app_not_found"})
        );
    }
}
