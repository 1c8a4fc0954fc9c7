//! `[attachments]` (where files sent in chats are kept, how long their addresses last) and
//! `[sites.<key>.attachments]` (which files a site's visitors may send, and how large).

use std::{path::PathBuf, time::Duration};

use serde::{Deserialize, Serialize};

/// The types a site may allow: each is recognised from the file's bytes (`crate::attachments`).
/// Anything else (HTML, SVG, scripts) is never accepted, whatever a site lists.
pub const SNIFFABLE_TYPES: [&str; 9] = [
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "application/zip",
    "audio/mpeg",
    "video/mp4",
];

/// Where files are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageBackend {
    /// Files in `[attachments] dir`.
    #[default]
    Disk,
    /// Files in the S3-compatible bucket of `[attachments.s3]`.
    S3,
}

/// `[attachments.s3]`: an S3-compatible bucket (AWS, MinIO, Ceph, R2, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    pub bucket: String,
    /// `https://s3.eu-west-1.amazonaws.com`, `http://minio:9000`, ...
    pub endpoint: String,
    #[serde(default = "default_region")]
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: super::SecretKey,
    /// `https://endpoint/bucket/key` rather than `https://bucket.endpoint/key` (MinIO and most
    /// self-hosted servers need it).
    #[serde(default)]
    pub path_style: bool,
    /// Put before every object's key (`baton/`), to share a bucket.
    #[serde(default)]
    pub prefix: String,
}

fn default_region() -> String {
    "us-east-1".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AttachmentsConfig {
    /// `disk` (the default) or `s3`.
    pub backend: StorageBackend,
    /// The bucket, with `backend = "s3"`.
    pub s3: Option<S3Settings>,
    /// The folder files are kept in. Absent: `attachments/` beside the SQLite database (so
    /// `data/attachments` by default), or `data/attachments` with PostgreSQL.
    pub dir: Option<PathBuf>,
    /// How long a signed address given to the widget or the inbox stays valid; a new one is
    /// made each time the message is sent again (a reconnect, a reload).
    #[serde(with = "humantime_serde")]
    pub link_ttl: Duration,
    /// How long an address in a message forwarded to a helpdesk stays valid (agents open it
    /// later, from the helpdesk).
    #[serde(with = "humantime_serde")]
    pub helpdesk_link_ttl: Duration,
    /// An upload never sent in a message is deleted by retention after this long.
    #[serde(with = "humantime_serde")]
    pub unsent: Duration,
    /// The longest copying an agent's file from a helpdesk may take (connecting to the last
    /// byte); a file not copied by then reaches the visitor as a link to the helpdesk's address.
    #[serde(with = "humantime_serde")]
    pub fetch_timeout: Duration,
    /// Whether agents' files may be fetched from internal addresses (loopback, private,
    /// link-local networks, the cloud's metadata service: `crate::attachments::internal`).
    /// Off by default: a helpdesk's webhook (or whoever forged one) names the address, and
    /// must not make the relay reach its own network. On only for a helpdesk on the relay's
    /// own network, or a test's simulator.
    pub allow_private_fetch: bool,
    /// Internal networks agents' files may come from even with `allow_private_fetch` off
    /// (`["10.20.0.0/16"]`: a self-hosted helpdesk's file server).
    pub fetch_allowed_networks: Vec<ipnet::IpNet>,
}

impl Default for AttachmentsConfig {
    fn default() -> Self {
        Self {
            backend: StorageBackend::Disk,
            s3: None,
            dir: None,
            link_ttl: Duration::from_secs(24 * 3600),
            helpdesk_link_ttl: Duration::from_secs(30 * 24 * 3600),
            unsent: Duration::from_secs(24 * 3600),
            fetch_timeout: Duration::from_secs(20),
            allow_private_fetch: false,
            fetch_allowed_networks: Vec::new(),
        }
    }
}

impl AttachmentsConfig {
    /// The folder in effect for a relay whose store is at `database_url`.
    pub fn dir_for(&self, database_url: &str) -> PathBuf {
        if let Some(dir) = &self.dir {
            return dir.clone();
        }
        let file = database_url.strip_prefix("sqlite://").or_else(|| database_url.strip_prefix("sqlite:"));
        match file.map(|f| f.split('?').next().unwrap_or(f)).filter(|f| !f.is_empty() && !f.contains(":memory:")) {
            Some(file) => {
                PathBuf::from(file).parent().map_or_else(|| PathBuf::from("."), PathBuf::from).join("attachments")
            }
            None => PathBuf::from("data/attachments"),
        }
    }
}

/// What a site's visitors may send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteAttachments {
    /// Off: the widget offers no file button and uploads are refused.
    pub enabled: bool,
    /// The allowed types, each one of [`SNIFFABLE_TYPES`].
    pub types: Vec<String>,
    /// The largest file, in bytes.
    pub max_bytes: u64,
}

impl Default for SiteAttachments {
    fn default() -> Self {
        Self {
            enabled: true,
            types: ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"]
                .map(String::from)
                .to_vec(),
            max_bytes: 10 * 1024 * 1024,
        }
    }
}

impl SiteAttachments {
    /// Every type is one Baton recognises from the bytes, and the size is usable. As
    /// `(setting, what is wrong)`.
    pub fn check(&self) -> Result<(), (String, String)> {
        if let Some(kind) = self.types.iter().find(|t| !SNIFFABLE_TYPES.contains(&t.as_str())) {
            let known = SNIFFABLE_TYPES.join(", ");
            return Err((
                "attachments.types".into(),
                format!("{kind:?} cannot be recognised from a file's bytes; use {known}"),
            ));
        }
        if self.max_bytes == 0 || self.max_bytes > 100 * 1024 * 1024 {
            return Err(("attachments.max_bytes".into(), "must be 1 byte to 100 MB".into()));
        }
        Ok(())
    }

    /// Whether `content_type` may be sent.
    pub fn allows(&self, content_type: &str) -> bool {
        self.enabled && self.types.iter().any(|t| t == content_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_is_beside_the_sqlite_database_unless_set() {
        let config = AttachmentsConfig::default();
        assert_eq!(config.dir_for("sqlite://data/baton.db"), PathBuf::from("data/attachments"));
        assert_eq!(config.dir_for("sqlite:///tmp/x/baton.db?mode=rwc"), PathBuf::from("/tmp/x/attachments"));
        assert_eq!(config.dir_for("postgres://db/baton"), PathBuf::from("data/attachments"));
        let set = AttachmentsConfig { dir: Some("/srv/files".into()), ..config };
        assert_eq!(set.dir_for("sqlite://data/baton.db"), PathBuf::from("/srv/files"));
    }

    #[test]
    fn only_recognisable_types_and_usable_sizes_check() {
        assert_eq!(SiteAttachments::default().check(), Ok(()));
        let svg = SiteAttachments { types: vec!["image/svg+xml".into()], ..Default::default() };
        assert_eq!(svg.check().unwrap_err().0, "attachments.types");
        let huge = SiteAttachments { max_bytes: 0, ..Default::default() };
        assert_eq!(huge.check().unwrap_err().0, "attachments.max_bytes");
        let off = SiteAttachments { enabled: false, ..Default::default() };
        assert!(!off.allows("image/png") && SiteAttachments::default().allows("image/png"));
    }
}
