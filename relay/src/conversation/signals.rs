//! What a visitor message says beyond its words: does it ask for a person, cancel a pending
//! request, or carry an email address? Pure functions over the site's settings; the brain of
//! a later issue widens the request detection (languages, frustration, rules, topics).

use crate::config::HandoverConfig;

use super::machine::{Reason, Signals};

/// Lower-case words, punctuation dropped: "Never mind!!" → "never mind".
pub fn normalize(text: &str) -> String {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn classify(text: &str, settings: &HandoverConfig) -> Signals {
    let normalized = normalize(text);
    // The cancel intent matches a short message that is one of the phrases, so "cancel my
    // order" is a question, not a cancel.
    let cancel = settings.cancel_phrases.iter().any(|p| normalize(p) == normalized)
        || settings.cancel_intent.eq_ignore_ascii_case(text.trim());
    let padded = format!(" {normalized} ");
    let handover = settings
        .request_phrases
        .iter()
        .map(|p| normalize(p))
        .filter(|p| !p.is_empty())
        .any(|p| padded.contains(&format!(" {p} ")))
        .then_some(Reason::ExplicitRequest);
    Signals { handover, cancel, email: find_email(text) }
}

/// The first thing in `text` shaped like an email address.
pub fn find_email(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')' | '"' | '\''))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ':' | '!' | '?')))
        .find(|w| {
            let Some((local, domain)) = w.split_once('@') else { return false };
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && w.len() <= 254
        })
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> HandoverConfig {
        HandoverConfig::default()
    }

    #[test]
    fn asking_for_a_person_is_recognised() {
        for text in ["Can I talk to a person?", "HUMAN PLEASE", "I want to speak to someone.", "operator"] {
            assert_eq!(classify(text, &settings()).handover, Some(Reason::ExplicitRequest), "{text}");
        }
        assert_eq!(classify("How long does shipping take?", &settings()).handover, None);
    }

    #[test]
    fn the_cancel_intent_needs_the_whole_message() {
        assert!(classify("Never mind!", &settings()).cancel);
        assert!(classify("cancel", &settings()).cancel);
        assert!(classify("cancel_handover", &settings()).cancel, "the intent name itself");
        assert!(!classify("cancel my order please", &settings()).cancel);
    }

    #[test]
    fn emails_are_found_in_sentences() {
        assert_eq!(find_email("sure, it's ada@example.com."), Some("ada@example.com".into()));
        assert_eq!(find_email("<bob.smith@mail.co.uk>"), Some("bob.smith@mail.co.uk".into()));
        assert_eq!(find_email("at @ home"), None);
        assert_eq!(find_email("a@b"), None);
    }
}
