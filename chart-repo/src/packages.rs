//! Where chart packages live (`CHART_REPO_PACKAGES`): source packages by content
//! (`sources/{sha256}.tgz`, so a republished chart with the same version is a new file)
//! and each user's rendered packages (`rendered/{user}/{source}/{name}-{version}.tgz`).
//!
//! Writes go to a temporary file in the same folder and are renamed into place, so a
//! reader never sees half a package and a crash leaves at most a stray `.tmp` file.
//! Never: reading what is inside a package (the capped reader does).

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Bytes;
use sha2::{Digest, Sha256};

use crate::package_cache::PackageCache;

/// How many bytes of rendered packages are kept in memory for serving.
const SERVED_CACHE_BYTES: usize = 64 << 20;

/// Why a package could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum PackageStoreError {
    #[error("{what} {value:?} cannot name a stored package")]
    BadName { what: &'static str, value: String },
    #[error("package storage: {0}")]
    Io(#[from] std::io::Error),
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
}

/// A folder of packages, and the rendered ones recently served kept in memory.
#[derive(Clone, Debug)]
pub struct PackageStore {
    /// Shared, not owned: handlers clone the state (and so this store) per request.
    root: Arc<Path>,
    served: Arc<PackageCache>,
}

impl PackageStore {
    /// Opens (and creates) the folder.
    pub async fn open(root: &Path) -> Result<Self, PackageStoreError> {
        for sub in ["sources", "rendered", "uploads"] {
            tokio::fs::create_dir_all(root.join(sub)).await?;
        }
        Ok(Self {
            root: Arc::from(root),
            served: Arc::new(PackageCache::new(SERVED_CACHE_BYTES)),
        })
    }

    /// Stores a source package under its SHA-256 (lower-case hex), which it returns.
    pub async fn put_source(&self, bytes: &[u8]) -> Result<String, PackageStoreError> {
        let digest = hex::encode(Sha256::digest(bytes));
        let path = self.source_path(&digest)?;
        if tokio::fs::try_exists(&path).await? {
            return Ok(digest);
        }
        write_atomically(&path, bytes).await?;
        Ok(digest)
    }

    /// The source package with this SHA-256, if stored.
    pub async fn source(&self, digest: &str) -> Result<Option<Vec<u8>>, PackageStoreError> {
        read_optional(&self.source_path(digest)?).await
    }

    /// Stores a user's rendered package, replacing any with the same key.
    pub async fn put_rendered(
        &self,
        key: &RenderedKey,
        bytes: &[u8],
    ) -> Result<(), PackageStoreError> {
        let path = self.rendered_path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let written = write_atomically(&path, bytes).await;
        self.served.forget(key);
        written
    }

    /// A user's rendered package for serving, whose SHA-256 the index says is `digest`:
    /// from memory when it was read before with that digest, else from disk (and kept
    /// when its bytes have that digest).
    pub async fn rendered_to_serve(
        &self,
        key: &RenderedKey,
        digest: &str,
    ) -> Result<Option<Bytes>, PackageStoreError> {
        if let Some(bytes) = self.served.get(key, digest) {
            return Ok(Some(bytes));
        }
        let Some(bytes) = self.rendered(key).await? else {
            return Ok(None);
        };
        let bytes = Bytes::from(bytes);
        if hex::encode(Sha256::digest(&bytes)) == digest {
            self.served
                .insert(key.clone(), digest.to_owned(), bytes.clone());
        }
        Ok(Some(bytes))
    }

    /// A user's rendered package, if stored.
    pub async fn rendered(&self, key: &RenderedKey) -> Result<Option<Vec<u8>>, PackageStoreError> {
        read_optional(&self.rendered_path(key)?).await
    }

    /// The path of a user's rendered package (for streaming it from disk).
    pub fn rendered_path(&self, key: &RenderedKey) -> Result<PathBuf, PackageStoreError> {
        key.check()?;
        Ok(self
            .root
            .join("rendered")
            .join(&key.user)
            .join(&key.source)
            .join(key.file_name()))
    }

    /// Removes a user's rendered package; a missing one is not an error.
    pub async fn remove_rendered(&self, key: &RenderedKey) -> Result<(), PackageStoreError> {
        self.served.forget(key);
        match tokio::fs::remove_file(self.rendered_path(key)?).await {
            Err(e) if e.kind() != ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// A folder for uploads in progress (streamed to disk before they are read).
    pub fn uploads_dir(&self) -> PathBuf {
        self.root.join("uploads")
    }

    fn source_path(&self, digest: &str) -> Result<PathBuf, PackageStoreError> {
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
        Ok(self.root.join("sources").join(format!("{digest}.tgz")))
    }
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

async fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, PackageStoreError> {
    match tokio::fs::read(path).await {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
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
        std::fs::remove_file(store.rendered_path(&alice).unwrap()).unwrap();
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
