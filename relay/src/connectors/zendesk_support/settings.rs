//! Zendesk Support's settings: `[sites.<key>.provider]` with `kind = "zendesk_support"` (outbound calls) and
//! `[sites.<key>.webhooks.zendesk_support]` (how its webhooks are recognised).

use serde::{Deserialize, Serialize};

use crate::connectors::{settings as shared, Field};

/// `[sites.<key>.provider]` with `kind = "zendesk_support"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZendeskSupportSettings {
    /// `https://<subdomain>.zendesk.com` (the `/api/v2` paths are added).
    pub base_url: String,
    /// The agent the API token belongs to; the Basic user is `<email>/token`.
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub api_token: Option<String>,
    /// An OAuth access token, used instead of `email` + `api_token` when set.
    #[serde(default)]
    pub oauth_token: Option<String>,
    /// Tags on every ticket; the webhook triggers filter on them. The reason is added.
    #[serde(default = "shared::default_tags")]
    pub tags: Vec<String>,
    #[serde(default = "shared::default_subject_prefix")]
    pub subject_prefix: String,
    /// `low`, `normal`, `high` or `urgent`; empty leaves Zendesk's default.
    #[serde(default = "default_priority")]
    pub priority: String,
    /// Make the summary a public comment (the requester is then its author and is emailed it).
    #[serde(default)]
    pub public_summary: bool,
    /// Send an `Idempotency-Key` with ticket creation, so a retried create after a lost answer
    /// makes no second ticket. Its TTL and error shape are UNCONFIRMED, so it can be turned off.
    #[serde(default = "shared::default_true")]
    pub idempotency_key: bool,
    /// Solve the ticket when the visitor cancels (else only a private note is added).
    #[serde(default = "shared::default_true")]
    pub solve_on_cancel: bool,
    /// Ask `GET /api/v2/agent_availabilities` with this `filter[channel_status]` (e.g.
    /// `support:online`) before handing over; without it tickets are always accepted.
    #[serde(default)]
    pub availability_channel: Option<String>,
    #[serde(default = "shared::default_timeout")]
    pub timeout_seconds: u64,
}

fn default_priority() -> String {
    "normal".into()
}

/// `[sites.<key>.webhooks.zendesk_support]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZendeskSupportWebhook {
    /// The webhook's signing secret (Admin Center → Webhooks → the webhook → Signing secret).
    pub signing_secret: String,
    /// Deliveries whose signed timestamp is further than this from now are refused; 0 = no
    /// check.
    #[serde(default = "default_window")]
    pub timestamp_window_seconds: u64,
    /// The Zendesk user Baton's API token belongs to: comments by it are Baton's echoes.
    #[serde(default)]
    pub api_user_id: Option<String>,
}

fn default_window() -> u64 {
    300
}

/// What the dashboard asks for `[sites.<key>.provider]`.
pub const FIELDS: &[Field] = &[
    Field::text("base_url", "Zendesk address", "https://<subdomain>.zendesk.com.").required(),
    Field::text("email", "Agent email", "The agent the API token belongs to."),
    Field::secret("api_token", "API token", "Admin Center → Apps and integrations → Zendesk API."),
    Field::secret("oauth_token", "OAuth token", "Used instead of email and API token when set."),
    Field::tags(),
    Field::subject_prefix(),
    Field::choice("priority", "Priority", "Of new tickets.", &["low", "normal", "high", "urgent"]),
    Field::flag("public_summary", "Make the summary a public comment", "The requester is then emailed it.", false),
    Field::flag("idempotency_key", "Send an Idempotency-Key with new tickets", "A retried create makes no second ticket.", true),
    Field::flag("solve_on_cancel", "Solve the ticket when the visitor cancels", "Else only a private note.", true),
    Field::text("availability_channel", "Availability channel status", "e.g. support:online; asked before handing over. Empty: tickets are always accepted."),
    Field::timeout(),
];

/// What the dashboard asks for `[sites.<key>.webhooks.zendesk_support]`.
pub const WEBHOOK_FIELDS: &[Field] = &[
    Field::secret("signing_secret", "Signing secret", "Admin Center → Webhooks → the webhook → Signing secret.").required(),
    Field::number("timestamp_window_seconds", "Timestamp window (seconds)", "Older deliveries are refused. Empty: 300; 0: no check."),
    Field::text("api_user_id", "API user id", "Comments by this Zendesk user are Baton's own."),
];
