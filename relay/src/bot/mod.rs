//! The bot that answers first. Sites get one behind the [`Bot`] trait, so the knowledge-base
//! bot, an LLM bot or a site's own bot are interchangeable.

mod articles;
mod faq;

use async_trait::async_trait;
use shared::{Role, Source};

pub use articles::{Article, Articles};
pub use faq::FaqBot;

/// One earlier turn of the conversation, oldest first.
#[derive(Debug, Clone)]
pub struct Turn {
    pub role: Role,
    pub text: String,
}

/// What the bot says back.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: String,
    /// How sure the bot is, from 0 (no idea) to 1.
    pub confidence: f32,
    /// The help article the answer is drawn from.
    pub source: Option<Source>,
}

#[async_trait]
pub trait Bot: Send + Sync + 'static {
    /// Answers the visitor's newest message, given the conversation so far.
    async fn answer(&self, question: &str, history: &[Turn]) -> Answer;
}
