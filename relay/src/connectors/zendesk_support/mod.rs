//! Zendesk Support tickets (SPEC.md section 3), a ticket helpdesk: the handover is a ticket
//! created with `POST /api/v2/tickets`, the visitor its requester (found or created by Zendesk
//! from the email), the bot summary its first comment, private by default (the agent sees it
//! first; the visitor is not emailed their own summary), tagged `bot_handover` and the reason so
//! the site's triggers can pick Baton's tickets out. Later visitor messages are public comments
//! authored by the requester (`PUT /api/v2/tickets/{id}`); a cancel adds a private note and
//! solves the ticket, a visitor who leaves gets a private note only (the agent can still answer
//! by email). Agent replies and the solve come back by webhook (`relay/src/connectors/zendesk_support/webhook.rs`).
//!
//! Tickets wait for an agent, so the helpdesk is "available" unless the site asks for the Agent
//! Availability API (SPEC 3(e)), which needs Omnichannel routing for exact answers.

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{
    rating_note, Capabilities, CloseReason, Handover, Provider, ProviderError, ProviderKind, RemoteThread,
};
use crate::connectors::{
    http,
    json::{id_value, string_at as string_field},
};
use crate::connectors::{Connector, Context, Delivery, Field, InboundEvent, Refusal, WeakWebhook};

mod settings;
pub mod webhook;

pub use settings::{ZendeskSupportSettings, ZendeskSupportWebhook};

/// How requests authenticate (SPEC 3(a)).
enum Auth {
    /// `Authorization: Basic base64("{email}/token:{api_token}")`.
    Token {
        user: String,
        token: String,
    },
    Bearer(String),
}

pub struct ZendeskSupport {
    config: ZendeskSupportSettings,
    auth: Auth,
    http: reqwest::Client,
}

fn present(value: &Option<String>) -> Option<String> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string)
}

impl ZendeskSupport {
    pub fn new(config: ZendeskSupportSettings) -> Result<Self, ProviderError> {
        let auth = match (present(&config.oauth_token), present(&config.email), present(&config.api_token)) {
            (Some(token), _, _) => Auth::Bearer(token),
            (None, Some(email), Some(token)) => Auth::Token { user: format!("{email}/token"), token },
            _ => return Err(ProviderError::Config("zendesk_support needs oauth_token, or email and api_token".into())),
        };
        if config.base_url.trim().is_empty() {
            return Err(ProviderError::Config("zendesk_support.base_url is empty".into()));
        }
        let http = http::client(config.timeout_seconds)?;
        Ok(Self { config, auth, http })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = http::request(&self.http, method, &self.config.base_url, &format!("/api/v2{path}"));
        match &self.auth {
            Auth::Token { user, token } => request.basic_auth(user, Some(token)),
            Auth::Bearer(token) => request.bearer_auth(token),
        }
    }

    /// `PUT /api/v2/tickets/{id}` with a comment (and optionally a status).
    async fn update(&self, ticket: &str, update: Value) -> Result<(), ProviderError> {
        let path = format!("/tickets/{ticket}");
        http::send(self.request(Method::PUT, &path).json(&json!({"ticket": update}))).await.map(drop)
    }

    fn ticket_body(&self, handover: &Handover) -> Value {
        let mut tags = self.config.tags.clone();
        let reason = tag(&handover.reason);
        if !reason.is_empty() && !tags.contains(&reason) {
            tags.push(reason);
        }
        let mut ticket = json!({
            "subject": subject(&self.config.subject_prefix, handover),
            "comment": {"body": description(handover), "public": self.config.public_summary},
            "tags": tags,
            "external_id": format!("baton-{}", handover.conversation_id),
        });
        // Zendesk finds (or creates) the requester by email, so only an email the site signed
        // is used; without one the API user is the requester, the answer reaches the visitor in
        // the chat thread only, and an unverified email is in the description for the agent.
        if let Some(email) = handover.contact_email() {
            let name = handover.visitor.name.clone().unwrap_or_else(|| email.to_string());
            ticket["requester"] = json!({"name": name, "email": email});
        }
        if !self.config.priority.is_empty() {
            ticket["priority"] = json!(self.config.priority);
        }
        json!({ "ticket": ticket })
    }
}

/// A Zendesk tag from a reason name: lowercase, no spaces.
fn tag(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' || c == '-' { c.to_ascii_lowercase() } else { '_' })
        .collect()
}

/// The ticket's subject: the prefix and the visitor's request, cut at a word near 80 characters.
pub(super) fn subject(prefix: &str, handover: &Handover) -> String {
    let line = handover.opening_line().split_whitespace().collect::<Vec<_>>().join(" ");
    let mut cut = String::new();
    for word in line.split(' ') {
        if cut.chars().count() + word.chars().count() > 80 {
            cut.push('…');
            break;
        }
        if !cut.is_empty() {
            cut.push(' ');
        }
        cut.push_str(word);
    }
    format!("{prefix}: {cut}")
}

