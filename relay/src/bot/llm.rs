//! The LLM bot: any OpenAI-compatible chat-completions endpoint (OpenAI, a local Ollama or
//! vLLM), grounded on the passages the knowledge-base library retrieves, streaming its answer.
//!
//! The confidence is the retrieval's, known before the model writes a word: below the site's
//! threshold the model is not asked at all and the knowledge-base "cannot answer" stands, so the
//! "cannot answer" trigger (and its auto handover) behaves exactly as with the knowledge-base
//! bot and a visitor never sees a streamed answer that is then withdrawn. Above it, the model
//! answers from the passages only, and says [`NO_ANSWER`] when they do not hold the answer,
//! which turns into the site's "cannot answer" with confidence 0.
//!
//! When the endpoint is down, slow or sends nonsense, the visitor gets the best passage (the
//! knowledge-base answer, with its link), or with `fallback_to_articles = false` the configured
//! unavailable message, which counts as "cannot answer" so a person is offered.

use std::time::Duration;

use async_trait::async_trait;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{
    knowledge::{KnowledgeBot, Passage},
    Answer, Ask, Bot, OnText,
};
use crate::{
    config::LlmConfig,
    event::Role,
    triggers::{budget, Classification},
};

pub mod classify;

/// What the model is told to say, alone, when the passages do not answer the question.
pub const NO_ANSWER: &str = "NO_ANSWER";
/// How many earlier turns the model sees: enough for "and to Austria?" to make sense.
const HISTORY_TURNS: usize = 6;
/// A local endpoint connects at once; a remote one within a few seconds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Why the model gave no answer. Logged; the visitor gets the fallback.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the endpoint answered {status}: {body}")]
    Status { status: reqwest::StatusCode, body: String },
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the stream broke: {0}")]
    Stream(String),
    #[error("the endpoint reported an error: {0}")]
    Endpoint(String),
}

pub struct LlmBot {
    settings: LlmConfig,
    /// Retrieval, the thresholds and the fallback answer.
    knowledge: KnowledgeBot,
    /// The site's guidance rules in plain language.
    rules: Vec<String>,
    client: reqwest::Client,
}

impl LlmBot {
    pub fn new(settings: LlmConfig, knowledge: KnowledgeBot, rules: Vec<String>) -> Self {
        let client = reqwest::Client::builder().connect_timeout(CONNECT_TIMEOUT).build().unwrap_or_default();
        Self { settings, knowledge, rules, client }
    }

    /// The system prompt: the rules of the game, the site's guidance and the passages.
    fn system_prompt(&self, passages: &[(Passage, String)]) -> String {
        let mut prompt = format!(
            "You are a customer support assistant on a website. Answer the visitor's question using ONLY the \
             help passages below. Be brief and friendly, answer in the visitor's language, and do not invent \
             facts, prices, dates or policies. If the passages do not contain the answer, reply with exactly \
             {NO_ANSWER} and nothing else.\n"
        );
        if !self.rules.is_empty() {
            prompt
                .push_str("\nThe site's guidance (a person takes over in these cases; do not handle them yourself):\n");
            for rule in &self.rules {
                prompt.push_str(&format!("- {rule}\n"));
            }
        }
        prompt.push_str("\nHelp passages:\n");
        for (i, (passage, url)) in passages.iter().enumerate() {
            prompt.push_str(&format!(
                "\n[{}] {} — {} ({url})\n{}\n",
                i + 1,
                passage.title,
                passage.heading,
                passage.text
            ));
        }
        prompt
    }

    fn request(&self, ask: Ask<'_>, system: String) -> Value {
        // The history ends with the question itself (the actor stores it first).
        let earlier = match ask.history.split_last() {
            Some((last, rest)) if last.role == Role::Visitor && last.text == ask.question => rest,
            _ => ask.history,
        };
        let mut messages = vec![json!({"role": "system", "content": system})];
        for turn in &earlier[earlier.len().saturating_sub(HISTORY_TURNS)..] {
            let role = if turn.role == Role::Visitor { "user" } else { "assistant" };
            messages.push(json!({"role": role, "content": turn.text}));
        }
        messages.push(json!({"role": "user", "content": ask.question}));
        json!({
            "model": self.settings.model,
            "messages": messages,
            "stream": true,
            "temperature": self.settings.temperature,
        })
    }

