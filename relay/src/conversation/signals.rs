//! What a visitor message says beyond its words: does it ask for a person (or should the bot
//! offer one), cancel a pending request, or carry an email address? Pure functions over the
//! site's settings; the handover triggers themselves live in [`crate::triggers`].

use std::sync::Arc;

use crate::{
    bot::Turn,
    config::HandoverConfig,
    state::Site,
    triggers::{budget, Triggers},
};

use super::machine::Signals;
pub use crate::triggers::Verdict;

/// Lower-case words, punctuation dropped: "Never mind!!" → "never mind".
pub fn normalize(text: &str) -> String {
    text.split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`classify`] with the site's triggers, on the analysis [`budget`] (a blocking thread, in the
/// queue of its weight), so a long message never holds an async worker nor delays a short one;
/// then, when the site's bot has a language model, merged with its reading
/// ([`Triggers::merge`]). What the actor calls for every visitor message.
pub async fn classify_off_workers(site: Arc<Site>, text: String, earlier: Vec<Turn>) -> (Signals, Verdict) {
    let weight = Triggers::weight(&text, &earlier);
    let local = site.clone();
    let (message, history) = (text.clone(), earlier.clone());
    let (signals, verdict) =
        budget::run(weight, move || classify(&message, &history, &local.triggers, &local.config.handover)).await;
    // With a language model, its reading decides requests and frustration and adds the rules
    // it finds; without one, or when it fails or is late, the local verdict stands.
    let rules = site.triggers.rule_briefs();
    match site.bot.classify(&text, &earlier, &rules).await {
        Some(reading) => {
            let verdict = site.triggers.merge(verdict, &reading);
            let signals = Signals {
                handover: verdict.handover.as_ref().map(|t| t.reason),
                offer: verdict.offer.as_ref().map(|t| t.reason),
                ..signals
            };
            (signals, verdict)
        }
        None => (signals, verdict),
    }
}

/// The machine's signals for `text`, and the triggers' full verdict (for the summary and the
/// topic tag). `earlier`: the turns before this message, oldest first.
pub fn classify(text: &str, earlier: &[Turn], triggers: &Triggers, settings: &HandoverConfig) -> (Signals, Verdict) {
    let normalized = normalize(text);
    // The cancel intent matches a short message that is one of the phrases, so "cancel my
    // order" is a question, not a cancel.
    let cancel = settings.all_cancel_phrases().any(|p| normalize(p) == normalized)
        || settings.cancel_intent.eq_ignore_ascii_case(text.trim());
    let verdict = triggers.evaluate(text, earlier);
    let signals = Signals {
        handover: verdict.handover.as_ref().map(|t| t.reason),
        cancel,
        email: find_email(text),
        offer: verdict.offer.as_ref().map(|t| t.reason),
    };
    (signals, verdict)
}

/// The first thing in `text` shaped like an email address.
pub fn find_email(text: &str) -> Option<String> {
    find_emails(text).next()
}

/// Everything in `text` shaped like an email address.
pub fn find_emails(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(is_email_separator).map(trim_email).filter(|w| is_email(w)).map(str::to_string)
}

/// `text` with every email address in it replaced by `mask`, in one pass (a replace per
/// address found would cost the text's length once per address).
pub fn mask_emails(text: &str, mask: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for piece in text.split_inclusive(is_email_separator) {
        let (token, separator) = match piece.char_indices().last() {
            Some((at, c)) if is_email_separator(c) => piece.split_at(at),
            _ => (piece, ""),
        };
        let word = trim_email(token);
        if is_email(word) {
            let start = token.len() - token.trim_start_matches(is_email_trim).len();
            out.push_str(&token[..start]);
            out.push_str(mask);
            out.push_str(&token[start + word.len()..]);
        } else {
            out.push_str(token);
        }
        out.push_str(separator);
    }
    out
}

fn is_email_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | '<' | '>' | '(' | ')' | '"' | '\'')
}

fn is_email_trim(c: char) -> bool {
    matches!(c, '.' | ':' | '!' | '?')
}

fn trim_email(word: &str) -> &str {
    word.trim_matches(is_email_trim)
}

fn is_email(w: &str) -> bool {
    let Some((local, domain)) = w.split_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && w.len() <= 254
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{config::TriggersConfig, conversation::machine::Reason};

    fn classify_default(text: &str) -> Signals {
        let settings = HandoverConfig::default();
        let triggers = Triggers::compile(&TriggersConfig::default(), &settings).unwrap();
        classify(text, &[], &triggers, &settings).0
    }

    #[test]
    fn asking_for_a_person_is_recognised() {
        for text in ["Can I talk to a person?", "HUMAN PLEASE", "I want to speak to someone.", "operator"] {
            assert_eq!(classify_default(text).handover, Some(Reason::ExplicitRequest), "{text}");
        }
        assert_eq!(classify_default("How long does shipping take?").handover, None);
    }

    #[test]
    fn the_cancel_intent_needs_the_whole_message() {
        assert!(classify_default("Never mind!").cancel);
        assert!(classify_default("cancel").cancel);
        assert!(classify_default("cancel_handover").cancel, "the intent name itself");
        assert!(!classify_default("cancel my order please").cancel);
    }

    #[test]
    fn visitors_cancel_in_their_own_language_while_the_site_keeps_the_defaults() {
        for text in ["Abbrechen", "laissez tomber !", "Olvídalo", "lascia perdere", "deixa pra lá", "Laat maar."] {
            assert!(classify_default(text).cancel, "{text}");
        }
        assert!(!classify_default("Abbrechen der Bestellung, wie geht das?").cancel);
        // A site that wrote its own phrases gets only those (and its languages').
        let settings = HandoverConfig { cancel_phrases: vec!["stop".into()], ..HandoverConfig::default() };
        let triggers = Triggers::compile(&TriggersConfig::default(), &settings).unwrap();
        assert!(classify("stop", &[], &triggers, &settings).0.cancel);
        assert!(!classify("abbrechen", &[], &triggers, &settings).0.cancel);
    }

    #[test]
    fn emails_are_found_in_sentences() {
        assert_eq!(find_email("sure, it's ada@example.com."), Some("ada@example.com".into()));
        assert_eq!(find_email("<bob.smith@mail.co.uk>"), Some("bob.smith@mail.co.uk".into()));
        assert_eq!(find_email("at @ home"), None);
        assert_eq!(find_email("a@b"), None);
    }

    #[test]
    fn masking_replaces_every_address_as_a_replace_per_address_did() {
        for text in [
            "write to ada@example.com, or (bob@mail.co.uk)! ada@example.com.",
            "no address here @ all",
            "x:ada@example.com\tand\n<b@c.de>",
            "",
        ] {
            let mut replaced = text.to_string();
            for email in find_emails(text) {
                replaced = replaced.replace(&email, "[email]");
            }
            assert_eq!(mask_emails(text, "[email]"), replaced, "{text:?}");
        }
    }
}
