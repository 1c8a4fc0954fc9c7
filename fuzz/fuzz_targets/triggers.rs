//! The per-message text analysis: `conversation::signals::classify` (cancel phrases, emails)
//! over `triggers::Triggers::evaluate` (asking for a person in seven languages, frustration
//! against earlier turns, rules, topics, language). It runs on every visitor message, so it must
//! never panic and must end quickly on any text (`-timeout` in scripts/fuzz.sh).
//!
//! Input: NUL-separated texts; the last is the new message, the ones before it are earlier
//! turns, alternating visitor and bot (a bot turn starting with `?` could not answer). Plain
//! text files are therefore valid seeds.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use relay::{
    bot::Turn,
    config::{HandoverConfig, TriggersConfig},
    conversation::signals::{classify, find_emails},
    event::Role,
    triggers::Triggers,
};

/// As the actor gives them (`HISTORY_TURNS`).
const MAX_EARLIER: usize = 30;

/// The demo site's triggers, compiled once (the relay compiles them when the config loads).
static SITE: OnceLock<(Triggers, HandoverConfig)> = OnceLock::new();

fuzz_target!(|data: &str| {
    let mut parts: Vec<&str> = data.split('\0').collect();
    let text = parts.pop().unwrap_or_default();
    let start = parts.len().saturating_sub(MAX_EARLIER);
    let earlier: Vec<Turn> = parts[start..]
        .iter()
        .enumerate()
        .map(|(i, t)| Turn {
            role: if i % 2 == 0 { Role::Visitor } else { Role::Bot },
            text: t.to_string(),
            unanswered: i % 2 == 1 && t.starts_with('?'),
        })
        .collect();
    let (triggers, settings) = SITE.get_or_init(|| {
        let settings = HandoverConfig::default();
        let triggers = Triggers::compile(&TriggersConfig::default(), &settings).expect("the default triggers compile");
        (triggers, settings)
    });
    let (signals, verdict) = classify(text, &earlier, triggers, settings);
    assert!((0.0..=1.0).contains(&verdict.frustration), "frustration {} for {text:?}", verdict.frustration);
    if let Some(email) = signals.email {
        assert!(text.contains(&email));
    }
    for email in find_emails(text) {
        assert!(email.len() <= 254);
    }
});
