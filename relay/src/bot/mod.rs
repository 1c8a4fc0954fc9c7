//! The bot that answers first. Sites get one behind the [`Bot`] trait, so the knowledge-base
//! bot, an LLM bot or a site's own bot are interchangeable.
//!
//! - [`articles`]: help articles (Markdown and HTML) split into sections;
//! - [`library`]: a site's help folder, indexed and reindexed when it changes;
//! - [`knowledge`]: BM25 ranking with a confidence, and the knowledge-base bot;
//! - [`llm`]: an OpenAI-compatible chat-completions endpoint, grounded on the retrieved
//!   passages, streaming its answer;
//! - [`rasa`]: the site's own bot behind a Rasa REST channel webhook;
//! - [`build`]: the bot a site's `[sites.<key>.bot]` asks for.

mod articles;
pub mod knowledge;
pub mod library;
pub mod llm;
pub mod rasa;

use std::sync::Arc;

use async_trait::async_trait;

use crate::{
    config::{BotConfig, SiteConfig},
    event::{QuickReply, Role, Source},
    triggers::Classification,
};

pub use articles::{Article, Articles};
pub use knowledge::KnowledgeBot;
pub use library::Library;
pub use llm::LlmBot;
pub use rasa::RasaBot;

/// One earlier turn of the conversation, oldest first.
#[derive(Debug, Clone)]
pub struct Turn {
    pub role: Role,
    pub text: String,
    /// A bot turn that said it could not answer (it offered a person instead of a source).
    pub unanswered: bool,
}

/// What the bot is asked.
#[derive(Debug, Clone, Copy)]
pub struct Ask<'a> {
    /// The conversation, for bots that keep their own state per conversation (Rasa's `sender`).
    pub conversation_id: &'a str,
    /// The visitor's newest message.
    pub question: &'a str,
    /// The conversation before it.
    pub history: &'a [Turn],
}

impl<'a> Ask<'a> {
    /// A question without a conversation (tests, evaluation).
    pub fn new(question: &'a str) -> Self {
        Self { conversation_id: "", question, history: &[] }
    }
}

/// What the bot says back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub text: String,
    /// How sure the bot is, from 0 (no idea) to 1.
    pub confidence: f32,
    /// The help article the answer is drawn from.
    pub source: Option<Source>,
    /// Buttons under the answer (an external bot's own buttons).
    pub quick_replies: Vec<QuickReply>,
    /// The bot asks for a person (an external bot's `{"handover": true}`): the answer, if any,
    /// is posted and the conversation is handed over.
    pub handover: bool,
}

/// Called with the whole answer so far, each time it grows (not with the new part only), so a
/// receiver that skips calls still shows the right text.
pub type OnText<'a> = &'a (dyn Fn(&str) + Send + Sync);

#[async_trait]
pub trait Bot: Send + Sync + 'static {
    /// Answers the visitor's newest message, given the conversation so far.
    async fn answer(&self, ask: Ask<'_>) -> Answer;

    /// Like [`Bot::answer`], showing the answer while it is written. Bots that answer at once
    /// keep this default.
    async fn answer_streaming(&self, ask: Ask<'_>, on_text: OnText<'_>) -> Answer {
        let _ = on_text;
        self.answer(ask).await
    }

    /// The handover summary in the bot's own words, from the extractive summary and the
    /// conversation; `None` keeps the extractive one (bots without a model, or a model that
    /// failed). The caller keeps the extractive summary unless every fact survived.
    async fn write_summary(&self, extractive: &str, history: &[Turn]) -> Option<String> {
        let _ = (extractive, history);
        None
    }

    /// A language model's reading of the visitor's newest message for the handover triggers,
    /// given the conversation before it and the site's guidance rules (name, description);
    /// `None` (bots without a model, a model that failed or was slow) leaves the local
    /// detectors' verdict.
    async fn classify(&self, message: &str, history: &[Turn], rules: &[(String, String)]) -> Option<Classification> {
        let _ = (message, history, rules);
        None
    }
}

/// The bot a site asked for. Every kind answers "cannot answer" with the site's wording below
/// the site's threshold (0 when the trigger is off), so the trigger works the same for all.
pub fn build(key: &str, site: &SiteConfig, library: Arc<Library>) -> Arc<dyn Bot> {
    let cannot_answer = &site.triggers.cannot_answer;
    let min_confidence = if cannot_answer.enabled { cannot_answer.min_confidence } else { 0.0 };
    let knowledge = KnowledgeBot::new(library, format!("/help/{key}"), min_confidence, cannot_answer.message.clone());
    match &site.bot {
        BotConfig::Knowledge => Arc::new(knowledge),
        BotConfig::Llm(settings) => {
            let rules = site.triggers.rules.iter().map(|r| r.description.clone()).filter(|d| !d.is_empty()).collect();
            Arc::new(LlmBot::new(settings.clone(), knowledge, rules))
        }
        BotConfig::Rasa(settings) => Arc::new(RasaBot::new(settings.clone(), cannot_answer.message.clone())),
    }
}
