//! Where attachments' bytes are kept: the [`Storage`] trait and its disk backend, [`Disk`]
//! (the default); `s3.rs` keeps the same entries in a bucket. Each file is two entries under the folder: `<id>.bin` (the bytes) and
//! `<id>.json` ([`Meta`]), each written to a temporary name and renamed, so a reader never
//! sees half a file.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use axum::body::Bytes;
use serde::{Deserialize, Serialize};

/// What is kept beside a file's bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The conversation it was uploaded for; only that conversation's messages may carry it.
    pub conversation: String,
    pub site: String,
    pub name: String,
    /// Sniffed from the bytes.
    pub content_type: String,
    pub size: u64,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    /// A message carries it (an upload never sent is deleted after `[attachments] unsent`).
    #[serde(default)]
    pub sent: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("attachment storage: {0}")]
    Io(#[from] std::io::Error),
    #[error("attachment storage: unreadable metadata of {id}: {error}")]
    Meta { id: String, error: serde_json::Error },
    #[error("attachment storage (S3): {0}")]
    S3(String),
}

/// A place for attachments' bytes. Ids are checked by the caller ([`super::valid_id`]).
#[async_trait]
pub trait Storage: Send + Sync {
    async fn put(&self, id: &str, meta: &Meta, bytes: Bytes) -> Result<(), StorageError>;
    async fn meta(&self, id: &str) -> Result<Option<Meta>, StorageError>;
    /// Replaces the metadata of a stored file (marking it sent).
    async fn set_meta(&self, id: &str, meta: &Meta) -> Result<(), StorageError>;
    async fn read(&self, id: &str) -> Result<Option<(Meta, Bytes)>, StorageError>;
    async fn delete(&self, id: &str) -> Result<(), StorageError>;
    /// Every stored file's id and metadata (for retention).
    async fn list(&self) -> Result<Vec<(String, Meta)>, StorageError>;
}

/// Files in a folder of the relay's disk.
pub struct Disk {
    dir: PathBuf,
}

impl Disk {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, id: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{id}.{ext}"))
    }

    async fn write(&self, path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
        tokio::fs::create_dir_all(&self.dir).await?;
        let temp = path.with_extension(format!("tmp{}", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&temp, bytes).await?;
        if let Err(error) = tokio::fs::rename(&temp, path).await {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(error.into());
        }
        Ok(())
    }
}

fn missing_is_none<T>(result: std::io::Result<T>) -> Result<Option<T>, StorageError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error.into()),
    }
}

pub(super) fn parse_meta(id: &str, json: &[u8]) -> Result<Meta, StorageError> {
    serde_json::from_slice(json).map_err(|error| StorageError::Meta { id: id.to_string(), error })
}

#[async_trait]
impl Storage for Disk {
    async fn put(&self, id: &str, meta: &Meta, bytes: Bytes) -> Result<(), StorageError> {
        // The bytes first: metadata without its bytes would be listed but unreadable.
        self.write(&self.path(id, "bin"), &bytes).await?;
        self.set_meta(id, meta).await
    }

    async fn meta(&self, id: &str) -> Result<Option<Meta>, StorageError> {
        missing_is_none(tokio::fs::read(self.path(id, "json")).await)?.map(|json| parse_meta(id, &json)).transpose()
    }

    async fn set_meta(&self, id: &str, meta: &Meta) -> Result<(), StorageError> {
        let json = serde_json::to_vec(meta).map_err(|error| StorageError::Meta { id: id.to_string(), error })?;
        self.write(&self.path(id, "json"), &json).await
    }

    async fn read(&self, id: &str) -> Result<Option<(Meta, Bytes)>, StorageError> {
        let Some(meta) = self.meta(id).await? else { return Ok(None) };
        Ok(missing_is_none(tokio::fs::read(self.path(id, "bin")).await)?.map(|bytes| (meta, Bytes::from(bytes))))
    }

    async fn delete(&self, id: &str) -> Result<(), StorageError> {
        // The metadata first: a file without it is never listed or served.
        for ext in ["json", "bin"] {
            missing_is_none(tokio::fs::remove_file(self.path(id, ext)).await)?;
        }
        Ok(())
    }

    async fn list(&self) -> Result<Vec<(String, Meta)>, StorageError> {
        let Some(mut entries) = missing_is_none(tokio::fs::read_dir(&self.dir).await)? else { return Ok(vec![]) };
        let mut found = Vec::new();
        while let Some(entry) = entries.next_entry().await? {
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".json")).filter(|id| super::valid_id(id)) else {
                continue;
            };
            match self.meta(id).await {
                Ok(Some(meta)) => found.push((id.to_string(), meta)),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "skipping an attachment"),
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_round_trip_list_and_delete() {
        let dir = tempfile::tempdir().unwrap();
        let disk = Disk::new(dir.path().join("a"));
        assert_eq!(disk.list().await.unwrap(), vec![], "no folder yet");
        let meta = Meta {
            conversation: "c".into(),
            site: "demo".into(),
            name: "n.txt".into(),
            content_type: "text/plain".into(),
            size: 2,
            created_at: 1,
            sent: false,
        };
        disk.put("AAAAAAAAAAAAAAAAAAAAAA", &meta, Bytes::from_static(b"hi")).await.unwrap();
        let (read, bytes) = disk.read("AAAAAAAAAAAAAAAAAAAAAA").await.unwrap().unwrap();
        assert_eq!((read, &bytes[..]), (meta.clone(), &b"hi"[..]));
        let sent = Meta { sent: true, ..meta };
        disk.set_meta("AAAAAAAAAAAAAAAAAAAAAA", &sent).await.unwrap();
        assert_eq!(disk.list().await.unwrap(), vec![("AAAAAAAAAAAAAAAAAAAAAA".to_string(), sent)]);
        disk.delete("AAAAAAAAAAAAAAAAAAAAAA").await.unwrap();
        assert!(disk.read("AAAAAAAAAAAAAAAAAAAAAA").await.unwrap().is_none());
        assert_eq!(disk.list().await.unwrap(), vec![]);
    }
}
