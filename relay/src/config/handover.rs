//! The handover settings of a site: the fields of the seed's Handover node plus the texts the
//! other steps of a handover need. Every text is a template (MiniJinja syntax) with the
//! variables `visitor_name`, `visitor_email`, `queue_position`, `wait_estimate` and
//! `agent_name`; see README.md.
//!
//! `[sites.<key>.handover.texts.<language>]` (a language tag: `de`, `pt-br`) holds the texts for
//! visitors who read that language, any of the texts below and `cancel_phrases`; a text it
//! lacks is the site's own (the fields above). A visitor's languages are tried best first, each
//! as given and then by its primary language (`de-at`, then `de`). Where the site kept Baton's
//! English default and sets nothing for the visitor's language, Baton's own translation of the
//! default is used in German, French, Spanish, Italian, Portuguese and Dutch
//! (`builtin_texts.rs`).

use std::{collections::BTreeMap, sync::LazyLock};

use serde::{Deserialize, Serialize};

use super::builtin_texts::{builtin, BuiltinTexts, BUILTIN};

/// Baton's own defaults, to tell a text the site kept from one it wrote.
static DEFAULTS: LazyLock<HandoverConfig> = LazyLock::new(HandoverConfig::default);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HandoverConfig {
    /// "Text Message": posted when the handover starts.
    pub text_message: String,
    /// Posted instead of `text_message` when the site's helpdesk takes tickets: the answer
    /// comes by email and to this chat thread, which stays open.
    pub ticket_message: String,
    /// "Cancel Intent Name": the intent that cancels a pending handover.
    pub cancel_intent: String,
    /// The phrases that trigger the cancel intent while waiting (compared without case and
    /// punctuation).
    pub cancel_phrases: Vec<String>,
    /// "Unavailable Message": no agent online, outside office hours or the helpdesk is down.
    pub unavailable_message: String,
    /// "Unsupported Channel Message": the channel cannot carry a live chat.
    pub unsupported_channel_message: String,
    /// "Quick Reply Text": the button that cancels a pending handover.
    pub quick_reply_text: String,
    /// Extra phrases that ask for a person, on top of the built-in detector (see
    /// `triggers.explicit_request`).
    pub request_phrases: Vec<String>,
    /// The label of the always-reachable "Talk to a person" button.
    pub request_button_text: String,
    pub cancelled_message: String,
    pub agent_joined_message: String,
    pub agent_ended_message: String,
    pub follow_up_saved_message: String,
    pub rating_prompt: String,
    pub rated_message: String,
    pub bot_back_message: String,
    /// The helpdesk is slow to take the handover; it is kept and will arrive.
    pub delayed_message: String,
    /// Average minutes an agent spends per conversation, for the wait estimate.
    pub average_handling_minutes: f64,
    /// The texts per visitor language, over the ones above.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, HandoverTexts>,
}

/// A language's own texts; each absent one is the site's default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct HandoverTexts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quick_reply_text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_button_text: Option<String>,
    /// Cancel phrases in this language; they cancel for every visitor, like the site's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cancel_phrases: Vec<String>,
    /// The templates this language sets, by the setting names of [`HandoverConfig::templates`]
    /// (checked when the configuration loads: [`HandoverConfig::unknown_text`]).
    #[serde(flatten)]
    pub templates: BTreeMap<String, String>,
}

impl Default for HandoverConfig {
    fn default() -> Self {
        Self {
            text_message: "I'm bringing in a person from our team. {% if queue_position > 1 %}You are number \
                {{ queue_position }} in line and the wait is about {{ wait_estimate }}.{% else %}The wait is about \
                {{ wait_estimate }}.{% endif %} You can keep writing: they will see everything."
                .into(),
            ticket_message: "I've passed your request to our team as a ticket. {% if visitor_email %}They will \
                answer by email at {{ visitor_email }}, and the answer will also appear here.{% else %}Their answer \
                will appear here, so come back to this chat later.{% endif %} You can keep writing: they will see \
                everything."
                .into(),
            cancel_intent: "cancel_handover".into(),
            cancel_phrases: ["cancel", "never mind", "nevermind", "stop waiting", "back to the bot", "forget it"]
                .map(String::from)
                .to_vec(),
            unavailable_message: "Sorry{% if visitor_name %} {{ visitor_name }}{% endif %}, nobody from our team \
                is available right now. Leave your email address here and we will get back to you."
                .into(),
            unsupported_channel_message: "Chatting with a person is not possible on this channel. \
                Please use the chat on our website, or email support@northwind.example."
                .into(),
            quick_reply_text: "Cancel request".into(),
            // The trigger detector understands requests in seven languages; sites add their own
            // words here.
            request_phrases: Vec::new(),
            request_button_text: "Talk to a person".into(),
            cancelled_message: "No problem, the request is cancelled. I'm here if you have more questions.".into(),
            agent_joined_message: "{{ agent_name }} joined the chat.".into(),
            agent_ended_message: "{{ agent_name }} ended the chat.".into(),
            follow_up_saved_message: "Thanks! We will write to {{ visitor_email }} as soon as someone is available."
                .into(),
            rating_prompt: "How was your chat with {{ agent_name }}?".into(),
            rated_message: "Thanks for your feedback! I'm back: ask me anything.".into(),
            bot_back_message: "I'm back: ask me anything, or ask for a person again at any time.".into(),
            delayed_message: "Our team's helpdesk is slow to answer right now. Your request is saved and will \
                reach them as soon as it responds; you can keep writing here."
                .into(),
            average_handling_minutes: 3.0,
            texts: BTreeMap::new(),
        }
    }
}

