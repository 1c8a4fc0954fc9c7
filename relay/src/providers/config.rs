//! The `[sites.<key>.provider]` table: which helpdesk a site hands over to, and its settings.
//! Switching `kind` is a configuration change; conversations already handed over finish on the
//! provider they started with (their `RemoteThread` names it).

use serde::{Deserialize, Serialize};

use crate::connectors::settings;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProviderConfig {
    /// Baton's own agent inbox at `/inbox/` (the default).
    #[default]
    Builtin,
    /// A button to a contact form or help page; no live chat.
    Link(LinkConfig),
    Intercom(IntercomConfig),
    ZendeskMessaging(super::zendesk_messaging::ZendeskMessagingConfig),
    ZendeskSupport(super::zendesk_support::ZendeskSupportConfig),
    Hubspot(super::hubspot::HubspotConfig),
    Freshchat(super::freshchat::FreshchatConfig),
    Freshdesk(super::freshdesk::FreshdeskConfig),
    Gorgias(super::gorgias::GorgiasConfig),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    pub url: String,
    /// The button's label.
    #[serde(default = "default_link_label")]
    pub label: String,
    /// The message shown with the button.
    #[serde(default = "default_link_message")]
    pub message: String,
}

fn default_link_label() -> String {
    "Contact us".into()
}

fn default_link_message() -> String {
    "Our team answers through our contact form; it opens in a new tab.".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntercomConfig {
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
    #[serde(default = "settings::default_timeout")]
    pub timeout_seconds: u64,
}

fn default_intercom_base() -> String {
    "https://api.intercom.io".into()
}

fn default_intercom_version() -> String {
    "2.11".into()
}
