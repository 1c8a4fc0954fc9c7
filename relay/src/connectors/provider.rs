//! The outbound half of a connector: the object-safe [`Provider`] trait the outbox and the
//! conversation actor call, what each helpdesk declares it can do ([`Capabilities`]), what it
//! gets with a handover and what it answers.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::ProviderKind;
use crate::{bot::Turn, identity::Identity};

/// How agents answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Agents chat live; replies arrive while the visitor is on the page.
    LiveChat,
    /// A ticket: the answer comes by email (and to the widget thread, which stays open).
    Ticket,
    /// No handover at all: a link to a contact form or help page.
    Link,
}

/// What a helpdesk can do, declared by its connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    pub mode: Mode,
    /// The visitor's email can be passed on.
    pub email_handover: bool,
    /// The helpdesk tells us when an agent joins (else the first agent reply counts as joining).
    pub agent_joined_events: bool,
    /// Agent typing reaches the visitor.
    pub typing: bool,
    /// The helpdesk tells us when the agent closes.
    pub close_signal: bool,
    /// The helpdesk can say whether anyone is available.
    pub availability_check: bool,
    /// The visitor's rating can be written where agents see it ([`Provider::rate`]): none of
    /// the helpdesks documents a rating (CSAT) call an integration may make for the visitor,
    /// so it goes in as an internal note ([`rating_note`]) where notes exist.
    pub rating: bool,
    /// The visitor's files go in as the helpdesk's own attachments ([`Handover::files`],
    /// [`Provider::forward_files`]); without it they are links in the text ([`with_links`]).
    pub files: bool,
}

impl Capabilities {
    /// A live chat as most helpdesks run it (a connector sets what differs): the visitor's email
    /// goes along, the helpdesk says when an agent joins and when they close; no typing, no
    /// availability check.
    pub const fn live_chat() -> Self {
        Self {
            mode: Mode::LiveChat,
            email_handover: true,
            agent_joined_events: true,
            typing: false,
            close_signal: true,
            availability_check: false,
            rating: false,
            files: false,
        }
    }

    /// A ticket as the ticket helpdesks run it (a connector sets what differs): like
    /// [`Capabilities::live_chat`], but no "agent joined" event: the first public agent reply
    /// counts as joining.
    pub const fn ticket() -> Self {
        Self { mode: Mode::Ticket, agent_joined_events: false, ..Self::live_chat() }
    }
}

/// Everything a helpdesk gets when a conversation is handed over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handover {
    pub conversation_id: String,
    pub site: String,
    /// Who the visitor is; `visitor.email_verified` says whether the site signed the email.
    /// Connectors find or create contacts with [`Handover::contact_email`] only.
    pub visitor: Identity,
    /// The summary for the agent (always present).
    pub summary: String,
    /// `explicit_request`, `frustration`, ...
    pub reason: String,
    /// The visitor's own words so far, oldest first.
    pub visitor_messages: Vec<String>,
    /// The site lets the email the visitor gave, unsigned, be the contact's
    /// (`email_capture.use_as_contact`). Absent in jobs written before it: false.
    #[serde(default)]
    pub given_email_is_contact: bool,
    /// The files the visitor sent before the handover (at most [`shared::MAX_ATTACHMENTS`],
    /// the newest), for helpdesks that take files ([`Capabilities::files`]); for the others
    /// they are links in the summary. Absent in jobs written before files were passed on.
    #[serde(default)]
    pub files: Vec<FileLink>,
}

/// A visitor's file as a helpdesk gets it: an absolute address the relay signed for
/// `[attachments] helpdesk_link_ttl` (the helpdesk, or its agents, fetch it from there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLink {
    pub name: String,
    /// Sniffed from the bytes when it was uploaded.
    pub content_type: String,
    pub size: u64,
    pub url: String,
}

impl FileLink {
    /// PNG, JPEG, GIF or WebP: what helpdesks show as an image.
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
    }

    /// The line a text carries for a file passed on as a link.
    pub fn line(&self) -> String {
        format!("📎 {}: {}", self.name, self.url)
    }
}

/// `text`, then a line per file with its name and address: how a file reaches a helpdesk that
/// takes none (or a file a helpdesk takes only as a link).
pub fn with_links<'a>(text: &str, files: impl IntoIterator<Item = &'a FileLink>) -> String {
    let mut linked = text.trim().to_string();
    for file in files {
        if !linked.is_empty() {
            linked.push('\n');
        }
        linked.push_str(&file.line());
    }
    linked
}

impl Handover {
    /// The transcript's visitor lines, as handed to a helpdesk.
    pub fn visitor_lines(turns: &[Turn]) -> Vec<String> {
        turns.iter().filter(|t| t.role == crate::event::Role::Visitor).map(|t| t.text.clone()).collect()
    }

    /// The email a connector may use to find, create or match the visitor's contact: one the
    /// site signed, or the one the visitor gave when the site chose so
    /// ([`Handover::given_email_is_contact`]). Otherwise an unverified email (anyone can type
    /// any address into `Baton.identify` or the email prompt) would attach the chat to someone
    /// else's contact and history, so it only goes to the agent as text
    /// ([`Handover::email_line`]).
    pub fn contact_email(&self) -> Option<&str> {
        let email = self.visitor.email.as_deref().map(str::trim).filter(|e| !e.is_empty())?;
        (self.visitor.email_verified || self.given_email_is_contact).then_some(email)
    }

