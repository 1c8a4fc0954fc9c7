//! Files sent in chats: images and documents from visitors (the widget's paperclip, drop and
//! paste) and from agents (the inbox, helpdesks).
//!
//! - [`storage`]: the [`Storage`] trait and its disk backend (`[attachments] dir`); [`s3`]: an
//!   S3-compatible bucket (`[attachments] backend = "s3"`, `[attachments.s3]`).
//! - [`sniff`]: the type is read from the bytes and must be one the site allows
//!   (`[sites.<key>.attachments]`), within its size limit.
//! - [`links`]: files are served only at signed, expiring addresses.
//! - [`http`]: `POST /api/v1/sites/{site}/attachments` (the widget, by its resume token),
//!   `POST /agent/api/conversations/{id}/attachments` (agents) and `GET /attachments/{id}`,
//!   served so that no file can run as a page (`nosniff`, a sandboxing CSP, and
//!   `Content-Disposition: attachment` for anything but images).
//!
//! An upload belongs to one conversation; a message of that conversation names it by id
//! ([`Attachments::for_message`]) and is stored with a reference to it
//! (`crate::event::Attachment`); the signed address is made each time the event is sent
//! (`crate::wire`). Retention deletes uploads never sent and those of deleted conversations.
//! - [`fetch`]: agents' files from helpdesks are copied in with the same rules
//!   ([`Attachments::copy_from`], bounded by `[attachments] fetch_timeout`); one that cannot be
//!   is passed on as a link ([`with_failed`]); [`internal`]: never from the relay's own network
//!   (loopback, private, link-local addresses, the cloud's metadata service) unless
//!   `[attachments] allow_private_fetch`, checked on the addresses connected to.

mod fetch;
mod http;
pub mod internal;
mod links;
mod s3;
mod sniff;
mod storage;

use std::sync::Arc;

use axum::body::Bytes;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;

pub use fetch::{with_failed, FetchError};
pub use http::router;
pub use links::{LinkError, Links};
pub use s3::S3;
pub use sniff::{sniff, Refused};
pub use storage::{Disk, Meta, Storage, StorageError};

use crate::{
    config::{AttachmentsConfig, Config, SiteAttachments, StorageBackend},
    connectors::FileLink,
    event::Attachment,
    store::Store,
};

/// The longest file name kept, in characters.
const MAX_NAME_CHARS: usize = 120;

/// The relay's attachments: where their bytes are and how their addresses are signed.
#[derive(Clone)]
pub struct Attachments {
    storage: Arc<dyn Storage>,
    links: Links,
    settings: AttachmentsConfig,
    /// `[admin] public_url`: addresses given to helpdesks (and to clients, when set) start with it.
    public_url: Option<String>,
    /// The relay's own address, for helpdesk links when no public address is set.
    bind: String,
    /// Downloads agents' files from helpdesks ([`Attachments::copy_from`]).
    fetcher: fetch::Fetcher,
}

