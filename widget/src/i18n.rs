//! The widget's own texts in English, German, French, Spanish, Italian, Portuguese and Dutch,
//! and the choice of language. English is a table of `&'static str` compiled in ([`EN`]); the
//! six others are `widget/texts/<code>.json`, key by key the same, which the wasm fetches from
//! the relay only for a visitor who speaks one (`texts.rs`; issue 13's size budget), showing
//! English until it arrives. Natively (tests) they are compiled in from the same files. Texts
//! with a value carry `{n}`, `{name}` or `{wait}`, filled by [`fill`].
//!
//! The visitor's languages, best first: what the page set with `Baton.setLanguage` (or
//! `data-language`), the site's `language` (from the relay's `welcome`), the page's
//! `<html lang>`, then the browser's `navigator.languages`. The widget speaks the first of them
//! it has texts for (English when none); the whole list goes to the relay, which picks the
//! site's handover texts by it.

use shared::{look::language_tag, MAX_LANGUAGES};

/// A language the widget has texts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
    It,
    Pt,
    Nl,
}

impl Lang {
    /// The language of a tag, by its primary subtag (`pt-BR` is Portuguese).
    pub fn of(tag: &str) -> Option<Lang> {
        let tag = language_tag(tag)?;
        Some(match shared::look::primary_language(&tag) {
            "en" => Lang::En,
            "de" => Lang::De,
            "fr" => Lang::Fr,
            "es" => Lang::Es,
            "it" => Lang::It,
            "pt" => Lang::Pt,
            "nl" => Lang::Nl,
            _ => return None,
        })
    }

    /// The first language of `preferences` the widget speaks, else English.
    pub fn pick(preferences: &[String]) -> Lang {
        preferences.iter().find_map(|tag| Lang::of(tag)).unwrap_or(Lang::En)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::Es => "es",
            Lang::It => "it",
            Lang::Pt => "pt",
            Lang::Nl => "nl",
        }
    }

    /// The language whose texts are shown: this one once its table is here, English until then.
    pub fn shown(self) -> Lang {
        if table(self).is_some() {
            self
        } else {
            Lang::En
        }
    }

    /// This language's texts, English until its table is here.
    pub fn texts(self) -> &'static Texts {
        table(self).unwrap_or(&EN)
    }
}

