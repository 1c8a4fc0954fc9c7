//! Drawing the visitor's attention (issue 13, point 6), the pure part: the site's settings as
//! the relay serves them (`GET /api/v1/sites/{site}/widget`), which proactive message a page
//! gets and in which language, once a day, the unread count and the page title's counter.
//! The browser side is `ui/attention.rs`.
//!
//! **Unread** is worked out, not counted: the bot's and agents' messages after the conversation's
//! read mark ([`Read`]), which a tab where the visitor sees the chat (open and visible) moves to
//! the newest message. The mark is kept in localStorage, so every tab of the site shows the same
//! count and reading in one clears the others (their `storage` event), after reloads too.

use shared::Role;

use crate::{json::Value, store::model::Stored};

/// A proactive message rule (`[[sites.<key>.proactive]]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub path: String,
    pub after_secs: u32,
    pub text: String,
    /// By lower-case language tag.
    pub texts: Vec<(String, String)>,
}

/// What the site says about attention.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Answers chime while the chat is closed or the tab hidden (a page may override it).
    pub sound: bool,
    pub proactive: Vec<Rule>,
}

impl Settings {
    /// The relay's JSON; fields it does not understand are skipped, a rule without path or
    /// text is dropped.
    pub fn parse(json: &str) -> Option<Settings> {
        let value = crate::json::parse(json).ok()?;
        let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
        let rule = |r: &Value| {
            let texts = r.get("texts").and_then(Value::as_object).map(|texts| {
                texts.iter().filter_map(|(l, t)| Some((l.to_ascii_lowercase(), t.as_str()?.to_string()))).collect()
            });
            Some(Rule {
                path: text(r, "path")?,
                after_secs: r.get("after_secs").and_then(Value::as_u64).unwrap_or(0).min(3600) as u32,
                text: text(r, "text").filter(|t| !t.trim().is_empty())?,
                texts: texts.unwrap_or_default(),
            })
        };
        let rules = value.get("proactive").and_then(Value::as_array);
        Some(Settings {
            sound: value.get("sound").and_then(Value::as_bool).unwrap_or(false),
            proactive: rules.map(|rules| rules.iter().filter_map(rule).collect()).unwrap_or_default(),
        })
    }

    /// The first rule whose path matches the page's.
    pub fn rule_for(&self, path: &str) -> Option<&Rule> {
        self.proactive.iter().find(|r| path_matches(&r.path, path))
    }
}

impl Rule {
    /// The text in the first of the visitor's languages (best first) the rule has, as given or
    /// by its primary language (`de-at` finds `de`), else the default text.
    pub fn text_for(&self, languages: &[String]) -> &str {
        let find = |tag: &str| self.texts.iter().find(|(l, _)| l == tag).map(|(_, t)| t.as_str());
        languages
            .iter()
            .find_map(|tag| find(tag).or_else(|| find(shared::look::primary_language(tag))))
            .unwrap_or(&self.text)
    }
}

