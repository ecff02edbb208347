//! Rendered user apps and the hydration driver's query on SQLite.

use chrono::{DateTime, Utc};
use market_model::SourceId;
use serde_json::Value;
use sqlx::SqliteConnection;

use super::{SqliteStore, from_millis, millis, unavailable};
use crate::store::{
    StaleApp, StoreError, UserApp, UserAppFailure, UserAppHead, UserAppKey, UserAppStore,
    decode_json, encode_json, parse_source, parse_status,
};

const COLUMNS: &str = "user_name, source, app_name, app_id, version, status, payload, \
    failure_step, failure_reason, failure_at, attempts, next_attempt_at, updated_at";

#[derive(sqlx::FromRow)]
struct Row {
    user_name: String,
    source: String,
    app_name: String,
    app_id: String,
    version: String,
    status: String,
    payload: Option<String>,
    failure_step: Option<String>,
    failure_reason: Option<String>,
    failure_at: Option<i64>,
    attempts: i64,
    next_attempt_at: Option<i64>,
    updated_at: i64,
}

impl TryFrom<Row> for UserApp {
    type Error = StoreError;
    fn try_from(row: Row) -> Result<Self, StoreError> {
        let what = format!("user app {}/{}/{}", row.user_name, row.source, row.app_name);
        let failure = match (row.failure_step, row.failure_reason, row.failure_at) {
            (Some(step), Some(reason), Some(at)) => Some(UserAppFailure {
                step,
                reason,
                at: from_millis(at)?,
            }),
            _ => None,
        };
        Ok(UserApp {
            source: parse_source(&row.source)?,
            status: parse_status(&row.status)?,
            payload: row
                .payload
                .map(|p| decode_json(&format!("{what} payload"), &p))
                .transpose()?,
            failure,
            attempts: u32::try_from(row.attempts)
                .map_err(|_| StoreError::Corrupt(format!("{what}: attempts {}", row.attempts)))?,
            next_attempt_at: row.next_attempt_at.map(from_millis).transpose()?,
            updated_at: from_millis(row.updated_at)?,
            user: row.user_name,
            app_name: row.app_name,
            app_id: row.app_id,
            version: row.version,
        })
    }
}

#[derive(sqlx::FromRow)]
struct HeadRow {
    source: String,
    app_name: String,
    version: String,
    status: String,
    updated_at: i64,
}

impl TryFrom<HeadRow> for UserAppHead {
    type Error = StoreError;
    fn try_from(row: HeadRow) -> Result<Self, StoreError> {
        Ok(UserAppHead {
            source: parse_source(&row.source)?,
            status: parse_status(&row.status)?,
            updated_at: from_millis(row.updated_at)?,
            app_name: row.app_name,
            version: row.version,
        })
    }
}

