//! Intercom (REST API 2.11, SPEC.md section 1): the visitor becomes a lead (found by email when
//! the site signed it, or by Baton's external id, else created; an unverified email only goes
//! into the note), the handover is a conversation started as that lead,
//! the summary an internal note by the bot admin; later visitor messages are replies as the
//! lead; a cancel closes the conversation as the bot admin. Availability: any admin with an
//! inbox seat who is not away.
//!
//! Files: images go along as `attachment_urls` (at most 10, which Intercom documents as image
//! addresses it fetches) on the conversation's creation and on the lead's replies; other files
//! (PDF, text) stay links in the body.

use async_trait::async_trait;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use super::{
    rating_note, with_links, Capabilities, CloseReason, FileLink, Handover, Provider, ProviderError, ProviderKind,
    RemoteThread,
};
use crate::connectors::{
    http,
    json::{person, string_field},
    Field,
};
use crate::connectors::{Connector, Context, Delivery, InboundEvent, Refusal, WeakWebhook};

mod settings;
pub mod webhook;

pub use settings::{IntercomSettings, IntercomWebhook};

pub struct Intercom {
    config: IntercomSettings,
    http: reqwest::Client,
    /// The bot admin, from the configuration or `GET /me` once.
    admin_id: OnceCell<String>,
}

impl Intercom {
    pub fn new(config: IntercomSettings) -> Result<Self, ProviderError> {
        super::settings::require("intercom", &[("access_token", &config.access_token)])?;
        let http = http::client(config.timeout_seconds)?;
        Ok(Self { config, http, admin_id: OnceCell::new() })
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        http::request(&self.http, method, &self.config.base_url, path)
            .bearer_auth(&self.config.access_token)
            .header("Intercom-Version", &self.config.version)
    }

    async fn admin_id(&self) -> Result<String, ProviderError> {
        if let Some(id) = &self.config.admin_id {
            return Ok(id.clone());
        }
        self.admin_id
            .get_or_try_init(|| async {
                let me = http::send_expecting_json(self.request(Method::GET, "/me")).await?;
                string_field(&me, "id").ok_or_else(|| ProviderError::Rejected("GET /me has no admin id".into()))
            })
            .await
            .cloned()
    }

    /// The first contact whose `field` equals `value`: (id, role).
    async fn find_contact(&self, field: &str, value: &str) -> Result<Option<(String, String)>, ProviderError> {
        let body = json!({"query": {"field": field, "operator": "=", "value": value}});
        let found = http::send_expecting_json(self.request(Method::POST, "/contacts/search").json(&body)).await?;
        Ok(found["data"].as_array().and_then(|d| d.first()).and_then(contact_of))
    }

    /// Finds the visitor's contact or creates a lead. (A contact created seconds ago may not be
    /// searchable yet, so a 409 on create searches again.)
    async fn contact(&self, handover: &Handover) -> Result<(String, String), ProviderError> {
        let external_id = format!("baton-{}", handover.conversation_id);
        let email = handover.contact_email();
        if let Some(email) = email {
            if let Some(found) = self.find_contact("email", email).await? {
                return Ok(found);
            }
        }
        if let Some(found) = self.find_contact("external_id", &external_id).await? {
            return Ok(found);
        }
        let mut body = json!({"role": "lead", "external_id": external_id});
        if let Some(email) = email {
            body["email"] = json!(email);
        }
        if let Some(name) = &handover.visitor.name {
            body["name"] = json!(name);
        }
        match http::send_expecting_json(self.request(Method::POST, "/contacts").json(&body)).await {
            Ok(created) => {
                contact_of(&created).ok_or_else(|| ProviderError::Rejected("created contact has no id".into()))
            }
            Err(ProviderError::Rejected(detail)) if detail.starts_with(StatusCode::CONFLICT.as_str()) => {
                let (field, value) = match email {
                    Some(email) => ("email", email),
                    None => ("external_id", external_id.as_str()),
                };
                self.find_contact(field, value).await?.ok_or(ProviderError::Rejected(detail))
            }
            Err(error) => Err(error),
        }
    }
}

/// Intercom's limit of `attachment_urls` per message.
const MAX_ATTACHMENT_URLS: usize = 10;

