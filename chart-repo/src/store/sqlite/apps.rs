//! Rendered app records on SQLite, and the transactions that change them
//! together with the job and the feed.

use chrono::{DateTime, Utc};
use market_model::SourceId;
use sqlx::SqliteConnection;

use super::changes::append;
use super::queue::{End, finish, holds_lease};
use super::{SqliteStore, map_err};
use crate::store::{
    AppKey, AppRecord, AppStore, Committed, HydrationCommit, HydrationFailure, JobId, LeaseToken,
    PutOutcome, StoreError, decode_json, encode_json, from_millis, millis,
};

const APP_COLUMNS: &str = "user, source, app_name, app_id, version, source_digest, \
    package_digest, package_size, chart, payload, support_arch, created, updated_at";

#[derive(sqlx::FromRow)]
struct AppRow {
    user: String,
    source: String,
    app_name: String,
    app_id: String,
    version: String,
    source_digest: String,
    package_digest: String,
    package_size: i64,
    chart: String,
    payload: String,
    support_arch: String,
    created: i64,
    updated_at: i64,
}

impl AppRow {
    fn into_record(self) -> Result<AppRecord, StoreError> {
        Ok(AppRecord {
            source: SourceId::parse(&self.source)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            user: self.user,
            app_name: self.app_name,
            app_id: self.app_id,
            version: self.version,
            source_digest: self.source_digest,
            package_digest: self.package_digest,
            package_size: u64::try_from(self.package_size)
                .map_err(|_| StoreError::Corrupt("negative package size".into()))?,
            chart: decode_json("app chart", &self.chart)?,
            payload: decode_json("app payload", &self.payload)?,
            support_arch: decode_json("app support_arch", &self.support_arch)?,
            created: from_millis(self.created)?,
            updated_at: from_millis(self.updated_at)?,
        })
    }
}

async fn fetch_app(
    conn: &mut SqliteConnection,
    user: &str,
    source: &SourceId,
    name: &str,
) -> Result<Option<AppRecord>, StoreError> {
    let row: Option<AppRow> = sqlx::query_as(&format!(
        "SELECT {APP_COLUMNS} FROM apps WHERE user = ? AND source = ? AND app_name = ?"
    ))
    .bind(user)
    .bind(source.as_str())
    .bind(name)
    .fetch_optional(conn)
    .await
    .map_err(map_err)?;
    row.map(AppRow::into_record).transpose()
}

async fn put_app(conn: &mut SqliteConnection, r: &AppRecord) -> Result<(), StoreError> {
    sqlx::query(&format!(
        "INSERT OR REPLACE INTO apps ({APP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    ))
    .bind(&r.user)
    .bind(r.source.as_str())
    .bind(&r.app_name)
    .bind(&r.app_id)
    .bind(&r.version)
    .bind(&r.source_digest)
    .bind(&r.package_digest)
    .bind(i64::try_from(r.package_size).unwrap_or(i64::MAX))
    .bind(encode_json(&r.chart)?)
    .bind(encode_json(&r.payload)?)
    .bind(encode_json(&r.support_arch)?)
    .bind(millis(r.created))
    .bind(millis(r.updated_at))
    .execute(conn)
    .await
    .map(drop)
    .map_err(map_err)
}

fn records(rows: Vec<AppRow>) -> Result<Vec<AppRecord>, StoreError> {
    rows.into_iter().map(AppRow::into_record).collect()
}

#[async_trait::async_trait]
impl AppStore for SqliteStore {
    async fn app(
        &self,
        user: &str,
        source: &SourceId,
        name: &str,
    ) -> Result<Option<AppRecord>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        fetch_app(&mut conn, user, source, name).await
    }

    async fn apps(
        &self,
        user: &str,
        source: Option<&SourceId>,
    ) -> Result<Vec<AppRecord>, StoreError> {
        let rows: Vec<AppRow> = sqlx::query_as(&format!(
            "SELECT {APP_COLUMNS} FROM apps WHERE user = ?1 AND (?2 IS NULL OR source = ?2)
             ORDER BY source, app_name"
        ))
        .bind(user)
        .bind(source.map(SourceId::as_str))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        records(rows)
    }

    async fn apps_page(
        &self,
        after: Option<&AppKey>,
        limit: usize,
    ) -> Result<Vec<AppRecord>, StoreError> {
        // SQLite compares TEXT bytewise, as Rust orders `String`s.
        let rows: Vec<AppRow> = sqlx::query_as(&format!(
            "SELECT {APP_COLUMNS} FROM apps WHERE ?1 IS NULL OR (user, source, app_name) > (?1, ?2, ?3)
             ORDER BY user, source, app_name LIMIT ?4"
        ))
        .bind(after.map(|k| k.user.as_str()))
        .bind(after.map(|k| k.source.as_str()))
        .bind(after.map(|k| k.app_name.as_str()))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        records(rows)
    }

    async fn users_with_app(
        &self,
        source: &SourceId,
        name: &str,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query_scalar("SELECT user FROM apps WHERE source = ? AND app_name = ? ORDER BY user")
            .bind(source.as_str())
            .bind(name)
            .fetch_all(&self.pool)
            .await
            .map_err(map_err)
    }

    async fn commit_hydration(
        &self,
        id: JobId,
        token: LeaseToken,
        commit: &HydrationCommit,
    ) -> Result<Option<Committed>, StoreError> {
        let mut tx = self.begin().await?;
        if !holds_lease(&mut tx, id, token).await? {
            return Ok(None);
        }
        let r = &commit.record;
        let stored = fetch_app(&mut tx, &r.user, &r.source, &r.app_name).await?;
        let outcome = r.compare(stored.as_ref());
        let mut change_id = None;
        if outcome != PutOutcome::Existing {
            put_app(&mut tx, r).await?;
            if let Some(draft) = &commit.change {
                change_id = Some(append(&mut tx, draft).await?);
            }
        }
        let end = End::Done {
            result: &commit.result,
            now: r.updated_at,
        };
        if !finish(&mut tx, id, token, end).await? {
            return Ok(None);
        }
        tx.commit().await.map_err(map_err)?;
        Ok(Some(Committed { outcome, change_id }))
    }

    async fn fail_hydration(
        &self,
        id: JobId,
        token: LeaseToken,
        failed: &HydrationFailure,
    ) -> Result<Option<Option<i64>>, StoreError> {
        let mut tx = self.begin().await?;
        let end = End::Failed {
            failure: &failed.failure,
            retry_at: failed.retry_at,
        };
        if !finish(&mut tx, id, token, end).await? {
            return Ok(None);
        }
        let change_id = match &failed.change {
            Some(draft) => Some(append(&mut tx, draft).await?),
            None => None,
        };
        tx.commit().await.map_err(map_err)?;
        Ok(Some(change_id))
    }

    async fn remove_app(
        &self,
        source: &SourceId,
        name: &str,
        user: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Vec<AppRecord>, StoreError> {
        let mut tx = self.begin().await?;
        let rows: Vec<AppRow> = sqlx::query_as(&format!(
            "DELETE FROM apps WHERE source = ?1 AND app_name = ?2 AND (?3 IS NULL OR user = ?3)
             RETURNING {APP_COLUMNS}"
        ))
        .bind(source.as_str())
        .bind(name)
        .bind(user)
        .fetch_all(&mut *tx)
        .await
        .map_err(map_err)?;
        let mut removed = records(rows)?;
        removed.sort_by(|a, b| a.user.cmp(&b.user));
        for record in &removed {
            append(&mut tx, &record.removed_change(now)).await?;
        }
        tx.commit().await.map_err(map_err)?;
        Ok(removed)
    }
}
