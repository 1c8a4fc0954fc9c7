//! The Handover page: every field of the site's handover settings (the seed's Handover node:
//! text message, cancel intent and phrases, unavailable and unsupported-channel messages, quick
//! reply and button texts, the ticket message, and the texts of the later steps), each
//! template checked on its own and previewed as the visitor would read it, with sample values
//! of its variables. "Preview" shows the texts as typed without saving; "Save" keeps the
//! fields that differ from what is in effect in the site's settings document.

use std::collections::HashMap;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Form,
};
use maud::{html, Markup};

use super::{
    session::{Signed, SiteOwner},
    settings,
    view::{self, field, Input, Said},
    AdminError,
};
use crate::{
    config::HandoverConfig,
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

/// The sample values previews render with.
fn sample() -> Vars {
    Vars {
        visitor_name: Some("Ada".into()),
        visitor_email: Some("ada@example.com".into()),
        queue_position: 2,
        wait_estimate: wait_wording(240, &[]),
        agent_name: Some("Alex".into()),
    }
}

/// The form's values, as text, by key.
type Values = HashMap<&'static str, String>;

fn values_of(config: &HandoverConfig) -> Values {
    let table = toml::Value::try_from(config).ok().and_then(|v| v.as_table().cloned()).unwrap_or_default();
    FIELDS
        .iter()
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

/// The previews of `values`' templates, when they all compile.
fn previews(values: &Values) -> HashMap<&'static str, String> {
    let mut config =
        toml::Value::try_from(HandoverConfig::default()).ok().and_then(|v| v.as_table().cloned()).unwrap_or_default();
    for f in FIELDS.iter().filter(|f| f.kind == Kind::Template) {
        config.insert(f.key.into(), toml::Value::String(values.get(f.key).cloned().unwrap_or_default()));
    }
    let Some(templates) = toml::Value::Table(config)
        .try_into::<HandoverConfig>()
        .ok()
        .and_then(|config| Templates::compile(&config).ok())
    else {
        return HashMap::new();
    };
    let vars = sample();
    FIELDS.iter().filter(|f| f.kind == Kind::Template).map(|f| (f.key, templates.render(f.key, &vars))).collect()
}

fn render(owner: &Signed, site: &str, values: &Values, errors: &HashMap<&str, String>, said: Said<'_>) -> Markup {
    let previews = previews(values);
    let body = html! {
        (said)
        @if !errors.is_empty() { (view::problem("Please correct the fields marked below; nothing was saved.")) }
        p {
            "Texts may use the variables "
            code { "visitor_name" } ", " code { "visitor_email" } ", " code { "queue_position" } ", "
            code { "wait_estimate" } " and " code { "agent_name" }
            " (" code { "{{ agent_name }}" } ", " code { "{% if visitor_name %}…{% endif %}" } "). "
            "Previews use Ada (ada@example.com), second in line, about 4 minutes, with Alex."
        }
        form method="post" action={ "/admin/sites/" (site) "/handover" } {
            (view::csrf(owner.csrf()))
            @for f in &FIELDS {
                @let value = values.get(f.key).map(String::as_str).unwrap_or_default();
                @let input = match f.kind { Kind::Template => Input::Text(3), Kind::Lines => Input::Text(4), _ => Input::Line };
                (field(f.key, f.label, value, input, Some(f.hint), errors.get(f.key).map(String::as_str)))
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
    view::page(&format!("Handover texts of {site}"), Some(owner), body)
}

pub async fn page(SiteOwner { owner, site, live }: SiteOwner) -> Markup {
    render(&owner, &site, &values_of(&live.config.handover), &HashMap::new(), Said::Nothing)
}

pub async fn submit(
    State(state): State<AppState>,
    SiteOwner { owner, site, live }: SiteOwner,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let config = live.config.clone();
    let current = values_of(&config.handover);
    let mut values = Values::new();
    let mut errors = HashMap::new();
    let mut changes = Vec::new();
    for f in &FIELDS {
        // A field left out of the form keeps its value.
        let text = form.get(f.key).map(|t| t.replace("\r\n", "\n")).unwrap_or_else(|| current[f.key].clone());
        match typed(f, &text) {
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
            (StatusCode::UNPROCESSABLE_ENTITY, render(&owner, &site, &values, &errors, Said::Nothing)).into_response()
        );
    }
    if !saving {
        return Ok(
            render(&owner, &site, &values, &errors, Said::Notice("Preview only: not saved yet.")).into_response()
        );
    }
    if changes.is_empty() {
        return Ok(render(&owner, &site, &values, &errors, Said::Notice("Nothing changed.")).into_response());
    }
    let changes: Vec<(&str, toml::Value)> = changes.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    match settings::save(&state, &owner, &site, "settings.handover", &changes).await {
        Ok(()) => {
            let notice = "Saved. New conversations, and the next message of ongoing ones, use these texts.";
            Ok(render(&owner, &site, &values, &errors, Said::Notice(notice)).into_response())
        }
        Err(error) => {
            let page = render(&owner, &site, &values, &errors, Said::Problem(&error.to_string()));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
