//! HubSpot Conversations through a custom channel (SPEC.md section 4): the only documented way
//! to start a thread for a web visitor. The handover is the thread's first INCOMING message,
//! sent as the visitor (`deliveryIdentifier` `HS_EMAIL_ADDRESS` when the site signed the email,
//! so HubSpot associates the contact; an unverified email stays in the text); the custom-channel API has no notes, so that first message
//! *is* the bot summary with the visitor's words, which is what the agent reads first. Later
//! visitor messages are INCOMING messages on the same `integrationThreadId`. A cancel posts a
//! notice and closes the thread through the inbox API; a visitor who leaves gets a notice.
//!
//! HubSpot has no "agent online" API (SPEC 4(e)): no availability check is declared and its
//! routing decides. Agent replies, assignments and closes come back by webhook
//! (`relay/src/connectors/hubspot/webhook.rs`), keyed by HubSpot's thread id, which `open` returns.

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{
    zendesk_support, Capabilities, CloseReason, Handover, Provider, ProviderError, ProviderKind, RemoteThread,
};
use crate::connectors::{http, json::string_field, Field};
use crate::connectors::{Connector, Context, Delivery, InboundEvent, Refusal, WeakWebhook};

mod settings;
pub mod webhook;

pub use settings::{HubspotSettings, HubspotWebhook};

pub struct Hubspot {
    config: HubspotSettings,
    http: reqwest::Client,
}

impl Hubspot {
    pub fn new(config: HubspotSettings) -> Result<Self, ProviderError> {
        super::settings::require(
            "hubspot",
            &[
                ("access_token", &config.access_token),
                ("channel_id", &config.channel_id),
                ("channel_account_id", &config.channel_account_id),
            ],
        )?;
        let http = http::client(config.timeout_seconds)?;
        Ok(Self { config, http })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        http::request(&self.http, method, &self.config.base_url, path).bearer_auth(&self.config.access_token)
    }

    /// Publishes one INCOMING message as the visitor; returns HubSpot's answer (the message).
    async fn publish(&self, thread: &ThreadKeys, text: &str, idempotency_id: &str) -> Result<Value, ProviderError> {
        let body = json!({
            "type": "MESSAGE",
            "messageDirection": "INCOMING",
            "integrationThreadId": thread.integration_thread,
            // Unique per message and the same on retries; HubSpot's de-duplication on it is
            // UNCONFIRMED, so a retried message whose answer was lost may appear twice.
            "integrationIdempotencyId": idempotency_id,
            "channelAccountId": self.config.channel_account_id,
            "senders": [thread.sender],
            "recipients": [{"deliveryIdentifier": {"type": "CHANNEL_SPECIFIC_OPAQUE_ID",
                                                   "value": self.config.channel_account_identifier}}],
            "text": text,
            "timestamp": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
        let path =
            format!("{}/{}/messages", self.config.custom_channels_path.trim_end_matches('/'), self.config.channel_id);
        http::send(self.request(Method::POST, &path).json(&body)).await
    }
}

/// What every message of one handover shares, kept in the `RemoteThread`'s extras.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ThreadKeys {
    integration_thread: String,
    sender: Value,
}

impl ThreadKeys {
    fn of(thread: &RemoteThread) -> Result<Self, ProviderError> {
        serde_json::from_value(thread.extra.clone())
            .map_err(|e| ProviderError::Config(format!("hubspot thread without its keys: {e}")))
    }
}

/// The visitor as a sender: by email when the site signed it (HubSpot then associates the
/// contact with that address), else by an opaque id of Baton's.
fn sender(handover: &Handover, default_name: &str) -> Value {
    let name = handover.visitor.name.as_deref().map(str::trim).filter(|n| !n.is_empty()).unwrap_or(default_name);
    let identifier = match handover.contact_email() {
        Some(email) => json!({"type": "HS_EMAIL_ADDRESS", "value": email}),
        None => json!({"type": "CHANNEL_SPECIFIC_OPAQUE_ID", "value": format!("baton-{}", handover.conversation_id)}),
    };
    json!({"name": name, "deliveryIdentifier": identifier})
}

#[async_trait]
impl Provider for Hubspot {
    /// `GET /conversations/v3/conversations/inboxes` (scope `conversations.read`): the
    /// inboxes the token sees.
    async fn test_connection(&self) -> Result<String, ProviderError> {
        let inboxes =
            http::send_expecting_json(self.request(Method::GET, "/conversations/v3/conversations/inboxes")).await?;
        let names: Vec<String> = inboxes["results"]
            .as_array()
            .map(|all| all.iter().filter_map(|inbox| string_field(inbox, "name")).collect())
            .unwrap_or_default();
        Ok(format!("HubSpot account with {} inbox(es): {}", names.len(), names.join(", ")))
    }

    fn capabilities(&self) -> Capabilities {
        // Agents join by `conversation.propertyChange` on `assignedTo`, when the app subscribes
        // to it. No agent-online API exists (SPEC 4(e)): HubSpot's routing decides.
        Capabilities::live_chat()
    }

    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError> {
        // Stable across retries of this handover, new for a later one (a new thread), so a
        // closed thread is not reopened and its late webhooks cannot reach the new handover.
        let integration_thread = zendesk_support::idempotency_key(handover);
        let keys = ThreadKeys { integration_thread, sender: sender(handover, &self.config.visitor_name) };
        let summary = zendesk_support::description(handover);
        let message = self.publish(&keys, &summary, &format!("{}-summary", keys.integration_thread)).await?;
        let thread = string_field(&message, "conversationsThreadId").ok_or_else(|| {
            ProviderError::Rejected("the custom-channel message answer has no conversationsThreadId".into())
        })?;
        Ok(RemoteThread {
            provider: ProviderKind::Hubspot,
            conversation: thread,
            user: message["senders"][0]["actorId"].as_str().map(str::to_string),
            extra: serde_json::to_value(&keys).unwrap_or_default(),
        })
    }

