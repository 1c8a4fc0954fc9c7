//! The Triggers page: each trigger on or off with its threshold and action, the guidance rules
//! and topics (edited in [`super::guidance`]), and a "try a sentence" box that runs the site's live triggers on a
//! sentence and shows which would fire and why (the same `Triggers::evaluate` a conversation
//! uses, without the language model's reading).

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Form,
};
use maud::{html, Markup};

use super::{
    guidance::{self, Draft},
    session::{Signed, SiteOwner},
    settings,
    view::{self, checkbox, field, select, Input},
    AdminError,
};
use crate::{
    config::{FrustrationAction, TriggersConfig},
    state::AppState,
    triggers::{guidance::Kind, Verdict},
};

/// What the page shows besides the settings.
#[derive(Default)]
pub(super) struct Shown {
    pub notice: Option<&'static str>,
    /// A rule or topic saved or removed.
    pub saved: Option<String>,
    pub problem: Option<String>,
    /// The rule or topic form as typed (or the one chosen for editing); the other list's form
    /// is empty.
    pub draft: Option<Draft>,
    /// Typed values that did not pass, by field.
    pub errors: HashMap<&'static str, String>,
    /// The sentence tried and what the triggers made of it.
    pub tried: Option<(String, Verdict)>,
}

fn describe(verdict: &Verdict, config: &TriggersConfig) -> Markup {
    let outcome = match (&verdict.handover, &verdict.offer) {
        (Some(trigger), _) => format!("Hands over to a person: {}.", trigger.detail),
        (None, Some(trigger)) => format!("Offers a person (the visitor decides): {}.", trigger.detail),
        (None, None) => "The bot answers; no trigger fires.".to_string(),
    };
    let frustration = if config.frustration.enabled {
        format!("{:.2} (fires from {:.2})", verdict.frustration, config.frustration.threshold)
    } else {
        "off".to_string()
    };
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    html! {
        dl class="verdict" data-testid="verdict" {
            dt { "Outcome" } dd data-testid="outcome" { (outcome) }
            dt { "Asks for a person" }
            dd { (if config.explicit_request.enabled { yes_no(verdict.found.asked) } else { "off" })
                 @if verdict.found.phrase { " (one of the site's own phrases)" } }
            dt { "Guidance rule" } dd { (verdict.found.rule.as_ref().map_or("none", |t| t.detail.as_str())) }
            dt { "Topic" } dd { (verdict.topic.as_deref().unwrap_or("none"))
                 @if let Some(t) = &verdict.found.always_human { " — " (t.detail) } }
            dt { "Frustration score" } dd { (frustration) }
        }
        p class="hint" { "Judged as the first message of a conversation; repeats and unanswered turns count in a real one. \
            \"Cannot answer\" depends on the bot's answer and is not tried here." }
    }
}

pub(super) fn render(owner: &Signed, site: &str, config: &TriggersConfig, shown: &Shown, sentence: &str) -> Markup {
    let action = match config.frustration.action {
        FrustrationAction::Handover => "handover",
        FrustrationAction::Offer => "offer",
    };
    let error = |name: &str| shown.errors.get(name).map(String::as_str);
    let draft = |kind: Kind| shown.draft.clone().filter(|d| d.kind == kind).unwrap_or_else(|| Draft::new(kind));
    let body = html! {
        @if let Some(notice) = shown.notice { (view::notice(notice)) }
        @if let Some(saved) = &shown.saved { (view::notice(saved)) }
        @if let Some(problem) = &shown.problem { (view::problem(problem)) }
        h2 { "Try a sentence" }
        form method="post" action={ "/admin/sites/" (site) "/triggers/try" } {
            (view::csrf(owner.csrf()))
            (field("sentence", "A visitor writes", sentence, Input::Line, Some("With the settings in effect now."), None))
            button type="submit" { "Try it" }
        }
        @if let Some((_, verdict)) = &shown.tried { (describe(verdict, config)) }
        h2 { "Triggers" }
        form method="post" action={ "/admin/sites/" (site) "/triggers" } {
            (view::csrf(owner.csrf()))
            (checkbox("explicit_request", "Hand over when the visitor asks for a person in words", config.explicit_request.enabled,
                Some("The \"Talk to a person\" button works either way.")))
            (checkbox("frustration", "Notice frustration", config.frustration.enabled, None))
            (field("frustration_threshold", "Frustration threshold (0 to 1)", &config.frustration.threshold.to_string(), Input::Line,
                Some("The score from which the visitor counts as frustrated; higher fires less often."), error("frustration_threshold")))
            (select("frustration_action", "When the visitor is frustrated", &[("handover", "Hand over at once"), ("offer", "Offer a person")], action))
            (checkbox("cannot_answer", "Notice when the bot cannot answer", config.cannot_answer.enabled, None))
            (field("min_confidence", "Lowest confidence that counts as an answer (0 to 1)", &config.cannot_answer.min_confidence.to_string(),
                Input::Line, None, error("min_confidence")))
            (checkbox("auto_handover", "Hand over when the bot cannot answer", config.cannot_answer.auto_handover_when_unanswered,
                Some("Else the bot says so and shows the \"Talk to a person\" button.")))
            button type="submit" { "Save triggers" }
        }
        h2 { "Guidance rules" }
        p class="hint" { "Situations that always go to a person; the rule's name is the reason agents read." }
        (guidance::section(owner, site, config, &draft(Kind::Rule)))
        h2 { "Topics" }
        p class="hint" { "The topic found travels to the agent as a tag; an always-a-person topic hands over as soon as it comes up." }
        (guidance::section(owner, site, config, &draft(Kind::Topic)))
    };
    view::page(&format!("Triggers of {site}"), Some(owner), body)
}

