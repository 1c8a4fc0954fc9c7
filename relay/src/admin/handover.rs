//! The Handover page: every field of the site's handover settings (the seed's Handover node:
//! text message, cancel intent and phrases, unavailable and unsupported-channel messages, quick
//! reply and button texts, the ticket message, and the texts of the later steps), each
//! template checked on its own and previewed as the visitor would read it, with sample values
//! of its variables. "Preview" shows the texts as typed without saving; "Save" keeps the
//! fields that differ from what is in effect in the site's settings document.
//!
//! `?lang=de` edits one language's own texts (`[handover.texts.de]`: the templates, the two
//! button labels and the cancel phrases): a field left empty is the default text, and the
//! previews show what a visitor reading that language gets, the default's where the language
//! sets none, with the wait worded in that language. The language's table in the document
//! replaces the file's whole (`site_settings::merge`), so emptying a field the file sets gives
//! the default back.

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Form,
};
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    session::{Signed, SiteOwner},
    settings,
    view::{self, field, Input, Said},
    AdminError,
};
use crate::{
    config::{HandoverConfig, HandoverTexts},
    site_settings::SettingsError,
    state::AppState,
    templates::{wait_wording, Templates, Vars},
};

/// How a field is typed and stored.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// A text with variables (MiniJinja).
    Template,
    /// One line of plain text, required.
    Line,
    /// One entry a line (a list in the settings).
    Lines,
    /// Minutes, a number above zero.
    Minutes,
}

struct Field {
    key: &'static str,
    label: &'static str,
    hint: &'static str,
    kind: Kind,
}

const FIELDS: [Field; 18] = [
    Field {
        key: "text_message",
        label: "Handover started message",
        hint: "Posted when the handover starts.",
        kind: Kind::Template,
    },
    Field {
        key: "ticket_message",
        label: "Ticket message",
        hint: "Instead of the started message when the helpdesk takes tickets.",
        kind: Kind::Template,
    },
    Field {
        key: "unavailable_message",
        label: "Unavailable message",
        hint: "Nobody online, outside office hours, or the helpdesk is down.",
        kind: Kind::Template,
    },
    Field {
        key: "unsupported_channel_message",
        label: "Unsupported channel message",
        hint: "The channel cannot carry a live chat (the HTTP channel).",
        kind: Kind::Template,
    },
    Field {
        key: "quick_reply_text",
        label: "Quick reply text",
        hint: "The button that cancels a pending handover.",
        kind: Kind::Line,
    },
    Field {
        key: "request_button_text",
        label: "Button text",
        hint: "The always-reachable button that asks for a person.",
        kind: Kind::Line,
    },
    Field {
        key: "cancel_intent",
        label: "Cancel intent name",
        hint: "The intent that cancels a pending handover.",
        kind: Kind::Line,
    },
    Field {
        key: "cancel_phrases",
        label: "Cancel phrases",
        hint: "One a line; compared without case and punctuation while waiting.",
        kind: Kind::Lines,
    },
    Field {
        key: "request_phrases",
        label: "Extra phrases that ask for a person",
        hint: "One a line, on top of the built-in detector.",
        kind: Kind::Lines,
    },
    Field {
        key: "cancelled_message",
        label: "Cancelled message",
        hint: "After the visitor cancels.",
        kind: Kind::Template,
    },
    Field {
        key: "agent_joined_message",
        label: "Agent joined message",
        hint: "When an agent takes the chat.",
        kind: Kind::Template,
    },
    Field {
        key: "agent_ended_message",
        label: "Agent ended message",
        hint: "When the agent ends the chat.",
        kind: Kind::Template,
    },
    Field {
        key: "follow_up_saved_message",
        label: "Follow-up saved message",
        hint: "After the visitor leaves an email while nobody is available.",
        kind: Kind::Template,
    },
    Field {
        key: "rating_prompt",
        label: "Rating prompt",
        hint: "Asks the visitor to rate the chat.",
        kind: Kind::Template,
    },
    Field { key: "rated_message", label: "Rated message", hint: "Thanks for the rating.", kind: Kind::Template },
    Field {
        key: "bot_back_message",
        label: "Bot back message",
        hint: "When the bot answers again.",
        kind: Kind::Template,
    },
    Field {
        key: "delayed_message",
        label: "Delayed message",
        hint: "The helpdesk is slow to take the handover.",
        kind: Kind::Template,
    },
    Field {
        key: "average_handling_minutes",
        label: "Average handling time (minutes)",
        hint: "For the wait estimate.",
        kind: Kind::Minutes,
    },
];

/// The languages the widget speaks, offered for their own texts; any other language tag can be
/// edited by its address (`?lang=pt-br`), and the site's configured ones are offered too.
const LANGUAGES: [(&str, &str); 7] = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
    ("it", "Italiano"),
    ("pt", "Português"),
    ("nl", "Nederlands"),
];

