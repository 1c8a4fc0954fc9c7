//! Intercom's settings: `[sites.<key>.provider]` with `kind = "intercom"` and
//! `[sites.<key>.webhooks.intercom]` (how its webhooks are recognised).

use serde::{Deserialize, Serialize};

use crate::connectors::{settings as shared, Field};

/// `[sites.<key>.provider]` with `kind = "intercom"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntercomSettings {
    /// `https://api.intercom.io`, `https://api.eu.intercom.io` or `https://api.au.intercom.io`.
    #[serde(default = "default_intercom_base")]
    pub base_url: String,
    pub access_token: String,
    /// The `Intercom-Version` header.
    #[serde(default = "default_intercom_version")]
    pub version: String,
    /// The admin that writes the summary note and closes; looked up with `GET /me` if absent.
    #[serde(default)]
    pub admin_id: Option<String>,
    /// Seconds before a call counts as failed (and is retried).
    #[serde(default = "shared::default_timeout")]
    pub timeout_seconds: u64,
}

fn default_intercom_base() -> String {
    "https://api.intercom.io".into()
}

fn default_intercom_version() -> String {
    "2.11".into()
}

/// `[sites.<key>.webhooks.intercom]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntercomWebhook {
    /// The app's client secret (Developer Hub → Basic information): the `X-Hub-Signature` key.
    pub client_secret: String,
    /// The admin Baton writes notes and closes as: its parts are Baton's own echoes.
    #[serde(default)]
    pub bot_admin_id: Option<String>,
}

/// What the dashboard asks for `[sites.<key>.provider]`.
pub const FIELDS: &[Field] = &[
    Field::secret("access_token", "Access token", "Developer Hub → your app → Authentication.").required(),
    Field::text("base_url", "API address", "Empty: https://api.intercom.io (EU: https://api.eu.intercom.io, AU: https://api.au.intercom.io)."),
    Field::text("version", "API version", "The Intercom-Version header. Empty: 2.11."),
    Field::text("admin_id", "Bot admin id", "The admin that writes the summary note and closes. Empty: the token's own admin (GET /me)."),
    Field::timeout(),
];

/// What the dashboard asks for `[sites.<key>.webhooks.intercom]`.
pub const WEBHOOK_FIELDS: &[Field] = &[
    Field::secret("client_secret", "Client secret", "Developer Hub → Basic information: the key of the X-Hub-Signature on Intercom's webhooks.").required(),
    Field::text("bot_admin_id", "Bot admin id (webhooks)", "Parts written by this admin are Baton's own and are not shown twice."),
];
