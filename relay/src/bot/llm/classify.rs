//! The model reads each visitor message for the handover triggers: does the visitor ask for a
//! person, do they sound frustrated, which of the site's guidance rules (given in plain
//! language) apply. One short, non-streamed request with a strict JSON answer, bounded by
//! `classify_timeout_ms`; anything else (an error, a late or malformed answer, a rule name
//! the site does not have) is no answer, and the local detectors decide.

use std::time::Duration;

use crate::event::Role;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{LlmBot, LlmError};
use crate::{bot::Turn, triggers::Classification};

/// How many earlier turns the model sees: enough for "again?!" and "I already said".
const HISTORY_TURNS: usize = 6;

const PROMPT: &str = "You read one message a visitor wrote in a website's support chat, where a bot answers \
first and people from the team can take over. Answer with one JSON object and nothing else: \
{\"handover\": true|false, \"frustrated\": true|false, \"rules\": [names]}.\n\
- handover: the visitor asks, in any words or language, to talk to a person, a human, an agent or the team, \
to be called back, transferred or escalated, or asks whether a human is there or could help. False when people \
are only mentioned (\"the courier\", \"I am a travel agent\") or the visitor says they do not want one.\n\
- frustrated: the visitor sounds annoyed, angry or fed up (complaints about the service, repeating the \
question after the bot could not answer, rhetorical questions, shouting). False for calm questions.\n\
- rules: the names of the site's rules below whose situation the message describes; [] when none.";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reading {
    handover: bool,
    frustrated: bool,
    #[serde(default)]
    rules: Vec<String>,
}

/// Why a reading was not used.
#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("not the JSON asked for: {0}")]
    Malformed(String),
    #[error("a rule the site does not have: {0:?}")]
    UnknownRule(String),
}

/// `text` as the strict answer: exactly one JSON object of the three fields, naming only
/// `rules` the site has.
pub fn parse(text: &str, rules: &[(String, String)]) -> Result<Classification, ClassifyError> {
    let reading: Reading = serde_json::from_str(text.trim()).map_err(|e| ClassifyError::Malformed(e.to_string()))?;
    if let Some(unknown) = reading.rules.iter().find(|r| !rules.iter().any(|(name, _)| name == *r)) {
        return Err(ClassifyError::UnknownRule(unknown.clone()));
    }
    Ok(Classification { handover: reading.handover, frustrated: reading.frustrated, rules: reading.rules })
}

impl LlmBot {
    fn classify_request(&self, message: &str, history: &[Turn], rules: &[(String, String)]) -> Value {
        let mut system = PROMPT.to_string();
        system.push_str("\n\nThe site's rules:\n");
        if rules.is_empty() {
            system.push_str("(none)\n");
        }
        for (name, description) in rules {
            system.push_str(&format!("- {name}: {description}\n"));
        }
        let earlier = &history[history.len().saturating_sub(HISTORY_TURNS)..];
        let transcript: Vec<String> = earlier
            .iter()
            .map(|t| {
                let who = match (t.role, t.unanswered) {
                    (Role::Visitor, _) => "Visitor",
                    (_, true) => "Bot (could not answer)",
                    _ => "Bot",
                };
                format!("{who}: {}", t.text)
            })
            .collect();
        let user = format!("Conversation so far:\n{}\n\nThe visitor's new message:\n{message}", transcript.join("\n"));
        json!({
            "model": self.settings.model,
            "stream": false,
            "temperature": 0,
            "response_format": {"type": "json_object"},
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        })
    }

    /// The model's reading of `message`, within the configured time.
    pub async fn classify_message(
        &self,
        message: &str,
        history: &[Turn],
        rules: &[(String, String)],
    ) -> Result<Classification, ClassifyError> {
        let timeout = Duration::from_millis(self.settings.classify_timeout_ms.max(1));
        let body = self.classify_request(message, history, rules);
        let text = tokio::time::timeout(timeout, self.complete(&body, &|_| {}))
            .await
            .map_err(|_| ClassifyError::Timeout(timeout))??;
        parse(&text, rules)
    }
}
