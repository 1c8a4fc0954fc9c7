//! Freshchat's settings: `[sites.<key>.provider]` with `kind = "freshchat"` (outbound calls) and
//! `[sites.<key>.webhooks.freshchat]` (how its webhooks are recognised).

use serde::{Deserialize, Serialize};

use crate::connectors::{settings as shared, Field};

/// `[sites.<key>.provider]` with `kind = "freshchat"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshchatSettings {
    /// `https://<account>.freshchat.com/v2` (regional hosts are UNCONFIRMED: any base works).
    pub base_url: String,
    /// The API token (Admin → API settings), sent as a bearer token.
    pub api_token: String,
    /// The channel (topic) conversations are created in; the first of `GET /channels` if absent.
    #[serde(default)]
    pub channel_id: Option<String>,
    /// Post the summary as a private note (else as the visitor's first message).
    #[serde(default = "shared::default_true")]
    pub summary_note: bool,
    /// The `actor_type` of the note (`bot` or `agent`; which are allowed is UNCONFIRMED).
    #[serde(default = "default_note_actor")]
    pub note_actor_type: String,
    /// The note's `actor_id`, e.g. an agent's id when `note_actor_type = "agent"`.
    #[serde(default)]
    pub note_actor_id: Option<String>,
    /// `properties.priority` of new conversations: `Low`, `Medium`, `High`, `Urgent`; empty: none.
    #[serde(default)]
    pub priority: String,
    /// Resolve the conversation when the visitor cancels (else only a notice is posted).
    #[serde(default = "shared::default_true")]
    pub resolve_on_cancel: bool,
    /// Agents whose `GET /agents/{id}` answers availability; empty: no check, always available.
    #[serde(default)]
    pub availability_agents: Vec<String>,
    /// The agent field that says whether they can chat (UNCONFIRMED name).
    #[serde(default = "default_availability_field")]
    pub availability_field: String,
    /// Values of that field (any case) that count as available.
    #[serde(default = "default_available_values")]
    pub available_values: Vec<String>,
    #[serde(default = "shared::default_timeout")]
    pub timeout_seconds: u64,
}

fn default_note_actor() -> String {
    "bot".into()
}

fn default_availability_field() -> String {
    "availability_status".into()
}

fn default_available_values() -> Vec<String> {
    vec!["available".into(), "online".into()]
}

/// `[sites.<key>.webhooks.freshchat]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshchatWebhook {
    /// The RSA public key from Freshchat's webhook settings (PEM, either armour).
    pub public_key: String,
}

/// What the dashboard asks for `[sites.<key>.provider]`.
pub const FIELDS: &[Field] = &[
    Field::text("base_url", "API address", "https://<account>.freshchat.com/v2.").required(),
    Field::secret("api_token", "API token", "Admin → API settings.").required(),
    Field::text("channel_id", "Channel (topic) id", "Empty: the first channel Freshchat lists."),
    Field::flag("summary_note", "Post the summary as a private note", "Else as the visitor's first message.", true),
    Field::text("note_actor_type", "Note author type", "bot or agent. Empty: bot."),
    Field::text("note_actor_id", "Note author id", "An agent's id when the author type is agent."),
    Field::choice("priority", "Priority", "Of new conversations.", &["Low", "Medium", "High", "Urgent"]),
    Field::flag("resolve_on_cancel", "Resolve the conversation when the visitor cancels", "", true),
    Field::list("availability_agents", "Agents to ask for availability", "Agent ids, one a line. Empty: always available."),
    Field::text("availability_field", "Agent availability field", "Empty: availability_status."),
    Field::list("available_values", "Values meaning available", "One a line, any case. Empty: available, online."),
    Field::timeout(),
];

/// What the dashboard asks for `[sites.<key>.webhooks.freshchat]`.
pub const WEBHOOK_FIELDS: &[Field] =
    &[Field::long_text("public_key", "Webhook public key", "The RSA public key (PEM) from Freshchat's webhook settings.").required()];