/// A message's body and `attachment_urls`: the images (the first ten) as attachments, any
/// other file as a link line in the body. A body of images only names them (the body is
/// required).
fn body_and_attachments(text: &str, files: &[FileLink]) -> (String, Vec<String>) {
    let (images, others): (Vec<&FileLink>, Vec<&FileLink>) = files.iter().partition(|f| f.is_image());
    let (attached, over) = images.split_at(images.len().min(MAX_ATTACHMENT_URLS));
    let mut body = with_links(text, others.into_iter().chain(over.iter().copied()));
    if body.is_empty() {
        body = attached.iter().map(|f| format!("📎 {}", f.name)).collect::<Vec<_>>().join("\n");
    }
    (body, attached.iter().map(|f| f.url.clone()).collect())
}

fn contact_of(contact: &Value) -> Option<(String, String)> {
    let id = string_field(contact, "id")?;
    let role = match contact["role"].as_str() {
        Some("user") => "user",
        _ => "lead",
    };
    Some((id, role.to_string()))
}

/// The note agents see first: the summary, the reason and the email, as the HTML notes accept.
fn summary_note(handover: &Handover) -> String {
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut note = format!(
        "<p><b>Baton bot summary</b></p><p>{}</p><p>Reason: {}</p>",
        escape(&handover.summary),
        escape(&handover.reason.replace('_', " "))
    );
    if let Some(line) = handover.email_line() {
        note.push_str(&format!("<p>{}</p>", escape(&line)));
    }
    note
}

#[async_trait]
impl Provider for Intercom {
    fn capabilities(&self) -> Capabilities {
        Capabilities { availability_check: true, rating: true, files: true, ..Capabilities::live_chat() }
    }

    async fn available(&self) -> Result<bool, ProviderError> {
        let admins = http::send_expecting_json(self.request(Method::GET, "/admins")).await?;
        Ok(admins["admins"].as_array().is_some_and(|admins| {
            admins.iter().any(|a| a["has_inbox_seat"].as_bool() != Some(false) && a["away_mode_enabled"] != json!(true))
        }))
    }

    /// `GET /me`: the admin the access token belongs to.
    async fn test_connection(&self) -> Result<String, ProviderError> {
        let me = http::send_expecting_json(self.request(Method::GET, "/me")).await?;
        let admin = person(&me).ok_or_else(|| ProviderError::Rejected("GET /me named no admin".into()))?;
        Ok(format!("Intercom admin {admin}"))
    }

    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError> {
        let admin_id = self.admin_id().await?;
        let (contact, role) = self.contact(handover).await?;
        let mut body = json!({"from": {"type": role, "id": contact}, "body": handover.opening_line()});
        if !handover.files.is_empty() {
            let (text, urls) = body_and_attachments(&handover.opening_line(), &handover.files);
            body["body"] = json!(text);
            if !urls.is_empty() {
                body["attachment_urls"] = json!(urls);
            }
        }
        let message = http::send_expecting_json(self.request(Method::POST, "/conversations").json(&body)).await?;
        let conversation = string_field(&message, "conversation_id")
            .ok_or_else(|| ProviderError::Rejected("POST /conversations answered without conversation_id".into()))?;
        let note =
            json!({"message_type": "note", "type": "admin", "admin_id": admin_id, "body": summary_note(handover)});
        http::send_expecting_json(self.request(Method::POST, &format!("/conversations/{conversation}/reply")).json(&note)).await?;
        Ok(RemoteThread {
            provider: ProviderKind::Intercom,
            conversation,
            user: Some(contact),
            extra: json!({"role": role}),
        })
    }

    async fn forward(&self, thread: &RemoteThread, text: &str, message_id: &str) -> Result<(), ProviderError> {
        self.forward_files(thread, text, &[], message_id).await
    }

    /// A reply as the lead, its images as `attachment_urls`.
    async fn forward_files(
        &self,
        thread: &RemoteThread,
        text: &str,
        files: &[FileLink],
        _message_id: &str,
    ) -> Result<(), ProviderError> {
        let user = thread.user.clone().ok_or_else(|| ProviderError::Config("thread without a contact".into()))?;
        let (text, urls) = body_and_attachments(text, files);
        let mut body = json!({"message_type": "comment", "type": "user", "intercom_user_id": user, "body": text});
        if !urls.is_empty() {
            body["attachment_urls"] = json!(urls);
        }
        http::send_expecting_json(self.request(Method::POST, &format!("/conversations/{}/reply", thread.conversation)).json(&body))
            .await
            .map(drop)
    }

