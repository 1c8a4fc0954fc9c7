//! When the bot hands over on its own: the five triggers of a site, each switchable, and what
//! the summary may use. `[sites.<key>.triggers]` in `baton.toml`; see README.md.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TriggersConfig {
    /// The visitor asks for a person in words (the button always works).
    pub explicit_request: ExplicitRequestConfig,
    pub frustration: FrustrationConfig,
    pub cannot_answer: CannotAnswerConfig,
    /// Guidance rules: situations that always go to a person.
    pub rules: Vec<RuleConfig>,
    /// Named topics; the one found travels to the agent as a tag.
    pub topics: Vec<TopicConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExplicitRequestConfig {
    pub enabled: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrustrationAction {
    /// Hand over at once.
    Handover,
    /// Offer a person with a quick reply; the visitor decides.
    Offer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FrustrationConfig {
    pub enabled: bool,
    /// The score (0..1) from which the visitor counts as frustrated.
    pub threshold: f32,
    pub action: FrustrationAction,
    /// What the bot says when it offers a person (`action = "offer"`).
    pub offer_message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CannotAnswerConfig {
    pub enabled: bool,
    /// Answers below this confidence (0..1) count as "cannot answer".
    pub min_confidence: f32,
    /// Hand over instead of saying "I don't know". Off for the built-in inbox; helpdesk
    /// (ticket) providers turn it on, since a ticket is always answered.
    pub auto_handover_when_unanswered: bool,
    /// What the bot says when it cannot answer (with the "Talk to a person" button).
    pub message: String,
}

impl CannotAnswerConfig {
    pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.22;
}

/// "If the visitor reports X, hand over."
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuleConfig {
    /// Shown to the agent as the trigger ("rule: safety issue").
    pub name: String,
    /// The rule in plain language; the LLM bot applies it as written.
    pub description: String,
    /// Words or phrases (any language), matched as whole words without case or accents.
    pub keywords: Vec<String>,
    /// Regular expressions (`regex` syntax), matched against the message as written.
    pub patterns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TopicConfig {
    /// The tag agents see.
    pub name: String,
    /// Words or phrases that place a message in the topic (whole words, no case or accents).
    pub cues: Vec<String>,
    /// Hand over as soon as the topic comes up.
    pub always_human: bool,
}

impl Default for TriggersConfig {
    fn default() -> Self {
        Self {
            explicit_request: ExplicitRequestConfig { enabled: true },
            frustration: FrustrationConfig::default(),
            cannot_answer: CannotAnswerConfig::default(),
            rules: vec![RuleConfig {
                name: "safety issue".into(),
                description: "If the visitor reports a safety issue (a product that overheats, burns, smokes, \
                              sparks or injured someone), hand over to a person."
                    .into(),
                keywords: words(&[
                    "caught fire", "on fire", "burned", "burnt", "burn", "burns", "smoke", "smoking", "sparks",
                    "sparking", "overheating", "overheated", "exploded", "injured", "injury", "electric shock",
                    "brandgefahr", "verbrannt", "verletzt", "rauch", "feu", "brule", "fumee", "blesse", "fuego",
                    "humo", "quemadura", "herido", "fuoco", "fumo", "ferito", "incendio", "fogo", "fumaca",
                    "ferido", "brand", "rook", "gewond",
                ]),
                patterns: vec![r"(?i)\b(battery|akku|batterie|bater[ií]a|batteria|accu)\b.{0,40}\b(hot|swell|swollen|heiß|heiss|gonfl|caliente|caldo|quente)".into()],
            }],
            topics: vec![
                TopicConfig {
                    name: "billing dispute".into(),
                    cues: words(&[
                        "chargeback", "charge back", "dispute", "disputed", "unauthorised charge",
                        "unauthorized charge", "fraudulent charge", "rückbuchung", "ruckbuchung", "lastschrift zurück",
                        "contestation", "litige", "retrofacturation", "contracargo", "disputa", "contestazione",
                        "storno", "estorno", "contestacao", "terugboeking", "betwisting",
                    ]),
                    always_human: true,
                },
                TopicConfig {
                    name: "order status".into(),
                    cues: words(&["where is my order", "where is my parcel", "not arrived", "tracking", "late"]),
                    always_human: false,
                },
            ],
        }
    }
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_string()).collect()
}

impl Default for ExplicitRequestConfig {
    fn default() -> Self {
        Self { enabled: true }
    }
}

impl Default for FrustrationConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: 0.6,
            action: FrustrationAction::Handover,
            offer_message: "I'm sorry this is taking so long. Would you like to talk to a person from our team?".into(),
        }
    }
}

impl Default for CannotAnswerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            min_confidence: Self::DEFAULT_MIN_CONFIDENCE,
            auto_handover_when_unanswered: false,
            message: "Sorry, I can't answer that from our help articles. A person from our team can: press \
                      \"Talk to a person\"."
                .into(),
        }
    }
}

impl Default for RuleConfig {
    fn default() -> Self {
        Self { name: "rule".into(), description: String::new(), keywords: Vec::new(), patterns: Vec::new() }
    }
}

impl Default for TopicConfig {
    fn default() -> Self {
        Self { name: "topic".into(), cues: Vec::new(), always_human: false }
    }
}

/// What the summary for agents may use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SummaryConfig {
    /// Pass an email address the visitor typed in the chat to the agent. Typing one's address
    /// into a support chat is taken as consent to be contacted there about this request; set
    /// `false` to pass only the address the host page gave with `Baton.identify`.
    pub use_typed_email: bool,
}

impl Default for SummaryConfig {
    fn default() -> Self {
        Self { use_typed_email: true }
    }
}
