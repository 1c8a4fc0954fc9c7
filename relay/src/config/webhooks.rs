//! The `[sites.<key>.webhooks.<provider>]` tables: how the relay recognises a helpdesk's
//! webhooks for a site (the secret or key the helpdesk signs with) and Baton's own writes
//! among them (echo suppression). A provider without a table refuses its webhooks (404).
//! `docs/webhooks.md` says where each value comes from.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    pub intercom: Option<IntercomWebhook>,
    pub zendesk_messaging: Option<ZendeskMessagingWebhook>,
    pub zendesk_support: Option<ZendeskSupportWebhook>,
    pub hubspot: Option<HubspotWebhook>,
    pub freshchat: Option<FreshchatWebhook>,
    pub freshdesk: Option<SecretHeaderWebhook>,
    pub gorgias: Option<SecretHeaderWebhook>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntercomWebhook {
    /// The app's client secret (Developer Hub → Basic information): the `X-Hub-Signature` key.
    pub client_secret: String,
    /// The admin Baton writes notes and closes as: its parts are Baton's own echoes.
    #[serde(default)]
    pub bot_admin_id: Option<String>,
}

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubspotWebhook {
    /// The app's client secret: the key of `X-HubSpot-Signature-v3`.
    pub client_secret: String,
    /// The relay's public base URL as HubSpot calls it (`https://relay.example.com`). HubSpot
    /// signs the full URL; without this the relay rebuilds it from `X-Forwarded-*`/`Host`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Also accept the untimestamped v1/v2 signatures when no v3 header is sent (whether
    /// custom-channel webhooks carry v3 is UNCONFIRMED).
    #[serde(default)]
    pub legacy_signatures: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreshchatWebhook {
    /// The RSA public key from Freshchat's webhook settings (PEM, either armour).
    pub public_key: String,
}

/// Freshdesk and Gorgias sign nothing: the site owner configures a secret header and/or
/// HTTP Basic credentials on the webhook, and the relay checks whichever is set (both, if both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretHeaderWebhook {
    #[serde(default = "default_secret_header")]
    pub header: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub basic_username: Option<String>,
    #[serde(default)]
    pub basic_password: Option<String>,
    /// Agent names or emails whose messages are Baton's own writes (the API key's user).
    #[serde(default)]
    pub ignore_agents: Vec<String>,
}

fn default_secret_header() -> String {
    "X-Baton-Webhook-Secret".into()
}

/// The shortest webhook secret accepted at load. A short or empty secret lets anyone who
/// guesses it post as the helpdesk (agent messages, closes); every helpdesk generates longer
/// ones, and an owner choosing one for Freshdesk or Gorgias can make it long.
pub const MIN_SECRET_CHARS: usize = 16;

impl WebhooksConfig {
    /// The first configured webhook whose secret is missing or too short, as
    /// `provider.setting: problem`; `None` when every configured one is usable.
    pub fn weak_secret(&self) -> Option<String> {
        let short = |secret: &str| secret.trim().chars().count() < MIN_SECRET_CHARS;
        let problem = |setting: &str| Some(format!("{setting}: empty or shorter than {MIN_SECRET_CHARS} characters"));
        if self.intercom.as_ref().is_some_and(|w| short(&w.client_secret)) {
            return problem("intercom.client_secret");
        }
        if self.zendesk_messaging.as_ref().is_some_and(|w| short(&w.secret)) {
            return problem("zendesk_messaging.secret");
        }
        if self.zendesk_support.as_ref().is_some_and(|w| short(&w.signing_secret)) {
            return problem("zendesk_support.signing_secret");
        }
        if self.hubspot.as_ref().is_some_and(|w| short(&w.client_secret)) {
            return problem("hubspot.client_secret");
        }
        if self.freshchat.as_ref().is_some_and(|w| w.public_key.trim().is_empty()) {
            return Some("freshchat.public_key: empty".into());
        }
        for (name, webhook) in [("freshdesk", &self.freshdesk), ("gorgias", &self.gorgias)] {
            let Some(webhook) = webhook else { continue };
            let secret = webhook.secret.as_deref();
            let password = webhook.basic_password.as_deref();
            if secret.is_none() && password.is_none() {
                return Some(format!("{name}: set `secret` and/or `basic_username` + `basic_password`"));
            }
            if secret.is_some_and(short) {
                return problem(&format!("{name}.secret"));
            }
            if password.is_some_and(short) {
                return problem(&format!("{name}.basic_password"));
            }
            if password.is_some() && webhook.basic_username.as_deref().is_none_or(|u| u.trim().is_empty()) {
                return Some(format!("{name}.basic_username: required with basic_password"));
            }
        }
        None
    }
}
