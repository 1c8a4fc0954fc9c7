//! The knowledge-base bot: ranks the passages (article sections) of the site's help articles
//! with BM25 (the `bm25` crate: stemming, stop words, Unicode normalisation) and answers with the
//! best one and a link to its article, or says honestly that it cannot answer.
//!
//! BM25 scores are unbounded and grow with the question's length, so they cannot be compared
//! with a threshold as they are. The confidence combines the best score, squashed into 0..1,
//! with how much of the question the passage covers (query terms weighted by rarity): a
//! passage that matches only "order" in "can I pay my order with bitcoin" scores a little but
//! covers little, and stays below the threshold.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use bm25::{Document, Language, SearchEngine, SearchEngineBuilder, Tokenizer};

use super::{library::Library, Answer, Articles, Ask, Bot};
use crate::event::Source;
use crate::triggers::{budget, text};

/// The BM25 score at which the score part of the confidence is one half. Chosen on the demo
/// articles: one rare term matched scores about 2, a question answered by its passage 5 and up.
const SCORE_HALF: f32 = 3.0;
/// The weight of a question term no article uses, relative to the rarest term they do use.
const UNKNOWN_TERM: f32 = 1.5;
/// How many candidates are re-scored for coverage.
const CANDIDATES: usize = 3;
/// How many words of a question are searched. BM25 here costs the question's words times
/// each matching passage's words (the `bm25` crate keeps repeated words, and scans a passage's
/// terms for each), so a pasted page would cost a thousand questions; a chat question is a
/// sentence or two, and its first 64 words carry it.
pub const MAX_QUESTION_WORDS: usize = 64;
/// And at most this much of it (bytes of folded text), so that a search is always light work
/// for the [`budget`], whatever was pasted.
pub const MAX_QUESTION_BYTES: usize = 1024;

/// One section of one article.
#[derive(Debug, Clone)]
pub struct Passage {
    pub slug: String,
    pub title: String,
    pub heading: String,
    pub text: String,
    terms: HashSet<String>,
}

/// The best passage for a question.
#[derive(Debug, Clone)]
pub struct Hit<'a> {
    pub passage: &'a Passage,
    /// The raw BM25 score.
    pub score: f32,
    /// 0..1; see the module documentation.
    pub confidence: f32,
}

pub struct Index {
    engine: SearchEngine<usize>,
    tokenizer: bm25::DefaultTokenizer,
    passages: Vec<Passage>,
    /// Inverse document frequency per term, to weigh coverage.
    idf: HashMap<String, f32>,
}

fn tokenizer() -> bm25::DefaultTokenizer {
    bm25::DefaultTokenizer::new(Language::English)
}

impl Index {
    pub fn build(articles: &Articles) -> Self {
        let tokenizer = tokenizer();
        let passages: Vec<Passage> = articles
            .0
            .iter()
            .flat_map(|article| {
                article.sections.iter().map(|section| Passage {
                    slug: article.slug.clone(),
                    title: article.title.clone(),
                    heading: section.heading.clone(),
                    text: section.text.clone(),
                    terms: HashSet::new(),
                })
            })
            .map(|mut passage| {
                passage.terms = tokenizer.tokenize(&searchable(&passage)).into_iter().collect();
                passage
            })
            .collect();
        let documents = passages.iter().enumerate().map(|(i, p)| Document::new(i, searchable(p)));
        let engine = SearchEngineBuilder::<usize>::with_documents(Language::English, documents).build();
        let mut df: HashMap<&str, usize> = HashMap::new();
        for term in passages.iter().flat_map(|p| p.terms.iter()) {
            *df.entry(term).or_default() += 1;
        }
        let n = passages.len().max(1) as f32;
        let idf = df.into_iter().map(|(t, d)| (t.to_string(), (1.0 + n / d as f32).ln())).collect();
        Self { engine, tokenizer, passages, idf }
    }

    /// The best passage for `question` with its confidence, or `None` when nothing matches.
    pub fn search(&self, question: &str) -> Option<Hit<'_>> {
        self.top(question, 1).into_iter().next()
    }

    /// The best `n` passages for `question`, most confident first (the LLM bot's grounding).
    pub fn top(&self, question: &str, n: usize) -> Vec<Hit<'_>> {
        let question = searched(question);
        let question = question.as_str();
        let asked: HashSet<String> = self.tokenizer.tokenize(question).into_iter().collect();
        if asked.is_empty() || n == 0 {
            return Vec::new();
        }
        // Terms the articles never use count against coverage more than any known term:
        // "bitcoin" is exactly what makes "can I pay with bitcoin" unanswerable.
        let unknown_weight = UNKNOWN_TERM * self.idf.values().copied().fold(1.0_f32, f32::max);
        let weight = |t: &String| self.idf.get(t).copied().unwrap_or(unknown_weight);
        let total: f32 = asked.iter().map(weight).sum();
        let mut hits: Vec<Hit<'_>> = self
            .engine
            .search(question, n.max(CANDIDATES))
            .into_iter()
            .filter_map(|result| {
                let passage = self.passages.get(result.document.id)?;
                let covered: f32 = asked.iter().filter(|t| passage.terms.contains(*t)).map(weight).sum();
                let coverage = if total > 0.0 { covered / total } else { 0.0 };
                let strength = result.score / (result.score + SCORE_HALF);
                let confidence = (coverage * strength).clamp(0.0, 1.0);
                Some(Hit { passage, score: result.score, confidence })
            })
            .collect();
        hits.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        hits.truncate(n);
        hits
    }
}