#[async_trait::async_trait]
impl UserAppStore for SqliteStore {
    async fn put_user_app_ready(
        &self,
        key: &UserAppKey,
        app_id: &str,
        version: &str,
        payload: &Value,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO user_apps (user_name, source, app_name, app_id, version, status, payload,
                attempts, updated_at)
             VALUES (?, ?, ?, ?, ?, 'ready', ?, 0, ?)
             ON CONFLICT (user_name, source, app_name) DO UPDATE SET app_id = excluded.app_id,
                version = excluded.version, status = 'ready', payload = excluded.payload,
                failure_step = NULL, failure_reason = NULL, failure_at = NULL, attempts = 0,
                next_attempt_at = NULL, updated_at = excluded.updated_at",
        )
        .bind(&key.user)
        .bind(key.source.as_str())
        .bind(&key.app_name)
        .bind(app_id)
        .bind(version)
        .bind(encode_json(payload)?)
        .bind(millis(now))
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(unavailable)
    }

    async fn put_user_app_pending(
        &self,
        key: &UserAppKey,
        app_id: &str,
        version: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        upsert_pending(&mut conn, key, app_id, version, None, until, now).await
    }

    async fn put_user_app_failed(
        &self,
        key: &UserAppKey,
        app_id: &str,
        version: &str,
        failure: &UserAppFailure,
        next_attempt_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let attempts: i64 = sqlx::query_scalar(
            "INSERT INTO user_apps (user_name, source, app_name, app_id, version, status,
                failure_step, failure_reason, failure_at, attempts, next_attempt_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 'failed', ?, ?, ?, 1, ?, ?)
             ON CONFLICT (user_name, source, app_name) DO UPDATE SET app_id = excluded.app_id,
                attempts = CASE WHEN user_apps.version = excluded.version
                AND (excluded.entry_digest IS NULL
                    OR user_apps.entry_digest IS excluded.entry_digest)
                    THEN user_apps.attempts + 1 ELSE 1 END,
                version = excluded.version, status = 'failed',
                failure_step = excluded.failure_step, failure_reason = excluded.failure_reason,
                failure_at = excluded.failure_at, next_attempt_at = excluded.next_attempt_at,
                updated_at = excluded.updated_at
             RETURNING attempts",
        )
        .bind(&key.user)
        .bind(key.source.as_str())
        .bind(&key.app_name)
        .bind(app_id)
        .bind(version)
        .bind(&failure.step)
        .bind(&failure.reason)
        .bind(millis(failure.at))
        .bind(next_attempt_at.map(millis))
        .bind(millis(now))
        .fetch_one(&self.pool)
        .await
        .map_err(unavailable)?;
        u32::try_from(attempts).map_err(|_| StoreError::Corrupt(format!("attempts {attempts}")))
    }

    async fn user_app(&self, key: &UserAppKey) -> Result<Option<UserApp>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM user_apps WHERE user_name = ? AND source = ? AND app_name = ?"
        );
        let row: Option<Row> = sqlx::query_as(&sql)
            .bind(&key.user)
            .bind(key.source.as_str())
            .bind(&key.app_name)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(UserApp::try_from).transpose()
    }

    async fn user_apps(
        &self,
        user: &str,
        source: Option<&SourceId>,
    ) -> Result<Vec<UserApp>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM user_apps WHERE user_name = ? AND (? IS NULL OR source = ?)
             ORDER BY source, app_name"
        );
        let source = source.map(SourceId::as_str);
        let rows: Vec<Row> = sqlx::query_as(&sql)
            .bind(user)
            .bind(source)
            .bind(source)
            .fetch_all(&self.pool)
            .await
            .map_err(unavailable)?;
        rows.into_iter().map(UserApp::try_from).collect()
    }

    async fn user_app_heads(&self, user: &str) -> Result<Vec<UserAppHead>, StoreError> {
        let rows: Vec<HeadRow> = sqlx::query_as(
            "SELECT source, app_name, version, status, updated_at FROM user_apps
             WHERE user_name = ? ORDER BY source, app_name",
        )
        .bind(user)
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(UserAppHead::try_from).collect()
    }

    async fn user_apps_matching(
        &self,
        user: &str,
        source: &SourceId,
        keys: &[String],
    ) -> Result<Vec<UserApp>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let list = vec!["?"; keys.len()].join(", ");
        // Two index searches (by name: the primary key; by app id: its index). One
        // `app_name IN … OR app_id IN …` makes SQLite walk every app of the user.
        let sql = format!(
            "SELECT {COLUMNS} FROM user_apps WHERE rowid IN (
                 SELECT rowid FROM user_apps WHERE user_name = ? AND source = ? AND app_name IN ({list})
                 UNION ALL
                 SELECT rowid FROM user_apps WHERE user_name = ? AND source = ? AND app_id IN ({list}))
             ORDER BY app_name"
        );
        let mut query = sqlx::query_as(&sql);
        for _ in 0..2 {
            query = query.bind(user).bind(source.as_str());
            for key in keys {
                query = query.bind(key);
            }
        }
        let rows: Vec<Row> = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        rows.into_iter().map(UserApp::try_from).collect()
    }

    async fn remove_user_app(
        &self,
        user: Option<&str>,
        source: &SourceId,
        app_name: &str,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM user_apps WHERE (? IS NULL OR user_name = ?) AND source = ? AND app_name = ?",
        )
        .bind(user)
        .bind(user)
        .bind(source.as_str())
        .bind(app_name)
        .execute(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(done.rows_affected())
    }

    async fn stale_user_apps(
        &self,
        now: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<StaleApp>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        select_stale(&mut conn, now, limit).await
    }

    async fn claim_stale_user_apps(
        &self,
        now: DateTime<Utc>,
        limit: u32,
        until: DateTime<Utc>,
    ) -> Result<Vec<StaleApp>, StoreError> {
        // The write lock is taken first, so two claimers never see the same
        // stale app: the second one finds it pending until `until`.
        let mut tx = self.begin().await?;
        let stale = select_stale(&mut tx, now, limit).await?;
        for app in &stale {
            let key = app.key();
            upsert_pending(
                &mut tx,
                &key,
                &app.app_id,
                &app.catalog_version,
                Some(&app.entry_digest),
                until,
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(unavailable)?;
        Ok(stale)
    }
}

/// Marks the key pending at `version` until `until` (see `put_user_app_pending`).
async fn upsert_pending(
    conn: &mut SqliteConnection,
    key: &UserAppKey,
    app_id: &str,
    version: &str,
    entry_digest: Option<&str>,
    until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    // A new version, or new content at the same version, starts its attempts
    // (and forgets the old failure).
    sqlx::query(
        "INSERT INTO user_apps (user_name, source, app_name, app_id, version, status,
            attempts, next_attempt_at, updated_at, entry_digest)
         VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?)
         ON CONFLICT (user_name, source, app_name) DO UPDATE SET app_id = excluded.app_id,
            attempts = CASE WHEN user_apps.version = excluded.version
                AND (excluded.entry_digest IS NULL
                    OR user_apps.entry_digest IS excluded.entry_digest)
                THEN user_apps.attempts ELSE 0 END,
            failure_step = CASE WHEN user_apps.version = excluded.version
                AND (excluded.entry_digest IS NULL
                    OR user_apps.entry_digest IS excluded.entry_digest)
                THEN user_apps.failure_step END,
            failure_reason = CASE WHEN user_apps.version = excluded.version
                AND (excluded.entry_digest IS NULL
                    OR user_apps.entry_digest IS excluded.entry_digest)
                THEN user_apps.failure_reason END,
            failure_at = CASE WHEN user_apps.version = excluded.version
                AND (excluded.entry_digest IS NULL
                    OR user_apps.entry_digest IS excluded.entry_digest)
                THEN user_apps.failure_at END,
            version = excluded.version, entry_digest = COALESCE(excluded.entry_digest, user_apps.entry_digest),
            status = 'pending',
            next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at",
    )
    .bind(&key.user)
    .bind(key.source.as_str())
    .bind(&key.app_name)
    .bind(app_id)
    .bind(version)
    .bind(millis(until))
    .bind(millis(now))
    .bind(entry_digest)
    .execute(&mut *conn)
    .await
    .map(drop)
    .map_err(unavailable)
}