/// `?rule=<n>` or `?topic=<n>`: the form edits that rule or topic.
#[derive(serde::Deserialize)]
pub struct Editing {
    rule: Option<usize>,
    topic: Option<usize>,
}

pub async fn page(SiteOwner { owner, site, live }: SiteOwner, Query(editing): Query<Editing>) -> Markup {
    let config = live.triggers.config();
    let draft = match (editing.rule, editing.topic) {
        (Some(at), _) => Draft::editing(Kind::Rule, config, at),
        (None, Some(at)) => Draft::editing(Kind::Topic, config, at),
        (None, None) => None,
    };
    render(&owner, &site, config, &Shown { draft, ..Shown::default() }, "")
}

/// A number from 0 to 1, or what is wrong with it.
fn fraction(text: Option<&String>) -> Result<f64, String> {
    match text.map(|t| t.trim().parse::<f64>()) {
        Some(Ok(value)) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err("Enter a number from 0 to 1, such as 0.6.".into()),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    SiteOwner { owner, site, live }: SiteOwner,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let config = live.triggers.config();
    let ticked = |name: &str| toml::Value::Boolean(form.contains_key(name));
    let mut shown = Shown::default();
    let threshold =
        fraction(form.get("frustration_threshold")).map_err(|e| shown.errors.insert("frustration_threshold", e)).ok();
    let confidence = fraction(form.get("min_confidence")).map_err(|e| shown.errors.insert("min_confidence", e)).ok();
    let action = match form.get("frustration_action").map(String::as_str) {
        Some(action @ ("handover" | "offer")) => action.to_string(),
        _ => return Err(AdminError::BadForm("unknown frustration action".into())),
    };
    let (Some(threshold), Some(confidence)) = (threshold, confidence) else {
        shown.problem = Some("Please correct the fields marked below; nothing was saved.".into());
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&owner, &site, config, &shown, "")).into_response());
    };
    let changes = [
        ("triggers.explicit_request.enabled", ticked("explicit_request")),
        ("triggers.frustration.enabled", ticked("frustration")),
        ("triggers.frustration.threshold", toml::Value::Float(threshold)),
        ("triggers.frustration.action", toml::Value::String(action)),
        ("triggers.cannot_answer.enabled", ticked("cannot_answer")),
        ("triggers.cannot_answer.min_confidence", toml::Value::Float(confidence)),
        ("triggers.cannot_answer.auto_handover_when_unanswered", ticked("auto_handover")),
    ];
    let result = settings::save(&state, &owner, &site, "settings.triggers", &changes).await;
    // As saved (or as before, when refused).
    let config = state.sites.get(&site).map_or_else(|| config.clone(), |now| now.triggers.config().clone());
    match result {
        Ok(()) => shown.notice = Some("Triggers saved."),
        Err(error) => shown.problem = Some(error.to_string()),
    }
    let status = if shown.problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, render(&owner, &site, &config, &shown, "")).into_response())
}

pub async fn try_sentence(
    SiteOwner { owner, site, live }: SiteOwner,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let sentence = form.get("sentence").map(|s| s.trim().to_string()).unwrap_or_default();
    let mut shown = Shown::default();
    if sentence.is_empty() {
        shown.problem = Some("Write a sentence to try.".into());
    } else {
        let text = sentence.clone();
        let site_now = live.clone();
        // On the analyses' own threads, as a visitor's message would be.
        let weight = crate::triggers::Triggers::weight(&text, &[]);
        let verdict = crate::triggers::budget::run(weight, move || site_now.triggers.evaluate(&text, &[])).await;
        shown.tried = Some((sentence.clone(), verdict));
    }
    Ok(render(&owner, &site, live.triggers.config(), &shown, &sentence).into_response())
}
