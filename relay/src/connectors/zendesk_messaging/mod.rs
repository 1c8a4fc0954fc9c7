//! Zendesk Messaging through Sunshine Conversations API v2 (SPEC.md section 2): the visitor
//! becomes a Sunshine user (Baton's external id `baton-<conversation>`, with the name, and
//! `profile.email` only when the site signed it: Zendesk matches the ticket's requester by email), the handover a `personal` conversation. Baton takes control first (when its
//! own switchboard integration is configured) so nothing opens a ticket early, posts the bot
//! summary as a `business` message and the visitor's words as `user` messages, then passes
//! control to the agent workspace with the `dataCapture.*` metadata and `first_message_id`
//! pointing at the summary, so the ticket starts with it. Later visitor messages are `user`
//! messages; a cancel posts a notice and releases control; a visitor who leaves gets a notice.
//! The visitor's files are `user` messages of Sunshine's `image` (PNG, JPEG, GIF, WebP) or
//! `file` type with the signed address as `mediaUrl` and the name as `altText`, after the text.
//!
//! Sunshine has no availability endpoint: when a Zendesk Support token is configured, the
//! Agent Availability API answers (SPEC 2(e), 3(e)); otherwise the check is not declared.

use async_trait::async_trait;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Map, Value};

use super::{
    zendesk_support, Capabilities, CloseReason, FileLink, Handover, Provider, ProviderError, ProviderKind, RemoteThread,
};
use crate::connectors::{http, json::string, Field};
use crate::connectors::{Connector, Context, Delivery, InboundEvent, Refusal, WeakWebhook};

mod settings;
pub mod webhook;

pub use settings::{Auth, AvailabilitySettings, ZendeskMessagingSettings, ZendeskMessagingWebhook};

/// How many of the visitor's own messages are copied into the Sunshine conversation: enough
/// for context, few enough that one handover stays a handful of calls.
const MAX_VISITOR_LINES: usize = 10;

/// Sunshine metadata is limited to 4 KB per object: values are cut to keep well under it.
const MAX_METADATA_VALUE: usize = 512;

pub struct ZendeskMessaging {
    config: ZendeskMessagingSettings,
    http: reqwest::Client,
}

impl ZendeskMessaging {
    pub fn new(config: ZendeskMessagingSettings) -> Result<Self, ProviderError> {
        super::settings::require(
            "zendesk_messaging",
            &[("app_id", &config.app_id), ("key_id", &config.key_id), ("key_secret", &config.key_secret)],
        )?;
        let http = http::client(config.timeout_seconds)?;
        Ok(Self { config, http })
    }

