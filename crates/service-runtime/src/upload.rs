//! Spooling a multipart upload to disk: both services take chart packages of up to
//! 100 MiB, streamed to a file chunk by chunk (never whole in memory), capped, and
//! removed whatever happens to the request.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;
use tokio::io::AsyncWriteExt;

/// `axum::extract::Multipart` whose rejections (not `multipart/form-data`, no boundary)
/// are a 400 `bad_request` in the envelope, as the services' other extractors answer,
/// not axum's plain text.
pub struct Multipart(pub axum::extract::Multipart);

impl<S: Send + Sync> FromRequest<S> for Multipart {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        axum::extract::Multipart::from_request(req, state)
            .await
            .map(Self)
            .map_err(|e: MultipartRejection| {
                crate::http::error_response(StatusCode::BAD_REQUEST, "bad_request", e.body_text())
            })
    }
}

/// A file removed when dropped.
#[derive(Debug)]
pub struct TempFile(PathBuf);

impl TempFile {
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Why a field could not be spooled.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// More than the cap (bytes).
    #[error("the upload is larger than {0} bytes")]
    TooLarge(u64),
    /// The request body broke off or is not valid multipart: the caller's.
    #[error("{0}")]
    Read(String),
    /// Writing the file failed: ours.
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
}

/// Streams `field` into a new file in `dir` (created when missing), at most `cap`
/// bytes. The file is removed when the returned [`TempFile`] is dropped, and at once
/// on any error.
pub async fn spool(field: &mut Field<'_>, dir: &Path, cap: u64) -> Result<TempFile, SpoolError> {
    let io = |path: &Path, e: std::io::Error| SpoolError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(|e| io(dir, e))?;
    let temp = TempFile(dir.join(format!("{}.part", unique_name())));
    let mut file = tokio::fs::File::create(&temp.0)
        .await
        .map_err(|e| io(&temp.0, e))?;
    let mut size = 0u64;
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| SpoolError::Read(e.body_text()))?
    {
        size += chunk.len() as u64;
        if size > cap {
            return Err(SpoolError::TooLarge(cap));
        }
        file.write_all(&chunk).await.map_err(|e| io(&temp.0, e))?;
    }
    file.flush().await.map_err(|e| io(&temp.0, e))?;
    Ok(temp)
}

/// A name no other upload uses at the same time: the process id, the time and a counter.
fn unique_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn names_differ_and_the_file_goes_with_the_guard() {
        assert_ne!(unique_name(), unique_name());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.part");
        std::fs::write(&path, b"x").unwrap();
        drop(TempFile(path.clone()));
        assert!(!path.exists());
    }
}