/// The visitor's languages, best first, as checked lower-case tags without repeats (at most
/// [`MAX_LANGUAGES`]): `chosen` (`Baton.setLanguage`), the site's, the page's, the browser's.
pub fn preferences(chosen: Option<&str>, site: Option<&str>, page: Option<&str>, browser: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let given = [chosen, site, page].into_iter().flatten().chain(browser.iter().map(String::as_str));
    for tag in given.filter_map(language_tag) {
        if out.len() == MAX_LANGUAGES {
            break;
        }
        if !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// `text` with `{key}` replaced by `value`.
pub fn fill(text: &str, key: &str, value: &str) -> String {
    text.replace(&format!("{{{key}}}"), value)
}

/// The texts' struct, its keys and its reading from a keyed table, from one list of keys.
macro_rules! texts {
    ($($(#[$doc:meta])* $key:ident,)*) => {
        /// Every text of the widget's own, in one language.
        pub struct Texts {
            $($(#[$doc])* pub $key: &'static str,)*
        }

        impl Texts {
            /// The keys, as in `widget/texts/<code>.json`.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// The texts `text` gives by key, English for any it lacks. One loop over the keys
            /// (the struct is taken apart and put together as an array): a few bytes of wasm
            /// instead of a call per text.
            pub fn read(text: impl Fn(&str) -> Option<&'static str>) -> Texts {
                let Texts { $($key),* } = EN;
                let mut values = [$($key),*];
                for (value, key) in values.iter_mut().zip(Self::KEYS) {
                    if let Some(own) = text(key) {
                        *value = own;
                    }
                }
                let [$($key),*] = values;
                Texts { $($key),* }
            }

            /// Every text, in the order of [`Texts::KEYS`].
            #[cfg(test)]
            pub fn all(&self) -> Vec<&'static str> {
                vec![$(self.$key),*]
            }
        }
    };
}

texts! {
    placeholder,
    message_label,
    send,
    too_long,
    unavailable,
    open_chat,
    /// `{n}`: the unread count.
    open_chat_unread,
    close_chat,
    connecting,
    online,
    offline,
    messages,
    empty,
    suggested,
    sending,
    retry,
    /// Before a help article's title.
    source,
    /// An agent without a name, as the author of a message.
    agent,
    /// An agent without a name, typing.
    an_agent,
    /// `{name}`.
    typing,
    waiting,
    under_a_minute,
    /// `{n}`: minutes.
    about_minutes,
    /// `{wait}`.
    next_in_line,
    /// `{n}`: the place, `{wait}`.
    place_in_line,
    cancel,
    rate_limited,
    not_sent,
    not_delivered,
    reload,
    site_unavailable,
    chat_unavailable,
    /// The email prompt's consent wording (a site may set its own).
    email_consent,
    email_label,
    email_save,
    email_skip,
    /// An email the widget or the relay refused.
    email_invalid,
    /// An email that could not go out: the chat is offline.
    email_offline,
    /// Before the email given, with a button to change it.
    email_yours,
    email_change,
    summary_title,
    /// Above the summary on a site whose helpdesk is a contact form.
    summary_for_form,
    copy,
    copied,
    /// The clipboard refused: the summary is selected instead.
    copy_by_hand,
    open_form,
    /// Closes the proactive message by the launcher.
    dismiss,
    transcript_title,
    transcript_download,
    transcript_email,
    /// `{email}`: where the transcript is being sent.
    transcript_sending,
    /// `{email}`: the relay took the request (the chat says when the mail server has it).
    transcript_sent,
    transcript_failed,
    /// The paperclip button (opens the file picker).
    attach,
    /// The list of files about to be sent.
    files,
    /// `{name}`: a file being uploaded.
    uploading,
    /// `{name}`.
    file_ready,
    /// `{name}`: the button taking a file off the message.
    remove_file,
    /// Shown over the panel while files are dragged over it.
    drop_files,
    /// `{name}`, `{max}`: the site's largest file.
    file_too_large,
    /// `{name}`.
    file_type,
    /// `{name}`.
    file_failed,
    /// `{name}`.
    file_offline,
    /// `{n}`: files per message.
    too_many_files,
}

pub static EN: Texts = Texts {
    placeholder: "Write a message…",
    message_label: "Message",
    send: "Send message",
    too_long: "This message is too long.",
    unavailable: "The chat is unavailable.",
    open_chat: "Open chat",
    open_chat_unread: "Open chat, {n} unread",
    close_chat: "Close chat",
    connecting: "Connecting…",
    online: "Online",
    offline: "Offline — reconnecting",
    messages: "Messages",
    empty: "Ask us anything — we usually answer right away.",
    suggested: "Suggested replies",
    sending: "Sending…",
    retry: "Retry",
    source: "From: ",
    agent: "Agent",
    an_agent: "An agent",
    typing: "{name} is typing…",
    waiting: "Waiting for a person…",
    under_a_minute: "less than a minute",
    about_minutes: "about {n} min",
    next_in_line: "You're next · {wait}",
    place_in_line: "You're #{n} in line · {wait}",
    cancel: "Cancel",
    rate_limited: "Too many messages. Try again in a moment.",
    not_sent: "This message could not be sent.",
    not_delivered: "Not delivered.",
    reload: "Chat unavailable: please reload the page.",
    site_unavailable: "Chat unavailable for this site.",
    chat_unavailable: "Chat unavailable.",
    email_consent: "Leave your email and our team can answer you there too. We use it only for this request.",
    email_label: "Your email",
    email_save: "Save",
    email_skip: "No, thanks",
    email_invalid: "That doesn't look like an email address (like name@example.com).",
    email_offline: "Not saved: the chat is offline. Try again in a moment.",
    email_yours: "Your email:",
    email_change: "Change",
    summary_title: "Summary passed to our team",
    summary_for_form: "Copy this summary into the contact form:",
    copy: "Copy",
    copied: "Copied.",
    copy_by_hand: "Selected: press Ctrl+C to copy.",
    open_form: "Open the contact form",
    dismiss: "Dismiss",
    transcript_title: "Your transcript",
    transcript_download: "Download transcript",
    transcript_email: "Email me the transcript",
    transcript_sending: "Sending the transcript to {email}…",
    transcript_sent: "The transcript is on its way to {email}.",
    transcript_failed: "That did not work. Please try again later.",
    attach: "Attach files",
    files: "Files to send",
    uploading: "Uploading {name}…",
    file_ready: "{name} is ready to send.",
    remove_file: "Remove {name}",
    drop_files: "Drop files here to send them",
    file_too_large: "{name} is too large: files can be up to {max}.",
    file_type: "{name} can't be sent: this kind of file isn't accepted here.",
    file_failed: "{name} could not be uploaded. Please try again.",
    file_offline: "{name} was not uploaded: you're offline.",
    too_many_files: "Up to {n} files per message.",
};

/// A text read from a table, kept as long as the page (each table is read once).
pub fn keep(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

/// The languages whose tables the page has (English always).
#[cfg(target_arch = "wasm32")]
mod tables {
    use std::cell::RefCell;

    use super::{Lang, Texts};

    thread_local! {
        static LOADED: RefCell<Vec<(Lang, &'static Texts)>> = const { RefCell::new(Vec::new()) };
    }

    pub fn table(lang: Lang) -> Option<&'static Texts> {
        if lang == Lang::En {
            return Some(&super::EN);
        }
        LOADED.with(|l| l.borrow().iter().find(|(l, _)| *l == lang).map(|(_, t)| *t))
    }

    /// Keeps a table fetched from the relay (`texts.rs`).
    pub fn add(lang: Lang, texts: Texts) {
        let texts: &'static Texts = Box::leak(Box::new(texts));
        LOADED.with(|l| l.borrow_mut().push((lang, texts)));
    }
}

/// Natively the tables are compiled in from the files the relay serves.
#[cfg(not(target_arch = "wasm32"))]
mod tables {
    use std::sync::OnceLock;

    use super::{keep, Lang, Texts};

    pub fn source(lang: Lang) -> &'static str {
        match lang {
            Lang::En => "{}",
            Lang::De => include_str!("../texts/de.json"),
            Lang::Fr => include_str!("../texts/fr.json"),
            Lang::Es => include_str!("../texts/es.json"),
            Lang::It => include_str!("../texts/it.json"),
            Lang::Pt => include_str!("../texts/pt.json"),
            Lang::Nl => include_str!("../texts/nl.json"),
        }
    }

    pub fn table(lang: Lang) -> Option<&'static Texts> {
        if lang == Lang::En {
            return Some(&super::EN);
        }
        static TABLES: [OnceLock<Option<Texts>>; 6] = [const { OnceLock::new() }; 6];
        let slot = &TABLES[(lang as usize).checked_sub(1)?];
        slot.get_or_init(|| {
            let table: serde_json::Map<String, serde_json::Value> = serde_json::from_str(source(lang)).ok()?;
            Some(Texts::read(|key| Some(keep(table.get(key)?.as_str()?.to_string()))))
        })
        .as_ref()
    }
}

#[cfg(target_arch = "wasm32")]
pub use tables::add;
use tables::table;

/// Whether `lang` needs a table from the relay that the page does not have yet.
pub fn missing(lang: Lang) -> bool {
    table(lang).is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Lang; 7] = [Lang::En, Lang::De, Lang::Fr, Lang::Es, Lang::It, Lang::Pt, Lang::Nl];

    #[test]
    fn the_page_then_the_browser_decide_and_the_page_script_and_site_override() {
        let browser = |tags: &[&str]| tags.iter().map(|t| t.to_string()).collect::<Vec<_>>();
        // Only the browser: its first language the widget speaks.
        let p = preferences(None, None, None, &browser(&["de-AT", "de", "en-US"]));
        assert_eq!(p, ["de-at", "de", "en-us"]);
        assert_eq!(Lang::pick(&p), Lang::De);
        // The page's <html lang> comes before the browser.
        let p = preferences(None, None, Some("fr"), &browser(&["de"]));
        assert_eq!(Lang::pick(&p), Lang::Fr);
        // The site's setting before the page; Baton.setLanguage before everything.
        assert_eq!(Lang::pick(&preferences(None, Some("it"), Some("fr"), &browser(&["de"]))), Lang::It);
        assert_eq!(Lang::pick(&preferences(Some("NL"), Some("it"), Some("fr"), &[])), Lang::Nl);
        // A language the widget lacks is kept for the relay (the site may have handover texts in
        // it) and the widget speaks the next one it has, else English.
        let p = preferences(None, None, Some("ar"), &browser(&["pt-BR", "en"]));
        assert_eq!(p, ["ar", "pt-br", "en"]);
        assert_eq!(Lang::pick(&p), Lang::Pt);
        assert_eq!(Lang::pick(&preferences(None, None, Some("he"), &[])), Lang::En);
        assert_eq!(Lang::pick(&[]), Lang::En);
        // Junk is dropped, repeats once, at most MAX_LANGUAGES.
        let p =
            preferences(Some("x<y"), None, Some("de"), &browser(&["DE", "", "es", "fr", "it", "nl", "pt", "en", "da"]));
        assert_eq!(p, ["de", "es", "fr", "it", "nl", "pt", "en", "da"]);
    }

    #[test]
    fn every_language_has_every_text_with_its_placeholders() {
        let english = EN.all();
        for lang in ALL {
            let texts = lang.texts().all();
            assert_eq!(texts.len(), english.len());
            for (text, en) in texts.iter().zip(&english) {
                assert!(!text.trim().is_empty(), "{lang:?}: empty text for {en:?}");
                for key in ["{n}", "{name}", "{wait}", "{email}", "{max}"] {
                    assert_eq!(text.contains(key), en.contains(key), "{lang:?}: {text:?} vs {en:?}");
                }
            }
            assert_eq!(Lang::of(lang.code()), Some(lang));
        }
        // Translated, not copied: most texts differ from English.
        for lang in &ALL[1..] {
            let same = lang.texts().all().iter().zip(&english).filter(|(a, b)| a == b).count();
            assert!(same <= 3, "{lang:?} has {same} English texts");
        }
        assert_eq!(fill(Lang::De.texts().place_in_line, "n", "3"), "Sie sind Nr. 3 in der Warteschlange · {wait}");
    }

    /// `widget/texts/<code>.json`, as the relay serves them: each an object of strings holding
    /// every key of English and no other (a key missing would show English).
    #[test]
    fn every_table_file_parses_and_has_every_key_of_english() {
        for lang in &ALL[1..] {
            let table: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(tables::source(*lang)).unwrap_or_else(|e| panic!("{lang:?}: {e}"));
            let mut keys: Vec<&str> = table.keys().map(String::as_str).collect();
            let mut english = Texts::KEYS.to_vec();
            keys.sort_unstable();
            english.sort_unstable();
            assert_eq!(keys, english, "{lang:?}");
            assert!(table.values().all(serde_json::Value::is_string), "{lang:?}: a value is not a string");
            assert!(!missing(*lang), "{lang:?}: the table does not read");
        }
    }
}
