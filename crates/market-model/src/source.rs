//! Market sources: where catalogs come from (DESIGN.md §5.2).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A market source identifier such as `market.olares` or `upload`.
///
/// Parsed once: 1 to 64 characters of `[A-Za-z0-9._-]`, so it is safe in URLs,
/// Redis keys and file names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct SourceId(String);

/// Why a string is not a [`SourceId`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid source id {0:?}: use 1 to 64 characters of letters, digits, '.', '_' or '-'")]
pub struct SourceIdError(pub String);

impl SourceId {
    /// Parses a source id.
    pub fn parse(s: &str) -> Result<Self, SourceIdError> {
        let valid = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(SourceIdError(s.to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SourceId {
    type Error = SourceIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<SourceId> for String {
    fn from(id: SourceId) -> Self {
        id.0
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Remote sources speak the market source protocol over HTTP; local ones hold
/// uploaded or studio-built charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    Remote,
    Local,
}

impl SourceType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Remote => "remote",
            Self::Local => "local",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "remote" => Some(Self::Remote),
            "local" => Some(Self::Local),
            _ => None,
        }
    }
}

/// One market source, as the settings API shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MarketSource {
    pub id: SourceId,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: SourceType,
    /// Empty for local sources.
    #[serde(default)]
    pub base_url: String,
    #[serde(default)]
    pub priority: i32,
    pub is_active: bool,
    #[serde(default)]
    pub description: String,
    pub updated_at: DateTime<Utc>,
}

impl MarketSource {
    /// Whether this source takes the single active-remote slot.
    pub fn is_active_remote(&self) -> bool {
        self.kind == SourceType::Remote && self.is_active
    }

    /// The sources every fresh store starts with: the `market.olares` remote
    /// (inactive until it is given a base URL) and the `upload`, `studio` and
    /// `cli` local sources.
    pub fn defaults(now: DateTime<Utc>) -> Vec<MarketSource> {
        let make =
            |id: &str, name: &str, kind, priority, is_active, description: &str| MarketSource {
                id: SourceId(id.to_owned()),
                name: name.to_owned(),
                kind,
                base_url: String::new(),
                priority,
                is_active,
                description: description.to_owned(),
                updated_at: now,
            };
        vec![
            make(
                "market.olares",
                "Olares Market",
                SourceType::Remote,
                100,
                false,
                "the public app catalog",
            ),
            make(
                "upload",
                "Upload",
                SourceType::Local,
                90,
                true,
                "charts uploaded by users",
            ),
            make(
                "studio",
                "Studio",
                SourceType::Local,
                80,
                true,
                "charts built in Studio",
            ),
            make(
                "cli",
                "CLI",
                SourceType::Local,
                70,
                true,
                "charts installed from the command line",
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_id_accepts_the_default_ids_and_refuses_unsafe_ones() {
        for ok in ["market.olares", "upload", "a_b-c.1"] {
            assert!(SourceId::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a/b", "a b", "x:y", &"a".repeat(65)] {
            assert!(SourceId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn source_serializes_with_the_wire_names() {
        let s = &MarketSource::defaults(DateTime::UNIX_EPOCH)[0];
        let json = serde_json::to_value(s).unwrap();
        assert_eq!(json["type"], "remote");
        assert_eq!(json["id"], "market.olares");
        assert_eq!(json["is_active"], false);
        let back: MarketSource = serde_json::from_value(json).unwrap();
        assert_eq!(&back, s);
    }

    #[test]
    fn defaults_have_no_active_remote() {
        assert!(
            !MarketSource::defaults(Utc::now())
                .iter()
                .any(MarketSource::is_active_remote)
        );
    }
}
