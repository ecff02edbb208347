//! Calls to other services (market sources, chart-repo): what can go wrong on the wire
//! ([`CallError`], each case marked retryable or permanent where it is made), and one
//! retry loop ([`RetryPolicy::run`]) with per-attempt timeouts, exponential backoff with
//! jitter, `Retry-After`, and a deadline for the whole operation.
//!
//! Never: decides what an answer means (the clients do), or retries a permanent error.
//! The loop is ours rather than a backoff crate's because it must weigh `Retry-After`
//! against the operation's deadline: a wait that would end past it gives up at once.

use std::future::Future;
use std::time::{Duration, Instant};

use market_model::ErrorBody;
use reqwest::{Response, StatusCode};

tokio::task_local! {
    /// The `x-request-id` of the request being served, for the calls it makes.
    static REQUEST_ID: String;
}

/// Runs `work` with `id` as the current request id: outbound calls made inside it carry
/// `x-request-id: id`, so one id follows a request through market and chart-repo.
pub async fn with_request_id<F: Future>(id: String, work: F) -> F::Output {
    REQUEST_ID.scope(id, work).await
}

/// Middleware: serves the request with its `x-request-id` (set by the shared
/// stack when the caller sent none) as the current id, so the calls the handler
/// makes to chart-repo carry it.
pub async fn scope_request_id(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let id = request
        .headers()
        .get(crate::chart_repo::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    match id {
        Some(id) => with_request_id(id, next.run(request)).await,
        None => next.run(request).await,
    }
}

/// The current request id, if [`with_request_id`] set one.
pub fn current_request_id() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// What went wrong talking to another service.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// No answer: refused, reset, DNS, TLS, a body cut short. Retryable.
    #[error("{url}: cannot talk to the service: {reason}")]
    Transport { url: String, reason: String },
    /// No answer within the attempt's time. Retryable.
    #[error("{url}: no answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    /// An HTTP error status; retryable for 408, 429 and 5xx.
    #[error("{url}: HTTP {status}: {message}")]
    Status {
        url: String,
        status: u16,
        /// The stable `code` of our error body, when the service sent one.
        code: Option<String>,
        message: String,
        /// From `Retry-After` (seconds or an HTTP date).
        retry_after: Option<Duration>,
    },
    /// An answer that is not what the protocol promises. Permanent.
    #[error("{url}: unexpected answer: {reason}")]
    Decode { url: String, reason: String },
    /// Retries ran out (attempts or deadline); `last` says why the last attempt failed.
    #[error("{operation}: gave up after {attempts} attempt(s) in {elapsed:?}: {last}")]
    GaveUp {
        operation: &'static str,
        attempts: u32,
        elapsed: Duration,
        last: Box<CallError>,
    },
}

impl CallError {
    /// Whether trying again later may succeed. After [`CallError::GaveUp`] that is the
    /// last attempt's answer: the operation as a whole may be retried on the next cycle.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::Timeout { .. } => true,
            Self::Status { status, .. } => retryable_status(*status),
            Self::Decode { .. } => false,
            Self::GaveUp { last, .. } => last.is_retryable(),
        }
    }

    /// The HTTP status, when the service answered one (also through [`CallError::GaveUp`]).
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Status { status, .. } => Some(*status),
            Self::GaveUp { last, .. } => last.status(),
            _ => None,
        }
    }

    /// Our error body's `code`, when the service sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Status { code, .. } => code.as_deref(),
            Self::GaveUp { last, .. } => last.code(),
            _ => None,
        }
    }

    /// The message of an error status (our error body's `message`, or a snippet).
    pub fn message(&self) -> Option<&str> {
        match self {
            Self::Status { message, .. } => Some(message),
            Self::GaveUp { last, .. } => last.message(),
            _ => None,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// A reqwest failure, classified: a body that is not the expected JSON is permanent,
    /// everything else (connect, reset, timeout) retryable.
    pub fn from_reqwest(url: &str, error: &reqwest::Error) -> Self {
        if error.is_decode() {
            return Self::Decode {
                url: url.to_owned(),
                reason: error.to_string(),
            };
        }
        let mut reason = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            reason.push_str(": ");
            reason.push_str(&cause.to_string());
            source = cause.source();
        }
        Self::Transport {
            url: url.to_owned(),
            reason,
        }
    }

    /// Turns an error status into [`CallError::Status`], reading our error body's
    /// `message` and `code` if the body is one. Any other answer is returned as is.
    pub async fn check(url: &str, response: Response) -> Result<Response, Self> {
        let status = response.status();
        if status.is_success() || status.is_informational() {
            return Ok(response);
        }
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = response.text().await.unwrap_or_default();
        let (code, message) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => (Some(body.code), body.message),
            Err(_) => (None, snippet(&text, status)),
        };
        Err(Self::Status {
            url: url.to_owned(),
            status: status.as_u16(),
            code,
            message,
            retry_after,
        })
    }
}

/// 408, 429 and every 5xx are worth another try.
pub fn retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

/// `Retry-After`: delta-seconds or an HTTP date (a date in the past is "now").
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// The start of a non-JSON error body, for the message.
fn snippet(text: &str, status: StatusCode) -> String {
    let text = text.trim();
    if text.is_empty() {
        return status
            .canonical_reason()
            .unwrap_or("error status")
            .to_owned();
    }
    text.chars().take(200).collect()
}

