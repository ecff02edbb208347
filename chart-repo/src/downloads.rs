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
    /// By user, then app: looked up with borrowed names, so a repeat allocates nothing.
    last: Mutex<Remembered>,
}

#[derive(Debug, Default)]
struct Remembered {
    by_user: HashMap<String, HashMap<String, Recorded>>,
    count: usize,
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
        if let Some(r) = last.by_user.get(user).and_then(|apps| apps.get(app))
            && r.version == version
            && &r.source == source
            && now.saturating_duration_since(r.at) < COALESCE
        {
            return false;
        }
        if last.count >= PRUNE_ABOVE {
            last.by_user.retain(|_, apps| {
                apps.retain(|_, r| now.saturating_duration_since(r.at) < COALESCE);
                !apps.is_empty()
            });
            last.count = last.by_user.values().map(HashMap::len).sum();
        }
        let recorded = Recorded {
            version: version.to_owned(),
            source: source.clone(),
            at: now,
        };
        let apps = match last.by_user.get_mut(user) {
            Some(apps) => apps,
            None => last.by_user.entry(user.to_owned()).or_default(),
        };
        let added = match apps.get_mut(app) {
            Some(r) => {
                *r = recorded;
                0
            }
            None => {
                apps.insert(app.to_owned(), recorded);
                1
            }
        };
        last.count += added;
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