    /// A request to `/v2/apps/{appId}{path}`.
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let path = format!("/v2/apps/{}{path}", self.config.app_id);
        let request = http::request(&self.http, method, &self.config.base_url, &path);
        match self.config.auth {
            Auth::Basic => request.basic_auth(&self.config.key_id, Some(&self.config.key_secret)),
            Auth::Jwt => request.bearer_auth(jwt(&self.config.key_id, &self.config.key_secret)),
        }
    }

    async fn send(&self, request: RequestBuilder) -> Result<Value, ProviderError> {
        let response = http::check(request.send().await.map_err(http::transport)?).await?;
        // passControl and releaseControl answer `{}`; an empty body is as good.
        let bytes = response.bytes().await.map_err(http::transport)?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| ProviderError::Unavailable(format!("unreadable answer: {e}")))
    }

    /// Creates the user, or fetches it when it exists (409): (user id, existed before).
    async fn user(&self, handover: &Handover) -> Result<(String, bool), ProviderError> {
        let external_id = format!("baton-{}", handover.conversation_id);
        let mut profile = Map::new();
        if let Some(name) = handover.visitor.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            profile.insert("givenName".into(), json!(cut(name, 128)));
        }
        if let Some(email) = handover.contact_email().filter(|e| e.len() <= 128) {
            profile.insert("email".into(), json!(email));
        }
        let body = json!({"externalId": external_id, "profile": profile,
                          "metadata": {"source": "baton", "baton_site": cut(&handover.site, 128)}});
        match self.send(self.request(Method::POST, "/users").json(&body)).await {
            Ok(created) => Ok((user_id(&created)?, false)),
            Err(ProviderError::Rejected(detail)) if detail.starts_with(StatusCode::CONFLICT.as_str()) => {
                let found = self.send(self.request(Method::GET, &format!("/users/{external_id}"))).await?;
                Ok((user_id(&found)?, true))
            }
            Err(error) => Err(error),
        }
    }

    /// The user's conversation: an existing one when the user existed (a retried or repeated
    /// handover reuses it rather than opening a second), else a new `personal` one.
    async fn conversation(&self, handover: &Handover, user: &str, existed: bool) -> Result<String, ProviderError> {
        if existed {
            let list = self.request(Method::GET, "/conversations").query(&[("filter[userId]", user)]);
            let found = self.send(list).await?;
            if let Some(id) = found["conversations"].as_array().and_then(|c| c.first()).and_then(|c| string(c, "id")) {
                return Ok(id);
            }
        }
        let body = json!({
            "type": "personal",
            "participants": [{"userId": user, "subscribeSDKClient": false}],
            "displayName": "Website chat handover",
            "metadata": {"baton_conversation": handover.conversation_id, "baton_site": cut(&handover.site, 128)},
        });
        let created = self.send(self.request(Method::POST, "/conversations").json(&body)).await?;
        string(&created["conversation"], "id")
            .ok_or_else(|| ProviderError::Rejected("POST /conversations answered without conversation.id".into()))
    }

    /// Posts a message; returns its id when Sunshine says it.
    async fn post(&self, conversation: &str, author: Value, text: &str) -> Result<Option<String>, ProviderError> {
        self.post_content(conversation, author, json!({"type": "text", "text": text})).await
    }

    /// A file as a message of its own (`altText` is limited to 128 characters).
    async fn post_file(&self, conversation: &str, author: Value, file: &FileLink) -> Result<(), ProviderError> {
        let kind = if file.is_image() { "image" } else { "file" };
        let alt: String = file.name.chars().take(128).collect();
        let content = json!({"type": kind, "mediaUrl": file.url, "altText": alt});
        self.post_content(conversation, author, content).await.map(drop)
    }

    async fn post_content(
        &self,
        conversation: &str,
        author: Value,
        content: Value,
    ) -> Result<Option<String>, ProviderError> {
        let body = json!({"author": author, "content": content});
        let path = format!("/conversations/{conversation}/messages");
        let posted = self.send(self.request(Method::POST, &path).json(&body)).await?;
        Ok(posted["messages"].as_array().and_then(|m| m.first()).and_then(|m| string(m, "id")))
    }

    async fn pass_control(
        &self,
        conversation: &str,
        to: &str,
        metadata: Map<String, Value>,
    ) -> Result<(), ProviderError> {
        let body = json!({"switchboardIntegration": to, "metadata": metadata});
        let path = format!("/conversations/{conversation}/passControl");
        self.send(self.request(Method::POST, &path).json(&body)).await.map(drop)
    }

    fn business(&self) -> Value {
        json!({"type": "business", "displayName": self.config.bot_name})
    }

    /// The passControl metadata: where the ticket starts and what Zendesk captures into it.
    fn handover_metadata(&self, handover: &Handover, first_message: Option<String>) -> Map<String, Value> {
        let mut metadata = Map::new();
        if let Some(id) = first_message {
            metadata.insert("first_message_id".into(), json!(id));
        }
        if self.config.data_capture {
            // The requester is found by this email: an unverified one would attach the ticket
            // to whoever owns the address.
            if let Some(email) = handover.contact_email() {
                metadata
                    .insert("dataCapture.systemField.requester.email".into(), json!(cut(email, MAX_METADATA_VALUE)));
            }
            if let Some(name) = &handover.visitor.name {
                metadata.insert("dataCapture.systemField.requester.name".into(), json!(cut(name, MAX_METADATA_VALUE)));
            }
            if !self.config.tags.trim().is_empty() {
                metadata
                    .insert("dataCapture.systemField.tags".into(), json!(cut(&self.config.tags, MAX_METADATA_VALUE)));
            }
        }
        metadata.insert("baton_conversation".into(), json!(handover.conversation_id));
        metadata.insert("baton_reason".into(), json!(cut(&handover.reason, 64)));
        metadata
    }

    async fn agents_online(&self, availability: &AvailabilitySettings) -> Result<bool, ProviderError> {
        let request = http::request(&self.http, Method::GET, &availability.base_url, "/api/v2/agent_availabilities")
            .basic_auth(format!("{}/token", availability.email), Some(&availability.api_token))
            .query(&[("filter[channel_status]", availability.channel_status.as_str())]);
        Ok(zendesk_support::anyone_online(&self.send(request).await?))
    }
}

