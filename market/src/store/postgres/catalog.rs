//! Each source's catalog on PostgreSQL: apps are written in one statement per
//! batch (`UNNEST` of arrays), and an unchanged app is not written at all.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use market_model::SourceId;
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;

use super::{PostgresStore, ms, unavailable};
use crate::store::{
    CatalogApp, CatalogDiff, CatalogMeta, CatalogSnapshot, CatalogStore, StoreError, encode_json,
    plan_upsert, removed_names, unknown_source,
};

const APP_COLUMNS: &str = "app_id, name, version, entry, labels, entry_digest";

#[derive(sqlx::FromRow)]
struct AppRow {
    app_id: String,
    name: String,
    version: String,
    entry: Value,
    labels: Json<Vec<String>>,
    entry_digest: String,
}

impl From<AppRow> for CatalogApp {
    fn from(row: AppRow) -> Self {
        CatalogApp {
            app_id: row.app_id,
            name: row.name,
            version: row.version,
            entry: row.entry,
            labels: row.labels.0,
            entry_digest: row.entry_digest,
        }
    }
}

/// Locks the source's row until the transaction ends, serializing the
/// writers of its catalog; `Conflict` if there is no such source.
async fn lock_source(conn: &mut PgConnection, source: &SourceId) -> Result<(), StoreError> {
    let found: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM market_sources WHERE id = $1 FOR NO KEY UPDATE")
            .bind(source.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(unavailable)?;
    found.map(drop).ok_or_else(|| unknown_source(source))
}

async fn stored_digests(
    conn: &mut PgConnection,
    source: &SourceId,
) -> Result<HashMap<String, String>, StoreError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, entry_digest FROM catalog_apps WHERE source = $1")
            .bind(source.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(unavailable)?;
    Ok(rows.into_iter().collect())
}

async fn write_apps(
    conn: &mut PgConnection,
    source: &SourceId,
    apps: &[&CatalogApp],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if apps.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&CatalogApp) -> String| apps.iter().map(|a| f(a)).collect::<Vec<_>>();
    let entries = apps
        .iter()
        .map(|a| encode_json(&a.entry))
        .collect::<Result<Vec<_>, _>>()?;
    let labels = apps
        .iter()
        .map(|a| encode_json(&a.labels))
        .collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "INSERT INTO catalog_apps (source, name, app_id, version, entry, labels, entry_digest, updated_at)
         SELECT $1, t.name, t.app_id, t.version, t.entry::jsonb, t.labels::jsonb, t.digest, $8
         FROM UNNEST($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])
            AS t(name, app_id, version, entry, labels, digest)
         ON CONFLICT (source, name) DO UPDATE SET app_id = excluded.app_id,
            version = excluded.version, entry = excluded.entry, labels = excluded.labels,
            entry_digest = excluded.entry_digest, updated_at = excluded.updated_at",
    )
    .bind(source.as_str())
    .bind(column(|a| a.name.clone()))
    .bind(column(|a| a.app_id.clone()))
    .bind(column(|a| a.version.clone()))
    .bind(entries)
    .bind(labels)
    .bind(column(|a| a.entry_digest.clone()))
    .bind(ms(now))
    .execute(&mut *conn)
    .await
    .map(drop)
    .map_err(|e| StoreError::from_sqlx(e, ""))
}

async fn delete_apps(
    conn: &mut PgConnection,
    source: &SourceId,
    names: &[String],
) -> Result<Vec<String>, StoreError> {
    let mut gone: Vec<String> = sqlx::query_scalar(
        "DELETE FROM catalog_apps WHERE source = $1 AND name = ANY($2) RETURNING name",
    )
    .bind(source.as_str())
    .bind(names)
    .fetch_all(&mut *conn)
    .await
    .map_err(unavailable)?;
    gone.sort();
    Ok(gone)
}

async fn write_meta(
    conn: &mut PgConnection,
    source: &SourceId,
    meta: &CatalogMeta,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO catalogs (source, hash, version, listing, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (source) DO UPDATE SET hash = excluded.hash, version = excluded.version,
            listing = excluded.listing, updated_at = excluded.updated_at",
    )
    .bind(source.as_str())
    .bind(&meta.hash)
    .bind(&meta.version)
    .bind(&meta.listing)
    .bind(ms(meta.updated_at))
    .execute(&mut *conn)
    .await
    .map(drop)
    .map_err(|e| StoreError::from_sqlx(e, ""))
}

