//! Each source's catalog on SQLite.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use market_model::SourceId;
use sqlx::{Sqlite, SqliteConnection};

use super::{SqliteStore, from_millis, millis, unavailable};
use crate::store::{
    CatalogApp, CatalogDiff, CatalogMeta, CatalogSnapshot, CatalogStore, StoreError, decode_json,
    encode_json, plan_upsert, removed_names, unknown_source,
};

const APP_COLUMNS: &str = "app_id, name, version, entry, labels, entry_digest";

#[derive(sqlx::FromRow)]
struct AppRow {
    app_id: String,
    name: String,
    version: String,
    entry: String,
    labels: String,
    entry_digest: String,
}

impl TryFrom<AppRow> for CatalogApp {
    type Error = StoreError;
    fn try_from(row: AppRow) -> Result<Self, StoreError> {
        Ok(CatalogApp {
            entry: decode_json(&format!("catalog app {} entry", row.name), &row.entry)?,
            labels: decode_json(&format!("catalog app {} labels", row.name), &row.labels)?,
            app_id: row.app_id,
            name: row.name,
            version: row.version,
            entry_digest: row.entry_digest,
        })
    }
}

/// `Conflict` unless the source exists (checked inside the writer's transaction).
async fn require_source(conn: &mut SqliteConnection, source: &SourceId) -> Result<(), StoreError> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM market_sources WHERE id = ?")
        .bind(source.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(unavailable)?;
    found.map(drop).ok_or_else(|| unknown_source(source))
}

/// Name → entry digest of the source's stored apps.
async fn stored_digests(
    conn: &mut SqliteConnection,
    source: &SourceId,
) -> Result<HashMap<String, String>, StoreError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, entry_digest FROM catalog_apps WHERE source = ?")
            .bind(source.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(unavailable)?;
    Ok(rows.into_iter().collect())
}

async fn write_apps(
    conn: &mut SqliteConnection,
    source: &SourceId,
    apps: &[&CatalogApp],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for app in apps {
        sqlx::query(
            "INSERT INTO catalog_apps (source, name, app_id, version, entry, labels, entry_digest, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (source, name) DO UPDATE SET app_id = excluded.app_id,
                version = excluded.version, entry = excluded.entry, labels = excluded.labels,
                entry_digest = excluded.entry_digest, updated_at = excluded.updated_at",
        )
        .bind(source.as_str())
        .bind(&app.name)
        .bind(&app.app_id)
        .bind(&app.version)
        .bind(encode_json(&app.entry)?)
        .bind(encode_json(&app.labels)?)
        .bind(&app.entry_digest)
        .bind(millis(now))
        .execute(&mut *conn)
        .await
        .map_err(|e| StoreError::from_sqlx(e, ""))?;
    }
    Ok(())
}

async fn delete_apps(
    conn: &mut SqliteConnection,
    source: &SourceId,
    names: &[String],
) -> Result<(), StoreError> {
    sqlx::query(
        "DELETE FROM catalog_apps WHERE source = ? AND name IN (SELECT value FROM json_each(?))",
    )
    .bind(source.as_str())
    .bind(encode_json(&names)?)
    .execute(&mut *conn)
    .await
    .map(drop)
    .map_err(unavailable)
}

async fn write_meta(
    conn: &mut SqliteConnection,
    source: &SourceId,
    meta: &CatalogMeta,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO catalogs (source, hash, version, listing, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (source) DO UPDATE SET hash = excluded.hash, version = excluded.version,
            listing = excluded.listing, updated_at = excluded.updated_at",
    )
    .bind(source.as_str())
    .bind(&meta.hash)
    .bind(&meta.version)
    .bind(encode_json(&meta.listing)?)
    .bind(millis(meta.updated_at))
    .execute(&mut *conn)
    .await
    .map(drop)
    .map_err(|e| StoreError::from_sqlx(e, ""))
}

async fn fetch_apps<'q>(
    query: sqlx::query::QueryAs<'q, Sqlite, AppRow, sqlx::sqlite::SqliteArguments<'q>>,
    store: &SqliteStore,
) -> Result<Vec<CatalogApp>, StoreError> {
    let rows = query.fetch_all(&store.pool).await.map_err(unavailable)?;
    rows.into_iter().map(CatalogApp::try_from).collect()
}

#[async_trait::async_trait]
impl CatalogStore for SqliteStore {
    async fn replace_catalog(
        &self,
        source: &SourceId,
        snapshot: &CatalogSnapshot,
        now: DateTime<Utc>,
    ) -> Result<CatalogDiff, StoreError> {
        let mut tx = self.begin().await?;
        require_source(&mut tx, source).await?;
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
        let mut tx = self.begin().await?;
        require_source(&mut tx, source).await?;
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
        let mut tx = self.begin().await?;
        let mut gone: Vec<String> = sqlx::query_scalar(
            "DELETE FROM catalog_apps WHERE source = ? AND name IN (SELECT value FROM json_each(?))
             RETURNING name",
        )
        .bind(source.as_str())
        .bind(encode_json(&names)?)
        .fetch_all(&mut *tx)
        .await
        .map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        gone.sort();
        Ok(gone)
    }

    async fn set_catalog_meta(
        &self,
        source: &SourceId,
        meta: &CatalogMeta,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        require_source(&mut tx, source).await?;
        write_meta(&mut tx, source, meta).await?;
        tx.commit().await.map_err(unavailable)
    }

    async fn catalog_hash(&self, source: &SourceId) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT hash FROM catalogs WHERE source = ?")
            .bind(source.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)
    }

    async fn catalog_meta(&self, source: &SourceId) -> Result<Option<CatalogMeta>, StoreError> {
        let row: Option<(String, String, String, i64)> = sqlx::query_as(
            "SELECT hash, version, listing, updated_at FROM catalogs WHERE source = ?",
        )
        .bind(source.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.map(|(hash, version, listing, at)| {
            Ok(CatalogMeta {
                hash,
                version,
                listing: decode_json(&format!("catalog {source} listing"), &listing)?,
                updated_at: from_millis(at)?,
            })
        })
        .transpose()
    }

    async fn catalog_app(
        &self,
        source: &SourceId,
        name: &str,
    ) -> Result<Option<CatalogApp>, StoreError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM catalog_apps WHERE source = ? AND name = ?");
        let row: Option<AppRow> = sqlx::query_as(&sql)
            .bind(source.as_str())
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        row.map(CatalogApp::try_from).transpose()
    }

    async fn catalog_apps(&self, source: &SourceId) -> Result<Vec<CatalogApp>, StoreError> {
        let sql = format!("SELECT {APP_COLUMNS} FROM catalog_apps WHERE source = ? ORDER BY name");
        fetch_apps(sqlx::query_as(&sql).bind(source.as_str()), self).await
    }

    async fn catalog_apps_by_ids(
        &self,
        source: &SourceId,
        app_ids: &[String],
    ) -> Result<Vec<CatalogApp>, StoreError> {
        let sql = format!(
            "SELECT {APP_COLUMNS} FROM catalog_apps
             WHERE source = ? AND app_id IN (SELECT value FROM json_each(?)) ORDER BY name"
        );
        let ids = encode_json(&app_ids)?;
        fetch_apps(sqlx::query_as(&sql).bind(source.as_str()).bind(ids), self).await
    }
}
