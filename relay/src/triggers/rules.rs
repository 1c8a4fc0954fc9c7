//! Guidance rules and topics from the site's configuration, compiled once: keywords and cues as
//! whole folded words, patterns as regular expressions over the message as written.

use regex::Regex;

use super::{text::Phrases, TriggerError};
use crate::config::{RuleConfig, TopicConfig};

pub struct Rule {
    pub name: String,
    /// The rule in plain language, as configured.
    pub description: String,
    keywords: Phrases,
    patterns: Vec<Regex>,
    /// The description's telling words, each matched by its stem (see [`Described`]).
    described: Described,
}

impl Rule {
    pub fn compile(config: &RuleConfig) -> Result<Self, TriggerError> {
        let patterns = config
            .patterns
            .iter()
            .map(|p| {
                super::guidance::pattern(p).map_err(|message| TriggerError::Pattern {
                    rule: config.name.clone(),
                    pattern: p.clone(),
                    message,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            name: config.name.clone(),
            description: config.description.clone(),
            keywords: Phrases::new(&config.keywords),
            patterns,
            described: Described::new(&config.description),
        })
    }

    pub fn matches(&self, text: &str, words: &[String]) -> bool {
        self.keywords.find(words).is_some()
            || self.patterns.iter().any(|p| p.is_match(text))
            || self.described.matches(words)
    }
}

/// A rule's description read without a language model: its telling words (five letters or
/// more, not one of the words every rule or every shop question uses), each matched by its
/// stem ("overheats" and "overheated", "smokes" and "smoking"). A message matches when it has
/// two of them (one, when the description has only one): a single shared word such as
/// "safety" is too often a question about it.
#[derive(Debug, Default)]
struct Described {
    words: Vec<String>,
}

/// Words of descriptions that say nothing about the situation, in the seven languages.
const GENERIC: &[&str] = &[
    "visitor",
    "visitors",
    "customer",
    "customers",
    "person",
    "people",
    "someone",
    "somebody",
    "human",
    "agent",
    "reports",
    "report",
    "mentions",
    "about",
    "their",
    "there",
    "which",
    "where",
    "should",
    "would",
    "could",
    "always",
    "other",
    "issue",
    "issues",
    "problem",
    "problems",
    "product",
    "products",
    "order",
    "orders",
    "message",
    "something",
    "anything",
    "things",
    "handover",
    "hand",
    "over",
    "team",
    "support",
    "service",
    "besucher",
    "kunde",
    "kunden",
    "person",
    "mensch",
    "meldet",
    "problem",
    "produkt",
    "bestellung",
    "immer",
    "visiteur",
    "client",
    "personne",
    "signale",
    "probleme",
    "produit",
    "commande",
    "toujours",
    "visitante",
    "cliente",
    "persona",
    "problema",
    "producto",
    "pedido",
    "siempre",
    "visitatore",
    "prodotto",
    "ordine",
    "sempre",
    "pessoa",
    "produto",
    "encomenda",
    "bezoeker",
    "klant",
    "persoon",
    "probleem",
    "bestelling",
    "altijd",
];

impl Described {
    fn new(description: &str) -> Self {
        let mut words: Vec<String> = super::text::words(description)
            .into_iter()
            .filter(|w| w.len() >= 5 && !GENERIC.contains(&w.as_str()))
            .collect();
        words.sort();
        words.dedup();
        Self { words }
    }

    fn matches(&self, message: &[String]) -> bool {
        if self.words.is_empty() {
            return false;
        }
        let found = self.words.iter().filter(|d| message.iter().any(|w| same_stem(d, w))).count();
        found >= 2.min(self.words.len())
    }
}

/// Two words share a stem: a common start of at least four letters and two thirds of the
/// shorter word ("smok" of "smokes" and "smoking").
fn same_stem(a: &str, b: &str) -> bool {
    let shorter = a.len().min(b.len());
    if shorter < 4 {
        return false;
    }
    let common = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    common >= 4 && common * 3 >= shorter * 2
}

pub struct Topic {
    pub name: String,
    pub always_human: bool,
    cues: Phrases,
}

impl Topic {
    pub fn compile(config: &TopicConfig) -> Self {
        Self { name: config.name.clone(), always_human: config.always_human, cues: Phrases::new(&config.cues) }
    }

    pub fn matches(&self, words: &[String]) -> bool {
        self.cues.find(words).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::TriggersConfig, triggers::text::words};

    #[test]
    fn the_default_safety_rule_and_dispute_topic() {
        let config = TriggersConfig::default();
        let safety = Rule::compile(&config.rules[0]).unwrap();
        for text in [
            "The battery of my heated jacket caught fire!",
            "my son got burned by the zipper",
            "Der Akku ist ganz heiß geworden und raucht, Rauch überall",
            "La batterie a pris feu",
            "La batería se puso muy caliente",
        ] {
            assert!(safety.matches(text, &words(text)), "{text}");
        }
        for text in ["How do I charge the battery?", "Is the jacket warm enough for winter?", "Burgundy colour?"] {
            assert!(!safety.matches(text, &words(text)), "{text}");
        }
        let dispute = Topic::compile(&config.topics[0]);
        assert!(dispute.always_human);
        assert!(dispute.matches(&words("I filed a chargeback with my bank")));
        assert!(dispute.matches(&words("Ich habe eine Rückbuchung veranlasst")));
        assert!(!dispute.matches(&words("How do I pay by card?")));
    }

    #[test]
    fn a_rule_with_only_a_description_matches_by_its_telling_words() {
        let config = RuleConfig {
            name: "overheating".into(),
            description: "If the visitor says a device overheats, smokes or sparks, hand over to a person.".into(),
            ..RuleConfig::default()
        };
        let rule = Rule::compile(&config).unwrap();
        for text in ["My heater overheated and was smoking", "it sparked and then it overheats"] {
            assert!(rule.matches(text, &words(text)), "{text}");
        }
        for text in ["How do I return the heater?", "Does the device come in red?", "Can I talk to a person?"] {
            assert!(!rule.matches(text, &words(text)), "{text}");
        }
        let safety = Rule::compile(&TriggersConfig::default().rules[0]).unwrap();
        let text = "Is the product safe for children?";
        assert!(!safety.matches(text, &words(text)), "one generic word is not the situation");
    }

    #[test]
    fn a_broken_pattern_is_an_error() {
        let config = RuleConfig { patterns: vec!["(unclosed".into()], ..RuleConfig::default() };
        assert!(matches!(Rule::compile(&config), Err(TriggerError::Pattern { .. })));
    }
}