/// The part of a question that is searched: transliterated as the tokenizer would (capped at
/// [`MAX_QUESTION_BYTES`], see [`text::fold_to`]), cut after [`MAX_QUESTION_WORDS`] words.
fn searched(question: &str) -> String {
    let mut folded = text::fold_to(question, MAX_QUESTION_BYTES).into_owned();
    let mut words = 0;
    let mut in_word = false;
    let cut = folded.bytes().position(|b| {
        let starts = b.is_ascii_alphanumeric() && !in_word;
        in_word = b.is_ascii_alphanumeric();
        words += usize::from(starts);
        words > MAX_QUESTION_WORDS
    });
    if let Some(cut) = cut {
        folded.truncate(cut);
    }
    folded
}

/// What is searched: the title and heading count as text of the passage.
fn searchable(passage: &Passage) -> String {
    format!("{}. {}. {}", passage.title, passage.heading, passage.text)
}

/// Answers from a [`Library`], which may be reindexed under it at any time. Cheap to clone
/// (the library is shared), so a search can move onto the analysis budget's threads.
#[derive(Clone)]
pub struct KnowledgeBot {
    library: std::sync::Arc<Library>,
    /// Base URL of the site's articles, e.g. `/help/demo`.
    base_url: String,
    /// Below this confidence the bot says it cannot answer.
    min_confidence: f32,
    /// What it says then.
    cannot_answer: String,
}

impl KnowledgeBot {
    pub fn new(
        library: std::sync::Arc<Library>,
        base_url: impl Into<String>,
        min_confidence: f32,
        cannot_answer: impl Into<String>,
    ) -> Self {
        Self { library, base_url: base_url.into(), min_confidence, cannot_answer: cannot_answer.into() }
    }
}

/// What an LLM is grounded on: the best passages with their links, and what the
/// knowledge-base bot itself would answer (its confidence decides whether the model is asked,
/// its answer is the fallback when the model cannot be reached).
pub struct Grounding {
    /// (passage, link to its article), most confident first.
    pub passages: Vec<(Passage, String)>,
    pub answer: Answer,
}

impl KnowledgeBot {
    pub fn min_confidence(&self) -> f32 {
        self.min_confidence
    }

    pub fn cannot_answer(&self) -> &str {
        &self.cannot_answer
    }

    /// The best `n` passages for `question` and the knowledge-base answer.
    pub fn ground(&self, question: &str, n: usize) -> Grounding {
        let shelf = self.library.shelf();
        let hits = shelf.index.top(question, n);
        let answer = self.answer_from(hits.first());
        let passages = hits
            .into_iter()
            .map(|hit| (hit.passage.clone(), format!("{}/{}", self.base_url, hit.passage.slug)))
            .collect();
        Grounding { passages, answer }
    }

    fn answer_from(&self, best: Option<&Hit<'_>>) -> Answer {
        match best {
            Some(hit) if hit.confidence >= self.min_confidence => Answer {
                text: hit.passage.text.clone(),
                confidence: hit.confidence,
                source: Some(Source {
                    title: hit.passage.title.clone(),
                    url: format!("{}/{}", self.base_url, hit.passage.slug),
                }),
                ..Answer::default()
            },
            weak => Answer {
                text: self.cannot_answer.clone(),
                confidence: weak.map_or(0.0, |hit| hit.confidence),
                ..Answer::default()
            },
        }
    }
}

#[async_trait]
impl Bot for KnowledgeBot {
    /// Searches on the analysis [`budget`] (a blocking thread), off the async workers.
    async fn answer(&self, ask: Ask<'_>) -> Answer {
        let shelf = self.library.shelf();
        let question = ask.question.to_string();
        let best = budget::run(budget::Weight::Light, move || {
            shelf.index.search(&question).map(|hit| (hit.passage.clone(), hit.score, hit.confidence))
        })
        .await;
        let hit =
            best.as_ref().map(|(passage, score, confidence)| Hit { passage, score: *score, confidence: *confidence });
        self.answer_from(hit.as_ref())
    }
}

#[cfg(test)]
mod tests;
