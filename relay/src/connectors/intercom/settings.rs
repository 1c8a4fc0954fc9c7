//! Intercom's settings: `[sites.<key>.provider]` with `kind = "intercom"` and
//! `[sites.<key>.webhooks.intercom]` (how its webhooks are recognised).

use serde::{Deserialize, Serialize};

use crate::connectors::settings as shared;

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
