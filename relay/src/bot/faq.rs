//! The first bot: answers with the help-article section that shares the most (rare) words with
//! the question. Deliberately simple; the knowledge-base bot of a later issue replaces its
//! ranking behind the same [`Bot`] trait.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use shared::Source;

use super::{Answer, Articles, Bot, Turn};

/// Words too common to say anything about a question.
const STOPWORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "i", "if", "in", "is",
    "it", "my", "of", "on", "or", "our", "the", "to", "we", "what", "when", "where", "which", "will", "with", "you",
    "your", "me", "much", "long", "there", "this", "that", "have", "has", "get", "any", "all", "yet", "per", "hi",
    "hello", "please", "thanks",
];

/// Answers below this score are "I don't know".
const MIN_SCORE: f32 = 1.0;

pub struct FaqBot {
    /// Base URL of the site's articles, e.g. `/help/demo`.
    base_url: String,
    entries: Vec<Entry>,
    idf: HashMap<String, f32>,
}

struct Entry {
    title: String,
    slug: String,
    text: String,
    terms: HashSet<String>,
}

fn terms(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        // Crude stemming: "returns" and "return", "items" and "item" meet.
        .map(|w| if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") { w[..w.len() - 1].to_string() } else { w })
}

impl FaqBot {
    pub fn new(articles: &Articles, base_url: impl Into<String>) -> Self {
        let entries: Vec<Entry> = articles
            .0
            .iter()
            .flat_map(|article| {
                article.sections.iter().map(move |section| Entry {
                    title: article.title.clone(),
                    slug: article.slug.clone(),
                    text: section.text.clone(),
                    terms: terms(&format!("{} {} {}", article.title, section.heading, section.text)).collect(),
                })
            })
            .collect();
        let mut df: HashMap<String, usize> = HashMap::new();
        for entry in &entries {
            for term in &entry.terms {
                *df.entry(term.clone()).or_default() += 1;
            }
        }
        let n = entries.len() as f32;
        let idf = df.into_iter().map(|(t, d)| (t, (1.0 + n / d as f32).ln())).collect();
        Self { base_url: base_url.into(), entries, idf }
    }
}

#[async_trait]
impl Bot for FaqBot {
    async fn answer(&self, question: &str, _history: &[Turn]) -> Answer {
        let asked: HashSet<String> = terms(question).collect();
        let best = self
            .entries
            .iter()
            .map(|entry| {
                let score: f32 =
                    asked.intersection(&entry.terms).map(|t| self.idf.get(t).copied().unwrap_or(0.0)).sum();
                (score, entry)
            })
            .max_by(|a, b| a.0.total_cmp(&b.0));
        match best {
            Some((score, entry)) if score >= MIN_SCORE => Answer {
                text: entry.text.clone(),
                confidence: (score / 4.0).min(1.0),
                source: Some(Source { title: entry.title.clone(), url: format!("{}/{}", self.base_url, entry.slug) }),
            },
            _ => Answer {
                text: "Sorry, I don't know the answer to that yet. I can help with shipping, returns, \
                       sizing, payment and warranty questions."
                    .into(),
                confidence: 0.0,
                source: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn bot() -> FaqBot {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/help");
        FaqBot::new(&Articles::load(&dir), "/help/demo")
    }

    #[tokio::test]
    async fn answers_from_the_matching_article() {
        let bot = bot();
        let cases = [
            ("How long does delivery take?", "shipping"),
            ("How do I return an item?", "returns"),
            ("Do you accept PayPal?", "payment"),
            ("What size of shoes should I order?", "sizing"),
            ("Is there a warranty on defects?", "warranty"),
        ];
        for (question, slug) in cases {
            let answer = bot.answer(question, &[]).await;
            let source = answer.source.unwrap_or_else(|| panic!("no source for {question:?}"));
            assert_eq!(source.url, format!("/help/demo/{slug}"), "{question}");
            assert!(answer.confidence > 0.0);
        }
    }

    #[tokio::test]
    async fn says_so_when_it_cannot_answer() {
        let answer = bot().answer("Can I bring my dog to the moon?", &[]).await;
        assert_eq!(answer.confidence, 0.0);
        assert!(answer.source.is_none());
        assert!(answer.text.contains("don't know"));
    }
}
