//! The production profile: PostgreSQL through a connection pool.
//!
//! The pool reconnects by itself, so a database restart shows as `Unavailable`
//! errors (503 at the API) until it is back, never as a crash.
//!
//! Writers that read before they write lock what they depend on first: a
//! catalog writer the source's row (`FOR NO KEY UPDATE`), the admin promotion
//! event appends and claims of stale user apps a transaction-scoped advisory
//! lock ([`ADMIN_LOCK`], [`EVENTS_LOCK`], [`CLAIM_LOCK`]). Times are truncated to milliseconds, as SQLite keeps them.

mod catalog;
mod events;
mod tasks;
mod user_apps;
mod users;
mod watcher;

use std::time::Duration;

use market_model::{MarketSource, SourceId};
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{MarketStore, ONE_ACTIVE_REMOTE, SettingKey, SourceRow, StoreError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// PostgreSQL backend of [`MarketStore`].
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects, failing if the server cannot be reached within a few seconds.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot reach PostgreSQL: {e}")))?;
        Ok(Self { pool })
    }
}

/// Advisory lock held while a user is made admin (one admin at a time).
const ADMIN_LOCK: i64 = 0x6d6b_7400_0000_0001;
/// Advisory lock held by each event append until it commits, so event ids
/// become visible in increasing order (an identity alone allocates in order
/// but may commit out of it, and a reader would skip the late one).
const EVENTS_LOCK: i64 = 0x6d6b_7400_0000_0002;

/// Advisory lock held by each claim of stale user apps (see
/// `claim_stale_user_apps`).
const CLAIM_LOCK: i64 = 0x6d6b_7400_0000_0003;

/// The stored precision of every new time.
fn ms(t: chrono::DateTime<chrono::Utc>) -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(3)
}

fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::from_sqlx(e, "")
}

#[async_trait::async_trait]
impl MarketStore for PostgresStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn view_revision(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT revision FROM view_revision")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)
    }

    async fn sources(&self) -> Result<Vec<MarketSource>, StoreError> {
        let rows: Vec<SourceRow> = sqlx::query_as(
            "SELECT id, name, type, base_url, priority, is_active, description, updated_at
             FROM market_sources ORDER BY priority DESC, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(MarketSource::try_from).collect()
    }

    async fn source(&self, id: &SourceId) -> Result<Option<MarketSource>, StoreError> {
        let row: Option<SourceRow> = sqlx::query_as(
            "SELECT id, name, type, base_url, priority, is_active, description, updated_at
             FROM market_sources WHERE id = $1",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.map(MarketSource::try_from).transpose()
    }

    async fn put_source(&self, s: &MarketSource) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO market_sources (id, name, type, base_url, priority, is_active, description, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type,
                base_url = excluded.base_url, priority = excluded.priority, is_active = excluded.is_active,
                description = excluded.description, updated_at = excluded.updated_at",
        )
        .bind(s.id.as_str())
        .bind(&s.name)
        .bind(s.kind.as_str())
        .bind(&s.base_url)
        .bind(s.priority)
        .bind(s.is_active)
        .bind(&s.description)
        .bind(s.updated_at)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(|e| StoreError::from_sqlx(e, ONE_ACTIVE_REMOTE))
    }

    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM market_sources WHERE id = $1")
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(done.rows_affected() > 0)
    }

    async fn setting(&self, key: SettingKey) -> Result<Option<serde_json::Value>, StoreError> {
        sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
            .bind(key.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)
    }

    async fn put_setting(
        &self,
        key: SettingKey,
        value: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now())
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key.as_str())
        .bind(value)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(unavailable)
    }
}