    /// The email as the agent reads it in a note, marked when the site did not sign it.
    pub fn email_line(&self) -> Option<String> {
        let email = self.visitor.email.as_deref().map(str::trim).filter(|e| !e.is_empty())?;
        Some(if self.visitor.email_verified {
            format!("Email: {email}")
        } else if self.given_email_is_contact {
            format!("Email (given by the visitor, not verified): {email}")
        } else {
            format!("Email (unverified, not matched to a contact): {email}")
        })
    }

    /// The visitor's request in one line, for helpdesks that need a first message.
    pub fn opening_line(&self) -> String {
        self.visitor_messages.last().cloned().unwrap_or_else(|| "The visitor asked for a person.".to_string())
    }
}

/// The conversation on the helpdesk's side, stored with the handover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteThread {
    pub provider: ProviderKind,
    /// The helpdesk's conversation, ticket or thread id.
    pub conversation: String,
    /// The helpdesk's contact, user or requester id.
    #[serde(default)]
    pub user: Option<String>,
    /// Connector-specific extras (e.g. the contact's role).
    #[serde(default)]
    pub extra: serde_json::Value,
}

/// Why the visitor's side closes the remote conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The visitor cancelled before an agent joined.
    Cancelled,
    /// The visitor left.
    Left,
}

impl CloseReason {
    /// What the agent reads in the helpdesk's conversation.
    pub fn notice(self) -> &'static str {
        match self {
            Self::Cancelled => "The visitor cancelled the request in the chat.",
            Self::Left => "The visitor left the chat.",
        }
    }
}

/// The visitor's rating as agents read it in an internal note: the score, as stars, and the
/// word `baton-rating-<score>` to search or build a view by.
pub fn rating_note(score: u8) -> String {
    let score = score.min(5);
    let stars: String = (1..=5).map(|n| if n <= score { '★' } else { '☆' }).collect();
    format!("The visitor rated the chat {score} out of 5 ({stars}). baton-rating-{score}")
}

/// A failed call to a helpdesk, sorted by what to do about it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ProviderError {
    /// Too many requests: retry after the given time (from `Retry-After` or
    /// `X-RateLimit-Reset`), or with backoff when the helpdesk did not say.
    #[error("rate limited by the helpdesk")]
    RateLimited { retry_after: Option<Duration> },
    /// The helpdesk is down, slow or unreachable (5xx, timeouts): retry with backoff.
    #[error("helpdesk unavailable: {0}")]
    Unavailable(String),
    /// The helpdesk refused the request (4xx other than 429): retrying will not help.
    #[error("helpdesk refused the request: {0}")]
    Rejected(String),
    /// The connector is not configured well enough to make the call.
    #[error("connector misconfigured: {0}")]
    Config(String),
}

impl ProviderError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Unavailable(_))
    }
}

#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn capabilities(&self) -> Capabilities;
    /// The button a link site shows instead of a handover (only [`super::link::Link`]).
    fn link(&self) -> Option<&super::link::LinkSettings> {
        None
    }
    /// Is anyone there to take a handover? Helpdesks without a check answer `true`.
    async fn available(&self) -> Result<bool, ProviderError> {
        Ok(true)
    }
    /// A read-only call that proves the settings work (the owner dashboard's "Test
    /// connection"): who the credentials belong to, in a line (`Baton Bot <bot@example.com>`).
    /// It changes nothing at the helpdesk.
    async fn test_connection(&self) -> Result<String, ProviderError>;
    /// Creates the conversation or ticket, with the summary where agents see it first.
    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError>;
    /// Forwards a later visitor message. `message_id` is stable across retries.
    async fn forward(&self, thread: &RemoteThread, text: &str, message_id: &str) -> Result<(), ProviderError>;
    /// Forwards a later visitor message with files (`text` may be empty). Helpdesks that take
    /// files ([`Capabilities::files`]) attach them; the others get them as links in the text.
    async fn forward_files(
        &self,
        thread: &RemoteThread,
        text: &str,
        files: &[FileLink],
        message_id: &str,
    ) -> Result<(), ProviderError> {
        self.forward(thread, &with_links(text, files), message_id).await
    }
    /// Whether a forward that may or may not have landed (the relay stopped during the call)
    /// is already there: `None` when the helpdesk cannot tell, and the forward is made again.
    async fn has_forwarded(
        &self,
        _thread: &RemoteThread,
        _text: &str,
        _message_id: &str,
    ) -> Result<Option<bool>, ProviderError> {
        Ok(None)
    }
    /// Writes the visitor's rating of the chat ([`rating_note`]) where agents see it. Asked only
    /// of helpdesks whose [`Capabilities::rating`] is set.
    async fn rate(&self, _thread: &RemoteThread, _score: u8) -> Result<(), ProviderError> {
        Err(ProviderError::Config("this helpdesk takes no rating".into()))
    }
    /// Closes or annotates the remote conversation when the visitor cancels or leaves
    /// ([`CloseReason::notice`] says so in the helpdesk's words).
    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError>;
}
