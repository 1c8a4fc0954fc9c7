//! The site's own bot behind a webhook in the Rasa REST channel format, so teams that already
//! run Rasa (or Botpress and others with a Rasa-compatible channel) keep their bot and gain
//! Baton's handover.
//!
//! `POST {url}` with `{"sender": "<conversation id>", "message": "<text>"}`; the answer is a
//! JSON array of `{"recipient_id", "text"?, "buttons"?: [{"title", "payload"}], "image"?,
//! "custom"?}`. Texts are joined into one message (images as their address on a line of their
//! own), buttons become quick replies whose payload is sent back as the visitor's text (Rasa's
//! `/intent` payloads work as they do in Rasa's own widgets), and a `custom` payload
//! `{"handover": true}` asks for a person: whatever text came with it is posted, then the
//! conversation is handed over (reason `rule`, "the site's bot asked for a person").
//!
//! The confidence is 1 when the bot said anything and 0 when it returned nothing, so an empty
//! answer is Baton's "cannot answer". An unreachable bot says the configured unavailable
//! message, also with confidence 0.

use std::time::Duration;

use async_trait::async_trait;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Answer, Ask, Bot};
use crate::config::RasaConfig;
use crate::event::QuickReply;

/// Why the webhook gave no answer. Logged; the visitor gets the unavailable message.
#[derive(Debug, thiserror::Error)]
pub enum RasaError {
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the bot answered {0}")]
    Status(reqwest::StatusCode),
    #[error("unreadable answer: {0}")]
    Body(String),
}

pub struct RasaBot {
    settings: RasaConfig,
    /// The site's "cannot answer" wording, for an empty answer.
    cannot_answer: String,
    client: reqwest::Client,
}

/// One message of the bot's answer. Unknown fields (`attachment`, ...) are ignored.
#[derive(Debug, Default, Deserialize)]
pub struct Reply {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub buttons: Vec<Button>,
    #[serde(default)]
    pub image: Option<String>,
    #[serde(default)]
    pub custom: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct Button {
    pub title: String,
    #[serde(default)]
    pub payload: Option<String>,
}

impl RasaBot {
    pub fn new(settings: RasaConfig, cannot_answer: String) -> Self {
        let timeout = Duration::from_secs(settings.timeout_seconds.max(1));
        let client = reqwest::Client::builder().timeout(timeout).build().unwrap_or_default();
        Self { settings, cannot_answer, client }
    }

    async fn call(&self, ask: Ask<'_>) -> Result<Vec<Reply>, RasaError> {
        let body = json!({"sender": ask.conversation_id, "message": ask.question});
        let response = self.client.post(&self.settings.url).json(&body).send().await?;
        if !response.status().is_success() {
            return Err(RasaError::Status(response.status()));
        }
        let text = response.text().await?;
        // Rasa answers `[]` for nothing to say; some bots answer an empty body or `null`.
        if text.trim().is_empty() || text.trim() == "null" {
            return Ok(Vec::new());
        }
        serde_json::from_str(&text).map_err(|e| RasaError::Body(e.to_string()))
    }

    /// The bot's messages as one answer.
    pub fn merge(&self, replies: Vec<Reply>) -> Answer {
        let mut lines = Vec::new();
        let mut quick_replies = Vec::new();
        let mut handover = false;
        for reply in replies {
            lines.extend(reply.text.filter(|t| !t.trim().is_empty()));
            lines.extend(reply.image.filter(|i| !i.trim().is_empty()));
            quick_replies.extend(reply.buttons.into_iter().map(|b| QuickReply {
                payload: b.payload.unwrap_or_else(|| b.title.clone()),
                title: b.title,
                action: None,
            }));
            handover |= reply.custom.as_ref().and_then(|c| c.get("handover")).and_then(Value::as_bool) == Some(true);
        }
        let said = !lines.is_empty() || !quick_replies.is_empty() || handover;
        let text = if said { lines.join("\n\n") } else { self.cannot_answer.clone() };
        Answer { text, confidence: if said { 1.0 } else { 0.0 }, source: None, quick_replies, handover }
    }
}

#[async_trait]
impl Bot for RasaBot {
    async fn answer(&self, ask: Ask<'_>) -> Answer {
        match self.call(ask).await {
            Ok(replies) => self.merge(replies),
            Err(error) => {
                tracing::warn!(url = %self.settings.url, %error, "the site's bot gave no answer");
                Answer { text: self.settings.unavailable_message.clone(), ..Answer::default() }
            }
        }
    }
}

#[cfg(test)]
mod tests;