/// Why a message could not carry the attachments it names.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("a message carries at most {} files", shared::MAX_ATTACHMENTS)]
    TooMany,
    #[error("no file {0:?} was uploaded for this conversation")]
    Unknown(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Why an upload was refused.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl Attachments {
    /// Files on disk in `[attachments] dir` (by default beside the SQLite database), or in the
    /// bucket of `[attachments.s3]` with `backend = "s3"`; links signed with a key derived from
    /// `secret_key`.
    pub fn from_config(config: &Config) -> Result<Self, StorageError> {
        let storage: Arc<dyn Storage> = match (&config.attachments.backend, &config.attachments.s3) {
            (StorageBackend::S3, Some(settings)) => Arc::new(S3::new(settings)?),
            (StorageBackend::S3, None) => {
                return Err(StorageError::S3("backend = \"s3\" needs [attachments.s3]".into()))
            }
            (StorageBackend::Disk, _) => Arc::new(Disk::new(config.attachments.dir_for(&config.database_url))),
        };
        let links = Links::new(config.secret_key.as_ref().map(|k| k.expose()));
        Ok(Self::new(storage, links, config))
    }

    pub fn new(storage: Arc<dyn Storage>, links: Links, config: &Config) -> Self {
        Self {
            storage,
            links,
            settings: config.attachments.clone(),
            public_url: config.admin.public_url.as_ref().map(|u| u.trim_end_matches('/').to_string()),
            bind: format!("http://{}", config.bind),
            fetcher: fetch::Fetcher::new(&config.attachments),
        }
    }

    pub fn links(&self) -> &Links {
        &self.links
    }

    /// Keeps `bytes` as a file of `conversation` if they are one of the site's types within its
    /// size; the name is the sender's, cleaned.
    pub async fn upload(
        &self,
        site: &str,
        conversation: &str,
        rules: &SiteAttachments,
        name: &str,
        bytes: Bytes,
    ) -> Result<Attachment, UploadError> {
        let size = bytes.len() as u64;
        if size > rules.max_bytes {
            return Err(Refused::TooLarge { size, max: rules.max_bytes }.into());
        }
        let allowed: &[String] = if rules.enabled { &rules.types } else { &[] };
        let content_type = sniff(&bytes, allowed)?.to_string();
        let id = new_id();
        let name = clean_name(name);
        let meta = Meta {
            conversation: conversation.to_string(),
            site: site.to_string(),
            name: name.clone(),
            content_type: content_type.clone(),
            size,
            created_at: crate::store::now_millis(),
            sent: false,
        };
        self.storage.put(&id, &meta, bytes).await?;
        tracing::info!(%conversation, %site, id, size, content_type, "attachment uploaded");
        Ok(Attachment { id, name, content_type, size })
    }

    /// The attachments `ids` names, each uploaded for `conversation`, marked sent.
    pub async fn for_message(&self, conversation: &str, ids: &[String]) -> Result<Vec<Attachment>, AttachError> {
        if ids.len() > shared::MAX_ATTACHMENTS {
            return Err(AttachError::TooMany);
        }
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            let meta = match valid_id(id) {
                true => self.storage.meta(id).await?,
                false => None,
            };
            let Some(meta) = meta.filter(|m| m.conversation == conversation) else {
                return Err(AttachError::Unknown(id.chars().take(40).collect()));
            };
            if !meta.sent {
                self.storage.set_meta(id, &Meta { sent: true, ..meta.clone() }).await?;
            }
            found.push(Attachment {
                id: id.clone(),
                name: meta.name,
                content_type: meta.content_type,
                size: meta.size,
            });
        }
        Ok(found)
    }

    /// `attachment` as clients get it: with an address valid for `[attachments] link_ttl`,
    /// relative to the relay unless `public_url` is set.
    pub fn wire(&self, attachment: Attachment) -> shared::Attachment {
        let path = self.links.path(&attachment.id, unix_now() + self.settings.link_ttl.as_secs());
        let url = format!("{}{path}", self.public_url.as_deref().unwrap_or_default());
        shared::Attachment {
            id: attachment.id,
            name: attachment.name,
            content_type: attachment.content_type,
            size: attachment.size,
            url,
        }
    }

    /// An absolute address of `attachment` for a helpdesk, valid for
    /// `[attachments] helpdesk_link_ttl`.
    pub fn helpdesk_url(&self, attachment: &Attachment) -> String {
        let expires = unix_now() + self.settings.helpdesk_link_ttl.as_secs();
        format!("{}{}", self.public_url.as_deref().unwrap_or(&self.bind), self.links.path(&attachment.id, expires))
    }

    /// `attachments` as a helpdesk gets them: each with its address for helpdesks
    /// ([`Attachments::helpdesk_url`]). Connectors that take files attach them; the others put
    /// the addresses in the text (`crate::connectors::with_links`).
    pub fn file_links(&self, attachments: &[Attachment]) -> Vec<FileLink> {
        attachments
            .iter()
            .map(|a| FileLink {
                name: a.name.clone(),
                content_type: a.content_type.clone(),
                size: a.size,
                url: self.helpdesk_url(a),
            })
            .collect()
    }

    /// Deletes uploads never sent for longer than `[attachments] unsent` and files whose
    /// conversation is gone. Returns how many were deleted.
    pub async fn prune(&self, store: &dyn Store, now: i64) -> Result<u32, PruneError> {
        let unsent_before = now.saturating_sub(i64::try_from(self.settings.unsent.as_millis()).unwrap_or(i64::MAX));
        let mut deleted = 0;
        for (id, meta) in self.storage.list().await? {
            let stale = !meta.sent && meta.created_at < unsent_before;
            if stale || store.conversation(&meta.conversation).await?.is_none() {
                self.storage.delete(&id).await?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }

    async fn read(&self, id: &str) -> Result<Option<(Meta, Bytes)>, StorageError> {
        if !valid_id(id) {
            return Ok(None);
        }
        self.storage.read(id).await
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PruneError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// 128 random bits, URL-safe: 22 characters.
fn new_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether `id` has the shape [`new_id`] gives (so it can name a file safely).
pub fn valid_id(id: &str) -> bool {
    id.len() == 22 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The last part of a path, without control characters, at most [`MAX_NAME_CHARS`].
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect();
    let clean = clean.trim().trim_start_matches('.').to_string();
    if clean.is_empty() {
        "file".into()
    } else {
        clean
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\me\\photo.png"), "photo.png");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}b\nc.txt"), "abc.txt");
        assert_eq!(clean_name(""), "file");
        assert_eq!(clean_name(".."), "file");
        assert_eq!(clean_name(&"x".repeat(500)).chars().count(), MAX_NAME_CHARS);
    }

    #[test]
    fn ids_are_unguessable_and_safe_as_file_names() {
        let (a, b) = (new_id(), new_id());
        assert!(valid_id(&a) && valid_id(&b) && a != b);
        assert!(!valid_id("../../../../etc/passwd") && !valid_id("") && !valid_id("a.b"));
    }
}
