//! The Triggers page's guidance rules and topics: each listed with a way to edit and remove
//! it, and a form to add one (or edit the one chosen). A change writes the site's whole list
//! into its settings document (`triggers.rules` or `triggers.topics`, which replaces the file's
//! list), audited and applied live like the page's switches. The checks are the configuration's
//! own ([`crate::triggers::guidance::problems`]): those of the entry in the form are shown at
//! their fields.

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
    triggers::{render, Shown},
    view::{self, checkbox, field, Input},
    AdminError,
};
use crate::{
    config::{RuleConfig, TopicConfig, TriggersConfig},
    state::AppState,
    triggers::guidance::{self, Kind},
};

/// The form of one rule or topic as typed (or as stored, when editing one).
#[derive(Clone)]
pub struct Draft {
    pub kind: Kind,
    /// The entry edited (its place in the list), or none for a new one.
    at: Option<usize>,
    /// The edited entry's name when the form was drawn: the list may have changed since.
    was: String,
    /// Text of each field: `name`, and `description`, `keywords`, `patterns` (rules) or `cues`,
    /// `always_human` (topics); lists one entry a line.
    values: HashMap<&'static str, String>,
    pub errors: HashMap<&'static str, String>,
}

impl Draft {
    /// An empty form adding to `kind`'s list.
    pub fn new(kind: Kind) -> Self {
        Self { kind, at: None, was: String::new(), values: HashMap::new(), errors: HashMap::new() }
    }

    /// The form editing entry `at` of `kind`'s list in `config`, if there is one.
    pub fn editing(kind: Kind, config: &TriggersConfig, at: usize) -> Option<Self> {
        let lines = |list: &[String]| list.join("\n");
        let (was, values) = match kind {
            Kind::Rule => {
                let rule = config.rules.get(at)?;
                (
                    rule.name.clone(),
                    HashMap::from([
                        ("name", rule.name.clone()),
                        ("description", rule.description.clone()),
                        ("keywords", lines(&rule.keywords)),
                        ("patterns", lines(&rule.patterns)),
                    ]),
                )
            }
            Kind::Topic => {
                let topic = config.topics.get(at)?;
                (
                    topic.name.clone(),
                    HashMap::from([
                        ("name", topic.name.clone()),
                        ("cues", lines(&topic.cues)),
                        ("always_human", if topic.always_human { "on".into() } else { String::new() }),
                    ]),
                )
            }
        };
        Some(Self { kind, at: Some(at), was, values, errors: HashMap::new() })
    }

    fn from_form(kind: Kind, form: &HashMap<String, String>) -> Result<Self, AdminError> {
        let at = match form.get("at").map(String::as_str) {
            None | Some("") => None,
            Some(at) => Some(at.parse().map_err(|_| AdminError::BadForm("`at` is not a position".into()))?),
        };
        let fields: &[&'static str] = match kind {
            Kind::Rule => &["name", "description", "keywords", "patterns"],
            Kind::Topic => &["name", "cues", "always_human"],
        };
        let values = fields
            .iter()
            .filter_map(|field| Some((*field, form.get(&format!("{}.{field}", kind.noun()))?.clone())))
            .collect();
        Ok(Self { kind, at, was: form.get("was").cloned().unwrap_or_default(), values, errors: HashMap::new() })
    }

    fn value(&self, field: &str) -> &str {
        self.values.get(field).map_or("", String::as_str)
    }

    /// A field's lines, trimmed, blank ones left out.
    fn lines(&self, field: &str) -> Vec<String> {
        self.value(field).lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
    }

    fn rule(&self) -> RuleConfig {
        RuleConfig {
            name: self.value("name").trim().to_string(),
            description: self.value("description").trim().to_string(),
            keywords: self.lines("keywords"),
            patterns: self.lines("patterns"),
        }
    }

    fn topic(&self) -> TopicConfig {
        TopicConfig {
            name: self.value("name").trim().to_string(),
            cues: self.lines("cues"),
            always_human: !self.value("always_human").is_empty(),
        }
    }

    /// A form field's name (and with `f-` its id): `topic.cues`.
    fn input(&self, field: &str) -> String {
        format!("{}.{field}", self.kind.noun())
    }
}

fn plural(kind: Kind) -> &'static str {
    match kind {
        Kind::Rule => "rules",
        Kind::Topic => "topics",
    }
}

