//! The relay's input-facing entry points, for the `cargo fuzz` targets in `fuzz/` (feature
//! `fuzzing` only). Everything here is a thin door to code the relay runs on outside input;
//! nothing is reimplemented, so what the fuzzer proves holds for the server.

pub use axum::{
    extract::ws::Message,
    http::{HeaderMap, HeaderName, HeaderValue},
};

pub use crate::gateway::codec::{decode as decode_widget_message, DecodeError, Incoming};

use crate::connectors::{
    freshchat, freshdesk, gorgias, hubspot,
    intercom::{self, IntercomWebhook},
    settings::SecretHeaderWebhook,
    zendesk_messaging::{self, ZendeskMessagingWebhook},
    zendesk_support::{self, ZendeskSupportWebhook},
    InboundEvent, ParseError,
};

/// The helpdesks whose webhook bodies the relay parses, in a fixed order.
pub const WEBHOOK_PARSERS: [&str; 7] =
    ["intercom", "zendesk_messaging", "zendesk_support", "hubspot", "freshchat", "freshdesk", "gorgias"];

/// Parses `body` as webhook `provider` (one of [`WEBHOOK_PARSERS`]) would, with a configuration
/// that names Baton's own ids, so the echo filters run too. `None` for an unknown name.
pub fn parse_webhook(provider: &str, body: &[u8]) -> Option<Result<Vec<InboundEvent>, ParseError>> {
    let secret_header = |ignore: &str| SecretHeaderWebhook {
        header: "X-Baton-Webhook-Secret".into(),
        secret: Some("s".into()),
        basic_username: None,
        basic_password: None,
        ignore_agents: vec![ignore.into()],
    };
    Some(match provider {
        "intercom" => intercom::webhook::parse(
            body,
            &IntercomWebhook { client_secret: "s".into(), bot_admin_id: Some("991267459".into()) },
        ),
        "zendesk_messaging" => zendesk_messaging::webhook::parse(
            body,
            &ZendeskMessagingWebhook {
                secret: "s".into(),
                integration_id: Some("5f11a650e4e987667c2051d1".into()),
                switchboard_integration_id: Some("5eecde2dcdbffb08f5c3ed37".into()),
                echo_source_types: vec!["api:conversations".into()],
                require_agent_metadata: false,
            },
        ),
        "zendesk_support" => zendesk_support::webhook::parse(
            body,
            &ZendeskSupportWebhook {
                signing_secret: "s".into(),
                timestamp_window_seconds: 300,
                api_user_id: Some("900".into()),
            },
        ),
        "hubspot" => hubspot::webhook::parse(body),
        "freshchat" => freshchat::webhook::parse(body),
        "freshdesk" => freshdesk::webhook::parse(body, &secret_header("Baton API")),
        "gorgias" => gorgias::webhook::parse(body, &secret_header("Baton")),
        _ => return None,
    })
}
