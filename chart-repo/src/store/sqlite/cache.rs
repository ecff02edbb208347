//! Image analyses and download history on SQLite: single-row upserts.

use super::{SqliteStore, map_err};
use crate::store::{
    CachedImage, Download, DownloadStore, ImageCacheStore, StoreError, decode_json, encode_json,
    from_millis, millis,
};

#[async_trait::async_trait]
impl ImageCacheStore for SqliteStore {
    async fn image_cache_get(&self, reference: &str) -> Result<Option<CachedImage>, StoreError> {
        let row: Option<(String, String, i64)> =
            sqlx::query_as("SELECT digest, info, fetched_at FROM image_cache WHERE reference = ?")
                .bind(reference)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        row.map(|(digest, info, fetched_at)| {
            Ok(CachedImage {
                digest,
                info: decode_json("image info", &info)?,
                fetched_at: from_millis(fetched_at)?,
            })
        })
        .transpose()
    }

    async fn image_cache_put(
        &self,
        reference: &str,
        image: &CachedImage,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR REPLACE INTO image_cache (reference, digest, info, fetched_at)
             VALUES (?, ?, ?, ?)",
        )
        .bind(reference)
        .bind(&image.digest)
        .bind(encode_json(&image.info)?)
        .bind(millis(image.fetched_at))
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_err)
    }
}

#[async_trait::async_trait]
impl DownloadStore for SqliteStore {
    async fn record_download(
        &self,
        user: &str,
        app: &str,
        download: &Download,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT OR REPLACE INTO downloads (user, app, version, source, at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(user)
        .bind(app)
        .bind(&download.version)
        .bind(download.source.as_str())
        .bind(millis(download.at))
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(map_err)
    }

    async fn last_download(&self, user: &str, app: &str) -> Result<Option<Download>, StoreError> {
        let row: Option<(String, String, i64)> =
            sqlx::query_as("SELECT version, source, at FROM downloads WHERE user = ? AND app = ?")
                .bind(user)
                .bind(app)
                .fetch_optional(&self.pool)
                .await
                .map_err(map_err)?;
        row.map(|(version, source, at)| {
            Ok(Download {
                version,
                source: market_model::SourceId::parse(&source)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                at: from_millis(at)?,
            })
        })
        .transpose()
    }
}