/// Whether a language may set its own `f` (`HandoverTexts`: the templates, the two labels and
/// the cancel phrases).
fn in_languages(f: &Field) -> bool {
    f.kind == Kind::Template || matches!(f.key, "quick_reply_text" | "request_button_text" | "cancel_phrases")
}

/// The fields the page edits: all of them for the site's default texts, a language's own else.
fn fields(language: Option<&str>) -> impl Iterator<Item = &'static Field> {
    let all = language.is_none();
    FIELDS.iter().filter(move |f| all || in_languages(f))
}

/// `?lang=`: the language whose texts the page edits; none, the site's default texts.
#[derive(Deserialize, Default)]
pub struct Language {
    #[serde(default)]
    lang: Option<String>,
}

impl Language {
    /// The language tag asked for, lower-cased, or `BadForm` when it is none.
    fn tag(&self) -> Result<Option<String>, AdminError> {
        match self.lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            None => Ok(None),
            Some(tag) => shared::look::language_tag(tag)
                .map(Some)
                .ok_or_else(|| AdminError::BadForm(format!("{tag:?} is not a language tag such as de or pt-br"))),
        }
    }
}

/// The sample values previews render with, the wait worded in `language`.
fn sample(language: Option<&str>) -> Vars {
    let languages: Vec<String> = language.map(str::to_string).into_iter().collect();
    Vars {
        visitor_name: Some("Ada".into()),
        visitor_email: Some("ada@example.com".into()),
        queue_position: 2,
        wait_estimate: wait_wording(240, &languages),
        agent_name: Some("Alex".into()),
    }
}

/// The form's values, as text, by key.
type Values = HashMap<&'static str, String>;

/// The page's values: the site's default texts, or `language`'s own (empty where it has none).
fn values_of(config: &HandoverConfig, language: Option<&str>) -> Values {
    let table = match language {
        None => toml::Value::try_from(config).ok(),
        Some(language) => toml::Value::try_from(config.texts.get(language).cloned().unwrap_or_default()).ok(),
    }
    .and_then(|v| v.as_table().cloned())
    .unwrap_or_default();
    fields(language)
        .map(|f| {
            let text = match table.get(f.key) {
                Some(toml::Value::String(s)) => s.clone(),
                Some(toml::Value::Array(items)) => {
                    items.iter().filter_map(|i| i.as_str()).collect::<Vec<_>>().join("\n")
                }
                Some(other) => other.to_string(),
                None => String::new(),
            };
            (f.key, text)
        })
        .collect()
}

/// A field's typed value, or what is wrong with it.
fn typed(f: &Field, text: &str) -> Result<toml::Value, String> {
    match f.kind {
        Kind::Template => {
            let mut one = HandoverConfig::default();
            let mut table = toml::Value::try_from(&one).map_err(|e| e.to_string())?;
            if let Some(t) = table.as_table_mut() {
                t.insert(f.key.into(), toml::Value::String(text.to_string()));
            }
            one = table.try_into().map_err(|e: toml::de::Error| e.to_string())?;
            Templates::compile(&one).map_err(|e| format!("Line {}: {}", e.line, e.message))?;
            Ok(toml::Value::String(text.to_string()))
        }
        Kind::Line if text.trim().is_empty() => Err("This cannot be empty.".into()),
        Kind::Line => Ok(toml::Value::String(text.trim().to_string())),
        Kind::Lines => Ok(toml::Value::Array(
            text.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| toml::Value::String(l.into())).collect(),
        )),
        Kind::Minutes => match text.trim().parse::<f64>() {
            Ok(minutes) if minutes > 0.0 && minutes <= 600.0 => Ok(toml::Value::Float(minutes)),
            _ => Err("Enter a number of minutes above 0 (up to 600).".into()),
        },
    }
}