/// The driver's query (see [`UserAppStore`]'s rules).
async fn select_stale(
    conn: &mut SqliteConnection,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<StaleApp>, StoreError> {
    type StaleRow = (String, String, String, String, String, String, String);
    let rows: Vec<StaleRow> = sqlx::query_as(
        "SELECT u.name, c.source, c.app_id, c.name, c.version, c.entry_digest, c.entry
             FROM users u
             CROSS JOIN catalog_apps c
             JOIN market_sources s ON s.id = c.source AND s.is_active
             LEFT JOIN user_apps a
                ON a.user_name = u.name AND a.source = c.source AND a.app_name = c.name
             WHERE a.user_name IS NULL
                OR a.version <> c.version
                OR (a.entry_digest IS NOT NULL AND a.entry_digest <> c.entry_digest)
                OR (a.status <> 'ready' AND a.next_attempt_at <= ?)
             ORDER BY u.name, c.source, c.name
             LIMIT ?",
    )
    .bind(millis(now))
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await
    .map_err(unavailable)?;
    rows.into_iter()
        .map(
            |(user, source, app_id, app_name, version, entry_digest, entry)| {
                Ok(StaleApp {
                    entry: decode_json(&format!("catalog app {source}/{app_name}"), &entry)?,
                    source: parse_source(&source)?,
                    user,
                    app_id,
                    app_name,
                    catalog_version: version,
                    entry_digest,
                })
            },
        )
        .collect()
}