/// The first comment agents read: summary, reason, email and the visitor's own words, as
/// plain text (Zendesk renders comment `body` as text).
pub(super) fn description(handover: &Handover) -> String {
    let mut text =
        format!("Bot summary:\n{}\n\nReason: {}\n", handover.summary.trim(), handover.reason.replace('_', " "));
    if let Some(line) = handover.email_line() {
        text.push_str(&line);
        text.push('\n');
    }
    if let Some(name) = &handover.visitor.name {
        text.push_str(&format!("Name: {name}\n"));
    }
    if !handover.visitor_messages.is_empty() {
        text.push_str("\nThe visitor wrote:\n");
        for line in &handover.visitor_messages {
            text.push_str(&format!("> {}\n", line.replace('\n', "\n> ")));
        }
    }
    text.push_str(&format!("\nBaton conversation {} on site {}.", handover.conversation_id, handover.site));
    text
}

/// A key stable across retries of one handover, different for a later handover of the same
/// conversation (its summary and transcript differ).
pub(super) fn idempotency_key(handover: &Handover) -> String {
    let digest = Sha256::digest(serde_json::to_vec(handover).unwrap_or_default());
    format!("baton-{}-{}", handover.conversation_id, hex::encode(&digest[..8]))
}

/// Whether the Agent Availability API's answer lists an agent who can take the conversation
/// (Zendesk Messaging asks the same API). `agent_status` comes only with Omnichannel routing;
/// when present it must say online.
pub(super) fn anyone_online(answer: &Value) -> bool {
    answer["data"].as_array().is_some_and(|agents| {
        agents.iter().any(|a| {
            let status = a.pointer("/attributes/agent_status/name").and_then(Value::as_str);
            status.is_none_or(|s| s.eq_ignore_ascii_case("online"))
        })
    })
}

#[async_trait]
impl Provider for ZendeskSupport {
    /// `GET /api/v2/users/me`: the user the credentials belong to (Zendesk answers the
    /// anonymous user, without an id, to requests it could not authenticate).
    async fn test_connection(&self) -> Result<String, ProviderError> {
        let me = http::send_expecting_json(self.request(Method::GET, "/users/me")).await?;
        if me["user"]["id"].is_null() {
            return Err(ProviderError::Rejected("401 Unauthorized: Zendesk did not recognise the credentials".into()));
        }
        let user = crate::connectors::json::person(&me["user"]).unwrap_or_else(|| "(unnamed)".into());
        Ok(format!("Zendesk user {user}"))
    }

    fn capabilities(&self) -> Capabilities {
        // No "assigned" webhook is set up: the first public agent comment counts as joining.
        Capabilities {
            availability_check: self.config.availability_channel.is_some(),
            rating: true,
            ..Capabilities::ticket()
        }
    }

    async fn available(&self) -> Result<bool, ProviderError> {
        let Some(channel) = &self.config.availability_channel else {
            return Ok(true);
        };
        let request = self.request(Method::GET, "/agent_availabilities").query(&[("filter[channel_status]", channel)]);
        let answer = match http::send(request).await {
            Ok(answer) => answer,
            // SPEC 3(e) reports 401s with some auth setups: a broken check must not block
            // tickets, which wait for an agent anyway. 5xx and timeouts still count as down.
            Err(ProviderError::Rejected(detail)) => {
                tracing::warn!(%detail, "zendesk agent availability refused; tickets accepted anyway");
                return Ok(true);
            }
            Err(error) => return Err(error),
        };
        Ok(anyone_online(&answer))
    }

    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError> {
        let mut request = self.request(Method::POST, "/tickets").json(&self.ticket_body(handover));
        if self.config.idempotency_key {
            request = request.header("Idempotency-Key", idempotency_key(handover));
        }
        let created = http::send(request).await?;
        let ticket = string_field(&created, "/ticket/id")
            .ok_or_else(|| ProviderError::Rejected("POST /api/v2/tickets answered without ticket.id".into()))?;
        Ok(RemoteThread {
            provider: ProviderKind::ZendeskSupport,
            conversation: ticket,
            user: string_field(&created, "/ticket/requester_id"),
            extra: Value::Null,
        })
    }

    async fn forward(&self, thread: &RemoteThread, text: &str, _message_id: &str) -> Result<(), ProviderError> {
        let mut comment = json!({"body": text, "public": true});
        if let Some(requester) = &thread.user {
            comment["author_id"] = id_value(requester);
        }
        self.update(&thread.conversation, json!({ "comment": comment })).await
    }

    /// A private comment (SPEC 3(b) step 3); a solved ticket still takes one. Zendesk's own
    /// satisfaction rating is the requester's to give, not an integration's.
    async fn rate(&self, thread: &RemoteThread, score: u8) -> Result<(), ProviderError> {
        self.update(&thread.conversation, json!({"comment": {"body": rating_note(score), "public": false}})).await
    }

    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError> {
        let update = match reason {
            CloseReason::Cancelled => {
                let mut update = json!({"comment": {"body": reason.notice(), "public": false}});
                if self.config.solve_on_cancel {
                    update["status"] = json!("solved");
                }
                update
            }
            CloseReason::Left => json!({"comment": {
                "body": format!("{} Public replies still reach them by email (if they gave one) and in the chat \
                                 thread when they come back.", reason.notice()),
                "public": false}}),
        };
        self.update(&thread.conversation, update).await
    }
}

