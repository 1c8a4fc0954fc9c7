//! Freshchat API v2 (SPEC.md section 5): the visitor becomes a Freshchat user (found by Baton's
//! `reference_id` `baton-<conversation>` first, so a retried handover makes no second user; the
//! name goes with it, the email only when the site signed it, since Freshworks links users to
//! contacts by email; an unverified one is in the summary note), the handover a conversation created with its first messages: the
//! bot summary as a private note (what the agent reads first, not shown to anyone else) and the
//! visitor's own words as `user` messages. Which actor may write private notes is UNCONFIRMED,
//! so a refused note falls back to the summary as the visitor's first message, as Botpress does.
//! Later visitor messages are `user` messages; a cancel posts a notice and resolves the
//! conversation; a visitor who leaves gets a notice. The visitor's files are message parts,
//! `image {url}` or `file {url, name}` (SPEC 5(b)), with the signed address.
//!
//! Availability (SPEC 5(e)) has no confirmed field: a check is made only when the site lists
//! agents to ask, reading a configurable field of `GET /v2/agents/{id}`.

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use super::{
    zendesk_support, Capabilities, CloseReason, FileLink, Handover, Provider, ProviderError, ProviderKind, RemoteThread,
};
use crate::connectors::{http, json::string, Field};
use crate::connectors::{Connector, Context, Delivery, InboundEvent, Refusal, WeakWebhook};

mod settings;
pub mod webhook;

pub use settings::{FreshchatSettings, FreshchatWebhook};

/// How many of the visitor's own messages go into the new conversation.
const MAX_VISITOR_LINES: usize = 10;

pub struct Freshchat {
    config: FreshchatSettings,
    http: reqwest::Client,
    /// The configured channel, or the first one Freshchat lists, looked up once.
    channel: OnceCell<String>,
}

impl Freshchat {
    pub fn new(config: FreshchatSettings) -> Result<Self, ProviderError> {
        super::settings::require("freshchat", &[("base_url", &config.base_url), ("api_token", &config.api_token)])?;
        let http = http::client(config.timeout_seconds)?;
        Ok(Self { config, http, channel: OnceCell::new() })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        http::request(&self.http, method, &self.config.base_url, path).bearer_auth(&self.config.api_token)
    }

    async fn channel(&self) -> Result<String, ProviderError> {
        if let Some(id) = self.config.channel_id.as_deref().filter(|c| !c.trim().is_empty()) {
            return Ok(id.to_string());
        }
        self.channel
            .get_or_try_init(|| async {
                let list = http::send(self.request(Method::GET, "/channels").query(&[("items_per_page", "10")])).await?;
                list["channels"]
                    .as_array()
                    .and_then(|c| c.first())
                    .and_then(|c| string(c, "id"))
                    .ok_or_else(|| ProviderError::Config("Freshchat lists no channel; set channel_id".into()))
            })
            .await
            .cloned()
    }

    /// The visitor's user: found by Baton's reference id, else created.
    async fn user(&self, handover: &Handover) -> Result<String, ProviderError> {
        let reference = format!("baton-{}", handover.conversation_id);
        let found = http::send(self.request(Method::GET, "/users").query(&[("reference_id", &reference)])).await?;
        // Only a user carrying this reference id: a filter the API ignored must not hand the
        // conversation to someone else.
        let mine = found["users"].as_array().and_then(|users| users.iter().find(|u| u["reference_id"] == *reference));
        if let Some(id) = mine.and_then(|u| string(u, "id")) {
            return Ok(id);
        }
        let mut body = json!({"reference_id": reference,
                              "first_name": handover.visitor.name.as_deref().unwrap_or("Website visitor")});
        if let Some(email) = handover.contact_email() {
            body["email"] = json!(email);
        }
        let created = http::send(self.request(Method::POST, "/users").json(&body)).await?;
        string(&created, "id").ok_or_else(|| ProviderError::Rejected("POST /users answered without an id".into()))
    }

    fn note(&self, channel: &str, text: &str) -> Value {
        let mut note = json!({"message_parts": [{"text": {"content": text}}], "channel_id": channel,
                              "message_type": "private", "actor_type": self.config.note_actor_type});
        if let Some(actor) = &self.config.note_actor_id {
            note["actor_id"] = json!(actor);
        }
        note
    }

