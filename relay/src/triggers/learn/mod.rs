//! The learned detectors: logistic regression over hashed character n-grams and words (and,
//! for frustration, facts about the conversation), trained by `baton-train` from the corpus in
//! `relay/data/triggers/` and checked in beside it. The relay reads the weights in place at
//! start ([`models`]); scoring one message is a few hundred hashes and additions.
//!
//! - [`features`]: what a message (and its conversation) looks like to the models;
//! - [`model`]: the weights file, read and written;
//! - [`train`]: the training itself (deterministic);
//! - [`corpus`]: the templates, expanded and split into train, development and test parts.

pub mod corpus;
pub mod features;
pub mod model;
pub mod train;

use std::sync::LazyLock;

use crate::bot::Turn;
pub use features::{Grams, Message};
use model::Model;

/// The checked-in weights (written by `baton-train`).
pub const REQUEST_MODEL: &[u8] = include_bytes!("../../../data/triggers/request.model");
pub const FRUSTRATION_MODEL: &[u8] = include_bytes!("../../../data/triggers/frustration.model");

/// The two models the relay runs.
#[derive(Debug, Clone, Copy)]
pub struct Models {
    pub request: Model<'static>,
    pub frustration: Model<'static>,
}

static MODELS: LazyLock<Models> = LazyLock::new(|| Models {
    request: Model::read(REQUEST_MODEL).expect("the checked-in request model reads"),
    frustration: Model::read(FRUSTRATION_MODEL).expect("the checked-in frustration model reads"),
});

/// The checked-in models, read once.
pub fn models() -> &'static Models {
    &MODELS
}

/// What the request rules say of a message: it asks for a person, or refuses one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleReading {
    pub asks: bool,
    pub refuses: bool,
}

/// What scores features: the checked-in [`Model`] at run time, the trainer's weights while
/// it chooses a threshold (both read a message the same way through this).
pub trait Scorer {
    fn probability(&self, features: &features::Features) -> f32;
}

impl Scorer for Model<'_> {
    fn probability(&self, features: &features::Features) -> f32 {
        Model::probability(self, features)
    }
}

impl Scorer for train::Weights {
    fn probability(&self, features: &features::Features) -> f32 {
        train::Weights::probability(self, features)
    }
}

fn rule_facts(rules: RuleReading) -> Vec<String> {
    let mut facts = Vec::new();
    if rules.asks {
        facts.push("rule asks".to_string());
    }
    if rules.refuses {
        facts.push("rule refuses".to_string());
    }
    facts
}

/// What the request model reads of `words` that the rules read as `rules`: the words and
/// their n-grams, within and across words, and the rules' reading as facts.
fn request_reading(words: &[String], rules: RuleReading) -> features::Features {
    features::with_facts(features::text_features(words, Grams::Across), &rule_facts(rules))
}

/// What the frustration model reads of `words` in a conversation of `facts`
/// ([`features::conversation_facts`]): the words and their n-grams within words, and the facts.
fn frustration_reading(words: &[String], facts: &[String]) -> features::Features {
    features::with_facts(features::text_features(words, Grams::Within), facts)
}

/// What the request model reads of a message: its words and n-grams, and what the request
/// rules say of it (asks, refuses), so the model learns where the rules are right.
pub fn request_features(message: &Message<'_>) -> (features::Features, RuleReading) {
    let (asks, refuses) = super::request::read(&message.clauses);
    let rules = RuleReading { asks, refuses };
    (request_reading(&message.words, rules), rules)
}

/// The request probability of a message: the most of the whole message's and each of its
/// sentences' (each with what the rules say of that sentence), so a request said beside a
/// question or a story is read as plainly as alone. The rules' reading of the whole message
/// comes with it.
pub fn request_probability(scorer: &impl Scorer, message: &Message<'_>) -> (f32, RuleReading) {
    let (features, rules) = request_features(message);
    let mut p = scorer.probability(&features);
    for range in &message.sentences {
        let clauses = &message.clauses[range.clone()];
        let (asks, refuses) = super::request::read(clauses);
        p = p.max(scorer.probability(&request_reading(&clauses.concat(), RuleReading { asks, refuses })));
    }
    (p, rules)
}

/// What the frustration model reads of a message after `earlier`: its words and n-grams and
/// the conversation's facts ([`features::conversation_facts`]).
pub fn frustration_features(message: &Message<'_>, earlier: &[Turn]) -> features::Features {
    let facts = features::conversation_facts(message.text, &message.words, earlier);
    frustration_reading(&message.words, &facts)
}

/// The frustration probability of a message after `earlier`: the most of the whole
/// message's and each sentence's, every one with the conversation's facts.
pub fn frustration_probability(scorer: &impl Scorer, message: &Message<'_>, earlier: &[Turn]) -> f32 {
    let facts = features::conversation_facts(message.text, &message.words, earlier);
    let mut p = scorer.probability(&frustration_reading(&message.words, &facts));
    for words in message.sentence_words() {
        p = p.max(scorer.probability(&frustration_reading(&words, &facts)));
    }
    p
}

/// Does the message ask for a person? The model and the rules together ([`decide_request`]).
pub fn asks_for_person(message: &Message<'_>) -> bool {
    let model = &models().request;
    let (p, rules) = request_probability(model, message);
    decide_request(p, rules.asks, rules.refuses, model.threshold)
}

/// How frustrated the visitor sounds (0..1) writing `message` after `earlier`: the frustration
/// model's probability, rescaled so that its threshold (chosen by the trainer) is
/// [`FRUSTRATION_POINT`], the default of `frustration.threshold`. A site that raises or lowers
/// that setting moves along the model's own curve.
pub fn frustration_score(message: &Message<'_>, earlier: &[Turn]) -> f32 {
    let model = &models().frustration;
    let p = frustration_probability(model, message, earlier);
    let t = model.threshold.clamp(0.01, 0.99);
    if p < t {
        FRUSTRATION_POINT * p / t
    } else {
        FRUSTRATION_POINT + (1.0 - FRUSTRATION_POINT) * (p - t) / (1.0 - t)
    }
}

/// The frustration score at the model's threshold: the default `frustration.threshold`.
pub const FRUSTRATION_POINT: f32 = 0.6;

/// Below this probability the model overrules the request rules: they also fire on people
/// mentioned as a topic ("is the agent who packed my order…"), which the model knows better.
pub const RULE_FLOOR: f32 = 0.2;

/// The request decision from its parts: a refusal ("no need for a person") never asks; the
/// rules ask unless the model is sure they are wrong ([`RULE_FLOOR`]); the model asks from its
/// threshold on.
pub fn decide_request(probability: f32, rule: bool, refused: bool, threshold: f32) -> bool {
    !refused && (probability >= threshold || rule && probability >= RULE_FLOOR)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_models_were_trained_on_this_corpus() {
        let digest = corpus::digest();
        assert_eq!(
            models().request.digest,
            digest,
            "the corpus changed: run `cargo run -p baton-relay --bin baton-train`"
        );
        assert_eq!(
            models().frustration.digest,
            digest,
            "the corpus changed: run `cargo run -p baton-relay --bin baton-train`"
        );
    }
}