impl Connector for ZendeskSupport {
    const NAME: &'static str = "zendesk_support";
    const LABEL: &'static str = "Zendesk tickets";
    const FIELDS: &'static [Field] = settings::FIELDS;
    const WEBHOOK_FIELDS: &'static [Field] = settings::WEBHOOK_FIELDS;
    const ALIASES: &'static [&'static str] = &["zendesk"];
    type Settings = ZendeskSupportSettings;
    type Webhook = ZendeskSupportWebhook;

    fn build(settings: ZendeskSupportSettings, _: &Context<'_>) -> Result<Self, ProviderError> {
        Self::new(settings)
    }

    fn weak_webhook(config: &ZendeskSupportWebhook) -> Option<WeakWebhook> {
        WeakWebhook::short("signing_secret", &config.signing_secret)
    }

    fn verify_and_parse(config: &ZendeskSupportWebhook, delivery: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal> {
        let now = delivery.now_ms / 1000;
        webhook::verify(&config.signing_secret, delivery.headers, delivery.body, now, config.timestamp_window_seconds)?;
        Ok(webhook::parse(delivery.body, config)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::{testing::settings as toml_config, Mode};

    fn config() -> ZendeskSupportSettings {
        toml_config("base_url = \"https://acme.zendesk.com\"\nemail = \"bot@acme.test\"\napi_token = \"t\"")
    }

    /// A handover whose email (if any) the site signed, with two lines of the visitor's.
    fn handover(email: Option<&str>) -> Handover {
        Handover {
            summary: "Wants a refund for order 1234.".into(),
            visitor_messages: vec!["Where is my refund for order 1234?".into(), "A person please".into()],
            given_email_is_contact: false,
            ..crate::connectors::testing::handover(email)
        }
    }

    #[test]
    fn config_needs_credentials_and_defaults_are_safe() {
        assert!(ZendeskSupport::new(config()).is_ok());
        let none = toml_config("base_url = \"https://acme.zendesk.com\"\nemail = \"bot@acme.test\"");
        assert!(matches!(ZendeskSupport::new(none), Err(ProviderError::Config(_))));
        let oauth = toml_config("base_url = \"https://acme.zendesk.com\"\noauth_token = \"o\"");
        assert!(ZendeskSupport::new(oauth).is_ok());
        let c = config();
        assert_eq!(c.tags, ["bot_handover"]);
        assert!(!c.public_summary && c.idempotency_key && c.solve_on_cancel && c.availability_channel.is_none());
        let caps = ZendeskSupport::new(c).unwrap().capabilities();
        assert_eq!(caps.mode, Mode::Ticket);
        assert!(!caps.availability_check && caps.close_signal && !caps.agent_joined_events);
    }

    #[test]
    fn ticket_body_carries_requester_summary_and_tags() {
        let zendesk = ZendeskSupport::new(config()).unwrap();
        let body = zendesk.ticket_body(&handover(Some("ada@example.com")));
        let ticket = &body["ticket"];
        assert_eq!(ticket["requester"], json!({"name": "Ada", "email": "ada@example.com"}));
        assert_eq!(ticket["comment"]["public"], false);
        let text = ticket["comment"]["body"].as_str().unwrap();
        assert!(text.contains("refund for order 1234") && text.contains("Email: ada@example.com"), "{text}");
        assert!(text.contains("> A person please"), "{text}");
        assert_eq!(ticket["tags"], json!(["bot_handover", "explicit_request"]));
        assert_eq!(ticket["subject"], "Chat handover: A person please");
        assert_eq!(ticket["external_id"], "baton-c1");
        // Without an email there is no requester to create: the API user stands in.
        assert!(zendesk.ticket_body(&handover(None))["ticket"].get("requester").is_none());
    }

    #[test]
    fn an_unverified_email_is_no_requester_but_reaches_the_agent() {
        let zendesk = ZendeskSupport::new(config()).unwrap();
        let mut claimed = handover(Some("ceo@example.com"));
        claimed.visitor.email_verified = false;
        let body = zendesk.ticket_body(&claimed);
        assert!(body["ticket"].get("requester").is_none(), "Zendesk would match the existing user: {body}");
        let text = body["ticket"]["comment"]["body"].as_str().unwrap();
        assert!(text.contains("Email (unverified, not matched to a contact): ceo@example.com"), "{text}");
    }

    #[test]
    fn subjects_are_cut_and_keys_are_per_handover() {
        let mut long = handover(None);
        long.visitor_messages = vec!["word ".repeat(40)];
        let subject = subject("Chat handover", &long);
        assert!(subject.chars().count() <= 100 && subject.ends_with('…'), "{subject}");
        let first = handover(None);
        assert_eq!(idempotency_key(&first), idempotency_key(&first.clone()));
        let mut later = first.clone();
        later.visitor_messages.push("again".into());
        assert_ne!(idempotency_key(&first), idempotency_key(&later));
        assert_eq!(id_value("20978392"), json!(20978392));
        assert_eq!(tag("Explicit request"), "explicit_request");
    }
}
