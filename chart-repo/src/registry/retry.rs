//! When to ask a registry again: exponential backoff with jitter for 429, 5xx and
//! connection failures, never sooner than the registry's `Retry-After` (seconds or an
//! HTTP date), and never longer than a cap. Pure arithmetic; the client sleeps.

use std::time::{Duration, SystemTime};

/// How many times and how patiently a request is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    /// The first backoff; doubled per attempt.
    pub base: Duration,
    /// No wait is longer. A `Retry-After` beyond it ends the retries: the registry
    /// asked for more patience than one image analysis has.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 4,
            base: Duration::from_millis(200),
            max_wait: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (0-based `attempt` just failed), or `None`
    /// to give up. Backoff `base·2^attempt` capped at `max_wait`, jittered into its upper
    /// half; at least `retry_after` when the registry sent one.
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if attempt + 1 >= self.attempts {
            return None;
        }
        let backoff = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.max_wait);
        let half = backoff / 2;
        let jittered = half + half.mul_f64(fastrand::f64());
        match retry_after {
            Some(after) if after > self.max_wait => None,
            Some(after) => Some(jittered.max(after)),
            None => Some(jittered),
        }
    }
}

/// Reads `Retry-After`: delta-seconds, or an HTTP date (a past date means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops() {
        let p = RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(100),
            max_wait: Duration::from_millis(300),
        };
        for _ in 0..50 {
            let w0 = p.wait(0, None).unwrap();
            assert!(w0 >= Duration::from_millis(50) && w0 <= Duration::from_millis(100));
            let w1 = p.wait(1, None).unwrap();
            assert!(w1 >= Duration::from_millis(100) && w1 <= Duration::from_millis(200));
            let w2 = p.wait(2, None).unwrap();
            assert!(w2 >= Duration::from_millis(150) && w2 <= Duration::from_millis(300));
        }
        assert_eq!(p.wait(3, None), None);
    }

    #[test]
    fn retry_after_is_a_floor_and_too_long_gives_up() {
        let p = RetryPolicy::default();
        let w = p.wait(0, Some(Duration::from_secs(2))).unwrap();
        assert!(w >= Duration::from_secs(2));
        assert_eq!(p.wait(0, Some(Duration::from_secs(60))), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(parse_retry_after(" 3 ", now), Some(Duration::from_secs(3)));
        let later = httpdate::fmt_http_date(now + Duration::from_secs(5));
        assert_eq!(parse_retry_after(&later, now), Some(Duration::from_secs(5)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(5));
        assert_eq!(parse_retry_after(&past, now), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
