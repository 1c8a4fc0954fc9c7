//! How the widget draws a visitor's attention on a site: `sound` (a soft tone for an answer
//! that arrives while the chat is closed or the tab hidden) and `[[sites.<key>.proactive]]`
//! (a message shown by the launcher after some seconds on matching pages). Both reach the
//! widget through `GET /api/v1/sites/{site}/widget` (`crate::attention`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many proactive rules per site.
pub const MAX_PROACTIVE_RULES: usize = 20;
/// The longest wait before a proactive message, in seconds (an hour).
pub const MAX_PROACTIVE_AFTER_SECS: u32 = 3600;
/// The longest proactive message, in characters.
pub const MAX_PROACTIVE_CHARS: usize = 280;

/// One proactive message: on pages whose path matches `path`, after `after_secs` seconds, the
/// launcher shows `text` (or its translation) in a bubble, at most once per visitor per day
/// and never while the chat is open.
///
/// ```toml
/// [[sites.demo.proactive]]
/// path = "/pricing*"
/// after_secs = 20
/// text = "Questions about our plans? Ask us."
/// texts = { de = "Fragen zu unseren Tarifen? Fragen Sie uns." }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProactiveRule {
    /// The page's path: exact (`/pricing`), or with `*` standing for any characters
    /// (`/pricing*`, `/docs/*/setup`, `*` for every page). The query string is not part of it.
    pub path: String,
    /// Seconds on the page before the message shows.
    #[serde(default)]
    pub after_secs: u32,
    /// The message, in the site's default language.
    pub text: String,
    /// The message in other languages, by lower-case language tag (`de`, `pt-br`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub texts: BTreeMap<String, String>,
}

/// The rules are usable: a path starting with `/` (or `*`), a wait of at most an hour, texts
/// neither blank nor too long, language tags. As `(setting, what is wrong)`.
pub fn check_proactive(rules: &[ProactiveRule]) -> Result<(), (String, String)> {
    if rules.len() > MAX_PROACTIVE_RULES {
        return Err(("proactive".into(), format!("at most {MAX_PROACTIVE_RULES} rules")));
    }
    for (i, rule) in rules.iter().enumerate() {
        let at = |field: &str| format!("proactive[{i}].{field}");
        if !(rule.path.starts_with('/') || rule.path.starts_with('*')) || rule.path.chars().any(char::is_whitespace) {
            return Err((at("path"), format!("{:?} is not a page path such as \"/pricing*\"", rule.path)));
        }
        if rule.after_secs > MAX_PROACTIVE_AFTER_SECS {
            return Err((at("after_secs"), format!("at most {MAX_PROACTIVE_AFTER_SECS} seconds")));
        }
        let texts = std::iter::once((None, &rule.text)).chain(rule.texts.iter().map(|(l, t)| (Some(l), t)));
        for (language, text) in texts {
            let setting = language.map_or_else(|| at("text"), |l| at(&format!("texts.{l}")));
            if let Some(language) = language {
                if shared::look::language_tag(language).is_none_or(|t| t != *language) {
                    return Err((setting, "not a lower-case language tag such as \"de\" or \"pt-br\"".into()));
                }
            }
            if text.trim().is_empty() {
                return Err((setting, "empty".into()));
            }
            if text.chars().count() > MAX_PROACTIVE_CHARS {
                return Err((setting, format!("longer than {MAX_PROACTIVE_CHARS} characters")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str, after_secs: u32, text: &str) -> ProactiveRule {
        ProactiveRule { path: path.into(), after_secs, text: text.into(), texts: BTreeMap::new() }
    }

    #[test]
    fn good_rules_pass_and_each_bad_value_is_named() {
        let mut good = rule("/pricing*", 20, "Questions?");
        good.texts.insert("de".into(), "Fragen?".into());
        assert_eq!(check_proactive(&[good.clone(), rule("*", 0, "Hi")]), Ok(()));
        let named = |rules: &[ProactiveRule]| check_proactive(rules).unwrap_err().0;
        assert_eq!(named(&[good.clone(), rule("pricing", 5, "x")]), "proactive[1].path");
        assert_eq!(named(&[rule("/a b", 5, "x")]), "proactive[0].path");
        assert_eq!(named(&[rule("/", 3601, "x")]), "proactive[0].after_secs");
        assert_eq!(named(&[rule("/", 1, "  ")]), "proactive[0].text");
        assert_eq!(named(&[rule("/", 1, &"x".repeat(MAX_PROACTIVE_CHARS + 1))]), "proactive[0].text");
        let mut bad_tag = good.clone();
        bad_tag.texts.insert("DE".into(), "x".into());
        assert_eq!(named(&[bad_tag]), "proactive[0].texts.DE");
        let mut blank = good;
        blank.texts.insert("fr".into(), String::new());
        assert_eq!(named(&[blank]), "proactive[0].texts.fr");
        assert_eq!(named(&vec![rule("/", 1, "x"); MAX_PROACTIVE_RULES + 1]), "proactive");
    }
}