/// Whether `path` matches `pattern`, where `*` stands for any characters (none included).
pub fn path_matches(pattern: &str, path: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = path.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The localStorage value that says a proactive message was shown on `day` (`YYYY-MM-DD`, the
/// visitor's local date): shown again only on another day.
pub fn shown_on(stored: Option<&str>, day: &str) -> bool {
    stored == Some(day)
}

/// `"on"`, `"true"`, `"1"`, `"yes"` or their opposites (a `data-sound` attribute,
/// `Baton.configure({sound})`).
pub fn switch(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "1" | "yes" => Some(true),
        "off" | "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// The read mark: in conversation `conversation`, every message up to `seq` was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub conversation: String,
    pub seq: u64,
}

impl Read {
    /// As kept in localStorage: `<seq> <conversation id>`.
    pub fn to_text(&self) -> String {
        format!("{} {}", self.seq, self.conversation)
    }

    pub fn parse(text: &str) -> Option<Read> {
        let (seq, conversation) = text.split_once(' ')?;
        Some(Read { conversation: conversation.to_string(), seq: seq.parse().ok()? })
    }
}

/// The read mark to keep for `conversation` (the one shown), given the one stored: a mark of
/// another conversation (or none) starts at `history_seq` (what was stored when the widget
/// connected counts as seen); `seen` (the newest message, when the visitor sees the chat)
/// moves it forward, never back. `None` when the stored mark stays as it is.
pub fn next_mark(stored: Option<&Read>, conversation: &str, history_seq: u64, seen: Option<u64>) -> Option<Read> {
    let current = stored.filter(|r| r.conversation == conversation).map(|r| r.seq);
    let seq = current.unwrap_or(history_seq).max(seen.unwrap_or(0));
    (current != Some(seq)).then(|| Read { conversation: conversation.to_string(), seq })
}

/// The bot's and agents' messages after the read mark (none without a mark for this
/// conversation).
pub fn unread(messages: &[Stored], conversation: Option<&str>, read: Option<&Read>) -> u32 {
    let Some(read) = read.filter(|r| Some(r.conversation.as_str()) == conversation) else { return 0 };
    let count = messages.iter().filter(|m| m.seq > read.seq && m.message.author.role != Role::Visitor).count();
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// The page title's prefix for `count` unread messages: `(2) `, `(99+) `; none at zero.
pub fn title_prefix(count: u32) -> Option<String> {
    match count {
        0 => None,
        1..=99 => Some(format!("({count}) ")),
        _ => Some("(99+) ".into()),
    }
}

/// `title` with the prefix the widget wrote before (`old`, if it is still there: the page may
/// have set a title of its own since) replaced by `new`.
pub fn retitle(title: &str, old: Option<&str>, new: Option<&str>) -> String {
    let base = old.and_then(|p| title.strip_prefix(p)).unwrap_or(title);
    format!("{}{base}", new.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use shared::{Author, Message};

    use super::*;

    #[test]
    fn paths_match_exactly_or_with_stars() {
        for (pattern, path) in [
            ("/pricing", "/pricing"),
            ("/pricing*", "/pricing"),
            ("/pricing*", "/pricing/team"),
            ("*", "/"),
            ("/docs/*/setup", "/docs/v2/setup"),
            ("*/checkout", "/shop/checkout"),
            ("/a*b*c", "/axxbyyc"),
        ] {
            assert!(path_matches(pattern, path), "{pattern} matches {path}");
        }
        for (pattern, path) in [
            ("/pricing", "/pricing/team"),
            ("/pricing*", "/about"),
            ("/docs/*/setup", "/docs/v2/install"),
            ("/a*b*c", "/axxc"),
            ("/ab*ba", "/aba"),
        ] {
            assert!(!path_matches(pattern, path), "{pattern} does not match {path}");
        }
    }

    #[test]
    fn settings_parse_and_pick_the_rule_and_the_visitors_language() {
        let json = r#"{"sound": true, "proactive": [
            {"path": "/pricing*", "after_secs": 20, "text": "Questions?", "texts": {"de": "Fragen?", "pt-br": "Dúvidas?"}},
            {"path": "/broken"},
            {"path": "*", "after_secs": 99999, "text": "Hi"}]}"#;
        let settings = Settings::parse(json).unwrap();
        assert!(settings.sound);
        assert_eq!(settings.proactive.len(), 2, "the rule without a text is dropped");
        let rule = settings.rule_for("/pricing/team").unwrap();
        assert_eq!(rule.after_secs, 20);
        let langs = |tags: &[&str]| tags.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        assert_eq!(rule.text_for(&langs(&["de-at", "en"])), "Fragen?");
        assert_eq!(rule.text_for(&langs(&["pt-br"])), "Dúvidas?");
        assert_eq!(rule.text_for(&langs(&["fr", "en"])), "Questions?");
        let other = settings.rule_for("/about").unwrap();
        assert_eq!((other.text.as_str(), other.after_secs), ("Hi", 3600), "waits are capped");
        assert_eq!(Settings::parse("{}"), Some(Settings::default()));
        assert_eq!(Settings::parse("not json"), None);
    }

    #[test]
    fn once_a_day_and_the_sound_switch() {
        assert!(shown_on(Some("2026-12-02"), "2026-12-02"));
        assert!(!shown_on(Some("2026-12-01"), "2026-12-02"));
        assert!(!shown_on(None, "2026-12-02"));
        assert_eq!(switch(" On "), Some(true));
        assert_eq!(switch("false"), Some(false));
        assert_eq!(switch("loud"), None);
    }

    fn stored(seq: u64, role: Role) -> Stored {
        let author = match role {
            Role::Visitor => Author::visitor(),
            Role::Agent => Author::agent("Ada"),
            _ => Author::bot("Baton"),
        };
        let message = Message {
            author,
            text: "x".into(),
            client_id: None,
            quick_replies: vec![],
            source: None,
            draft_id: None,
            attachments: vec![],
        };
        Stored { seq, at: 0, message }
    }

    #[test]
    fn unread_counts_answers_after_the_mark_of_this_conversation() {
        let messages = [stored(1, Role::Bot), stored(2, Role::Visitor), stored(3, Role::Agent), stored(5, Role::Bot)];
        let mark = |seq| Read { conversation: "c1".into(), seq };
        assert_eq!(unread(&messages, Some("c1"), Some(&mark(2))), 2);
        assert_eq!(unread(&messages, Some("c1"), Some(&mark(5))), 0);
        assert_eq!(unread(&messages, Some("c2"), Some(&mark(0))), 0, "another conversation's mark");
        assert_eq!(unread(&messages, Some("c1"), None), 0);
        assert_eq!(Read::parse(&mark(7).to_text()), Some(mark(7)));
        assert_eq!(Read::parse("x c1"), None);
    }

    #[test]
    fn the_mark_starts_at_the_history_and_only_moves_forward() {
        let mark = |conversation: &str, seq| Read { conversation: conversation.into(), seq };
        // First sight of a conversation: what was stored counts as seen.
        assert_eq!(next_mark(None, "c1", 4, None), Some(mark("c1", 4)));
        assert_eq!(next_mark(Some(&mark("c0", 9)), "c1", 4, None), Some(mark("c1", 4)));
        // Kept while nothing is seen; moved by what the visitor sees; never back.
        assert_eq!(next_mark(Some(&mark("c1", 4)), "c1", 6, None), None, "a reconnect's history is not read");
        assert_eq!(next_mark(Some(&mark("c1", 4)), "c1", 6, Some(7)), Some(mark("c1", 7)));
        assert_eq!(next_mark(Some(&mark("c1", 7)), "c1", 6, Some(5)), None);
    }

    #[test]
    fn the_title_counter_is_added_replaced_and_removed() {
        let p1 = title_prefix(1);
        assert_eq!(p1.as_deref(), Some("(1) "));
        assert_eq!(title_prefix(0), None);
        assert_eq!(title_prefix(120).as_deref(), Some("(99+) "));
        let one = retitle("Shop", None, p1.as_deref());
        assert_eq!(one, "(1) Shop");
        let p2 = title_prefix(2);
        assert_eq!(retitle(&one, p1.as_deref(), p2.as_deref()), "(2) Shop");
        assert_eq!(retitle("(2) Shop", p2.as_deref(), None), "Shop");
        assert_eq!(retitle("Cart", p2.as_deref(), None), "Cart", "a title the page set since is kept");
        assert_eq!(retitle("(3) news", None, None), "(3) news", "only the widget's own prefix goes");
    }
}
