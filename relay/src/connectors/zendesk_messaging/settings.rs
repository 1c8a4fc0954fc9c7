//! Zendesk Messaging's settings: `[sites.<key>.provider]` with `kind = "zendesk_messaging"` (outbound calls) and
//! `[sites.<key>.webhooks.zendesk_messaging]` (how its webhooks are recognised).

use serde::{Deserialize, Serialize};

use crate::connectors::{settings as shared, Field};

/// `[sites.<key>.provider]` with `kind = "zendesk_messaging"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZendeskMessagingSettings {
    /// `https://<subdomain>.zendesk.com/sc` (or the legacy `https://api.smooch.io`).
    pub base_url: String,
    pub app_id: String,
    /// The API key's id (Basic user name, or the JWT `kid`).
    pub key_id: String,
    /// The API key's secret (Basic password, or the JWT signing key).
    pub key_secret: String,
    #[serde(default)]
    pub auth: Auth,
    /// Where the handover goes, matched by Sunshine by id, name or integration type.
    #[serde(default = "default_agent_workspace")]
    pub agent_switchboard_integration: String,
    /// Baton's own switchboard integration: control is passed to it before the summary is
    /// posted (so that message cannot open a ticket early). Skipped when absent.
    #[serde(default)]
    pub bot_switchboard_integration: Option<String>,
    /// The display name of Baton's `business` messages.
    #[serde(default = "default_bot_name")]
    pub bot_name: String,
    /// Send the `dataCapture.systemField.*` keys with passControl (requester email and name,
    /// tags). Practitioner-confirmed only (SPEC 2(b), UNCONFIRMED officially), so it can be off.
    #[serde(default = "shared::default_true")]
    pub data_capture: bool,
    /// `dataCapture.systemField.tags` (space-separated), when `data_capture` is on.
    #[serde(default = "default_tags")]
    pub tags: String,
    /// Release control when the visitor cancels (else only a notice is posted).
    #[serde(default = "shared::default_true")]
    pub release_on_cancel: bool,
    /// Zendesk Support credentials for the availability check; without them none is made.
    #[serde(default)]
    pub availability: Option<AvailabilitySettings>,
    #[serde(default = "shared::default_timeout")]
    pub timeout_seconds: u64,
}

/// How requests authenticate (SPEC 2(a)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Auth {
    /// HTTP Basic `key_id:key_secret`.
    #[default]
    Basic,
    /// An HS256 JWT with `kid = key_id` and `scope: app`, signed with the secret.
    Jwt,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AvailabilitySettings {
    /// `https://<subdomain>.zendesk.com`.
    pub base_url: String,
    /// The agent's email; the Basic user is `<email>/token`.
    pub email: String,
    pub api_token: String,
    /// The `filter[channel_status]` value that means "can take a chat".
    #[serde(default = "default_channel_status")]
    pub channel_status: String,
}

fn default_agent_workspace() -> String {
    "zd:agentWorkspace".into()
}

fn default_bot_name() -> String {
    "Baton bot".into()
}

fn default_tags() -> String {
    "bot_handover".into()
}

fn default_channel_status() -> String {
    "messaging:online".into()
}

/// `[sites.<key>.webhooks.zendesk_messaging]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZendeskMessagingWebhook {
    /// The webhook's `secret`, sent back verbatim in `X-API-Key`.
    pub secret: String,
    /// Baton's custom integration: messages from it are echoes, and `passControl` back to it
    /// means the agent is done.
    #[serde(default)]
    pub integration_id: Option<String>,
    /// Baton's switchboard integration id (or name), for the same `passControl` check.
    #[serde(default)]
    pub switchboard_integration_id: Option<String>,
    /// Message sources that are Baton's own writes. Baton posts through the REST API, whose
    /// messages carry `source.type = "api:conversations"`.
    #[serde(default = "default_echo_sources")]
    pub echo_source_types: Vec<String>,
    /// Only accept business messages carrying `metadata["__zendesk_msg.agent.id"]` (a key seen
    /// in practitioner code only, so off by default).
    #[serde(default)]
    pub require_agent_metadata: bool,
}

fn default_echo_sources() -> Vec<String> {
    vec!["api:conversations".into()]
}

/// What the dashboard asks for `[sites.<key>.provider]`.
pub const FIELDS: &[Field] = &[
    Field::text("base_url", "API address", "https://<subdomain>.zendesk.com/sc (or https://api.smooch.io).").required(),
    Field::text("app_id", "App id", "Admin Center → Apps and integrations → Conversations API.").required(),
    Field::text("key_id", "API key id", "The key's id (app scope).").required(),
    Field::secret("key_secret", "API key secret", "Shown by Zendesk once, when the key is made.").required(),
    Field::choice("auth", "Authentication", "Basic (key id and secret) or a JWT signed with the secret.", &["basic", "jwt"]),
    Field::text("agent_switchboard_integration", "Agent switchboard integration", "Where handovers go. Empty: zd:agentWorkspace."),
    Field::text("bot_switchboard_integration", "Baton's switchboard integration", "Control is passed to it before the summary is posted. Empty: skipped."),
    Field::text("bot_name", "Name on Baton's messages", "Empty: Baton bot."),
    Field::flag("data_capture", "Send the requester's email, name and tags with the handover", "dataCapture.systemField.* keys.", true),
    Field::text("tags", "Tags", "Space-separated, with data capture. Empty: bot_handover."),
    Field::flag("release_on_cancel", "Release control when the visitor cancels", "Else only a notice is posted.", true),
    Field::text("availability.base_url", "Availability check: Zendesk address", "https://<subdomain>.zendesk.com. Empty: no availability check."),
    Field::text("availability.email", "Availability check: agent email", "The API token's agent."),
    Field::secret("availability.api_token", "Availability check: API token", "A Zendesk Support API token."),
    Field::text("availability.channel_status", "Availability check: channel status", "Empty: messaging:online."),
    Field::timeout(),
];

/// What the dashboard asks for `[sites.<key>.webhooks.zendesk_messaging]`.
pub const WEBHOOK_FIELDS: &[Field] = &[
    Field::secret("secret", "Webhook secret", "The secret of the integration's webhook, sent back as X-API-Key.").required(),
    Field::text("integration_id", "Baton's integration id", "Messages from it are Baton's own."),
    Field::text("switchboard_integration_id", "Baton's switchboard integration id", "A passControl back to it means the agent is done."),
    Field::list("echo_source_types", "Baton's message sources", "Message source types that are Baton's own writes, one a line. Empty: api:conversations."),
    Field::flag("require_agent_metadata", "Only accept messages carrying the agent metadata key", "", false),
];
