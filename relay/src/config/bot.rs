//! `[sites.<key>.bot]`: which bot answers first on a site.
//!
//! ```toml
//! [sites.demo.bot]
//! kind = "llm"                          # "knowledge" (the default), "llm" or "rasa"
//! base_url = "http://127.0.0.1:11434/v1" # any OpenAI-compatible API: Ollama, vLLM, OpenAI
//! model = "llama3.2"
//! api_key = "..."                       # or BATON_SITES__DEMO__BOT__API_KEY
//! ```

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BotConfig {
    /// Answers with the best passage of the site's help articles.
    #[default]
    Knowledge,
    /// An OpenAI-compatible chat-completions endpoint, grounded on the help articles.
    Llm(LlmConfig),
    /// The site's own bot behind a Rasa REST channel webhook.
    Rasa(RasaConfig),
}

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmConfig {
    /// The API's base URL; `{base_url}/chat/completions` is called.
    pub base_url: String,
    pub model: String,
    /// Sent as `Authorization: Bearer`; empty sends none (a local Ollama needs none).
    pub api_key: String,
    /// How many help passages the model is given.
    pub passages: usize,
    pub temperature: f32,
    /// The longest wait for the answer to start, and between two parts of it.
    pub timeout_seconds: u64,
    /// When the endpoint cannot be reached: answer with the best help passage (true), or say
    /// `unavailable_message` and offer a person (false).
    pub fallback_to_articles: bool,
    /// Said when the endpoint cannot be reached and `fallback_to_articles` is off.
    pub unavailable_message: String,
    /// The model also reads every visitor message for the handover triggers (asks for a
    /// person, frustrated, which guidance rules apply); the local detectors decide when it
    /// does not answer in time.
    pub classify: bool,
    /// The longest wait for that reading, in milliseconds: the visitor's answer waits for it.
    pub classify_timeout_ms: u64,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:11434/v1".into(),
            model: "llama3.2".into(),
            api_key: String::new(),
            passages: 4,
            temperature: 0.2,
            timeout_seconds: 30,
            fallback_to_articles: true,
            unavailable_message: "Sorry, I can't reach my assistant right now. Please try again in a moment, \
                                  or talk to a person."
                .into(),
            classify: true,
            classify_timeout_ms: 1500,
        }
    }
}

/// The key stays out of logs.
impl std::fmt::Debug for LlmConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmConfig")
            .field("base_url", &self.base_url)
            .field("model", &self.model)
            .field("api_key", &if self.api_key.is_empty() { "" } else { "<redacted>" })
            .field("passages", &self.passages)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("classify", &self.classify)
            .field("classify_timeout_ms", &self.classify_timeout_ms)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RasaConfig {
    /// The REST channel's webhook, e.g. `http://rasa:5005/webhooks/rest/webhook`.
    pub url: String,
    pub timeout_seconds: u64,
    /// Said when the bot cannot be reached.
    pub unavailable_message: String,
}

impl Default for RasaConfig {
    fn default() -> Self {
        Self {
            url: "http://127.0.0.1:5005/webhooks/rest/webhook".into(),
            timeout_seconds: 10,
            unavailable_message: "Sorry, I can't answer right now. Please try again in a moment, or talk to a person."
                .into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_from_toml() {
        let read = |toml: &str| -> Result<BotConfig, Box<figment::Error>> {
            use figment::providers::Format;
            figment::Figment::from(figment::providers::Toml::string(toml)).extract().map_err(Box::new)
        };
        assert_eq!(read(r#"kind = "knowledge""#).unwrap(), BotConfig::Knowledge);
        let BotConfig::Llm(llm) = read("kind = \"llm\"\nmodel = \"qwen\"\napi_key = \"sk-1\"").unwrap() else {
            panic!("llm expected")
        };
        assert_eq!((llm.model.as_str(), llm.passages), ("qwen", 4));
        assert!(!format!("{llm:?}").contains("sk-1"), "the key is redacted");
        let BotConfig::Rasa(rasa) = read("kind = \"rasa\"\nurl = \"http://r/webhook\"").unwrap() else {
            panic!("rasa expected")
        };
        assert_eq!(rasa.url, "http://r/webhook");
        assert!(read("kind = \"rasa\"\nmodel = \"x\"").is_err(), "unknown settings are refused");
        assert!(read("kind = \"gpt\"").is_err());
    }
}
