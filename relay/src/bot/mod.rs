//! The bot that answers first. Sites get one behind the [`Bot`] trait, so the knowledge-base
//! bot, an LLM bot or a site's own bot are interchangeable.
//!
//! - [`articles`]: help articles (Markdown and HTML) split into sections;
//! - [`library`]: a site's help folder, indexed and reindexed when it changes;
//! - [`knowledge`]: BM25 ranking with a confidence, and the knowledge-base bot.

mod articles;
pub mod knowledge;
pub mod library;

use async_trait::async_trait;
use shared::{Role, Source};

pub use articles::{Article, Articles};
pub use knowledge::KnowledgeBot;
pub use library::Library;

/// One earlier turn of the conversation, oldest first.
#[derive(Debug, Clone)]
pub struct Turn {
    pub role: Role,
    pub text: String,
    /// A bot turn that said it could not answer (it offered a person instead of a source).
    pub unanswered: bool,
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
