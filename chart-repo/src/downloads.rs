//! Which package downloads need writing to the download history. A client fetching the
//! same package again right after (a retry, a range request, a load test) would
//! otherwise cost a store write per request; a download that repeats the last one this
//! process recorded for that user and app, within [`COALESCE`], is not written again.
//! What the history answers (`{version, source}` of the last download) is unchanged;
//! only its time may lag by less than [`COALESCE`]. Never: I/O.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use market_model::SourceId;

/// How long a recorded download stands for identical ones after it.
pub const COALESCE: Duration = Duration::from_secs(1);
/// Past this many remembered downloads, the expired ones are dropped.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
pub struct RecentDownloads {
    last: Mutex<HashMap<(String, String), Recorded>>,
}

#[derive(Debug)]
struct Recorded {
    version: String,
    source: SourceId,
    at: Instant,
}

impl RecentDownloads {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a download of `app` `version` from `source` by `user` at `now` must be
    /// written; when it must, it is remembered as written.
    pub fn should_record(
        &self,
        user: &str,
        app: &str,
        version: &str,
        source: &SourceId,
        now: Instant,
    ) -> bool {
        // Updates leave the map consistent, so a poisoned lock is still safe to use.
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        let key = (user.to_owned(), app.to_owned());
        if let Some(r) = last.get(&key)
            && r.version == version
            && &r.source == source
            && now.saturating_duration_since(r.at) < COALESCE
        {
            return false;
        }
        if last.len() >= PRUNE_ABOVE {
            last.retain(|_, r| now.saturating_duration_since(r.at) < COALESCE);
        }
        last.insert(
            key,
            Recorded {
                version: version.to_owned(),
                source: source.clone(),
                at: now,
            },
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_repeat_within_the_window_is_skipped() {
        let recent = RecentDownloads::new();
        let olares = SourceId::parse("market.olares").unwrap();
        let local = SourceId::parse("upload").unwrap();
        let t = Instant::now();
        assert!(recent.should_record("alice", "ghost", "1.0.0", &olares, t));
        assert!(!recent.should_record("alice", "ghost", "1.0.0", &olares, t));
        assert!(recent.should_record("bob", "ghost", "1.0.0", &olares, t));
        assert!(recent.should_record("alice", "ghost", "1.0.1", &olares, t));
        assert!(recent.should_record("alice", "ghost", "1.0.1", &local, t));
        assert!(recent.should_record("alice", "ghost", "1.0.0", &olares, t));
        assert!(!recent.should_record("alice", "ghost", "1.0.0", &olares, t + COALESCE / 2));
        assert!(recent.should_record("alice", "ghost", "1.0.0", &olares, t + COALESCE));
    }
}
