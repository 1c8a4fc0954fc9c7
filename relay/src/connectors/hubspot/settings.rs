//! HubSpot's settings: `[sites.<key>.provider]` with `kind = "hubspot"` (outbound calls) and
//! `[sites.<key>.webhooks.hubspot]` (how its webhooks are recognised).

use serde::{Deserialize, Serialize};

use crate::connectors::{settings as shared, Field};

/// `[sites.<key>.provider]` with `kind = "hubspot"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubspotSettings {
    #[serde(default = "default_base")]
    pub base_url: String,
    /// The app's OAuth access token (a legacy private-app token cannot use custom channels).
    pub access_token: String,
    /// The registered custom channel's id.
    pub channel_id: String,
    /// The channel account connected to the inbox agents work in.
    pub channel_account_id: String,
    /// The channel account's own `deliveryIdentifier` value (the message's recipient).
    #[serde(default = "default_account_identifier")]
    pub channel_account_identifier: String,
    /// Where the custom-channel endpoints live: the legacy `/conversations/v3/custom-channels`
    /// or a date-versioned `/conversations/custom-channels/2026-03` (SPEC 4).
    #[serde(default = "default_channel_path")]
    pub custom_channels_path: String,
    /// Close the thread (`PATCH .../threads/{id}` `{"status": "CLOSED"}`, body UNCONFIRMED) when
    /// the visitor cancels; a refusal is logged, the notice is there anyway.
    #[serde(default = "shared::default_true")]
    pub close_on_cancel: bool,
    /// The sender's name when the visitor gave none.
    #[serde(default = "default_visitor_name")]
    pub visitor_name: String,
    #[serde(default = "shared::default_timeout")]
    pub timeout_seconds: u64,
}

fn default_base() -> String {
    "https://api.hubapi.com".into()
}

fn default_account_identifier() -> String {
    "website-chat".into()
}

fn default_channel_path() -> String {
    "/conversations/v3/custom-channels".into()
}

fn default_visitor_name() -> String {
    "Website visitor".into()
}

/// `[sites.<key>.webhooks.hubspot]`.
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

/// What the dashboard asks for `[sites.<key>.provider]`.
pub const FIELDS: &[Field] = &[
    Field::secret("access_token", "Access token", "The app's OAuth access token (a legacy private-app token cannot use custom channels).").required(),
    Field::text("channel_id", "Custom channel id", "The registered custom channel.").required(),
    Field::text("channel_account_id", "Channel account id", "The channel account connected to your inbox.").required(),
    Field::text("channel_account_identifier", "Channel account identifier", "Its deliveryIdentifier value. Empty: website-chat."),
    Field::text("base_url", "API address", "Empty: https://api.hubapi.com."),
    Field::text("custom_channels_path", "Custom channels path", "Empty: /conversations/v3/custom-channels."),
    Field::flag("close_on_cancel", "Close the thread when the visitor cancels", "", true),
    Field::text("visitor_name", "Visitor name", "When the visitor gave none. Empty: Website visitor."),
    Field::timeout(),
];

/// What the dashboard asks for `[sites.<key>.webhooks.hubspot]`.
pub const WEBHOOK_FIELDS: &[Field] = &[
    Field::secret("client_secret", "App client secret", "The key of X-HubSpot-Signature-v3.").required(),
    Field::text("public_url", "Relay address as HubSpot calls it", "https://relay.example.com; HubSpot signs the full URL."),
    Field::flag("legacy_signatures", "Also accept v1/v2 signatures", "Only when no v3 header is sent.", false),
];
