//! The handover triggers: what in a visitor's message (and the conversation before it) should
//! bring in a person, and why. Pure functions over the site's compiled settings; the actor
//! calls [`Triggers::evaluate`] for every visitor message and feeds the verdict to the machine.
//!
//! - [`text`]: folding and splitting text the same way everywhere;
//! - [`learn`]: the learned detectors (asking for a person, frustration): linear models over
//!   character n-grams, words and the conversation, trained from `relay/data/triggers/` by
//!   `baton-train`, combined with the precise rules;
//! - [`request`]: the rules for asking for a person (and refusing one), in seven languages,
//!   with typos;
//! - [`frustration`]: the rules' 0..1 score from the message and the conversation (one of the
//!   frustration model's inputs);
//! - [`rules`]: guidance rules and topics from the configuration; [`guidance`]: what makes
//!   them usable (names, limits), checked at load and by the dashboard;
//! - [`language`]: the visitor's language, for the summary;
//! - [`budget`]: where the analyses run (blocking threads, a few at a time), so a flood of
//!   long messages never holds the async workers.
//!
//! The fifth trigger, "cannot answer", needs the bot's confidence and is decided where the bot
//! answers (the actor's `ask_bot`).

pub mod budget;
pub mod frustration;
pub mod guidance;
pub mod language;
pub mod learn;
#[cfg(test)]
mod meter;
pub mod request;
pub mod rules;
pub mod text;

use crate::{
    bot::Turn,
    config::{FrustrationAction, HandoverConfig, TriggersConfig},
    conversation::machine::Reason,
};

use rules::{Rule, Topic};
use text::Phrases;

#[derive(Debug, thiserror::Error)]
pub enum TriggerError {
    #[error("rule {rule:?}: pattern {pattern:?} {message}")]
    Pattern { rule: String, pattern: String, message: String },
    #[error(transparent)]
    Guidance(#[from] guidance::Problem),
    #[error("{setting} must be between 0 and 1, not {value}")]
    OutOfRange { setting: &'static str, value: f32 },
}

/// The most of a message's own text (bytes, as written) that the rules' regular expressions
/// and the shouting and "!!" checks read: a message of the longest allowed length in any
/// script (four bytes a character at most). The regex engine is linear in this; the cap only
/// matters for text that did not come through a message limit.
pub const MAX_PATTERN_BYTES: usize = 4 * shared::MAX_MESSAGE_CHARS;

/// `text` cut to at most `max` bytes, at a character boundary.
pub fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A trigger that fired, with what the agent should read about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Trigger {
    pub reason: Reason,
    /// "the visitor asked for a person", "rule: safety issue", "topic: billing dispute", …
    pub detail: String,
}

/// What the triggers make of one visitor message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdict {
    /// Hand over now.
    pub handover: Option<Trigger>,
    /// Offer a person (frustration with `action = "offer"`).
    pub offer: Option<Trigger>,
    /// The topic the message is about, if a configured one.
    pub topic: Option<String>,
    /// The frustration score, 0..1.
    pub frustration: f32,
    /// What each trigger found, before the most specific was chosen (for [`Triggers::merge`]).
    pub found: Found,
}

/// What each trigger found in a message.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    /// A guidance rule that matched (keywords, patterns or its description).
    pub rule: Option<Trigger>,
    /// An always-human topic.
    pub always_human: Option<Trigger>,
    /// The visitor asked for a person (the explicit-request trigger, when on).
    pub asked: bool,
    /// One of the site's own request phrases matched (exact words: stays when a model answers).
    pub phrase: bool,
}

/// What a language model made of a visitor message (`bot::Bot::classify`): it asks for a
/// person, sounds frustrated, and which of the site's guidance rules (by name) apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Classification {
    pub handover: bool,
    pub frustrated: bool,
    pub rules: Vec<String>,
}

/// A site's triggers, compiled from its configuration.
pub struct Triggers {
    config: TriggersConfig,
    /// The site's own request phrases (`handover.request_phrases`), on top of the detector.
    extra_requests: Phrases,
    rules: Vec<Rule>,
    topics: Vec<Topic>,
}

