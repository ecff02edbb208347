//! The production profile: Redis. Every multi-key transition is one Lua script
//! (atomic on the server), and every key is named by [`RedisKeys`].
//!
//! Keys share a `{prefix}` hash tag so scripts stay valid on Redis Cluster.
//!
//! **Queue**: a hash per job, a `pending` sorted set scored by the next attempt
//! time, a `leased` one scored by the lease deadline, and a `live` hash from
//! the encoded key to the job id for dedup (apalis' layout). DESIGN.md §3
//! suggests a Stream with a consumer group and XAUTOCLAIM; we chose the sorted
//! sets because dedup, "due at" times for retries, a lease token checked at
//! completion and counts by state are each one command there, while a Stream
//! would still need side keys for dedup, delayed retries and the token, and
//! its pending-entries list cannot say *which* lease of a job is current.
//!
//! **Feed**: an `INCR` counter gives plain integer ids (Stream ids are
//! `ms-seq` pairs); changes sit in a sorted set scored by id, so a page is one
//! `ZRANGEBYSCORE (after +inf`, `total_available` one `ZCOUNT`, and retention
//! one `ZREMRANGEBYRANK` that also raises the `trimmed_through` watermark.
//!
//! One file per noun: `queue`, `apps`, `changes`, `cache`; the Lua is in
//! `scripts`.

mod apps;
mod cache;
mod changes;
mod queue;
mod scripts;

use std::time::Duration;

use chrono::Utc;
use market_model::{MarketSource, SourceId};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cmd;

use self::scripts::{DELETE_SOURCE, PUT_SOURCE, SEED};

use super::{ONE_ACTIVE_REMOTE, RepoStore, StoreError, decode_source, encode_source, sort_sources};

/// The schema version the seed script records.
const SCHEMA_VERSION: &str = "1";

/// The names of every key this store uses.
#[derive(Clone, Debug)]
pub struct RedisKeys {
    pub schema_version: String,
    pub sources: String,
    pub active_remote: String,
    /// Counter: the last job id.
    pub job_seq: String,
    /// Prefix of the job hashes; see [`RedisKeys::job`].
    pub job_prefix: String,
    /// Sorted set of pending job members, scored by `next_attempt_at` (ms).
    pub jobs_pending: String,
    /// Sorted set of leased job members, scored by the lease deadline (ms).
    pub jobs_leased: String,
    /// Hash: encoded key → id of its pending or leased job.
    pub jobs_live: String,
    /// Hash: encoded key → id of its latest job.
    pub jobs_latest: String,
    /// Sorted set of done job members, scored by when they finished (ms).
    pub jobs_done: String,
    /// Sorted set of failed job members, scored by when they failed (ms).
    pub jobs_failed: String,
    /// Set of users holding at least one app record.
    pub app_users: String,
    /// Prefix of the per-user app hashes; see [`RedisKeys::user_apps`].
    pub user_apps_prefix: String,
    /// Prefix of the per-app holder sets; see [`RedisKeys::app_holders`].
    pub app_holders_prefix: String,
    /// Counter: the last state-change id.
    pub change_seq: String,
    /// Sorted set of `"{id}\n{draft JSON}"`, scored by id.
    pub changes: String,
    /// The highest state-change id retention dropped.
    pub changes_trimmed_through: String,
    /// Hash: image reference → cached analysis JSON.
    pub images: String,
    /// Prefix of the per-user download hashes (app → JSON).
    pub downloads_prefix: String,
}

impl RedisKeys {
    pub fn new(prefix: &str) -> Self {
        let tag = format!("{{{prefix}}}");
        Self {
            schema_version: format!("{tag}:schema_version"),
            sources: format!("{tag}:sources"),
            active_remote: format!("{tag}:sources:active_remote"),
            job_seq: format!("{tag}:jobs:seq"),
            job_prefix: format!("{tag}:job:"),
            jobs_pending: format!("{tag}:jobs:pending"),
            jobs_leased: format!("{tag}:jobs:leased"),
            jobs_live: format!("{tag}:jobs:live"),
            jobs_latest: format!("{tag}:jobs:latest"),
            jobs_done: format!("{tag}:jobs:done"),
            jobs_failed: format!("{tag}:jobs:failed"),
            app_users: format!("{tag}:apps:users"),
            user_apps_prefix: format!("{tag}:apps:user:"),
            app_holders_prefix: format!("{tag}:apps:holders:"),
            change_seq: format!("{tag}:changes:seq"),
            changes: format!("{tag}:changes"),
            changes_trimmed_through: format!("{tag}:changes:trimmed_through"),
            images: format!("{tag}:images"),
            downloads_prefix: format!("{tag}:downloads:"),
        }
    }