/// An app-scoped HS256 JWT (SPEC 2(a)); signed anew per request, no expiry claim required.
fn jwt(key_id: &str, secret: &str) -> String {
    let header = URL_SAFE_NO_PAD.encode(json!({"alg": "HS256", "typ": "JWT", "kid": key_id}).to_string());
    let payload = URL_SAFE_NO_PAD.encode(json!({"scope": "app"}).to_string());
    let signing_input = format!("{header}.{payload}");
    // An HMAC key may have any length, so this cannot fail.
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

fn user_id(answer: &Value) -> Result<String, ProviderError> {
    string(&answer["user"], "id").ok_or_else(|| ProviderError::Rejected("the user answer has no user.id".into()))
}

/// At most `max` bytes of `text`, cut on a character boundary.
fn cut(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The summary agents see first, as plain text (Sunshine text messages take Markdown-light text).
fn summary_text(handover: &Handover) -> String {
    let mut text = format!("Baton bot summary\n{}\nReason: {}", handover.summary, handover.reason.replace('_', " "));
    if let Some(line) = handover.email_line() {
        text.push('\n');
        text.push_str(&line);
    }
    text
}

#[async_trait]
impl Provider for ZendeskMessaging {
    /// `GET /v2/apps/{appId}` (Sunshine Conversations "Get App"): the app the key opens.
    async fn test_connection(&self) -> Result<String, ProviderError> {
        let app = self.send(self.request(Method::GET, "")).await?;
        let name = string(&app["app"], "displayName").unwrap_or_else(|| self.config.app_id.clone());
        Ok(format!("Sunshine Conversations app {name}"))
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // Sunshine does not say when an agent takes the ticket: the first reply counts.
            agent_joined_events: false,
            typing: true,
            availability_check: self.config.availability.is_some(),
            files: true,
            ..Capabilities::live_chat()
        }
    }

    async fn available(&self) -> Result<bool, ProviderError> {
        let Some(availability) = &self.config.availability else {
            return Ok(true);
        };
        match self.agents_online(availability).await {
            // Some auth setups are refused by this API (SPEC 3(e)): a broken check must not
            // block every handover, so a refusal counts as "someone may be there".
            Err(ProviderError::Rejected(detail)) => {
                tracing::warn!(%detail, "Zendesk agent availability refused; assuming agents are available");
                Ok(true)
            }
            other => other,
        }
    }

    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError> {
        let (user, existed) = self.user(handover).await?;
        let conversation = self.conversation(handover, &user, existed).await?;
        if let Some(bot) = &self.config.bot_switchboard_integration {
            // Marked, so that Sunshine's echo of it is not read as the agents handing back.
            let mark = Map::from_iter([(webhook::OWN_PASS_KEY.to_string(), json!(true))]);
            self.pass_control(&conversation, bot, mark).await?;
        }
        let first = self.post(&conversation, self.business(), &summary_text(handover)).await?;
        let skip = handover.visitor_messages.len().saturating_sub(MAX_VISITOR_LINES);
        for line in handover.visitor_messages.iter().skip(skip).filter(|l| !l.trim().is_empty()) {
            self.post(&conversation, json!({"type": "user", "userId": user}), line).await?;
        }
        for file in &handover.files {
            self.post_file(&conversation, json!({"type": "user", "userId": user}), file).await?;
        }
        let metadata = self.handover_metadata(handover, first);
        self.pass_control(&conversation, &self.config.agent_switchboard_integration, metadata).await?;
        Ok(RemoteThread {
            provider: ProviderKind::ZendeskMessaging,
            conversation,
            user: Some(user),
            extra: Value::Null,
        })
    }

    async fn forward(&self, thread: &RemoteThread, text: &str, _message_id: &str) -> Result<(), ProviderError> {
        let user = thread.user.clone().ok_or_else(|| ProviderError::Config("thread without a user".into()))?;
        self.post(&thread.conversation, json!({"type": "user", "userId": user}), text).await.map(drop)
    }

    /// The text (if any), then a message per file. A retry after a failure part-way posts the
    /// whole message again (Sunshine has no idempotency key for messages, SPEC 2(d)).
    async fn forward_files(
        &self,
        thread: &RemoteThread,
        text: &str,
        files: &[FileLink],
        message_id: &str,
    ) -> Result<(), ProviderError> {
        let user = thread.user.clone().ok_or_else(|| ProviderError::Config("thread without a user".into()))?;
        if !text.trim().is_empty() {
            self.forward(thread, text, message_id).await?;
        }
        for file in files {
            self.post_file(&thread.conversation, json!({"type": "user", "userId": user}), file).await?;
        }
        Ok(())
    }

    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError> {
        self.post(&thread.conversation, self.business(), reason.notice()).await?;
        if reason != CloseReason::Cancelled || !self.config.release_on_cancel {
            return Ok(());
        }
        // `reason` is not a documented request field (UNCONFIRMED): it goes into the metadata,
        // which the releaseControl webhook echoes.
        let body = json!({"metadata": {"baton_reason": "visitor_cancelled"}});
        let path = format!("/conversations/{}/releaseControl", thread.conversation);
        match self.send(self.request(Method::POST, &path).json(&body)).await {
            // With integration scope Sunshine answers 403 when Baton is not the active
            // integration; the notice is posted, so the agent knows.
            Err(ProviderError::Rejected(detail)) if detail.starts_with(StatusCode::FORBIDDEN.as_str()) => {
                tracing::info!(%detail, "releaseControl refused: Baton is not the active integration");
                Ok(())
            }
            other => other.map(drop),
        }
    }
}

impl Connector for ZendeskMessaging {
    const NAME: &'static str = "zendesk_messaging";
    const LABEL: &'static str = "Zendesk Messaging";
    const FIELDS: &'static [Field] = settings::FIELDS;
    const WEBHOOK_FIELDS: &'static [Field] = settings::WEBHOOK_FIELDS;
    const ALIASES: &'static [&'static str] = &["sunshine"];
    type Settings = ZendeskMessagingSettings;
    type Webhook = ZendeskMessagingWebhook;

    fn build(settings: ZendeskMessagingSettings, _: &Context<'_>) -> Result<Self, ProviderError> {
        Self::new(settings)
    }

    fn weak_webhook(config: &ZendeskMessagingWebhook) -> Option<WeakWebhook> {
        WeakWebhook::short("secret", &config.secret)
    }

    fn verify_and_parse(config: &ZendeskMessagingWebhook, delivery: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal> {
        webhook::verify(&config.secret, delivery.headers)?;
        Ok(webhook::parse(delivery.body, config)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwt_is_hs256_with_the_key_id() {
        let token = jwt("app_5d8cff3cd55b040010928b5b", "secret");
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "HS256");
        assert_eq!(header["kid"], "app_5d8cff3cd55b040010928b5b");
        let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(payload, json!({"scope": "app"}));
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(format!("{}.{}", parts[0], parts[1]).as_bytes());
        mac.verify_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    }

    #[test]
    fn cut_respects_characters() {
        assert_eq!(cut("héllo", 2), "h");
        assert_eq!(cut("abc", 10), "abc");
    }

    #[test]
    fn config_defaults_and_refusals() {
        let config: ZendeskMessagingSettings = serde_json::from_value(json!({
            "base_url": "https://acme.zendesk.com/sc", "app_id": "app", "key_id": "k", "key_secret": "s"
        }))
        .unwrap();
        assert_eq!(config.agent_switchboard_integration, "zd:agentWorkspace");
        assert_eq!(config.auth, Auth::Basic);
        assert!(config.data_capture && config.release_on_cancel);
        let provider = ZendeskMessaging::new(config.clone()).unwrap();
        assert!(!provider.capabilities().availability_check);
        let empty = ZendeskMessagingSettings { key_secret: " ".into(), ..config };
        assert!(matches!(ZendeskMessaging::new(empty), Err(ProviderError::Config(_))));
    }
}
