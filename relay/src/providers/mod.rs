//! Where handovers go: the helpdesk a site's agents work in, behind one [`Provider`] trait with
//! declared [`Capabilities`], so the conversation core and the widget adapt to what each can do.
//!
//! The built-in inbox ([`builtin`]) is the default and needs no outbound calls: agents see the
//! conversation through the agent API. [`link`] only shows a button. The helpdesk connectors
//! ([`intercom`], ...) make real HTTP calls; the outbox carries them out in order, with retries.

pub mod availability;
pub mod builtin;
pub mod config;
pub mod freshchat;
pub mod freshdesk;
pub mod gorgias;
pub mod hubspot;
pub mod inbound;
pub mod intercom;
pub mod link;
pub mod zendesk_messaging;
pub mod zendesk_support;

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub use availability::AvailabilityPolicy;
pub use config::ProviderConfig;

use crate::{agents::Presence, bot::Turn, identity::Identity};

/// Which helpdesk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    Builtin,
    Link,
    Intercom,
    ZendeskMessaging,
    ZendeskSupport,
    Hubspot,
    Freshchat,
    Freshdesk,
    Gorgias,
}

impl ProviderKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Builtin => "builtin",
            Self::Link => "link",
            Self::Intercom => "intercom",
            Self::ZendeskMessaging => "zendesk_messaging",
            Self::ZendeskSupport => "zendesk_support",
            Self::Hubspot => "hubspot",
            Self::Freshchat => "freshchat",
            Self::Freshdesk => "freshdesk",
            Self::Gorgias => "gorgias",
        }
    }
}

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
}

impl Handover {
    /// The transcript's visitor lines, as handed to a helpdesk.
    pub fn visitor_lines(turns: &[Turn]) -> Vec<String> {
        turns.iter().filter(|t| t.role == shared::Role::Visitor).map(|t| t.text.clone()).collect()
    }

    /// The email a connector may use to find, create or match the visitor's contact: only one
    /// the site signed. An unverified email (anyone can type any address into `Baton.identify`)
    /// would attach the chat to someone else's contact and history, so it only goes to the
    /// agent as text ([`Handover::email_line`]).
    pub fn contact_email(&self) -> Option<&str> {
        let email = self.visitor.email.as_deref().map(str::trim).filter(|e| !e.is_empty())?;
        self.visitor.email_verified.then_some(email)
    }

    /// The email as the agent reads it in a note, marked when the site did not sign it.
    pub fn email_line(&self) -> Option<String> {
        let email = self.visitor.email.as_deref().map(str::trim).filter(|e| !e.is_empty())?;
        Some(if self.visitor.email_verified {
            format!("Email: {email}")
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
    fn kind(&self) -> ProviderKind;
    fn capabilities(&self) -> Capabilities;
    /// Is anyone there to take a handover? Helpdesks without a check answer `true`.
    async fn available(&self) -> Result<bool, ProviderError>;
    /// Creates the conversation or ticket, with the summary where agents see it first.
    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError>;
    /// Forwards a later visitor message. `message_id` is stable across retries.
    async fn forward(&self, thread: &RemoteThread, text: &str, message_id: &str) -> Result<(), ProviderError>;
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
    /// Closes or annotates the remote conversation when the visitor cancels or leaves.
    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError>;
}

/// Builds the connector a site's configuration names.
pub fn build(config: &ProviderConfig, presence: &Presence) -> Result<Arc<dyn Provider>, ProviderError> {
    Ok(match config {
        ProviderConfig::Builtin => Arc::new(builtin::BuiltinInbox::new(presence.clone())),
        ProviderConfig::Link(link) => Arc::new(link::LinkProvider::new(link.clone())),
        ProviderConfig::Intercom(intercom) => Arc::new(intercom::Intercom::new(intercom.clone())?),
        ProviderConfig::ZendeskMessaging(zendesk) => {
            Arc::new(zendesk_messaging::ZendeskMessaging::new(zendesk.clone())?)
        }
        ProviderConfig::ZendeskSupport(zendesk) => Arc::new(zendesk_support::ZendeskSupport::new(zendesk.clone())?),
        ProviderConfig::Hubspot(hubspot) => Arc::new(hubspot::Hubspot::new(hubspot.clone())?),
        ProviderConfig::Freshchat(freshchat) => Arc::new(freshchat::Freshchat::new(freshchat.clone())?),
        ProviderConfig::Freshdesk(freshdesk) => Arc::new(freshdesk::Freshdesk::new(freshdesk.clone())?),
        ProviderConfig::Gorgias(gorgias) => Arc::new(gorgias::Gorgias::new(gorgias.clone())?),
    })
}

/// A site's provider, with its availability answer guarded ([`availability::Guard`]: cached,
/// single-flight, deadline, circuit breaker): a slow or dead helpdesk must not hold up a
/// handover for long, nor be hammered by every visitor asking at once.
pub struct SiteProvider {
    provider: Arc<dyn Provider>,
    availability: availability::Guard,
}

impl SiteProvider {
    pub fn new(provider: Arc<dyn Provider>, policy: AvailabilityPolicy) -> Self {
        Self { provider, availability: availability::Guard::new(policy) }
    }

    pub fn get(&self) -> &Arc<dyn Provider> {
        &self.provider
    }

    pub fn kind(&self) -> ProviderKind {
        self.provider.kind()
    }

    /// Is anyone there? The built-in inbox answers from memory; a helpdesk through the guard,
    /// so the answer comes within the policy's deadline.
    pub async fn available(&self) -> Result<bool, ProviderError> {
        if self.provider.kind() == ProviderKind::Builtin {
            return self.provider.available().await;
        }
        self.availability.ask(|| self.provider.available()).await
    }
}