    async fn create(&self, channel: &str, user: &str, messages: Vec<Value>) -> Result<String, ProviderError> {
        let mut body = json!({"channel_id": channel, "users": [{"id": user}], "messages": messages});
        if !self.config.priority.is_empty() {
            body["properties"] = json!({"priority": self.config.priority});
        }
        let created = http::send(self.request(Method::POST, "/conversations").json(&body)).await?;
        string(&created, "conversation_id")
            .ok_or_else(|| ProviderError::Rejected("POST /conversations answered without conversation_id".into()))
    }

    async fn post_as_user(&self, thread: &RemoteThread, text: &str, files: &[FileLink]) -> Result<(), ProviderError> {
        let user = thread.user.as_deref().ok_or_else(|| ProviderError::Config("thread without a user".into()))?;
        let path = format!("/conversations/{}/messages", thread.conversation);
        let mut body = user_message_with(None, user, text, files);
        body["user_id"] = json!(user);
        http::send(self.request(Method::POST, &path).json(&body)).await.map(drop)
    }

    /// Is any listed agent's availability field one of the available values? A missing field
    /// counts as available: a check that cannot read its answer must not block handovers.
    async fn agent_available(&self, agent: &str) -> Result<bool, ProviderError> {
        let found = http::send(self.request(Method::GET, &format!("/agents/{agent}"))).await?;
        Ok(match &found[self.config.availability_field.as_str()] {
            Value::Null => true,
            Value::Bool(b) => *b,
            value => {
                let value = value.as_str().map(str::to_string).unwrap_or_else(|| value.to_string());
                self.config.available_values.iter().any(|v| v.eq_ignore_ascii_case(&value))
            }
        })
    }
}

fn user_message(channel: Option<&str>, user: &str, text: &str) -> Value {
    user_message_with(channel, user, text, &[])
}

/// A visitor's message: its text part (when there is text) and a part per file, Freshchat's
/// `image {url}` for images and `file {url, name}` for the rest (SPEC 5(b)).
fn user_message_with(channel: Option<&str>, user: &str, text: &str, files: &[FileLink]) -> Value {
    let mut parts: Vec<Value> = Vec::with_capacity(files.len() + 1);
    if !text.trim().is_empty() || files.is_empty() {
        parts.push(json!({"text": {"content": text}}));
    }
    parts.extend(files.iter().map(|file| match file.is_image() {
        true => json!({"image": {"url": file.url}}),
        false => json!({"file": {"url": file.url, "name": file.name}}),
    }));
    let mut message = json!({"message_parts": parts, "message_type": "normal", "actor_type": "user", "actor_id": user});
    if let Some(channel) = channel {
        message["channel_id"] = json!(channel);
    }
    message
}

#[async_trait]
impl Provider for Freshchat {
    /// `GET /v2/accounts/configuration` (SPEC 5(a), "token check"): the account's organisation.
    async fn test_connection(&self) -> Result<String, ProviderError> {
        let account = http::send_expecting_json(self.request(Method::GET, "/accounts/configuration")).await?;
        let organisation = crate::connectors::json::string_field(&account, "organisation_id").ok_or_else(|| {
            ProviderError::Rejected("GET /accounts/configuration answered without organisation_id".into())
        })?;
        Ok(format!("Freshchat organisation {organisation}"))
    }

    fn capabilities(&self) -> Capabilities {
        // Agents join by `conversation_assignment` webhooks.
        Capabilities {
            availability_check: !self.config.availability_agents.is_empty(),
            files: true,
            ..Capabilities::live_chat()
        }
    }

    async fn available(&self) -> Result<bool, ProviderError> {
        for agent in &self.config.availability_agents {
            match self.agent_available(agent).await {
                Ok(true) => return Ok(true),
                Ok(false) => {}
                // An unknown agent or a refused token must not block handovers; 5xx and
                // timeouts still count as Freshchat being down.
                Err(ProviderError::Rejected(detail)) => {
                    tracing::warn!(%detail, agent, "Freshchat agent lookup refused; counted as available");
                    return Ok(true);
                }
                Err(error) => return Err(error),
            }
        }
        Ok(self.config.availability_agents.is_empty())
    }

    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError> {
        let channel = self.channel().await?;
        let user = self.user(handover).await?;
        let summary = zendesk_support::description(handover);
        let skip = handover.visitor_messages.len().saturating_sub(MAX_VISITOR_LINES);
        let words: Vec<Value> = handover
            .visitor_messages
            .iter()
            .skip(skip)
            .filter(|l| !l.trim().is_empty())
            .map(|line| user_message(Some(&channel), &user, line))
            .collect();
        // The visitor's first message: their words, or a line saying they asked for a person.
        let mut words =
            if words.is_empty() { vec![user_message(Some(&channel), &user, &handover.opening_line())] } else { words };
        if !handover.files.is_empty() {
            words.push(user_message_with(Some(&channel), &user, "", &handover.files));
        }
        let conversation = if self.config.summary_note {
            let mut messages = vec![self.note(&channel, &summary)];
            messages.extend(words.iter().cloned());
            match self.create(&channel, &user, messages).await {
                Ok(id) => Some(id),
                // A refused create makes nothing, so the Botpress form can follow.
                Err(ProviderError::Rejected(detail)) => {
                    tracing::warn!(%detail, "Freshchat refused the private note; the summary goes as a message");
                    None
                }
                Err(error) => return Err(error),
            }
        } else {
            None
        };
        let conversation = match conversation {
            Some(id) => id,
            None => {
                let mut messages = vec![user_message(Some(&channel), &user, &summary)];
                messages.extend(words);
                self.create(&channel, &user, messages).await?
            }
        };
        Ok(RemoteThread { provider: ProviderKind::Freshchat, conversation, user: Some(user), extra: Value::Null })
    }

