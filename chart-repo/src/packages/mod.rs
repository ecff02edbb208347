//! Where chart packages live (`CHART_REPO_PACKAGES`): source packages by content
//! (`sources/{sha256}.tgz`, so a republished chart with the same version is a new file)
//! and each user's rendered packages (`rendered/{user}/{source}/{name}-{version}.tgz`),
//! in a local folder (`dir:PATH`) or an S3-compatible bucket (`s3://bucket/prefix`, which
//! several replicas share; [`s3`]).
//!
//! In a folder, writes go to a temporary file in the same folder and are renamed into
//! place, so a reader never sees half a package and a crash leaves at most a stray `.tmp`
//! file; an S3 object is replaced whole by its service. Uploads in progress are always
//! streamed to a local folder (`uploads/`, under the data folder for S3).
//! Never: reading what is inside a package (the capped reader does).

pub mod s3;

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use sha2::{Digest, Sha256};

use crate::package_cache::PackageCache;
use s3::S3Bucket;
pub use s3::{S3Credentials, S3Error, S3Settings};

/// How many bytes of rendered packages are kept in memory for serving.
const SERVED_CACHE_BYTES: usize = 64 << 20;

/// Why a package could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum PackageStoreError {
    #[error("{what} {value:?} cannot name a stored package")]
    BadName { what: &'static str, value: String },
    #[error("package storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("package storage: {0}")]
    S3(#[from] S3Error),
    #[error("package storage: {0}")]
    Settings(String),
}

impl PackageStoreError {
    /// Whether the same operation may succeed later (a full disk, an unreachable bucket),
    /// as opposed to a name that can never be stored.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::BadName { .. } | Self::Settings(_) => false,
            Self::Io(_) => true,
            Self::S3(e) => e.is_retryable(),
        }
    }
}

/// Which rendered package: one user's app in one source.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RenderedKey {
    pub user: String,
    pub source: String,
    pub name: String,
    pub version: String,
}

impl RenderedKey {
    /// `{name}-{version}.tgz`, as the index's `urls` name it.
    pub fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }

    /// Whether every part can name a stored package (one path component each).
    pub fn check(&self) -> Result<(), PackageStoreError> {
        component("user", &self.user)?;
        component("source", &self.source)?;
        component("name", &self.name)?;
        component("version", &self.version)?;
        component("file", &self.file_name())
    }

    /// `rendered/{user}/{source}/{file}`.
    fn object_name(&self) -> Result<String, PackageStoreError> {
        self.check()?;
        Ok(format!(
            "rendered/{}/{}/{}",
            self.user,
            self.source,
            self.file_name()
        ))
    }
}

/// Where the packages are.
#[derive(Clone, Debug)]
enum Backend {
    /// Shared, not owned: handlers clone the state (and so this store) per request.
    Dir(Arc<Path>),
    S3(Arc<S3Bucket>),
}

/// The stored packages, and the rendered ones recently served kept in memory.
#[derive(Clone, Debug)]
pub struct PackageStore {
    backend: Backend,
    uploads: Arc<Path>,
    served: Arc<PackageCache>,
}

impl PackageStore {
    /// Opens (and creates) the folder.
    pub async fn open(root: &Path) -> Result<Self, PackageStoreError> {
        for sub in ["sources", "rendered", "uploads"] {
            tokio::fs::create_dir_all(root.join(sub)).await?;
        }
        Ok(Self {
            backend: Backend::Dir(Arc::from(root)),
            uploads: Arc::from(root.join("uploads")),
            served: Arc::new(PackageCache::new(SERVED_CACHE_BYTES)),
        })
    }

    /// Opens the bucket (creating it when it does not exist); uploads in progress go to
    /// `uploads` on local disk.
    pub async fn open_s3(settings: S3Settings, uploads: &Path) -> Result<Self, PackageStoreError> {
        tokio::fs::create_dir_all(uploads).await?;
        let bucket = S3Bucket::new(settings).map_err(PackageStoreError::Settings)?;
        bucket.ensure_bucket().await?;
        Ok(Self {
            backend: Backend::S3(Arc::new(bucket)),
            uploads: Arc::from(uploads),
            served: Arc::new(PackageCache::new(SERVED_CACHE_BYTES)),
        })
    }

