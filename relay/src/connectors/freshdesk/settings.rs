//! Freshdesk's settings: `[sites.<key>.provider]` with `kind = "freshdesk"` (outbound calls) and
//! `[sites.<key>.webhooks.freshdesk]` (how its webhooks are recognised).

use serde::{Deserialize, Serialize};

use crate::connectors::{settings as shared, Field};

/// `[sites.<key>.provider]` with `kind = "freshdesk"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshdeskSettings {
    /// `https://<domain>.freshdesk.com` (the `/api/v2` paths are added).
    pub base_url: String,
    /// The API key of the agent Baton writes as; Basic `<api_key>:X`.
    pub api_key: String,
    /// The requester of tickets from visitors who gave no email (Freshdesk requires one).
    #[serde(default = "shared::default_fallback_email")]
    pub fallback_email: String,
    /// Tags on every ticket; the automation rules filter on them. The reason is added.
    #[serde(default = "shared::default_tags")]
    pub tags: Vec<String>,
    #[serde(default = "shared::default_subject_prefix")]
    pub subject_prefix: String,
    /// 1 Low, 2 Medium, 3 High, 4 Urgent.
    #[serde(default = "default_priority")]
    pub priority: u8,
    /// 7 is Chat; some accounts restrict sources, so it can be changed (1 Email, 2 Portal, ...).
    #[serde(default = "default_source")]
    pub source: u8,
    /// Send `user_id` (the requester) with visitor notes. SPEC 6(b) names the field; if an
    /// account refuses it, turning it off files the notes as the API agent's (still incoming).
    #[serde(default = "shared::default_true")]
    pub note_as_requester: bool,
    /// Resolve the ticket (status 4) when the visitor cancels; else only a private note.
    #[serde(default = "shared::default_true")]
    pub resolve_on_cancel: bool,
    /// Ask `GET /api/v2/agents` for an agent with `available: true` before handing over
    /// (UNCONFIRMED field); off by default, since tickets wait for an agent anyway.
    #[serde(default)]
    pub availability_check: bool,
    #[serde(default = "shared::default_timeout")]
    pub timeout_seconds: u64,
}

fn default_priority() -> u8 {
    2
}

fn default_source() -> u8 {
    7
}

/// What the dashboard asks for `[sites.<key>.provider]`.
pub const FIELDS: &[Field] = &[
    Field::text("base_url", "Freshdesk address", "https://<domain>.freshdesk.com.").required(),
    Field::secret("api_key", "API key", "Profile settings → Your API Key, of the agent Baton writes as.").required(),
    Field::text("fallback_email", "Requester without an email", "Empty: chat-visitor@baton.invalid."),
    Field::tags(),
    Field::subject_prefix(),
    Field::number("priority", "Priority", "1 Low, 2 Medium, 3 High, 4 Urgent. Empty: 2."),
    Field::number("source", "Source", "7 Chat (1 Email, 2 Portal, ...). Empty: 7."),
    Field::flag("note_as_requester", "Write visitor notes as the requester", "", true),
    Field::flag("resolve_on_cancel", "Resolve the ticket when the visitor cancels", "Else only a private note.", true),
    Field::flag("availability_check", "Ask for an available agent before handing over", "", false),
    Field::timeout(),
];
