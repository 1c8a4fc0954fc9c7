//! Gorgias tickets (SPEC.md section 7), a ticket helpdesk: the handover is an API-channel ticket
//! created with `POST /api/tickets` whose first message is the visitor's (the customer is found
//! or created by Gorgias from the email) and carries the bot summary, so it is what an agent
//! reads first; tagged `bot_handover` and the reason. Gorgias needs a customer, so a visitor
//! without an email the site signed is filed under the configured `fallback_email` (an
//! unverified email is in the text), and the answer reaches them in the chat thread only. API-channel messages do not trigger auto-replies (SPEC 7(b)).
//!
//! Later visitor messages are incoming API messages from the customer
//! (`POST /api/tickets/{id}/messages`), each with an `external_id` stable across retries. A
//! cancel adds an internal note (when a note author is configured) and closes the ticket; a
//! visitor who leaves gets the note only. Agent replies and the close come back through the HTTP
//! integration (`relay/src/connectors/gorgias/webhook.rs`).

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

use super::{
    freshdesk::tags_with_reason,
    zendesk_support::{description, subject},
    rating_note, Capabilities, CloseReason, Handover, Provider, ProviderError, ProviderKind, RemoteThread,
};
use crate::connectors::{
    html, http, json::id_text, settings::SecretHeaderWebhook, signature, Connector, Context, Delivery, Field,
    InboundEvent, Refusal, WeakWebhook,
};

mod settings;
pub mod webhook;

pub use settings::GorgiasSettings;

pub struct Gorgias {
    config: GorgiasSettings,
    http: reqwest::Client,
}

impl Gorgias {
    pub fn new(config: GorgiasSettings) -> Result<Self, ProviderError> {
        super::settings::require(
            "gorgias",
            &[("base_url", &config.base_url), ("email", &config.email), ("api_key", &config.api_key)],
        )?;
        if !config.fallback_email.contains('@') {
            return Err(ProviderError::Config("gorgias.fallback_email is not an email".into()));
        }
        let http = http::client(config.timeout_seconds)?;
        Ok(Self { config, http })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        http::request(&self.http, method, &self.config.base_url, &format!("/api{path}"))
            .basic_auth(self.config.email.trim(), Some(self.config.api_key.trim()))
    }

    /// The customer's email: Gorgias finds or creates the customer by it, so only one the site
    /// signed; else the fallback customer (an unverified email is in the ticket's text).
    fn email<'a>(&'a self, handover: &'a Handover) -> &'a str {
        handover.contact_email().unwrap_or(&self.config.fallback_email)
    }

    fn ticket_body(&self, handover: &Handover) -> Value {
        let email = self.email(handover);
        let mut customer = json!({"email": email});
        if let Some(name) = handover.visitor.name.as_deref().filter(|n| !n.trim().is_empty()) {
            customer["name"] = json!(name);
        }
        let text = description(handover);
        let external = format!("baton-{}", handover.conversation_id);
        let mut ticket = json!({
            "channel": "api", "via": "api", "from_agent": false,
            "customer": customer,
            "subject": subject(&self.config.subject_prefix, handover),
            "external_id": external,
            "messages": [incoming(email, &text, &format!("{external}-handover"))],
        });
        if self.config.send_tags {
            let tags = tags_with_reason(&self.config.tags, &handover.reason);
            ticket["tags"] = tags.iter().map(|name| json!({"name": name})).collect();
        }
        ticket
    }

    async fn message(&self, ticket: &str, message: Value) -> Result<(), ProviderError> {
        http::send(self.request(Method::POST, &format!("/tickets/{ticket}/messages")).json(&message)).await.map(drop)
    }

    /// An internal note written as `note_user_id` (SPEC 7(b)); none without that user.
    async fn internal_note(&self, thread: &RemoteThread, text: &str) -> Result<(), ProviderError> {
        let Some(user) = self.config.note_user_id else {
            return Ok(());
        };
        let note = json!({"channel": "internal-note", "via": "api", "from_agent": true,
                          "sender": {"id": user}, "body_text": text, "body_html": html::from_text(text)});
        self.message(&thread.conversation, note).await
    }
}

/// An incoming API-channel message from the customer (SPEC 7(b): `from_agent: false`, a customer
/// sender, no receiver).
fn incoming(email: &str, text: &str, external_id: &str) -> Value {
    json!({"channel": "api", "via": "api", "from_agent": false, "sender": {"email": email},
           "body_text": text, "body_html": html::from_text(text), "external_id": external_id})
}

#[async_trait]
impl Provider for Gorgias {
    /// `GET /api/users/0`: the current user (Gorgias reads id 0 as the one the key belongs to).
    async fn test_connection(&self) -> Result<String, ProviderError> {
        let me = http::send_expecting_json(self.request(Method::GET, "/users/0")).await?;
        let user = crate::connectors::json::person(&me)
            .ok_or_else(|| ProviderError::Rejected("GET /api/users/0 named no user".into()))?;
        Ok(format!("Gorgias user {user}"))
    }