impl PostgresStore {
    async fn fetch_apps(
        &self,
        sql: &str,
        source: &SourceId,
        ids: Option<&[String]>,
    ) -> Result<Vec<CatalogApp>, StoreError> {
        let mut query = sqlx::query_as::<_, AppRow>(sql).bind(source.as_str());
        if let Some(ids) = ids {
            query = query.bind(ids);
        }
        let rows = query.fetch_all(&self.pool).await.map_err(unavailable)?;
        Ok(rows.into_iter().map(CatalogApp::from).collect())
    }
}

#[async_trait::async_trait]
impl CatalogStore for PostgresStore {
    async fn replace_catalog(
        &self,
        source: &SourceId,
        snapshot: &CatalogSnapshot,
        now: DateTime<Utc>,
    ) -> Result<CatalogDiff, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        lock_source(&mut tx, source).await?;
        let stored = stored_digests(&mut tx, source).await?;
        let (mut diff, writes) = plan_upsert(&stored, &snapshot.apps);
        diff.removed = removed_names(&stored, &snapshot.apps);
        delete_apps(&mut tx, source, &diff.removed).await?;
        write_apps(&mut tx, source, &writes, now).await?;
        let meta = CatalogMeta {
            hash: snapshot.hash.clone(),
            version: snapshot.version.clone(),
            listing: snapshot.listing.clone(),
            updated_at: now,
        };
        write_meta(&mut tx, source, &meta).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(diff)
    }

    async fn upsert_catalog_apps(
        &self,
        source: &SourceId,
        apps: &[CatalogApp],
        now: DateTime<Utc>,
    ) -> Result<CatalogDiff, StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        lock_source(&mut tx, source).await?;
        let stored = stored_digests(&mut tx, source).await?;
        let (diff, writes) = plan_upsert(&stored, apps);
        write_apps(&mut tx, source, &writes, now).await?;
        tx.commit().await.map_err(unavailable)?;
        Ok(diff)
    }

    async fn remove_catalog_apps(
        &self,
        source: &SourceId,
        names: &[String],
    ) -> Result<Vec<String>, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        delete_apps(&mut conn, source, names).await
    }

    async fn set_catalog_meta(
        &self,
        source: &SourceId,
        meta: &CatalogMeta,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(unavailable)?;
        lock_source(&mut tx, source).await?;
        write_meta(&mut tx, source, meta).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn catalog_hash(&self, source: &SourceId) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT hash FROM catalogs WHERE source = $1")
            .bind(source.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)
    }

    async fn catalog_meta(&self, source: &SourceId) -> Result<Option<CatalogMeta>, StoreError> {
        let row: Option<(String, String, Value, DateTime<Utc>)> = sqlx::query_as(
            "SELECT hash, version, listing, updated_at FROM catalogs WHERE source = $1",
        )
        .bind(source.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        Ok(row.map(|(hash, version, listing, updated_at)| CatalogMeta {
            hash,
            version,
            listing,
            updated_at,
        }))
    }

    async fn catalog_app(
        &self,
        source: &SourceId,
        name: &str,
    ) -> Result<Option<CatalogApp>, StoreError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM catalog_apps WHERE source = $1 AND name = $2");
        let row: Option<AppRow> = sqlx::query_as(&sql)
            .bind(source.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(row.map(CatalogApp::from))
    }

    async fn catalog_apps(&self, source: &SourceId) -> Result<Vec<CatalogApp>, StoreError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM catalog_apps WHERE source = $1 ORDER BY name");
        self.fetch_apps(&sql, source, None).await
    }

    async fn catalog_apps_by_ids(
        &self,
        source: &SourceId,
        app_ids: &[String],
    ) -> Result<Vec<CatalogApp>, StoreError> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM catalog_apps
             WHERE source = $1 AND app_id = ANY($2) ORDER BY name"
        );
        self.fetch_apps(&sql, source, Some(app_ids)).await
    }
}
