//! Freshdesk tickets (SPEC.md section 6), a ticket helpdesk: the handover is a ticket created
//! with `POST /api/v2/tickets`, the visitor its requester (by email, when the site signed it), the bot summary its
//! description (what an agent reads first), source Chat, tagged `bot_handover` and the reason
//! so the site's automation rules can pick Baton's tickets out. Freshdesk needs an email,
//! requester id or phone: a visitor without an email the site signed is filed under the
//! configured `fallback_email` (an unverified email is in the description), and the answer
//! reaches them in the chat thread only.
//!
//! Later visitor messages are public, incoming notes authored by the requester
//! (`POST /api/v2/tickets/{id}/notes`), never `/reply`, which is an agent reply that emails the
//! visitor. A cancel adds a private note and resolves (status 4); a visitor who leaves gets a
//! private note only. Agent replies and the resolve come back through the automation-rule
//! webhook (`relay/src/connectors/freshdesk/webhook.rs`).

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};

use super::{
    zendesk_support::{description, subject},
    rating_note, Capabilities, CloseReason, Handover, Provider, ProviderError, ProviderKind, RemoteThread,
};
use crate::connectors::{
    html, http,
    json::{id_text, id_value},
    settings::SecretHeaderWebhook,
    signature, Connector, Context, Delivery, Field, InboundEvent, Refusal, WeakWebhook,
};

mod settings;
pub mod webhook;

pub use settings::FreshdeskSettings;

pub struct Freshdesk {
    config: FreshdeskSettings,
    http: reqwest::Client,
}

impl Freshdesk {
    pub fn new(config: FreshdeskSettings) -> Result<Self, ProviderError> {
        super::settings::require("freshdesk", &[("base_url", &config.base_url), ("api_key", &config.api_key)])?;
        if !config.fallback_email.contains('@') {
            return Err(ProviderError::Config("freshdesk.fallback_email is not an email".into()));
        }
        let http = http::client(config.timeout_seconds)?;
        Ok(Self { config, http })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        http::request(&self.http, method, &self.config.base_url, &format!("/api/v2{path}"))
            .basic_auth(self.config.api_key.trim(), Some("X"))
    }

    async fn note(&self, ticket: &str, note: Value) -> Result<(), ProviderError> {
        http::send(self.request(Method::POST, &format!("/tickets/{ticket}/notes")).json(&note)).await.map(drop)
    }

    fn ticket_body(&self, handover: &Handover) -> Value {
        let tags = tags_with_reason(&self.config.tags, &handover.reason);
        // Freshdesk files the ticket under the contact with this email (creating it if new), so
        // an email the site did not sign goes in the description only.
        let email = handover.contact_email().unwrap_or(&self.config.fallback_email);
        let mut ticket = json!({
            "email": email,
            "subject": subject(&self.config.subject_prefix, handover),
            "description": html::from_text(&description(handover)),
            "status": 2,
            "priority": self.config.priority,
            "source": self.config.source,
            "tags": tags,
        });
        if let Some(name) = handover.visitor.name.as_deref().filter(|n| !n.trim().is_empty()) {
            ticket["name"] = json!(name);
        }
        ticket
    }
}

/// The reason as a tag, added to the configured tags unless already there.
pub(super) fn tags_with_reason(tags: &[String], reason: &str) -> Vec<String> {
    let mut tags = tags.to_vec();
    let reason = reason.trim().to_lowercase().replace(' ', "_");
    if !reason.is_empty() && !tags.contains(&reason) {
        tags.push(reason);
    }
    tags
}

#[async_trait]
impl Provider for Freshdesk {
    /// `GET /api/v2/agents/me`: the agent the API key belongs to.
    async fn test_connection(&self) -> Result<String, ProviderError> {
        let me = http::send_expecting_json(self.request(Method::GET, "/agents/me")).await?;
        let agent = crate::connectors::json::person(&me["contact"])
            .ok_or_else(|| ProviderError::Rejected("GET /agents/me named no agent".into()))?;
        Ok(format!("Freshdesk agent {agent}"))
    }

    fn capabilities(&self) -> Capabilities {
        // The rule fires on replies: the first public agent reply counts as joining.
        Capabilities { availability_check: self.config.availability_check, rating: true, ..Capabilities::ticket() }
    }