    fn capabilities(&self) -> Capabilities {
        // No availability or business-hours endpoint is known (SPEC 7(e)). An internal note
        // (the rating's place) needs the user it is written as.
        Capabilities { rating: self.config.note_user_id.is_some(), ..Capabilities::ticket() }
    }

    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError> {
        let created = http::send(self.request(Method::POST, "/tickets").json(&self.ticket_body(handover))).await?;
        let ticket = id_text(created.get("id"))
            .ok_or_else(|| ProviderError::Rejected("POST /api/tickets answered without id".into()))?;
        Ok(RemoteThread {
            provider: ProviderKind::Gorgias,
            conversation: ticket,
            user: id_text(created.pointer("/customer/id")),
            // Later messages are sent as this customer.
            extra: json!({"email": self.email(handover), "conversation": handover.conversation_id}),
        })
    }

    async fn forward(&self, thread: &RemoteThread, text: &str, message_id: &str) -> Result<(), ProviderError> {
        let email = thread.extra["email"].as_str().unwrap_or(&self.config.fallback_email);
        let conversation = thread.extra["conversation"].as_str().unwrap_or_default();
        let mut message = incoming(email, text, &format!("baton-{conversation}-{message_id}"));
        if let Some(customer) = thread.user.as_deref().and_then(|id| id.parse::<u64>().ok()) {
            message["sender"]["id"] = json!(customer);
        }
        self.message(&thread.conversation, message).await
    }

    /// An internal note as `note_user_id` (SPEC 7(b)).
    async fn rate(&self, thread: &RemoteThread, score: u8) -> Result<(), ProviderError> {
        self.internal_note(thread, &rating_note(score)).await
    }

    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError> {
        let text = match reason {
            CloseReason::Cancelled => reason.notice().to_string(),
            CloseReason::Left => format!("{} Replies still reach them by email (if they gave one).", reason.notice()),
        };
        self.internal_note(thread, &text).await?;
        if reason == CloseReason::Cancelled && self.config.close_on_cancel {
            let path = format!("/tickets/{}", thread.conversation);
            http::send(self.request(Method::PUT, &path).json(&json!({"status": "closed"}))).await?;
        }
        Ok(())
    }
}

impl Connector for Gorgias {
    const NAME: &'static str = "gorgias";
    const LABEL: &'static str = "Gorgias";
    const FIELDS: &'static [Field] = settings::FIELDS;
    const WEBHOOK_FIELDS: &'static [Field] = crate::connectors::settings::SECRET_HEADER_WEBHOOK_FIELDS;
    type Settings = GorgiasSettings;
    type Webhook = SecretHeaderWebhook;

    fn build(settings: GorgiasSettings, _: &Context<'_>) -> Result<Self, ProviderError> {
        Self::new(settings)
    }

    fn weak_webhook(config: &SecretHeaderWebhook) -> Option<WeakWebhook> {
        config.weak()
    }

    fn verify_and_parse(config: &SecretHeaderWebhook, delivery: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal> {
        signature::secret_header(config, delivery.headers)?;
        Ok(webhook::parse(delivery.body, config)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::{testing::handover, Mode};

    fn config() -> GorgiasSettings {
        let text = "base_url = \"https://acme.gorgias.com\"\nemail = \"bot@acme.test\"\napi_key = \"k\"";
        crate::connectors::testing::settings(text)
    }

    #[test]
    fn ticket_body_is_an_incoming_api_ticket_with_the_summary() {
        let c = config();
        assert!(c.send_tags && c.close_on_cancel && c.note_user_id.is_none());
        let gorgias = Gorgias::new(c).unwrap();
        assert_eq!(gorgias.capabilities().mode, Mode::Ticket);
        let body = gorgias.ticket_body(&handover(Some("ada@example.com")));
        assert_eq!((body["channel"].as_str(), body["from_agent"].as_bool()), (Some("api"), Some(false)));
        assert_eq!(body["customer"], json!({"email": "ada@example.com", "name": "Ada"}));
        let first = &body["messages"][0];
        assert_eq!(first["sender"]["email"], "ada@example.com");
        assert!(first["body_text"].as_str().unwrap().contains("order <1234>"));
        assert!(first["body_html"].as_str().unwrap().contains("order &lt;1234&gt;.<br>"));
        assert_eq!(body["tags"], json!([{"name": "bot_handover"}, {"name": "explicit_request"}]));
        assert_eq!(gorgias.ticket_body(&handover(None))["customer"]["email"], "chat-visitor@baton.invalid");
        let mut claimed = handover(Some("ceo@example.com"));
        claimed.visitor.email_verified = false;
        let body = gorgias.ticket_body(&claimed);
        assert_eq!(body["customer"]["email"], "chat-visitor@baton.invalid", "an unverified email finds no customer");
        assert_eq!(body["messages"][0]["sender"]["email"], "chat-visitor@baton.invalid");
        let text = body["messages"][0]["body_text"].as_str().unwrap();
        assert!(text.contains("Email (unverified, not matched to a contact): ceo@example.com"), "{text}");
        let mut bad = config();
        bad.api_key = " ".into();
        assert!(matches!(Gorgias::new(bad), Err(ProviderError::Config(_))));
    }
}