    /// Stores a source package under its SHA-256 (lower-case hex), which it returns.
    pub async fn put_source(&self, bytes: &[u8]) -> Result<String, PackageStoreError> {
        let digest = hex::encode(Sha256::digest(bytes));
        let name = source_name(&digest)?;
        if self.exists(&name).await? {
            return Ok(digest);
        }
        self.put(&name, bytes).await?;
        Ok(digest)
    }

    /// The source package with this SHA-256, if stored.
    pub async fn source(&self, digest: &str) -> Result<Option<Vec<u8>>, PackageStoreError> {
        Ok(self.get(&source_name(digest)?).await?.map(Vec::from))
    }

    /// Stores a user's rendered package, replacing any with the same key.
    pub async fn put_rendered(
        &self,
        key: &RenderedKey,
        bytes: &[u8],
    ) -> Result<(), PackageStoreError> {
        let name = key.object_name()?;
        let written = self.put(&name, bytes).await;
        self.served.forget(key);
        written
    }

    /// A user's rendered package for serving, whose SHA-256 the index says is `digest`:
    /// from memory when it was read before with that digest, else from storage (and kept
    /// when its bytes have that digest).
    pub async fn rendered_to_serve(
        &self,
        key: &RenderedKey,
        digest: &str,
    ) -> Result<Option<Bytes>, PackageStoreError> {
        if let Some(bytes) = self.served.get(key, digest) {
            return Ok(Some(bytes));
        }
        let Some(bytes) = self.get(&key.object_name()?).await? else {
            return Ok(None);
        };
        if hex::encode(Sha256::digest(&bytes)) == digest {
            self.served
                .insert(key.clone(), digest.to_owned(), bytes.clone());
        }
        Ok(Some(bytes))
    }

    /// A user's rendered package, if stored.
    pub async fn rendered(&self, key: &RenderedKey) -> Result<Option<Vec<u8>>, PackageStoreError> {
        Ok(self.get(&key.object_name()?).await?.map(Vec::from))
    }

    /// Whether a user's rendered package is stored.
    pub async fn has_rendered(&self, key: &RenderedKey) -> Result<bool, PackageStoreError> {
        self.exists(&key.object_name()?).await
    }

    /// Removes a user's rendered package; a missing one is not an error.
    pub async fn remove_rendered(&self, key: &RenderedKey) -> Result<(), PackageStoreError> {
        self.served.forget(key);
        let name = key.object_name()?;
        match &self.backend {
            Backend::Dir(root) => match tokio::fs::remove_file(root.join(&name)).await {
                Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
                _ => Ok(()),
            },
            Backend::S3(bucket) => Ok(bucket.delete(&name).await?),
        }
    }

    /// A local folder for uploads in progress (streamed to disk before they are read).
    pub fn uploads_dir(&self) -> PathBuf {
        self.uploads.to_path_buf()
    }

    async fn exists(&self, name: &str) -> Result<bool, PackageStoreError> {
        match &self.backend {
            Backend::Dir(root) => Ok(tokio::fs::try_exists(root.join(name)).await?),
            Backend::S3(bucket) => Ok(bucket.exists(name).await?),
        }
    }

    async fn get(&self, name: &str) -> Result<Option<Bytes>, PackageStoreError> {
        match &self.backend {
            Backend::Dir(root) => match tokio::fs::read(root.join(name)).await {
                Ok(bytes) => Ok(Some(Bytes::from(bytes))),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e.into()),
            },
            Backend::S3(bucket) => Ok(bucket.get(name).await?),
        }
    }

    async fn put(&self, name: &str, bytes: &[u8]) -> Result<(), PackageStoreError> {
        match &self.backend {
            Backend::Dir(root) => {
                let path = root.join(name);
                if let Some(dir) = path.parent() {
                    tokio::fs::create_dir_all(dir).await?;
                }
                write_atomically(&path, bytes).await
            }
            Backend::S3(bucket) => Ok(bucket.put(name, Bytes::copy_from_slice(bytes)).await?),
        }
    }
}

/// `sources/{digest}.tgz`, for a lower-case hex SHA-256.
fn source_name(digest: &str) -> Result<String, PackageStoreError> {
    if digest.len() != 64
        || !digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(PackageStoreError::BadName {
            what: "digest",
            value: digest.to_owned(),
        });
    }
    Ok(format!("sources/{digest}.tgz"))
}