/// `kind`'s list in `config`, with a way to edit or remove each entry, and `draft`'s form.
pub fn section(owner: &Signed, site: &str, config: &TriggersConfig, draft: &Draft) -> Markup {
    let kind = draft.kind;
    let noun = kind.noun();
    let action = format!("/admin/sites/{site}/triggers/{}", plural(kind));
    let names: Vec<&str> = match kind {
        Kind::Rule => config.rules.iter().map(|r| r.name.as_str()).collect(),
        Kind::Topic => config.topics.iter().map(|t| t.name.as_str()).collect(),
    };
    let change = |at: usize, name: &str| {
        html! {
            a href={ "/admin/sites/" (site) "/triggers?" (noun) "=" (at) "#" (noun) "-form" } {
                "Edit" span class="vh" { " " (noun) " " (name) } }
            form class="inline" method="post" action=(action) {
                (view::csrf(owner.csrf()))
                input type="hidden" name="at" value=(at);
                input type="hidden" name="was" value=(name);
                button type="submit" name="action" value="remove" class="quiet" {
                    "Remove" span class="vh" { " " (noun) " " (name) } }
            }
        }
    };
    let rows: Vec<Vec<Markup>> = match kind {
        Kind::Rule => config
            .rules
            .iter()
            .enumerate()
            .map(|(at, rule)| {
                vec![
                    html! { (rule.name) },
                    html! { (rule.description) },
                    html! { (rule.keywords.join(", ")) @if !rule.patterns.is_empty() { " (and " (rule.patterns.len()) " patterns)" } },
                    change(at, &rule.name),
                ]
            })
            .collect(),
        Kind::Topic => config
            .topics
            .iter()
            .enumerate()
            .map(|(at, topic)| {
                vec![
                    html! { (topic.name) },
                    html! { (topic.cues.join(", ")) },
                    html! { (if topic.always_human { "yes" } else { "no" }) },
                    change(at, &topic.name),
                ]
            })
            .collect(),
    };
    let headers: &[&str] = match kind {
        Kind::Rule => &["Name", "Description", "Keywords", "Change"],
        Kind::Topic => &["Name", "Cues", "Always a person", "Change"],
    };
    let error = |field: &str| draft.errors.get(field).map(String::as_str);
    let editing = draft.at.and_then(|at| names.get(at).map(|name| (at, *name)));
    html! {
        @if names.is_empty() { p { "None." } } @else { (view::table(headers, rows)) }
        form method="post" action=(action) id={ (noun) "-form" } {
            h3 { @match editing { Some((_, name)) => { "Edit " (noun) " “" (name) "”" }, None => { "Add a " (noun) } } }
            (view::csrf(owner.csrf()))
            @if let Some((at, _)) = editing {
                input type="hidden" name="at" value=(at);
                input type="hidden" name="was" value=(draft.was);
            }
            (field(&draft.input("name"), "Name", draft.value("name"), Input::Line,
                Some(match kind { Kind::Rule => "Agents read it as the reason for the handover.", Kind::Topic => "The tag agents see." }),
                error("name")))
            @match kind {
                Kind::Rule => {
                    (field(&draft.input("description"), "Description", draft.value("description"), Input::Text(3),
                        Some("The situation in plain language, such as \"If the visitor reports a product that overheats, hand over.\" A language model applies it as written; without one, two of its telling words must occur."),
                        error("description")))
                    (field(&draft.input("keywords"), "Keywords", draft.value("keywords"), Input::Text(4),
                        Some("One a line: words or phrases in any language, matched as whole words without case or accents."),
                        error("keywords")))
                    (field(&draft.input("patterns"), "Patterns", draft.value("patterns"), Input::Text(2),
                        Some("One a line, optional: regular expressions matched against the message as written."),
                        error("patterns")))
                }
                Kind::Topic => {
                    (field(&draft.input("cues"), "Cues", draft.value("cues"), Input::Text(4),
                        Some("One a line: words or phrases that place a message in the topic (whole words, no case or accents)."),
                        error("cues")))
                    (checkbox(&draft.input("always_human"), "Always a person: hand over as soon as the topic comes up",
                        !draft.value("always_human").is_empty(), None))
                }
            }
            div class="actions" {
                button type="submit" name="action" value="save" {
                    @if editing.is_some() { "Save " (noun) } @else { "Add " (noun) } }
                @if editing.is_some() { a href={ "/admin/sites/" (site) "/triggers#" (noun) "-form" } { "Cancel" } }
            }
        }
    }
}

