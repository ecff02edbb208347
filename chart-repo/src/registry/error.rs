//! Why asking a registry about an image failed, each error marked retryable or
//! permanent where it is made, and mapped to the [`ImageStatus`] the image gets.

use std::time::Duration;

use market_model::ImageStatus;

/// A failed registry conversation.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// Refused before any network I/O: the host is not in `CHART_REPO_REGISTRY_ALLOW`.
    #[error("registry host {0} is not allowed")]
    HostNotAllowed(String),
    /// A token realm or redirect pointed at a host outside the allow-list.
    #[error("{what} host {host} is not allowed")]
    LinkNotAllowed { what: &'static str, host: String },
    #[error("deadline exceeded")]
    DeadlineExceeded,
    /// Connection refused, reset, or a transport timeout.
    #[error("cannot reach {host}: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("{what}: rate limited (HTTP 429){}", retry_after.map(|d| format!(", Retry-After {}s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        what: String,
        retry_after: Option<Duration>,
    },
    /// Any other unexpected HTTP status; 5xx is retryable.
    #[error("{what}: registry answered HTTP {status}")]
    Status { what: String, status: u16 },
    /// 401/403: without credentials the image is private; with them they were refused.
    #[error("{what}: {}", if *had_credentials { "the configured credentials were refused" } else { "authentication required" })]
    Unauthorized { what: String, had_credentials: bool },
    #[error("{what}: not found")]
    NotFound { what: String },
    /// The registry answered with something that is not a usable image.
    #[error("{what}: {reason}")]
    Malformed { what: String, reason: String },
    /// The token endpoint answered without a usable token.
    #[error("token endpoint {realm}: {reason}")]
    Token { realm: String, reason: String },
}

impl RegistryError {
    /// Whether asking again later may succeed (vector `RetryLogic`).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::DeadlineExceeded | Self::Unreachable { .. } | Self::RateLimited { .. } => true,
            Self::Status { status, .. } => *status >= 500,
            Self::Token { .. } => true,
            Self::HostNotAllowed(_)
            | Self::LinkNotAllowed { .. }
            | Self::Unauthorized { .. }
            | Self::NotFound { .. }
            | Self::Malformed { .. } => false,
        }
    }

    /// The status an image gets when its analysis ends with this error.
    pub fn status(&self) -> ImageStatus {
        match self {
            Self::Unauthorized { .. } => ImageStatus::PrivateRegistry,
            Self::NotFound { .. } => ImageStatus::NotFound,
            Self::Malformed { .. } => ImageStatus::AnalysisFailed,
            Self::HostNotAllowed(_)
            | Self::LinkNotAllowed { .. }
            | Self::DeadlineExceeded
            | Self::Unreachable { .. }
            | Self::RateLimited { .. }
            | Self::Status { .. }
            | Self::Token { .. } => ImageStatus::RegistryError,
        }
    }

    pub(crate) fn malformed(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Malformed {
            what: what.into(),
            reason: reason.into(),
        }
    }
}