impl HandoverConfig {
    /// The configured language (a key of `texts`) for a visitor who reads `languages`, best
    /// first: the first one with texts, as given or by its primary language.
    pub fn language_for<'a>(&self, languages: &'a [String]) -> Option<&'a str> {
        languages.iter().find_map(|tag| {
            let primary = tag.split('-').next().unwrap_or(tag);
            [tag.as_str(), primary].into_iter().find(|t| self.texts.contains_key(*t))
        })
    }

    /// The label of the "Talk to a person" button for `languages`.
    pub fn request_button_text(&self, languages: &[String]) -> &str {
        let (own, default) = (&self.request_button_text, &DEFAULTS.request_button_text);
        self.label(languages, |t| t.request_button_text.as_deref(), own, default, |b| b.request_button_text)
    }

    /// The label of the cancel quick reply for `languages`.
    pub fn quick_reply_text(&self, languages: &[String]) -> &str {
        let (own, default) = (&self.quick_reply_text, &DEFAULTS.quick_reply_text);
        self.label(languages, |t| t.quick_reply_text.as_deref(), own, default, |b| b.quick_reply_text)
    }

    /// A button's label for `languages`: the site's for the language (`site`), else Baton's
    /// translation (`builtin`) if the site's `own` label is still Baton's `default`, else `own`.
    fn label<'a>(
        &'a self,
        languages: &[String],
        site: impl FnOnce(&'a HandoverTexts) -> Option<&'a str>,
        own: &'a str,
        default: &str,
        builtin: impl FnOnce(&'static BuiltinTexts) -> &'static str,
    ) -> &'a str {
        self.texts_for(languages)
            .and_then(site)
            .or_else(|| if own == default { Self::builtin_texts(languages).map(builtin) } else { None })
            .unwrap_or(own)
    }

    /// The language of Baton's built-in texts (`builtin_texts.rs`) for a visitor who reads
    /// `languages`, best first: the first of them, by its primary language, that Baton has
    /// texts in; none when English (the defaults' own language) comes first.
    pub fn builtin_language(languages: &[String]) -> Option<&'static str> {
        Self::builtin_texts(languages).map(|b| b.language)
    }

    /// The built-in texts of [`Self::builtin_language`].
    fn builtin_texts(languages: &[String]) -> Option<&'static BuiltinTexts> {
        for tag in languages {
            let primary = tag.split(['-', '_']).next().unwrap_or(tag).to_ascii_lowercase();
            if primary == "en" {
                return None;
            }
            if let Some(texts) = builtin(&primary) {
                return Some(texts);
            }
        }
        None
    }

    /// The settings of [`Self::templates`] whose text is still Baton's default (Baton's
    /// translations of those are used for visitors of other languages).
    pub fn kept_templates(&self) -> Vec<&'static str> {
        self.templates()
            .into_iter()
            .zip(DEFAULTS.templates())
            .filter(|((_, own), (_, default))| own == default)
            .map(|((setting, _), _)| setting)
            .collect()
    }

    /// Every cancel phrase: the site's and every language's; while the site keeps Baton's
    /// English defaults, also Baton's own in the six other languages ([`BUILTIN`]), so a German
    /// visitor's "abbrechen" cancels as "cancel" does.
    pub fn all_cancel_phrases(&self) -> impl Iterator<Item = &str> {
        let builtin = (self.cancel_phrases == DEFAULTS.cancel_phrases).then_some(&BUILTIN);
        self.cancel_phrases
            .iter()
            .chain(self.texts.values().flat_map(|t| &t.cancel_phrases))
            .map(String::as_str)
            .chain(builtin.into_iter().flatten().flat_map(|b| b.cancel_phrases.iter().copied()))
    }

    /// The first `(language, setting)` of `texts` that names no template.
    pub fn unknown_text(&self) -> Option<(&str, &str)> {
        let known = self.templates().map(|(setting, _)| setting);
        self.texts.iter().find_map(|(language, texts)| {
            let unknown = texts.templates.keys().find(|setting| !known.contains(&setting.as_str()))?;
            Some((language.as_str(), unknown.as_str()))
        })
    }

    fn texts_for(&self, languages: &[String]) -> Option<&HandoverTexts> {
        self.texts.get(self.language_for(languages)?)
    }

    /// Every template with its setting name, for compiling and error reports.
    pub fn templates(&self) -> [(&'static str, &str); 12] {
        [
            ("text_message", &self.text_message),
            ("ticket_message", &self.ticket_message),
            ("unavailable_message", &self.unavailable_message),
            ("unsupported_channel_message", &self.unsupported_channel_message),
            ("cancelled_message", &self.cancelled_message),
            ("agent_joined_message", &self.agent_joined_message),
            ("agent_ended_message", &self.agent_ended_message),
            ("follow_up_saved_message", &self.follow_up_saved_message),
            ("rating_prompt", &self.rating_prompt),
            ("rated_message", &self.rated_message),
            ("bot_back_message", &self.bot_back_message),
            ("delayed_message", &self.delayed_message),
        ]
    }
}