    async fn forward(&self, thread: &RemoteThread, text: &str, message_id: &str) -> Result<(), ProviderError> {
        let keys = ThreadKeys::of(thread)?;
        let idempotency_id = format!("{}-{message_id}", keys.integration_thread);
        self.publish(&keys, text, &idempotency_id).await.map(drop)
    }

    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError> {
        let keys = ThreadKeys::of(thread)?;
        let id = match reason {
            CloseReason::Cancelled => "cancelled",
            CloseReason::Left => "left",
        };
        let notice = format!("({})", reason.notice());
        self.publish(&keys, &notice, &format!("{}-{id}", keys.integration_thread)).await?;
        if reason != CloseReason::Cancelled || !self.config.close_on_cancel {
            return Ok(());
        }
        let path = format!("/conversations/v3/conversations/threads/{}", thread.conversation);
        match http::send(self.request(Method::PATCH, &path).json(&json!({"status": "CLOSED"}))).await {
            // The close body is UNCONFIRMED (SPEC 4(b) step 3): a refusal must not hold the
            // conversation's outbox back; the agent has the notice.
            Err(ProviderError::Rejected(detail)) => {
                tracing::warn!(%detail, "HubSpot refused to close the thread; the cancel notice is posted");
                Ok(())
            }
            other => other.map(drop),
        }
    }
}

impl Connector for Hubspot {
    const NAME: &'static str = "hubspot";
    const LABEL: &'static str = "HubSpot";
    const FIELDS: &'static [Field] = settings::FIELDS;
    const WEBHOOK_FIELDS: &'static [Field] = settings::WEBHOOK_FIELDS;
    type Settings = HubspotSettings;
    type Webhook = HubspotWebhook;

    fn build(settings: HubspotSettings, _: &Context<'_>) -> Result<Self, ProviderError> {
        Self::new(settings)
    }

    fn weak_webhook(config: &HubspotWebhook) -> Option<WeakWebhook> {
        WeakWebhook::short("client_secret", &config.client_secret)
    }

    fn verify_and_parse(config: &HubspotWebhook, delivery: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal> {
        let uris = webhook::uris(config.public_url.as_deref(), delivery);
        let request = webhook::HubspotRequest { method: delivery.method.as_str(), uris: &uris };
        if config.legacy_signatures && !delivery.headers.contains_key("x-hubspot-signature-v3") {
            webhook::verify_legacy(&config.client_secret, &request, delivery.headers, delivery.body)?;
        } else {
            webhook::verify(&config.client_secret, &request, delivery.headers, delivery.body, delivery.now_ms)?;
        }
        Ok(webhook::parse(delivery.body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::Mode;

    fn config() -> HubspotSettings {
        serde_json::from_value(json!({"access_token": "t", "channel_id": "1001", "channel_account_id": "2002"}))
            .unwrap()
    }

    /// A visitor who gave no name.
    fn handover(email: Option<&str>) -> Handover {
        let mut handover = crate::connectors::testing::handover(email);
        handover.visitor.name = None;
        handover
    }

    #[test]
    fn config_defaults_and_refusals() {
        let c = config();
        assert_eq!(c.base_url, "https://api.hubapi.com");
        assert_eq!(c.custom_channels_path, "/conversations/v3/custom-channels");
        assert!(c.close_on_cancel);
        let caps = Hubspot::new(c.clone()).unwrap().capabilities();
        assert!(caps.mode == Mode::LiveChat && !caps.availability_check && caps.email_handover);
        let empty = HubspotSettings { channel_id: " ".into(), ..c };
        assert!(matches!(Hubspot::new(empty), Err(ProviderError::Config(_))));
    }

    #[test]
    fn the_visitor_is_sent_by_email_when_known() {
        let by_email = sender(&handover(Some("ada@example.com")), "Website visitor");
        assert_eq!(by_email["deliveryIdentifier"], json!({"type": "HS_EMAIL_ADDRESS", "value": "ada@example.com"}));
        assert_eq!(by_email["name"], "Website visitor");
        let opaque = sender(&handover(None), "Website visitor");
        assert_eq!(opaque["deliveryIdentifier"]["type"], "CHANNEL_SPECIFIC_OPAQUE_ID");
        assert_eq!(opaque["deliveryIdentifier"]["value"], "baton-c1");
        let mut claimed = handover(Some("ceo@example.com"));
        claimed.visitor.email_verified = false;
        let unverified = sender(&claimed, "Website visitor");
        assert_eq!(unverified["deliveryIdentifier"], opaque["deliveryIdentifier"], "no contact matched by a claim");
        let thread = RemoteThread {
            provider: ProviderKind::Hubspot,
            conversation: "9876543210".into(),
            user: None,
            extra: Value::Null,
        };
        assert!(matches!(ThreadKeys::of(&thread), Err(ProviderError::Config(_))));
    }
}