pub async fn rules(
    State(state): State<AppState>,
    site: SiteOwner,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    change(&state, site, Kind::Rule, &form).await
}

pub async fn topics(
    State(state): State<AppState>,
    site: SiteOwner,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    change(&state, site, Kind::Topic, &form).await
}

/// Saves or removes (`action`) the form's entry of `kind`'s list.
async fn change(
    state: &AppState,
    SiteOwner { owner, site, live }: SiteOwner,
    kind: Kind,
    form: &HashMap<String, String>,
) -> Result<Response, AdminError> {
    let mut draft = Draft::from_form(kind, form)?;
    let remove = match form.get("action").map(String::as_str) {
        Some("save") => false,
        Some("remove") => true,
        _ => return Err(AdminError::BadForm("unknown action".into())),
    };
    let before = live.triggers.config();
    let answer = |status: StatusCode, shown: Shown, config: &TriggersConfig| {
        (status, render(&owner, &site, config, &shown, "")).into_response()
    };
    let mut config = before.clone();
    let names: Vec<String> = match kind {
        Kind::Rule => config.rules.iter().map(|r| r.name.clone()).collect(),
        Kind::Topic => config.topics.iter().map(|t| t.name.clone()).collect(),
    };
    let position = match draft.at {
        Some(at) if names.get(at) == Some(&draft.was) => at,
        Some(_) => {
            let problem = format!("The {} changed meanwhile; nothing was saved. Here they are now.", plural(kind));
            return Ok(answer(StatusCode::CONFLICT, Shown { problem: Some(problem), ..Shown::default() }, before));
        }
        None if remove => return Err(AdminError::BadForm("which one to remove?".into())),
        None => names.len(),
    };
    match (kind, remove) {
        (Kind::Rule, true) => {
            config.rules.remove(position);
        }
        (Kind::Topic, true) => {
            config.topics.remove(position);
        }
        (Kind::Rule, false) if position == names.len() => config.rules.push(draft.rule()),
        (Kind::Topic, false) if position == names.len() => config.topics.push(draft.topic()),
        (Kind::Rule, false) => config.rules[position] = draft.rule(),
        (Kind::Topic, false) => config.topics[position] = draft.topic(),
    }
    let problems = guidance::problems(&config);
    if !problems.is_empty() {
        let mut shown = Shown::default();
        for problem in problems {
            if problem.kind == kind && problem.position == position && !remove {
                draft.errors.entry(problem.field).or_insert_with(|| format!("{}.", capitalised(&problem.problem)));
            } else {
                shown.problem.get_or_insert_with(|| format!("Nothing was saved: {problem}."));
            }
        }
        if !draft.errors.is_empty() {
            shown.problem.get_or_insert_with(|| "Please correct the fields marked below; nothing was saved.".into());
        }
        shown.draft = Some(draft);
        return Ok(answer(StatusCode::UNPROCESSABLE_ENTITY, shown, before));
    }
    let (key, list) = match kind {
        Kind::Rule => ("triggers.rules", toml::Value::try_from(&config.rules)),
        Kind::Topic => ("triggers.topics", toml::Value::try_from(&config.topics)),
    };
    let list = list.map_err(|error| AdminError::Internal(error.to_string()))?;
    let action = format!("settings.{key}");
    let mut shown = Shown::default();
    match settings::save(state, &owner, &site, &action, &[(key, list)]).await {
        Ok(()) => {
            let name = if remove { names[position].clone() } else { draft.value("name").trim().to_string() };
            let done = match (remove, draft.at) {
                (true, _) => "removed",
                (false, Some(_)) => "saved",
                (false, None) => "added",
            };
            shown.saved = Some(format!("{} “{name}” {done}.", capitalised(kind.noun())));
        }
        Err(error) => {
            shown.problem = Some(error.to_string());
            shown.draft = Some(draft);
        }
    }
    let status = if shown.problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let now = state.sites.get(&site).map_or_else(|| before.clone(), |now| now.triggers.config().clone());
    Ok(answer(status, shown, &now))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}
