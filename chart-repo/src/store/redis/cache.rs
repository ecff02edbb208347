//! Image analyses (one hash) and download history (a hash per user) on Redis:
//! single-key writes, so no scripts.

use redis::cmd;

use super::{RedisStore, unavailable};
use crate::store::{
    CachedImage, Download, DownloadStore, ImageCacheStore, StoreError, decode_json, encode_json,
};

#[async_trait::async_trait]
impl ImageCacheStore for RedisStore {
    async fn image_cache_get(&self, reference: &str) -> Result<Option<CachedImage>, StoreError> {
        let doc: Option<String> = cmd("HGET")
            .arg(&self.keys.images)
            .arg(reference)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        doc.map(|d| decode_json("cached image", &d)).transpose()
    }

    async fn image_cache_put(
        &self,
        reference: &str,
        image: &CachedImage,
    ) -> Result<(), StoreError> {
        cmd("HSET")
            .arg(&self.keys.images)
            .arg(reference)
            .arg(encode_json(image)?)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }
}

#[async_trait::async_trait]
impl DownloadStore for RedisStore {
    async fn record_download(
        &self,
        user: &str,
        app: &str,
        download: &Download,
    ) -> Result<(), StoreError> {
        cmd("HSET")
            .arg(self.keys.downloads(user))
            .arg(app)
            .arg(encode_json(download)?)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)
    }

    async fn last_download(&self, user: &str, app: &str) -> Result<Option<Download>, StoreError> {
        let doc: Option<String> = cmd("HGET")
            .arg(self.keys.downloads(user))
            .arg(app)
            .query_async(&mut self.conn())
            .await
            .map_err(unavailable)?;
        doc.map(|d| decode_json("download", &d)).transpose()
    }
}