/// How one operation is tried: each attempt bounded by `attempt_timeout`, at most
/// `max_attempts`, the whole operation bounded by `deadline`; between attempts an
/// exponential backoff from `first_backoff` doubling to `max_backoff`, each wait drawn
/// between half and all of it (jitter, so many clients do not retry in step), or the
/// server's `Retry-After` when it sent one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub attempt_timeout: Duration,
    pub deadline: Duration,
    pub max_attempts: u32,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// Runs `attempt` until it succeeds, fails permanently, or retries run out.
    /// `url` names the target in a timeout error.
    pub async fn run<T, F, Fut>(
        &self,
        operation: &'static str,
        url: &str,
        mut attempt: F,
    ) -> Result<T, CallError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, CallError>>,
    {
        let started = Instant::now();
        let mut attempts = 0;
        loop {
            let left = self.deadline.saturating_sub(started.elapsed());
            let timeout = self.attempt_timeout.min(left);
            attempts += 1;
            let error = match tokio::time::timeout(timeout, attempt()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(error)) => error,
                Err(_) => CallError::Timeout {
                    url: url.to_owned(),
                    timeout,
                },
            };
            if !error.is_retryable() {
                return Err(error);
            }
            let wait = error
                .retry_after()
                .unwrap_or_else(|| self.backoff(attempts));
            let elapsed = started.elapsed();
            if attempts >= self.max_attempts || elapsed + wait >= self.deadline {
                return Err(CallError::GaveUp {
                    operation,
                    attempts,
                    elapsed,
                    last: Box::new(error),
                });
            }
            tracing::debug!(operation, attempts, wait_ms = wait.as_millis() as u64, error = %error, "retrying");
            tokio::time::sleep(wait).await;
        }
    }

    /// The wait after the `attempt`-th failure (from 1): `first_backoff · 2^(attempt-1)`,
    /// capped, then jittered into its upper half.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(16);
        let full = self
            .first_backoff
            .saturating_mul(1 << exp)
            .min(self.max_backoff);
        let full_ms = full.as_millis() as u64;
        Duration::from_millis(fastrand::u64(full_ms / 2..=full_ms))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    // Real time, kept tiny: these waits are the policy's own, not the test's.
    const QUICK: RetryPolicy = RetryPolicy {
        attempt_timeout: Duration::from_millis(200),
        deadline: Duration::from_secs(60),
        max_attempts: 4,
        first_backoff: Duration::from_millis(2),
        max_backoff: Duration::from_millis(8),
    };

    fn status(code: u16) -> CallError {
        CallError::Status {
            url: "u".into(),
            status: code,
            code: None,
            message: String::new(),
            retry_after: None,
        }
    }

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        for attempt in 1..=8 {
            let full = Duration::from_millis(2 * (1 << (attempt - 1))).min(QUICK.max_backoff);
            let wait = QUICK.backoff(attempt);
            assert!(wait <= full && wait >= full / 2, "{attempt}: {wait:?}");
        }
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503] {
            assert!(status(code).is_retryable(), "{code}");
        }
        for code in [400, 401, 404, 410, 422] {
            assert!(!status(code).is_retryable(), "{code}");
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[tokio::test]
    async fn retries_until_success_and_stops_at_a_permanent_error() {
        let calls = AtomicU32::new(0);
        let value = QUICK
            .run("op", "u", || async {
                match calls.fetch_add(1, Ordering::SeqCst) {
                    0 | 1 => Err(status(503)),
                    _ => Ok(7),
                }
            })
            .await
            .unwrap();
        assert_eq!((value, calls.load(Ordering::SeqCst)), (7, 3));

        let calls = AtomicU32::new(0);
        let err = QUICK
            .run("op", "u", || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err::<(), _>(status(404))
            })
            .await
            .unwrap_err();
        assert_eq!((err.status(), calls.load(Ordering::SeqCst)), (Some(404), 1));
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts_or_before_the_deadline() {
        let err = QUICK
            .run("op", "u", || async { Err::<(), _>(status(500)) })
            .await
            .unwrap_err();
        assert!(
            matches!(err, CallError::GaveUp { attempts: 4, .. }),
            "{err}"
        );
        assert!(err.is_retryable());

        // A Retry-After past the deadline ends the operation at once.
        let err = QUICK
            .run("op", "u", || async {
                Err::<(), _>(CallError::Status {
                    url: "u".into(),
                    status: 429,
                    code: None,
                    message: String::new(),
                    retry_after: Some(Duration::from_secs(120)),
                })
            })
            .await
            .unwrap_err();
        assert!(
            matches!(err, CallError::GaveUp { attempts: 1, .. }),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_hung_attempt_times_out_and_is_retried() {
        let calls = AtomicU32::new(0);
        let value = QUICK
            .run("op", "u", || async {
                if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                    std::future::pending::<()>().await;
                }
                Ok(1)
            })
            .await
            .unwrap();
        assert_eq!((value, calls.load(Ordering::SeqCst)), (1, 2));
    }
}