    /// A job's member in the pending/leased sets: its id zero-padded to 20
    /// digits, so equal scores order by id. The Lua scripts format it alike.
    pub fn job_member(id: i64) -> String {
        format!("{id:020}")
    }

    /// The hash of one job.
    pub fn job(&self, id: i64) -> String {
        format!("{}{}", self.job_prefix, Self::job_member(id))
    }

    /// The hash of one user's app records, field `source/app` → record JSON.
    pub fn user_apps(&self, user: &str) -> String {
        format!("{}{user}", self.user_apps_prefix)
    }

    /// The set of users holding a record of one app.
    pub fn app_holders(&self, source: &SourceId, app: &str) -> String {
        format!(
            "{}{}",
            self.app_holders_prefix,
            Self::app_field(source, app)
        )
    }

    /// The field of an app in a user's hash (a source id never holds `/`).
    pub fn app_field(source: &SourceId, app: &str) -> String {
        format!("{source}/{app}")
    }

    /// The hash of one user's downloads.
    pub fn downloads(&self, user: &str) -> String {
        format!("{}{user}", self.downloads_prefix)
    }
}

/// Redis backend of [`RepoStore`].
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    keys: RedisKeys,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("keys", &self.keys)
            .finish_non_exhaustive()
    }
}

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl RedisStore {
    /// A connection handle (the manager multiplexes one connection).
    fn conn(&self) -> ConnectionManager {
        self.conn.clone()
    }
}

impl RedisStore {
    /// Connects; the connection manager reconnects by itself after a restart.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Unavailable(format!("bad redis URL: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(5)));
        let conn = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot reach Redis: {e}")))?;
        Ok(Self {
            conn,
            keys: RedisKeys::new(prefix),
        })
    }
}

#[async_trait::async_trait]
impl RepoStore for RedisStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut invocation = SEED.prepare_invoke();
        invocation
            .key(&self.keys.schema_version)
            .key(&self.keys.sources)
            .arg(SCHEMA_VERSION);
        for source in MarketSource::defaults(Utc::now()) {
            invocation
                .arg(source.id.as_str())
                .arg(encode_source(&source)?);
        }
        let _: i64 = invocation
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let _: String = cmd("PING")
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn sources(&self) -> Result<Vec<MarketSource>, StoreError> {
        let docs: Vec<(String, String)> = cmd("HGETALL")
            .arg(&self.keys.sources)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        let mut sources = docs
            .iter()
            .map(|(_, doc)| decode_source(doc))
            .collect::<Result<Vec<_>, _>>()?;
        sort_sources(&mut sources);
        Ok(sources)
    }

    async fn source(&self, id: &SourceId) -> Result<Option<MarketSource>, StoreError> {
        let doc: Option<String> = cmd("HGET")
            .arg(&self.keys.sources)
            .arg(id.as_str())
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        doc.as_deref().map(decode_source).transpose()
    }

    async fn put_source(&self, source: &MarketSource) -> Result<(), StoreError> {
        let written: i64 = PUT_SOURCE
            .key(&self.keys.sources)
            .key(&self.keys.active_remote)
            .arg(source.id.as_str())
            .arg(encode_source(source)?)
            .arg(if source.is_active_remote() { "1" } else { "0" })
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        if written == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict(ONE_ACTIVE_REMOTE.into()))
        }
    }

    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError> {
        let removed: i64 = DELETE_SOURCE
            .key(&self.keys.sources)
            .key(&self.keys.active_remote)
            .arg(id.as_str())
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(removed == 1)
    }
}