    async fn forward(&self, thread: &RemoteThread, text: &str, _message_id: &str) -> Result<(), ProviderError> {
        self.post_as_user(thread, text, &[]).await
    }

    async fn forward_files(
        &self,
        thread: &RemoteThread,
        text: &str,
        files: &[FileLink],
        _message_id: &str,
    ) -> Result<(), ProviderError> {
        self.post_as_user(thread, text, files).await
    }

    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError> {
        self.post_as_user(thread, &format!("({})", reason.notice()), &[]).await?;
        if reason != CloseReason::Cancelled || !self.config.resolve_on_cancel {
            return Ok(());
        }
        let path = format!("/conversations/{}", thread.conversation);
        http::send(self.request(Method::PUT, &path).json(&json!({"status": "resolved"}))).await.map(drop)
    }
}

impl Connector for Freshchat {
    const NAME: &'static str = "freshchat";
    const LABEL: &'static str = "Freshchat";
    const FIELDS: &'static [Field] = settings::FIELDS;
    const WEBHOOK_FIELDS: &'static [Field] = settings::WEBHOOK_FIELDS;
    type Settings = FreshchatSettings;
    type Webhook = FreshchatWebhook;

    fn build(settings: FreshchatSettings, _: &Context<'_>) -> Result<Self, ProviderError> {
        Self::new(settings)
    }

    fn weak_webhook(config: &FreshchatWebhook) -> Option<WeakWebhook> {
        config.public_key.trim().is_empty().then(|| WeakWebhook { setting: Some("public_key"), problem: "empty".into() })
    }

    fn verify_and_parse(config: &FreshchatWebhook, delivery: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal> {
        let key = webhook::FreshchatKey::from_pem(&config.public_key)?;
        webhook::verify(&key, delivery.headers, delivery.body)?;
        Ok(webhook::parse(delivery.body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::Mode;

    fn config() -> FreshchatSettings {
        serde_json::from_value(json!({"base_url": "https://acme.freshchat.com/v2", "api_token": "t"})).unwrap()
    }

    #[test]
    fn config_defaults_and_refusals() {
        let c = config();
        assert!(c.summary_note && c.resolve_on_cancel && c.channel_id.is_none());
        assert_eq!(c.note_actor_type, "bot");
        let caps = Freshchat::new(c.clone()).unwrap().capabilities();
        assert!(caps.mode == Mode::LiveChat && !caps.availability_check && caps.email_handover);
        let with_agents = FreshchatSettings { availability_agents: vec!["a1".into()], ..c.clone() };
        assert!(Freshchat::new(with_agents).unwrap().capabilities().availability_check);
        let empty = FreshchatSettings { api_token: " ".into(), ..c };
        assert!(matches!(Freshchat::new(empty), Err(ProviderError::Config(_))));
    }

    #[test]
    fn messages_are_the_visitors_and_notes_are_private() {
        let message = user_message(Some("ch"), "u1", "hello");
        assert_eq!(message["actor_type"], "user");
        assert_eq!(message["actor_id"], "u1");
        assert_eq!(message["message_parts"][0]["text"]["content"], "hello");
        let freshchat = Freshchat::new(FreshchatSettings { note_actor_id: Some("ag1".into()), ..config() }).unwrap();
        let note = freshchat.note("ch", "summary");
        assert_eq!((note["message_type"].as_str(), note["actor_id"].as_str()), (Some("private"), Some("ag1")));
    }
}