    /// Sends the request and reads the answer, calling `on_text` as it grows.
    async fn complete(&self, body: &Value, on_text: OnText<'_>) -> Result<String, LlmError> {
        let timeout = Duration::from_secs(self.settings.timeout_seconds.max(1));
        let url = format!("{}/chat/completions", self.settings.base_url.trim_end_matches('/'));
        let mut request = self.client.post(url).json(body);
        if !self.settings.api_key.is_empty() {
            request = request.bearer_auth(&self.settings.api_key);
        }
        let response =
            tokio::time::timeout(timeout, request.send()).await.map_err(|_| LlmError::Timeout(timeout))??;
        let status = response.status();
        if !status.is_success() {
            let body = response.text().await.unwrap_or_default().chars().take(200).collect();
            return Err(LlmError::Status { status, body });
        }
        let streamed = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        if !streamed {
            // An endpoint that ignores `stream: true` answers with one JSON body.
            let text =
                tokio::time::timeout(timeout, response.text()).await.map_err(|_| LlmError::Timeout(timeout))??;
            let whole: Completion = serde_json::from_str(&text).map_err(|e| LlmError::Stream(e.to_string()))?;
            let text = whole.choices.into_iter().next().and_then(|c| c.message).and_then(|m| m.content);
            return text.ok_or_else(|| LlmError::Stream("no message in the answer".into()));
        }
        let mut events = response.bytes_stream().eventsource();
        let mut text = String::new();
        loop {
            let event = match tokio::time::timeout(timeout, events.next()).await {
                Err(_) => return Err(LlmError::Timeout(timeout)),
                // A stream that ends without `[DONE]` still said what it said.
                Ok(None) => break,
                Ok(Some(Err(error))) => return Err(LlmError::Stream(error.to_string())),
                Ok(Some(Ok(event))) => event,
            };
            let data = event.data.trim();
            if data == "[DONE]" {
                break;
            }
            let chunk: Chunk = match serde_json::from_str(data) {
                Ok(chunk) => chunk,
                Err(error) => {
                    // Keep-alives and vendor extras: skip what is not a chunk.
                    tracing::debug!(%error, data, "skipping an unreadable stream event");
                    continue;
                }
            };
            if let Some(error) = chunk.error {
                return Err(LlmError::Endpoint(error.to_string()));
            }
            let delta = chunk.choices.into_iter().next().and_then(|c| c.delta).and_then(|d| d.content);
            let Some(delta) = delta.filter(|d| !d.is_empty()) else { continue };
            text.push_str(&delta);
            if text.chars().count() > shared::MAX_MESSAGE_CHARS {
                tracing::warn!("the model's answer is too long; cut");
                break;
            }
            // Never show the start of the "no answer" marker as a draft.
            let start = text.trim_start();
            if !(NO_ANSWER.starts_with(start) || start.starts_with(NO_ANSWER)) {
                on_text(start);
            }
        }
        Ok(text)
    }
}

/// How the model is asked to write the agent's summary.
const SUMMARY_PROMPT: &str = "You write the note a support agent reads before taking over a chat from a bot. \
In at most four short sentences, in English: what the visitor needs, what the bot already answered or could not, \
why the chat is handed over, and the visitor's language. Keep every fact from the notes exactly as written \
(order numbers, email addresses, phone numbers, links). Do not invent anything.";

#[async_trait]
impl Bot for LlmBot {
    async fn write_summary(&self, extractive: &str, history: &[super::Turn]) -> Option<String> {
        let transcript: Vec<String> = history
            .iter()
            .map(|t| format!("{}: {}", if t.role == Role::Visitor { "Visitor" } else { "Bot" }, t.text))
            .collect();
        let body = json!({
            "model": self.settings.model,
            "stream": false,
            "temperature": 0.2,
            "messages": [
                {"role": "system", "content": SUMMARY_PROMPT},
                {"role": "user", "content": format!("Notes:\n{extractive}\n\nConversation:\n{}", transcript.join("\n"))},
            ],
        });
        match self.complete(&body, &|_| {}).await {
            Ok(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
            Ok(_) => None,
            Err(error) => {
                tracing::warn!(%error, "the model could not write the summary; the extractive one is used");
                None
            }
        }
    }

    async fn answer(&self, ask: Ask<'_>) -> Answer {
        self.answer_streaming(ask, &|_| {}).await
    }

    async fn classify(
        &self,
        message: &str,
        history: &[super::Turn],
        rules: &[(String, String)],
    ) -> Option<Classification> {
        if !self.settings.classify {
            return None;
        }
        match self.classify_message(message, history, rules).await {
            Ok(reading) => Some(reading),
            Err(error) => {
                tracing::warn!(model = %self.settings.model, %error, "no reading from the model; the local triggers decide");
                None
            }
        }
    }

    async fn answer_streaming(&self, ask: Ask<'_>, on_text: OnText<'_>) -> Answer {
        // The search runs on the analysis budget's threads, like the knowledge bot's: a
        // pathological question never holds an async worker.
        let (knowledge, question, n) =
            (self.knowledge.clone(), ask.question.to_string(), self.settings.passages.max(1));
        let grounding = budget::run(budget::Weight::Light, move || knowledge.ground(&question, n)).await;
        // Below the threshold the knowledge-base "cannot answer" stands; see the module docs.
        if grounding.answer.source.is_none() {
            return grounding.answer;
        }
        let body = self.request(ask, self.system_prompt(&grounding.passages));
        match self.complete(&body, on_text).await {
            Ok(text) if text.trim().starts_with(NO_ANSWER) => {
                Answer { text: self.knowledge.cannot_answer().to_string(), confidence: 0.0, ..Answer::default() }
            }
            Ok(text) if !text.trim().is_empty() => Answer { text: text.trim().to_string(), ..grounding.answer },
            outcome => {
                let why = outcome.err().map_or_else(|| "an empty answer".to_string(), |e| e.to_string());
                tracing::warn!(model = %self.settings.model, %why, "the LLM gave no answer; falling back");
                if self.settings.fallback_to_articles {
                    grounding.answer
                } else {
                    Answer { text: self.settings.unavailable_message.clone(), confidence: 0.0, ..Answer::default() }
                }
            }
        }
    }
}

/// One `data:` event of the stream; every field optional so vendors' variations parse.
#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
    #[serde(default)]
    error: Option<Value>,
}

/// A whole (non-streamed) answer.
#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Content>,
    #[serde(default)]
    message: Option<Content>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    content: Option<String>,
}

#[cfg(test)]
mod tests;
