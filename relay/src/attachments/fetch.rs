//! Agents' files from helpdesks (`connectors::RemoteFile`): copied from the helpdesk's address
//! into Baton's storage with the same rules as an upload (the site's types, sniffed from the
//! bytes, and its size limit), so the visitor gets them from the relay like any other file and
//! never loads a page of the helpdesk's (or of whoever sent the address). A copy that cannot
//! be made (the address fails, answers slowly, is too large or not an allowed type) is an
//! [`FetchError`]; the caller then passes the address on as a link in the text. An address
//! on the relay's own network is never fetched (`super::internal`, unless `[attachments]
//! allow_private_fetch`): [`FetchError::Internal`], and the caller drops the address.

use std::time::Duration;

use axum::body::Bytes;
use reqwest::{redirect, StatusCode, Url};

use super::{
    internal::{self, Internal, Reach},
    sniff::Refused,
    Attachments, UploadError,
};
use crate::{
    config::{AttachmentsConfig, SiteAttachments},
    connectors::RemoteFile,
    event::Attachment,
};

/// Opening the connection alone may take this long (within the whole copy's time).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Redirects followed (helpdesks serve media through a CDN).
const MAX_REDIRECTS: usize = 3;

/// Why a helpdesk's file was not copied.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("not an http(s) address")]
    Address,
    #[error("refused: {0}")]
    Internal(Internal),
    #[error("the helpdesk answered {0}")]
    Status(StatusCode),
    #[error("cannot download: {0}")]
    Transport(String),
    #[error("no complete answer within {0:?}")]
    TimedOut(Duration),
    #[error(transparent)]
    Upload(#[from] UploadError),
}

/// The client files are fetched with and the addresses it may reach.
#[derive(Clone)]
pub(super) struct Fetcher {
    client: reqwest::Client,
    /// `None` with `allow_private_fetch`: any address.
    reach: Option<Reach>,
}

impl Fetcher {
    /// Few redirects, a connect timeout (the whole copy is bounded by `[attachments]
    /// fetch_timeout` around it), and unless `allow_private_fetch` no internal address: not
    /// resolved to, not written in the URL or in a redirect's, and no proxy (whose own address
    /// would be the one checked).
    pub(super) fn new(settings: &AttachmentsConfig) -> Self {
        let reach = (!settings.allow_private_fetch).then(|| Reach::new(&settings.fetch_allowed_networks));
        let redirects = reach.clone();
        let policy = redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
            }
            if !matches!(attempt.url().scheme(), "http" | "https") {
                return attempt.error("redirected to an address that is not http(s)");
            }
            match redirects.as_ref().map(|reach| reach.check_url(attempt.url())) {
                Some(Err(internal)) => attempt.error(internal),
                _ => attempt.follow(),
            }
        });
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(policy)
            .user_agent(concat!("Baton/", env!("CARGO_PKG_VERSION")));
        if let Some(reach) = &reach {
            builder = builder.dns_resolver(reach.resolver()).no_proxy();
        }
        Self { client: builder.build().unwrap_or_default(), reach }
    }
}

impl Attachments {
    /// Copies the helpdesk's `file` as a file of `conversation` (not yet sent: a message that
    /// carries it marks it, [`Attachments::for_message`]), within `[attachments] fetch_timeout`.
    pub async fn copy_from(
        &self,
        site: &str,
        conversation: &str,
        rules: &SiteAttachments,
        file: &RemoteFile,
    ) -> Result<Attachment, FetchError> {
        let url = Url::parse(&file.url).map_err(|_| FetchError::Address)?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(FetchError::Address);
        }
        if let Some(reach) = &self.fetcher.reach {
            reach.check_url(&url).map_err(FetchError::Internal)?;
        }
        let limit = self.settings.fetch_timeout;
        let bytes = tokio::time::timeout(limit, self.download(url.clone(), rules.max_bytes))
            .await
            .map_err(|_| FetchError::TimedOut(limit))??;
        let name = file.name.clone().unwrap_or_else(|| name_from(&url));
        Ok(self.upload(site, conversation, rules, &name, bytes).await?)
    }

    /// The body at `url`, refused once it exceeds `max` bytes (announced or received).
    async fn download(&self, url: Url, max: u64) -> Result<Bytes, FetchError> {
        let transport = |e: reqwest::Error| match internal::find(&e) {
            Some(refused) => FetchError::Internal(refused.clone()),
            None => FetchError::Transport(e.to_string()),
        };
        let mut response = self.fetcher.client.get(url).send().await.map_err(transport)?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status()));
        }
        let too_large = |size| FetchError::Upload(Refused::TooLarge { size, max }.into());
        if let Some(size) = response.content_length().filter(|size| *size > max) {
            return Err(too_large(size));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            body.extend_from_slice(&chunk);
            if body.len() as u64 > max {
                return Err(too_large(body.len() as u64));
            }
        }
        Ok(Bytes::from(body))
    }
}

/// The last part of the address's path, or `file`.
fn name_from(url: &Url) -> String {
    url.path_segments().and_then(|mut s| s.next_back()).filter(|s| !s.is_empty()).unwrap_or("file").to_string()
}

/// `text` with a line per file that could not be copied, naming the helpdesk's address
/// (`📎 name: address`), and a line per file `refused` for naming an internal address, without
/// it (`📎 name`: the visitor learns a file was sent, and gets no address into the relay's
/// network).
pub fn with_failed(text: &str, failed: &[&RemoteFile], refused: &[&RemoteFile]) -> String {
    let mut out = text.trim().to_string();
    let lines = failed.iter().map(|f| (f, true)).chain(refused.iter().map(|f| (f, false)));
    for (file, link) in lines {
        if !out.is_empty() {
            out.push('\n');
        }
        let name =
            file.name.clone().unwrap_or_else(|| Url::parse(&file.url).map(|u| name_from(&u)).unwrap_or_default());
        match link {
            true => out.push_str(&format!("📎 {name}: {}", file.url)),
            false => out.push_str(&format!("📎 {name}")),
        }
    }
    out
}

impl FetchError {
    /// Whether the address was refused as internal (then it is not passed on either).
    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Internal(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_address_when_the_helpdesk_gives_none() {
        assert_eq!(name_from(&Url::parse("https://cdn.example.com/a/b/photo.png?x=1").unwrap()), "photo.png");
        assert_eq!(name_from(&Url::parse("https://cdn.example.com/").unwrap()), "file");
        let file = RemoteFile { url: "https://cdn.example.com/r.pdf".into(), name: None, content_type: None };
        assert_eq!(with_failed("See", &[&file], &[]), "See\n📎 r.pdf: https://cdn.example.com/r.pdf");
        assert_eq!(with_failed("", &[&file], &[]), "📎 r.pdf: https://cdn.example.com/r.pdf");
        let inside =
            RemoteFile { url: "http://169.254.169.254/latest/meta-data/".into(), name: None, content_type: None };
        assert_eq!(with_failed("See", &[&file], &[&inside]), "See\n📎 r.pdf: https://cdn.example.com/r.pdf\n📎 file");
    }
}
