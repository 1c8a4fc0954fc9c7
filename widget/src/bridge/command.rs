//! Commands from the host page: `{cmd: "open"|"close"|"toggle"|"identify", email?, name?,
//! user_id?, user_hash?}` (`user_hash`: the site's signature, checked by the relay) and
//! `{cmd: "language", lang}` (`Baton.setLanguage`, or the tag's `data-language`) and
//! `{cmd: "configure", primary?, position?, title?, avatar?, greeting?, scheme?}`
//! (`Baton.configure`, or the tag's `data-*` attributes of those names) and `{cmd: "sound",
//! on: "on"|"off"}` (`Baton.configure({sound})`, `data-sound`).
//!
//! Parsed by hand through [`crate::json::Value`] (a derived internally-tagged enum would pull in
//! serde's generic buffering code, costly in wasm; the browser parses the text).

use shared::Visitor;

use crate::json::Value;

/// The longest visitor email or name kept, in characters (longer ones are cut).
pub const MAX_VISITOR_FIELD_CHARS: usize = 256;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Open,
    Close,
    Toggle,
    /// With at least one of email, name and user id.
    Identify(Visitor),
    /// The language the page chose, as a checked lower-case tag.
    Language(String),
    /// The page's theme, unchecked (checked when laid over the site's).
    Configure(shared::Theme),
    /// The page switches the answers' sound on or off, over the site's setting.
    Sound(bool),
}

impl Command {
    /// Parses a command detail given as JSON text (`JSON.stringify(event.detail)`).
    pub fn parse(json: &str) -> Result<Self, String> {
        let value = crate::json::parse(json).map_err(|_| format!("not a command: {json}"))?;
        match value.get("cmd").and_then(Value::as_str) {
            Some("open") => Ok(Command::Open),
            Some("close") => Ok(Command::Close),
            Some("toggle") => Ok(Command::Toggle),
            Some("identify") => {
                let visitor = Visitor {
                    email: clean(value.get("email")),
                    name: clean(value.get("name")),
                    user_id: clean_id(value.get("user_id")),
                    user_hash: clean(value.get("user_hash")),
                };
                if visitor.email.is_none() && visitor.name.is_none() && visitor.user_id.is_none() {
                    Err("identify needs an email, a name or a user_id".into())
                } else {
                    Ok(Command::Identify(visitor))
                }
            }
            Some("configure") => Ok(Command::Configure(crate::look::page_theme(&value))),
            Some("sound") => match value.get("on") {
                Some(Value::Bool(on)) => Some(Command::Sound(*on)),
                Some(Value::String(on)) => crate::attention::switch(on).map(Command::Sound),
                _ => None,
            }
            .ok_or_else(|| format!("sound needs on or off: {json}")),
            Some("language") => value
                .get("lang")
                .and_then(Value::as_str)
                .and_then(shared::look::language_tag)
                .map(Command::Language)
                .ok_or_else(|| format!("language needs a language tag such as \"de\": {json}")),
            _ => Err(format!("unknown command: {json}")),
        }
    }
}

/// A non-blank string, trimmed and cut to [`MAX_VISITOR_FIELD_CHARS`]; anything else is `None`.
fn clean(value: Option<&Value>) -> Option<String> {
    let s = value?.as_str()?.trim();
    (!s.is_empty()).then(|| s.chars().take(MAX_VISITOR_FIELD_CHARS).collect())
}

/// A user id as [`clean`], also given as a number (`user_id: 42` signs as `"42"`).
fn clean_id(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::Number(n) => Some(n.text()),
        other => clean(Some(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_simple_commands() {
        assert_eq!(Command::parse(r#"{"cmd":"open"}"#), Ok(Command::Open));
        assert_eq!(Command::parse(r#"{"cmd":"close","extra":1}"#), Ok(Command::Close));
        assert_eq!(Command::parse(r#"{"cmd":"toggle"}"#), Ok(Command::Toggle));
        assert!(Command::parse(r#"{"cmd":"explode"}"#).is_err());
        assert!(Command::parse(r#"{"cmd":7}"#).is_err());
        assert!(Command::parse("null").is_err());
        assert!(Command::parse("").is_err());
    }

    #[test]
    fn sound_is_switched_on_or_off() {
        assert_eq!(Command::parse(r#"{"cmd":"sound","on":"on"}"#), Ok(Command::Sound(true)));
        assert_eq!(Command::parse(r#"{"cmd":"sound","on":false}"#), Ok(Command::Sound(false)));
        assert!(Command::parse(r#"{"cmd":"sound","on":"loud"}"#).is_err());
        assert!(Command::parse(r#"{"cmd":"sound"}"#).is_err());
    }

    #[test]
    fn language_takes_a_checked_tag() {
        assert_eq!(Command::parse(r#"{"cmd":"language","lang":"de-AT"}"#), Ok(Command::Language("de-at".into())));
        assert!(Command::parse(r#"{"cmd":"language","lang":"</style>"}"#).is_err());
        assert!(Command::parse(r#"{"cmd":"language"}"#).is_err());
        assert!(Command::parse(r#"{"cmd":"language","lang":7}"#).is_err());
    }

    #[test]
    fn identify_cleans_its_fields() {
        let c = Command::parse(r#"{"cmd":"identify","email":" a@b.c ","name":null}"#);
        assert_eq!(c, Ok(Command::Identify(Visitor { email: Some("a@b.c".into()), ..Visitor::default() })));
        let signed = Command::parse(r#"{"cmd":"identify","user_id":"42","user_hash":" ab12 ","email":"a@b.c"}"#);
        let expected = Visitor {
            email: Some("a@b.c".into()),
            user_id: Some("42".into()),
            user_hash: Some("ab12".into()),
            name: None,
        };
        assert_eq!(signed, Ok(Command::Identify(expected)));
        assert!(Command::parse(r#"{"cmd":"identify","user_hash":"ab12"}"#).is_err(), "a signature alone says nothing");
        let numeric = Command::parse(r#"{"cmd":"identify","user_id":42}"#).unwrap();
        assert_eq!(numeric, Command::Identify(Visitor { user_id: Some("42".into()), ..Visitor::default() }));
        let negative = Command::parse(r#"{"cmd":"identify","user_id":-7}"#).unwrap();
        assert_eq!(negative, Command::Identify(Visitor { user_id: Some("-7".into()), ..Visitor::default() }));
        assert!(Command::parse(r#"{"cmd":"identify","email":42,"name":"  "}"#).is_err());
        assert!(Command::parse(r#"{"cmd":"identify"}"#).is_err());
        let long = "n".repeat(1000);
        let c = Command::parse(&format!(r#"{{"cmd":"identify","name":"{long}"}}"#)).unwrap();
        let Command::Identify(v) = c else { panic!("{c:?}") };
        assert_eq!(v.name.unwrap().len(), MAX_VISITOR_FIELD_CHARS);
    }
}