    async fn available(&self) -> Result<bool, ProviderError> {
        if !self.config.availability_check {
            return Ok(true);
        }
        let answer = match http::send(self.request(Method::GET, "/agents")).await {
            Ok(answer) => answer,
            // A refused check (plan, permissions) must not block tickets, which wait anyway.
            Err(ProviderError::Rejected(detail)) => {
                tracing::warn!(%detail, "freshdesk agents refused; tickets accepted anyway");
                return Ok(true);
            }
            Err(error) => return Err(error),
        };
        // `available` is UNCONFIRMED: an agent without the field counts as available.
        Ok(answer.as_array().is_some_and(|agents| agents.iter().any(|a| a.get("available") != Some(&json!(false)))))
    }

    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError> {
        let created = http::send(self.request(Method::POST, "/tickets").json(&self.ticket_body(handover))).await?;
        // 201 is UNCONFIRMED; any 2xx with an id will do.
        let ticket = id_text(created.get("id"))
            .ok_or_else(|| ProviderError::Rejected("POST /api/v2/tickets answered without id".into()))?;
        Ok(RemoteThread {
            provider: ProviderKind::Freshdesk,
            conversation: ticket,
            user: id_text(created.get("requester_id")),
            extra: Value::Null,
        })
    }

    async fn forward(&self, thread: &RemoteThread, text: &str, _message_id: &str) -> Result<(), ProviderError> {
        let mut note = json!({"body": html::from_text(text), "private": false, "incoming": true});
        if let Some(requester) = thread.user.as_deref().filter(|_| self.config.note_as_requester) {
            note["user_id"] = id_value(requester);
        }
        self.note(&thread.conversation, note).await
    }

    /// A private note (SPEC 6(b)).
    async fn rate(&self, thread: &RemoteThread, score: u8) -> Result<(), ProviderError> {
        self.note(&thread.conversation, json!({"body": html::from_text(&rating_note(score)), "private": true})).await
    }

    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError> {
        let text = match reason {
            CloseReason::Cancelled => reason.notice().to_string(),
            CloseReason::Left => format!(
                "{} Replies still reach them by email (if they gave one) and in the chat thread when they come back.",
                reason.notice()
            ),
        };
        self.note(&thread.conversation, json!({"body": html::from_text(&text), "private": true})).await?;
        if reason == CloseReason::Cancelled && self.config.resolve_on_cancel {
            // A retry after a failed PUT re-adds the note: harmless, and the order is kept.
            let path = format!("/tickets/{}", thread.conversation);
            http::send(self.request(Method::PUT, &path).json(&json!({"status": 4}))).await?;
        }
        Ok(())
    }
}

impl Connector for Freshdesk {
    const NAME: &'static str = "freshdesk";
    const LABEL: &'static str = "Freshdesk";
    const FIELDS: &'static [Field] = settings::FIELDS;
    const WEBHOOK_FIELDS: &'static [Field] = crate::connectors::settings::SECRET_HEADER_WEBHOOK_FIELDS;
    type Settings = FreshdeskSettings;
    type Webhook = SecretHeaderWebhook;

    fn build(settings: FreshdeskSettings, _: &Context<'_>) -> Result<Self, ProviderError> {
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

    fn config() -> FreshdeskSettings {
        crate::connectors::testing::settings("base_url = \"https://acme.freshdesk.com\"\napi_key = \"k\"")
    }

    #[test]
    fn config_defaults_and_checks() {
        let c = config();
        assert_eq!((c.priority, c.source, c.tags.clone()), (2, 7, vec!["bot_handover".to_string()]));
        assert!(c.note_as_requester && c.resolve_on_cancel && !c.availability_check);
        let caps = Freshdesk::new(c.clone()).unwrap().capabilities();
        assert_eq!(caps.mode, Mode::Ticket);
        assert!(!caps.availability_check && caps.close_signal);
        let mut bad = c;
        bad.fallback_email = "nobody".into();
        assert!(matches!(Freshdesk::new(bad), Err(ProviderError::Config(_))));
    }

    #[test]
    fn ticket_body_has_requester_html_summary_and_tags() {
        let freshdesk = Freshdesk::new(config()).unwrap();
        let body = freshdesk.ticket_body(&handover(Some("ada@example.com")));
        assert_eq!((body["email"].as_str(), body["name"].as_str()), (Some("ada@example.com"), Some("Ada")));
        assert_eq!((body["status"].as_u64(), body["source"].as_u64()), (Some(2), Some(7)));
        let description = body["description"].as_str().unwrap();
        assert!(description.contains("order &lt;1234&gt;.<br>") && !description.contains('\n'), "{description}");
        assert_eq!(body["tags"], json!(["bot_handover", "explicit_request"]));
        assert_eq!(freshdesk.ticket_body(&handover(None))["email"], "chat-visitor@baton.invalid");
        assert_eq!(id_value("12345"), json!(12345));
        let mut claimed = handover(Some("ceo@example.com"));
        claimed.visitor.email_verified = false;
        let body = freshdesk.ticket_body(&claimed);
        assert_eq!(body["email"], "chat-visitor@baton.invalid", "an unverified email finds no requester");
        assert!(body["description"]
            .as_str()
            .unwrap()
            .contains("Email (unverified, not matched to a contact): ceo@example.com"));
    }
}