/// A name used as one path component: no separators, no dot-only names, printable ASCII.
fn component(what: &'static str, value: &str) -> Result<(), PackageStoreError> {
    let ok = !value.is_empty()
        && value.len() <= 255
        && value != "."
        && value != ".."
        && !value.starts_with('.')
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+'));
    if ok {
        Ok(())
    } else {
        Err(PackageStoreError::BadName {
            what,
            value: value.to_owned(),
        })
    }
}

async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), PackageStoreError> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    tokio::fs::write(&tmp, bytes).await?;
    if let Err(e) = tokio::fs::rename(&tmp, path).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(user: &str, name: &str) -> RenderedKey {
        RenderedKey {
            user: user.into(),
            source: "market.olares".into(),
            name: name.into(),
            version: "1.0.0".into(),
        }
    }

    #[tokio::test]
    async fn served_packages_come_from_memory_until_replaced_or_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = PackageStore::open(dir.path()).await.unwrap();
        let (alice, bob) = (key("alice", "ghost"), key("bob", "ghost"));
        let digest = |b: &[u8]| hex::encode(Sha256::digest(b));
        store.put_rendered(&alice, b"v1").await.unwrap();
        let served = store.rendered_to_serve(&alice, &digest(b"v1")).await;
        assert_eq!(served.unwrap().unwrap(), &b"v1"[..]);
        // Kept in memory: the file is not read again.
        std::fs::remove_file(dir.path().join(alice.object_name().unwrap())).unwrap();
        let served = store.rendered_to_serve(&alice, &digest(b"v1")).await;
        assert_eq!(served.unwrap().unwrap(), &b"v1"[..]);
        // A new render replaces the copy in memory.
        store.put_rendered(&alice, b"v2").await.unwrap();
        let served = store.rendered_to_serve(&alice, &digest(b"v2")).await;
        assert_eq!(served.unwrap().unwrap(), &b"v2"[..]);
        // Bytes without the digest the index names are served, never kept.
        store.put_rendered(&bob, b"x").await.unwrap();
        let served = store.rendered_to_serve(&bob, &digest(b"v1")).await;
        assert_eq!(served.unwrap().unwrap(), &b"x"[..]);
        store.remove_rendered(&bob).await.unwrap();
        assert!(
            store
                .rendered_to_serve(&bob, &digest(b"v1"))
                .await
                .unwrap()
                .is_none()
        );
        store.remove_rendered(&alice).await.unwrap();
        assert!(
            store
                .rendered_to_serve(&alice, &digest(b"v2"))
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn sources_are_content_addressed_and_rendered_packages_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let store = PackageStore::open(dir.path()).await.unwrap();
        let digest = store.put_source(b"chart").await.unwrap();
        assert_eq!(digest, hex::encode(Sha256::digest(b"chart")));
        assert_eq!(store.source(&digest).await.unwrap().unwrap(), b"chart");
        assert_eq!(store.put_source(b"chart").await.unwrap(), digest);
        assert!(store.source(&"0".repeat(64)).await.unwrap().is_none());

        store
            .put_rendered(&key("alice", "ghost"), b"a")
            .await
            .unwrap();
        store
            .put_rendered(&key("alice", "ghost"), b"b")
            .await
            .unwrap();
        assert_eq!(
            store
                .rendered(&key("alice", "ghost"))
                .await
                .unwrap()
                .unwrap(),
            b"b"
        );
        assert!(
            store
                .rendered(&key("bob", "ghost"))
                .await
                .unwrap()
                .is_none()
        );
        store.remove_rendered(&key("alice", "ghost")).await.unwrap();
        store.remove_rendered(&key("alice", "ghost")).await.unwrap();
        assert!(
            store
                .rendered(&key("alice", "ghost"))
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn names_that_would_escape_the_folder_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = PackageStore::open(dir.path()).await.unwrap();
        for bad in ["../x", "..", "a/b", ".hidden", ""] {
            assert!(
                store.put_rendered(&key(bad, "ghost"), b"x").await.is_err(),
                "{bad}"
            );
            assert!(
                store.put_rendered(&key("alice", bad), b"x").await.is_err(),
                "{bad}"
            );
        }
        assert!(store.source("../../etc/passwd").await.is_err());
    }
}