/// A language's own texts from the page's `values`: each field that is not empty, typed.
fn language_texts(values: &Values) -> Result<(toml::Table, HandoverTexts), HashMap<&'static str, String>> {
    let mut table = toml::Table::new();
    let mut errors = HashMap::new();
    for f in FIELDS.iter().filter(|f| in_languages(f)) {
        let text = values.get(f.key).map(String::as_str).unwrap_or_default();
        match typed(f, text) {
            _ if text.trim().is_empty() => {}
            Ok(toml::Value::Array(items)) if items.is_empty() => {}
            Ok(value) => {
                table.insert(f.key.to_string(), value);
            }
            Err(error) => {
                errors.insert(f.key, error);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let texts = toml::Value::Table(table.clone())
        .try_into()
        .map_err(|e: toml::de::Error| HashMap::from([("text_message", e.message().to_string())]))?;
    Ok((table, texts))
}

/// The previews of `values`' templates in `language` (the site's `live` texts where they are not
/// edited here), when they all compile.
fn previews(live: &HandoverConfig, values: &Values, language: Option<&str>) -> HashMap<&'static str, String> {
    let config = match language {
        None => {
            let mut table = toml::Value::try_from(live).ok().and_then(|v| v.as_table().cloned()).unwrap_or_default();
            for f in FIELDS.iter().filter(|f| f.kind == Kind::Template) {
                table.insert(f.key.into(), toml::Value::String(values.get(f.key).cloned().unwrap_or_default()));
            }
            toml::Value::Table(table).try_into::<HandoverConfig>().ok()
        }
        Some(language) => language_texts(values).ok().map(|(_, texts)| {
            let mut config = live.clone();
            config.texts.insert(language.to_string(), texts);
            config
        }),
    };
    let Some(templates) = config.and_then(|config| Templates::compile(&config).ok()) else {
        return HashMap::new();
    };
    let vars = sample(language);
    // What a visitor of that language reads: its texts, else Baton's translation of a kept default.
    let builtin = language.and_then(|l| HandoverConfig::builtin_language(&[l.to_string()]));
    FIELDS
        .iter()
        .filter(|f| f.kind == Kind::Template)
        .map(|f| (f.key, templates.render_in(language, builtin, f.key, &vars)))
        .collect()
}

/// The page's language links: the site's default texts, the widget's languages and any other
/// the site has texts for; the current one marked.
fn languages_nav(site: &str, live: &HandoverConfig, language: Option<&str>) -> Markup {
    let mut offered: Vec<(String, String)> =
        LANGUAGES.iter().map(|(tag, name)| (tag.to_string(), name.to_string())).collect();
    for tag in live.texts.keys().chain(language.map(str::to_string).as_ref()) {
        if !offered.iter().any(|(t, _)| t == tag) {
            offered.push((tag.clone(), tag.clone()));
        }
    }
    let current = |tag: Option<&str>| (tag == language).then_some("page");
    html! {
        nav aria-label="Language of the texts" class="site-nav" {
            a href={ "/admin/sites/" (site) "/handover" } aria-current=[current(None)] { "Default (every other language)" }
            @for (tag, name) in &offered {
                a href={ "/admin/sites/" (site) "/handover?lang=" (tag) } lang=(tag) aria-current=[current(Some(tag))] {
                    (name)
                    @if live.texts.contains_key(tag) { " (own texts)" }
                }
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Shown<'a> {
    site: &'a str,
    /// The texts in effect (for the previews' defaults and the language links).
    live: &'a HandoverConfig,
    language: Option<&'a str>,
}

fn render(
    owner: &Signed,
    shown: &Shown<'_>,
    values: &Values,
    errors: &HashMap<&str, String>,
    said: Said<'_>,
) -> Markup {
    let Shown { site, live, language } = *shown;
    let previews = previews(live, values, language);
    let action = match language {
        None => format!("/admin/sites/{site}/handover"),
        Some(language) => format!("/admin/sites/{site}/handover?lang={language}"),
    };
    let body = html! {
        (said)
        @if !errors.is_empty() { (view::problem("Please correct the fields marked below; nothing was saved.")) }
        (languages_nav(site, live, language))
        @if let Some(language) = language {
            p {
                "The texts visitors reading " code { (language) } " get. A field left empty is the default text "
                "(shown in its preview); the other settings are the same for every language."
            }
        }
        p {
            "Texts may use the variables "
            code { "visitor_name" } ", " code { "visitor_email" } ", " code { "queue_position" } ", "
            code { "wait_estimate" } " and " code { "agent_name" }
            " (" code { "{{ agent_name }}" } ", " code { "{% if visitor_name %}…{% endif %}" } "). "
            "Previews use Ada (ada@example.com), second in line, about 4 minutes, with Alex."
        }
        form method="post" action=(action) {
            (view::csrf(owner.csrf()))
            @for f in fields(language) {
                @let value = values.get(f.key).map(String::as_str).unwrap_or_default();
                @let input = match f.kind { Kind::Template => Input::Text(3), Kind::Lines => Input::Text(4), _ => Input::Line };
                @let hint = if language.is_some() { format!("{} Empty: the default text.", f.hint) } else { f.hint.to_string() };
                (field(f.key, f.label, value, input, Some(&hint), errors.get(f.key).map(String::as_str)))
                @if let Some(preview) = previews.get(f.key) {
                    div class="preview" {
                        span class="preview-label" { "Preview: " }
                        output for={ "f-" (f.key) } data-preview=(f.key) { (preview) }
                    }
                }
            }
            div class="actions" {
                button type="submit" name="action" value="preview" { "Preview" }
                button type="submit" name="action" value="save" { "Save" }
            }
        }
    };
    let title = match language {
        None => format!("Handover texts of {site}"),
        Some(language) => format!("Handover texts of {site} in {language}"),
    };
    view::page(&title, Some(owner), body)
}

pub async fn page(
    SiteOwner { owner, site, live }: SiteOwner,
    Query(query): Query<Language>,
) -> Result<Markup, AdminError> {
    let language = query.tag()?;
    let handover = &live.config.handover;
    let shown = Shown { site: &site, live: handover, language: language.as_deref() };
    Ok(render(&owner, &shown, &values_of(handover, language.as_deref()), &HashMap::new(), Said::Nothing))
}

pub async fn submit(
    State(state): State<AppState>,
    SiteOwner { owner, site, live }: SiteOwner,
    Query(query): Query<Language>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let language = query.tag()?;
    let handover = &live.config.handover;
    let shown = Shown { site: &site, live: handover, language: language.as_deref() };
    let current = values_of(handover, language.as_deref());
    let mut values = Values::new();
    let mut errors = HashMap::new();
    let mut changes = Vec::new();
    for f in fields(language.as_deref()) {
        // A field left out of the form keeps its value.
        let text = form.get(f.key).map(|t| t.replace("\r\n", "\n")).unwrap_or_else(|| current[f.key].clone());
        // A language's empty field is the default text.
        let blank_is_default = language.is_some() && text.trim().is_empty();
        match typed(f, &text) {
            _ if blank_is_default => {}
            Ok(value) if text != current[f.key] => changes.push((format!("handover.{}", f.key), value)),
            Ok(_) => {}
            Err(error) => {
                errors.insert(f.key, error);
            }
        }
        values.insert(f.key, text);
    }
    let saving = form.get("action").map(String::as_str) == Some("save");
    if !errors.is_empty() {
        return Ok(
            (StatusCode::UNPROCESSABLE_ENTITY, render(&owner, &shown, &values, &errors, Said::Nothing)).into_response()
        );
    }
    if !saving {
        return Ok(
            render(&owner, &shown, &values, &errors, Said::Notice("Preview only: not saved yet.")).into_response()
        );
    }
    let result = match &language {
        None if changes.is_empty() => Ok(false),
        None => {
            let changes: Vec<(&str, toml::Value)> = changes.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
            settings::save(&state, &owner, &site, "settings.handover", &changes).await.map(|()| true)
        }
        Some(language) => save_language(&state, &owner, &site, handover, language, &values).await,
    };
    match result {
        Ok(false) => Ok(render(&owner, &shown, &values, &errors, Said::Notice("Nothing changed.")).into_response()),
        Ok(true) => {
            let now = state.sites.get(&site).ok_or(AdminError::NotFound)?;
            let shown = Shown { live: &now.config.handover, ..shown };
            let notice = "Saved. New conversations, and the next message of ongoing ones, use these texts.";
            Ok(render(&owner, &shown, &values, &errors, Said::Notice(notice)).into_response())
        }
        Err(error) => {
            let page = render(&owner, &shown, &values, &errors, Said::Problem(&error.to_string()));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// Writes `language`'s texts from `values` as its whole table in the site's document (or takes
/// the table away when every field is empty and the file has none for it); `false` when they
/// are the ones in effect.
async fn save_language(
    state: &AppState,
    owner: &Signed,
    site: &str,
    live: &HandoverConfig,
    language: &str,
    values: &Values,
) -> Result<bool, SettingsError> {
    let (table, texts) = language_texts(values)
        .map_err(|errors| SettingsError::Invalid(errors.into_values().collect::<Vec<_>>().join(" ")))?;
    if live.texts.get(language).cloned().unwrap_or_default() == texts {
        return Ok(false);
    }
    let in_file = state.settings.file().sites.get(site).is_some_and(|s| s.handover.texts.contains_key(language));
    settings::edit(state, owner, site, "settings.handover", |doc| {
        let handover = doc.entry("handover").or_insert_with(|| toml::Table::new().into());
        let toml::Value::Table(handover) = handover else {
            return Err(SettingsError::Invalid("the document's handover is not a table".into()));
        };
        let all = handover.entry("texts").or_insert_with(|| toml::Table::new().into());
        let toml::Value::Table(all) = all else {
            return Err(SettingsError::Invalid("the document's handover.texts is not a table".into()));
        };
        // An empty table over the file's language says "the defaults"; without one, none is needed.
        if table.is_empty() && !in_file {
            all.remove(language);
        } else {
            all.insert(language.to_string(), toml::Value::Table(table));
        }
        if all.is_empty() {
            handover.remove("texts");
        }
        if handover.is_empty() {
            doc.remove("handover");
        }
        Ok(())
    })
    .await
    .map(|()| true)
}
