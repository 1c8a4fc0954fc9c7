//! Attachments in an S3-compatible bucket (`[attachments] backend = "s3"`): the same two
//! entries per file as on disk, `<prefix><id>.bin` and `<prefix><id>.json`, written through
//! short-lived presigned requests (the `rusty-s3` crate signs, reqwest sends). Works with AWS,
//! MinIO, Ceph, R2 and the like (`path_style` for those that need it).

use std::time::Duration;

use async_trait::async_trait;
use axum::body::Bytes;
use reqwest::{StatusCode, Url};
use rusty_s3::{actions::ListObjectsV2, Bucket, Credentials, S3Action, UrlStyle};

use super::storage::{parse_meta, Meta, Storage, StorageError};
use crate::config::S3Settings;

/// How long a signed request stays valid (it is sent at once).
const SIGNED_FOR: Duration = Duration::from_secs(60);
/// The longest one call to the bucket may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub struct S3 {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    http: reqwest::Client,
}

impl S3 {
    pub fn new(settings: &S3Settings) -> Result<Self, StorageError> {
        let endpoint = Url::parse(&settings.endpoint).map_err(|e| s3_error(format!("endpoint: {e}")))?;
        let style = if settings.path_style { UrlStyle::Path } else { UrlStyle::VirtualHost };
        let bucket = Bucket::new(endpoint, style, settings.bucket.clone(), settings.region.clone())
            .map_err(|e| s3_error(format!("bucket: {e:?}")))?;
        let credentials = Credentials::new(settings.access_key_id.clone(), settings.secret_access_key.expose());
        let http = reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .build()
            .map_err(|e| s3_error(format!("HTTP client: {e}")))?;
        Ok(Self { bucket, credentials, prefix: settings.prefix.clone(), http })
    }

    fn key(&self, id: &str, ext: &str) -> String {
        format!("{}{id}.{ext}", self.prefix)
    }

    async fn put_object(&self, key: &str, bytes: Bytes) -> Result<(), StorageError> {
        let url = self.bucket.put_object(Some(&self.credentials), key).sign(SIGNED_FOR);
        let response = self.http.put(url).body(bytes).send().await.map_err(transport)?;
        expect_success(response).await.map(drop)
    }

    /// The object's bytes, `None` when there is none.
    async fn get_object(&self, key: &str) -> Result<Option<Bytes>, StorageError> {
        let url = self.bucket.get_object(Some(&self.credentials), key).sign(SIGNED_FOR);
        let response = self.http.get(url).send().await.map_err(transport)?;
        if response.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(expect_success(response).await?.bytes().await.map_err(transport)?))
    }

    async fn delete_object(&self, key: &str) -> Result<(), StorageError> {
        let url = self.bucket.delete_object(Some(&self.credentials), key).sign(SIGNED_FOR);
        let response = self.http.delete(url).send().await.map_err(transport)?;
        match response.status() {
            StatusCode::NOT_FOUND => Ok(()),
            _ => expect_success(response).await.map(drop),
        }
    }
}

fn s3_error(detail: impl Into<String>) -> StorageError {
    StorageError::S3(detail.into())
}

fn transport(error: reqwest::Error) -> StorageError {
    s3_error(error.to_string())
}

async fn expect_success(response: reqwest::Response) -> Result<reqwest::Response, StorageError> {
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let body: String = response.text().await.unwrap_or_default().chars().take(300).collect();
    Err(s3_error(format!("{status}: {body}")))
}

#[async_trait]
impl Storage for S3 {
    async fn put(&self, id: &str, meta: &Meta, bytes: Bytes) -> Result<(), StorageError> {
        // The bytes first: metadata without its bytes would be listed but unreadable.
        self.put_object(&self.key(id, "bin"), bytes).await?;
        self.set_meta(id, meta).await
    }

    async fn meta(&self, id: &str) -> Result<Option<Meta>, StorageError> {
        self.get_object(&self.key(id, "json")).await?.map(|json| parse_meta(id, &json)).transpose()
    }

    async fn set_meta(&self, id: &str, meta: &Meta) -> Result<(), StorageError> {
        let json = serde_json::to_vec(meta).map_err(|error| StorageError::Meta { id: id.to_string(), error })?;
        self.put_object(&self.key(id, "json"), Bytes::from(json)).await
    }

    async fn read(&self, id: &str) -> Result<Option<(Meta, Bytes)>, StorageError> {
        let Some(meta) = self.meta(id).await? else { return Ok(None) };
        Ok(self.get_object(&self.key(id, "bin")).await?.map(|bytes| (meta, bytes)))
    }

    async fn delete(&self, id: &str) -> Result<(), StorageError> {
        // The metadata first: a file without it is never listed or served.
        self.delete_object(&self.key(id, "json")).await?;
        self.delete_object(&self.key(id, "bin")).await
    }

    async fn list(&self) -> Result<Vec<(String, Meta)>, StorageError> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut action: ListObjectsV2<'_> = self.bucket.list_objects_v2(Some(&self.credentials));
            action.with_prefix(self.prefix.as_str());
            if let Some(token) = &token {
                action.with_continuation_token(token.as_str());
            }
            let response = self.http.get(action.sign(SIGNED_FOR)).send().await.map_err(transport)?;
            let xml = expect_success(response).await?.text().await.map_err(transport)?;
            let page = ListObjectsV2::parse_response(&xml).map_err(|e| s3_error(format!("listing: {e}")))?;
            ids.extend(page.contents.into_iter().filter_map(|object| {
                let id = object.key.strip_prefix(&self.prefix)?.strip_suffix(".json")?;
                super::valid_id(id).then(|| id.to_string())
            }));
            match page.next_continuation_token {
                Some(next) => token = Some(next),
                None => break,
            }
        }
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match self.meta(&id).await {
                Ok(Some(meta)) => found.push((id, meta)),
                Ok(None) => {}
                Err(error) => tracing::warn!(%error, "skipping an attachment"),
            }
        }
        Ok(found)
    }
}