    /// The conversation's parts hold a visitor comment with this text.
    async fn has_forwarded(
        &self,
        thread: &RemoteThread,
        text: &str,
        _message_id: &str,
    ) -> Result<Option<bool>, ProviderError> {
        let conversation =
            http::send_expecting_json(self.request(Method::GET, &format!("/conversations/{}", thread.conversation))).await?;
        let parts = conversation["conversation_parts"]["conversation_parts"].as_array().cloned().unwrap_or_default();
        Ok(Some(parts.iter().any(|part| {
            part["part_type"] == "comment"
                && matches!(part["author"]["type"].as_str(), Some("user" | "lead" | "contact"))
                && part["body"].as_str().is_some_and(|body| body == text || body == format!("<p>{text}</p>"))
        })))
    }

    /// The bot admin's note (SPEC 1(b) step 3): agents see it, the visitor does not.
    async fn rate(&self, thread: &RemoteThread, score: u8) -> Result<(), ProviderError> {
        let admin_id = self.admin_id().await?;
        let path = format!("/conversations/{}/reply", thread.conversation);
        let note = json!({"message_type": "note", "type": "admin", "admin_id": admin_id,
                          "body": format!("<p>{}</p>", rating_note(score))});
        http::send_expecting_json(self.request(Method::POST, &path).json(&note)).await.map(drop)
    }

    async fn close(&self, thread: &RemoteThread, reason: CloseReason) -> Result<(), ProviderError> {
        let admin_id = self.admin_id().await?;
        let path = format!("/conversations/{}/parts", thread.conversation);
        let body = match reason {
            CloseReason::Cancelled => {
                json!({"message_type": "close", "type": "admin", "admin_id": admin_id, "body": reason.notice()})
            }
            CloseReason::Left => {
                let path = format!("/conversations/{}/reply", thread.conversation);
                let note = json!({"message_type": "note", "type": "admin", "admin_id": admin_id,
                                  "body": format!("<p>{}</p>", reason.notice())});
                return http::send_expecting_json(self.request(Method::POST, &path).json(&note)).await.map(drop);
            }
        };
        http::send_expecting_json(self.request(Method::POST, &path).json(&body)).await.map(drop)
    }
}
impl Connector for Intercom {
    const NAME: &'static str = "intercom";
    const LABEL: &'static str = "Intercom";
    const FIELDS: &'static [Field] = settings::FIELDS;
    const WEBHOOK_FIELDS: &'static [Field] = settings::WEBHOOK_FIELDS;
    type Settings = IntercomSettings;
    type Webhook = IntercomWebhook;

    fn build(settings: IntercomSettings, _: &Context<'_>) -> Result<Self, ProviderError> {
        Self::new(settings)
    }

    fn weak_webhook(config: &IntercomWebhook) -> Option<WeakWebhook> {
        WeakWebhook::short("client_secret", &config.client_secret)
    }

    fn verify_and_parse(config: &IntercomWebhook, delivery: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal> {
        webhook::verify(&config.client_secret, delivery.headers, delivery.body)?;
        Ok(webhook::parse(delivery.body, config)?)
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, content_type: &str) -> FileLink {
        FileLink { name: name.into(), content_type: content_type.into(), size: 1, url: format!("https://relay/{name}") }
    }

    #[test]
    fn images_are_attached_up_to_ten_and_other_files_are_links() {
        let (body, urls) = body_and_attachments("Look", &[file("a.png", "image/png"), file("b.pdf", "application/pdf")]);
        assert_eq!((body.as_str(), urls), ("Look\n📎 b.pdf: https://relay/b.pdf", vec!["https://relay/a.png".to_string()]));
        let (body, urls) = body_and_attachments("", &[file("a.png", "image/png")]);
        assert_eq!((body.as_str(), urls.len()), ("📎 a.png", 1));
        let many: Vec<FileLink> = (0..12).map(|n| file(&format!("{n}.jpg"), "image/jpeg")).collect();
        let (body, urls) = body_and_attachments("", &many);
        assert_eq!(urls.len(), 10);
        assert_eq!(body, "📎 10.jpg: https://relay/10.jpg\n📎 11.jpg: https://relay/11.jpg");
    }
}
