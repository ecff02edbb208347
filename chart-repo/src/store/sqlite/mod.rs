//! The embedded profile: one SQLite file in WAL mode.
//!
//! Every transition that reads before it writes runs in a `BEGIN IMMEDIATE`
//! transaction ([`SqliteStore::begin`]): it takes the write lock up front, so
//! two writers queue on `busy_timeout` instead of failing a read-to-write
//! upgrade with `SQLITE_BUSY`. One file per noun: `queue`, `apps`, `changes`,
//! `cache` (images and downloads).

mod apps;
mod cache;
mod changes;
mod queue;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::Utc;
use market_model::{MarketSource, SourceId};
use sqlx::sqlite::{
    Sqlite, SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};

use super::{ONE_ACTIVE_REMOTE, RepoStore, StoreError, decode_source, encode_source};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// SQLite backend of [`RepoStore`].
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

fn map_err(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            StoreError::Conflict(ONE_ACTIVE_REMOTE.into())
        }
        sqlx::Error::Database(_) | sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => {
            StoreError::Corrupt(e.to_string())
        }
        _ => StoreError::Unavailable(e.to_string()),
    }
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) the database file.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A SQLite connection is a file handle, not a link that can drop: pinging it
            // before each use (sqlx's default) is one more round trip to its worker thread
            // per query for nothing.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        Ok(Self { pool })
    }

    /// A write transaction holding SQLite's write lock from its first statement.
    async fn begin(&self) -> Result<sqlx::Transaction<'static, Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(map_err)
    }
}

#[async_trait::async_trait]
impl RepoStore for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))?;
        // Seed once: a deleted default stays deleted.
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let first =
            sqlx::query("UPDATE meta SET value = 1 WHERE key = 'sources_seeded' AND value = 0")
                .execute(&mut *tx)
                .await
                .map_err(map_err)?
                .rows_affected()
                == 1;
        if first {
            for source in MarketSource::defaults(Utc::now()) {
                sqlx::query("INSERT INTO market_sources (id, doc, priority) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING")
                    .bind(source.id.as_str())
                    .bind(encode_source(&source)?)
                    .bind(source.priority)
                    .execute(&mut *tx)
                    .await
                    .map_err(map_err)?;
            }
        }
        tx.commit().await.map_err(map_err)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(map_err)
    }

    async fn sources(&self) -> Result<Vec<MarketSource>, StoreError> {
        let docs: Vec<String> =
            sqlx::query_scalar("SELECT doc FROM market_sources ORDER BY priority DESC, id")
                .fetch_all(&self.pool)
                .await
                .map_err(map_err)?;
        docs.iter().map(|d| decode_source(d)).collect()
    }

    async fn source(&self, id: &SourceId) -> Result<Option<MarketSource>, StoreError> {
        let doc: Option<String> = sqlx::query_scalar("SELECT doc FROM market_sources WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(map_err)?;
        doc.as_deref().map(decode_source).transpose()
    }

    async fn put_source(&self, source: &MarketSource) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO market_sources (id, doc, priority, active_remote) VALUES (?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, priority = excluded.priority,
                active_remote = excluded.active_remote",
        )
        .bind(source.id.as_str())
        .bind(encode_source(source)?)
        .bind(source.priority)
        .bind(source.is_active_remote().then_some(1_i64))
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM market_sources WHERE id = ?")
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(done.rows_affected() > 0)
    }
}
