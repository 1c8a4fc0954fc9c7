//! Guidance rules and topics from the site's configuration, compiled once: keywords and cues as
//! whole folded words, patterns as regular expressions over the message as written.

use regex::Regex;

use super::{text::Phrases, TriggerError};
use crate::config::{RuleConfig, TopicConfig};

pub struct Rule {
    pub name: String,
    keywords: Phrases,
    patterns: Vec<Regex>,
}

impl Rule {
    pub fn compile(config: &RuleConfig) -> Result<Self, TriggerError> {
        let patterns = config
            .patterns
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|error| TriggerError::Pattern {
                    rule: config.name.clone(),
                    pattern: p.clone(),
                    message: error.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { name: config.name.clone(), keywords: Phrases::new(&config.keywords), patterns })
    }

    pub fn matches(&self, text: &str, words: &[String]) -> bool {
        self.keywords.find(words).is_some() || self.patterns.iter().any(|p| p.is_match(text))
    }
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
    fn a_broken_pattern_is_an_error() {
        let config = RuleConfig { patterns: vec!["(unclosed".into()], ..RuleConfig::default() };
        assert!(matches!(Rule::compile(&config), Err(TriggerError::Pattern { .. })));
    }
}
