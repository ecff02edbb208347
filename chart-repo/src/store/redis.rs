//! The production profile: Redis. Every multi-key transition is one Lua script
//! (atomic on the server), and every key is named by [`RedisKeys`].
//!
//! Keys share a `{prefix}` hash tag so scripts stay valid on Redis Cluster.

use std::sync::LazyLock;
use std::time::Duration;

use chrono::Utc;
use market_model::{MarketSource, SourceId};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Script, cmd};

use super::{ONE_ACTIVE_REMOTE, RepoStore, StoreError, decode_source, encode_source, sort_sources};

/// The schema version the seed script records.
const SCHEMA_VERSION: &str = "1";

/// KEYS[1] sources hash, KEYS[2] id of the active remote source.
/// ARGV[1] id, ARGV[2] document, ARGV[3] "1" when the source is an active remote.
/// Returns 0 (and writes nothing) when another remote is already active.
static PUT_SOURCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local current = redis.call('GET', KEYS[2])
if ARGV[3] == '1' then
  if current and current ~= ARGV[1] then return 0 end
  redis.call('SET', KEYS[2], ARGV[1])
elseif current == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
",
    )
});

/// KEYS[1] sources hash, KEYS[2] id of the active remote source. ARGV[1] id.
/// Returns the number of removed sources (0 or 1).
static DELETE_SOURCE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return redis.call('HDEL', KEYS[1], ARGV[1])
",
    )
});

/// KEYS[1] schema version, KEYS[2] sources hash. ARGV[1] version, then id and
/// document pairs. Seeds only the first time, so a deleted default stays deleted.
static SEED: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('SETNX', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do redis.call('HSETNX', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
",
    )
});

/// The names of every key this store uses.
#[derive(Clone, Debug)]
pub struct RedisKeys {
    pub schema_version: String,
    pub sources: String,
    pub active_remote: String,
}

impl RedisKeys {
    pub fn new(prefix: &str) -> Self {
        let tag = format!("{{{prefix}}}");
        Self {
            schema_version: format!("{tag}:schema_version"),
            sources: format!("{tag}:sources"),
            active_remote: format!("{tag}:sources:active_remote"),
        }
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