impl Triggers {
    pub fn compile(config: &TriggersConfig, handover: &HandoverConfig) -> Result<Self, TriggerError> {
        for (setting, value) in [
            ("frustration.threshold", config.frustration.threshold),
            ("cannot_answer.min_confidence", config.cannot_answer.min_confidence),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(TriggerError::OutOfRange { setting, value });
            }
        }
        if let Some(problem) = guidance::problems(config).into_iter().next() {
            return Err(problem.into());
        }
        Ok(Self {
            config: config.clone(),
            extra_requests: Phrases::new(&handover.request_phrases),
            rules: config.rules.iter().map(Rule::compile).collect::<Result<_, _>>()?,
            topics: config.topics.iter().map(Topic::compile).collect(),
        })
    }

    /// How heavy [`Triggers::evaluate`] of `text` after `earlier` is, from the folded text it
    /// reads (folding is the cheap part): the newest message, and the earlier visitor messages
    /// at a quarter, since only the cheap analyses read them.
    pub fn weight(text: &str, earlier: &[Turn]) -> budget::Weight {
        let earlier = &earlier[earlier.len().saturating_sub(frustration::MAX_EARLIER_TURNS)..];
        let earlier_bytes: usize = earlier
            .iter()
            .filter(|t| t.role == crate::event::Role::Visitor)
            .map(|t| text::fold_to(&t.text, frustration::MAX_EARLIER_BYTES).len())
            .sum();
        budget::Weight::of(text::fold(text).len() + earlier_bytes / 4)
    }

    pub fn config(&self) -> &TriggersConfig {
        &self.config
    }

    /// Does the visitor ask for a person in `text`? (The explicit-request trigger alone.)
    pub fn asks_for_person(&self, text: &str) -> bool {
        self.asks_in(&learn::Message::read(text), &text::words(text))
    }

    fn asks_in(&self, message: &learn::Message<'_>, words: &[String]) -> bool {
        learn::asks_for_person(message) || self.extra_requests.find(words).is_some()
    }

    /// Judges `text`, given the turns before it (oldest first). A rule outranks an
    /// always-human topic, which outranks the visitor's words, which outrank frustration: the
    /// most specific reason is the one the agent reads.
    ///
    /// The message is folded and split once, and every analysis reads capped lengths (see
    /// [`text::MAX_FOLDED_BYTES`], [`MAX_PATTERN_BYTES`] and the caps in [`frustration`]), so
    /// the cost is bounded whatever the visitor sends.
    pub fn evaluate(&self, text: &str, earlier: &[Turn]) -> Verdict {
        let words = text::words(text);
        let message = learn::Message::read(text);
        let phrase = self.config.explicit_request.enabled && self.extra_requests.find(&words).is_some();
        let asked = (self.config.explicit_request.enabled && learn::asks_for_person(&message)) || phrase;
        let text = clip(text, MAX_PATTERN_BYTES);
        let topic = self.topics.iter().find(|t| t.matches(&words));
        let frustration =
            if self.config.frustration.enabled { learn::frustration_score(&message, earlier) } else { 0.0 };
        let rule = self
            .rules
            .iter()
            .find(|r| r.matches(text, &words))
            .map(|rule| Trigger { reason: Reason::Rule, detail: format!("rule: {}", rule.name) });
        let always_human = topic.filter(|t| t.always_human).map(|topic| Trigger {
            reason: Reason::Topic,
            detail: format!("topic: {} (always handled by a person)", topic.name),
        });
        self.decide(Found { rule, always_human, asked, phrase }, topic.map(|t| t.name.clone()), frustration)
    }

    /// The local verdict with a language model's reading of the same message: the model
    /// decides whether the visitor asks for a person and is frustrated, and adds the guidance
    /// rules it found (a rule only described in words works then); what the local triggers are
    /// certain of stays: a rule's keywords or patterns, an always-human topic, the site's own
    /// request phrases.
    pub fn merge(&self, local: Verdict, model: &Classification) -> Verdict {
        let mut found = local.found;
        found.asked = self.config.explicit_request.enabled && model.handover || found.phrase;
        if found.rule.is_none() {
            found.rule = model.rules.iter().find_map(|name| self.rules.iter().find(|r| &r.name == name)).map(|rule| {
                Trigger { reason: Reason::Rule, detail: format!("rule: {} (as the language model read it)", rule.name) }
            });
        }
        let threshold = self.config.frustration.threshold;
        let frustration = match (self.config.frustration.enabled, model.frustrated) {
            (false, _) => 0.0,
            (true, true) => local.frustration.max(threshold),
            // Just under the threshold: the model's "no" decides, the score still shows.
            (true, false) => local.frustration.min((threshold - 0.01).max(0.0)),
        };
        self.decide(found, local.topic, frustration)
    }

    /// The verdict from what each trigger found. A rule outranks an always-human topic, which
    /// outranks the visitor's words, which outrank frustration.
    fn decide(&self, found: Found, topic: Option<String>, frustration: f32) -> Verdict {
        let asked = found
            .asked
            .then(|| Trigger { reason: Reason::ExplicitRequest, detail: "the visitor asked for a person".into() });
        let frustrated =
            (self.config.frustration.enabled && frustration >= self.config.frustration.threshold).then(|| Trigger {
                reason: Reason::Frustration,
                detail: format!("the visitor seems frustrated (score {frustration:.2})"),
            });
        let (handover, offer) = match found.rule.clone().or(found.always_human.clone()).or(asked) {
            Some(trigger) => (Some(trigger), None),
            None => match self.config.frustration.action {
                FrustrationAction::Handover => (frustrated, None),
                FrustrationAction::Offer => (None, frustrated),
            },
        };
        Verdict { handover, offer, topic, frustration, found }
    }

    /// The site's guidance rules as a language model is given them: (name, description).
    pub fn rule_briefs(&self) -> Vec<(String, String)> {
        self.rules.iter().map(|r| (r.name.clone(), r.description.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn triggers(config: TriggersConfig) -> Triggers {
        Triggers::compile(&config, &HandoverConfig::default()).unwrap()
    }

    #[test]
    fn each_trigger_gives_its_reason() {
        let t = triggers(TriggersConfig::default());
        let reason = |text: &str| t.evaluate(text, &[]).handover.map(|h| h.reason);
        assert_eq!(reason("Can I talk to a person?"), Some(Reason::ExplicitRequest));
        assert_eq!(reason("The battery caught fire, can I talk to a person?"), Some(Reason::Rule));
        assert_eq!(reason("I opened a chargeback with my bank"), Some(Reason::Topic));
        assert_eq!(reason("THIS IS USELESS, YOU STUPID BOT"), Some(Reason::Frustration));
        assert_eq!(reason("How long does shipping take?"), None);
        assert_eq!(t.evaluate("Where is my order? It has not arrived", &[]).topic.as_deref(), Some("order status"));
    }

    #[test]
    fn frustration_may_offer_instead_and_triggers_switch_off() {
        let mut config = TriggersConfig::default();
        config.frustration.action = FrustrationAction::Offer;
        config.explicit_request.enabled = false;
        let t = triggers(config);
        let verdict = t.evaluate("THIS IS USELESS, YOU STUPID BOT", &[]);
        assert_eq!((verdict.handover, verdict.offer.map(|o| o.reason)), (None, Some(Reason::Frustration)));
        assert_eq!(t.evaluate("Can I talk to a person?", &[]).handover, None);
    }

    #[test]
    fn thresholds_are_checked() {
        let mut config = TriggersConfig::default();
        config.frustration.threshold = 1.5;
        assert!(matches!(Triggers::compile(&config, &HandoverConfig::default()), Err(TriggerError::OutOfRange { .. })));
    }
}

#[cfg(test)]
mod merge_tests {
    use super::*;
    use crate::config::RuleConfig;

    #[test]
    fn a_models_reading_decides_requests_and_frustration_and_adds_described_rules() {
        let mut config = TriggersConfig::default();
        config.rules.push(RuleConfig {
            name: "legal threat".into(),
            description: "If the visitor threatens legal action, hand over.".into(),
            ..RuleConfig::default()
        });
        let t = Triggers::compile(&config, &HandoverConfig::default()).unwrap();
        let says = |handover, frustrated, rules: &[&str]| Classification {
            handover,
            frustrated,
            rules: rules.iter().map(|r| r.to_string()).collect(),
        };
        let local = t.evaluate("I will see you in court over this", &[]);
        assert_eq!(local.handover, None);
        let merged = t.merge(local.clone(), &says(false, false, &["legal threat"]));
        assert_eq!(merged.handover.map(|h| h.reason), Some(Reason::Rule));
        assert_eq!(
            t.merge(local.clone(), &says(true, false, &[])).handover.map(|h| h.reason),
            Some(Reason::ExplicitRequest)
        );
        let frustrated = t.merge(local, &says(false, true, &[]));
        assert_eq!(frustrated.handover.map(|h| h.reason), Some(Reason::Frustration));
        // The model's "no" overrules the local request detector, not a rule's keywords.
        let asked = t.evaluate("Can I talk to a person?", &[]);
        assert_eq!(t.merge(asked, &says(false, false, &[])).handover, None);
        let fire = t.evaluate("The battery caught fire", &[]);
        assert_eq!(t.merge(fire, &says(false, false, &[])).handover.map(|h| h.reason), Some(Reason::Rule));
        assert_eq!(t.rule_briefs().last().map(|(name, _)| name.as_str()), Some("legal threat"));
    }
}
