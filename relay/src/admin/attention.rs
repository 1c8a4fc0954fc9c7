//! The Attention page: whether the widget chimes when an answer arrives while the chat is
//! closed or the tab hidden (`sound`), and the proactive messages shown by the launcher
//! (`[[sites.<key>.proactive]]`: page path, seconds, text, its translations).
//!
//! Each rule is a group of fields, with one empty group to add a rule and a "Remove" box on the
//! others. The whole list is judged by the configuration's own check
//! (`config::check_proactive`), its problem shown at the field it names; a number that is none
//! or a translation line without `language: text` is refused at its field before that. Saved,
//! the list is written whole as the document's `proactive` (replacing the file's), audited and
//! applied live: pages get it from `GET /api/v1/sites/{site}/widget` within its minute of
//! caching. The form carries a fingerprint of the list it showed; if the list changed meanwhile
//! (another owner, the file reloaded) nothing is saved (409) and the page shows it as it is now.

use std::collections::{BTreeMap, HashMap};

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Form,
};
use maud::{html, Markup};
use sha2::{Digest, Sha256};

use super::{
    session::{Signed, SiteOwner},
    settings,
    view::{self, checkbox, field, Input, Said},
    AdminError,
};
use crate::{
    config::{check_proactive, ProactiveRule, MAX_PROACTIVE_AFTER_SECS, MAX_PROACTIVE_RULES},
    state::AppState,
};

/// One rule as the form holds it (text as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Row {
    path: String,
    after_secs: String,
    text: String,
    /// One `language: text` a line.
    texts: String,
}

impl Row {
    fn of(rule: &ProactiveRule) -> Self {
        Self {
            path: rule.path.clone(),
            after_secs: rule.after_secs.to_string(),
            text: rule.text.clone(),
            texts: rule.texts.iter().map(|(l, t)| format!("{l}: {t}")).collect::<Vec<_>>().join("\n"),
        }
    }

    fn is_empty(&self) -> bool {
        [&self.path, &self.text, &self.texts].iter().all(|s| s.trim().is_empty())
            && matches!(self.after_secs.trim(), "" | "0")
    }
}

/// The form's field errors, by field name (`path_2`), and a problem for the whole page.
type Errors = HashMap<String, String>;

/// The rule a row stands for, or the field that is wrong and why.
fn rule_of(i: usize, row: &Row) -> Result<ProactiveRule, (String, String)> {
    let after = row.after_secs.trim();
    let after_secs = if after.is_empty() {
        0
    } else {
        after.parse::<u32>().map_err(|_| {
            (format!("after_secs_{i}"), format!("Enter whole seconds, from 0 to {MAX_PROACTIVE_AFTER_SECS}."))
        })?
    };
    let mut texts = BTreeMap::new();
    for line in row.texts.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let Some((language, text)) = line.split_once(':') else {
            return Err((format!("texts_{i}"), format!("{line:?} is not `language: text`, such as \"de: Hallo!\".")));
        };
        let language = language.trim().to_string();
        if texts.insert(language.clone(), text.trim().to_string()).is_some() {
            return Err((format!("texts_{i}"), format!("{language:?} is given twice.")));
        }
    }
    Ok(ProactiveRule { path: row.path.trim().to_string(), after_secs, text: row.text.trim().to_string(), texts })
}

/// The check's setting (`proactive[1].texts.de`) as the field of the row it came from.
fn field_of(setting: &str, rows_kept: &[usize]) -> Option<String> {
    let rest = setting.strip_prefix("proactive[")?;
    let (index, rest) = rest.split_once("].")?;
    let row = *rows_kept.get(index.parse::<usize>().ok()?)?;
    let name = rest.split('.').next()?;
    Some(format!("{name}_{row}"))
}

/// A fingerprint of the rules the form showed, to notice a list changed meanwhile.
fn fingerprint(rules: &[ProactiveRule]) -> String {
    let json = serde_json::to_string(rules).unwrap_or_default();
    Sha256::digest(json.as_bytes()).iter().take(12).map(|b| format!("{b:02x}")).collect()
}

fn render(
    owner: &Signed,
    site: &str,
    sound: bool,
    rows: &[Row],
    shown_rules: &[ProactiveRule],
    errors: &Errors,
    said: Said<'_>,
) -> Markup {
    let error = |name: &str| errors.get(name).map(String::as_str);
    let body = html! {
        (said)
        @if let Some(problem) = error("page") { (view::problem(problem)) }
        @else if !errors.is_empty() { (view::problem("Please correct the fields marked below; nothing was saved.")) }
        form method="post" action={ "/admin/sites/" (site) "/attention" } {
            (view::csrf(owner.csrf()))
            input type="hidden" name="shown" value=(fingerprint(shown_rules));
            input type="hidden" name="rows" value=(rows.len());
            h2 { "Sound" }
            (checkbox("sound", "Chime when an answer arrives while the chat is closed or the tab is in the background",
                sound, Some("Two soft notes. A page can still switch it with Baton.configure({sound}) or data-sound.")))
            h2 { "Proactive messages" }
            p class="hint" {
                "Shown in a bubble by the launcher after some seconds on matching pages, at most once a day per \
                 visitor, never while the chat is open or a person is in it. At most " (MAX_PROACTIVE_RULES) " messages."
            }
            @for (i, row) in rows.iter().enumerate() {
                @let new = i + 1 == rows.len();
                fieldset data-testid="proactive-rule" {
                    legend { @if new { "Add a message" } @else { "Message " (i + 1) } }
                    (field(&format!("path_{i}"), "Page path", &row.path, Input::Line,
                        Some("Such as /pricing, or /pricing* for the pages under it; * alone: every page."),
                        error(&format!("path_{i}"))))
                    (field(&format!("after_secs_{i}"), "Seconds on the page before it shows", &row.after_secs, Input::Line,
                        Some("From 0 to 3600."), error(&format!("after_secs_{i}"))))
                    (field(&format!("text_{i}"), "Message", &row.text, Input::Text(2),
                        Some("At most 280 characters, in the site's default language."), error(&format!("text_{i}"))))
                    (field(&format!("texts_{i}"), "Translations", &row.texts, Input::Text(2),
                        Some("One a line: the language's tag, a colon, the text (de: Fragen? Wir helfen.)."),
                        error(&format!("texts_{i}"))))
                    @if !new { (checkbox(&format!("remove_{i}"), "Remove this message", false, None)) }
                }
            }
            button type="submit" { "Save" }
        }
    };
    view::page(&format!("Attention on {site}"), Some(owner), body)
}

/// The live rules as rows, and an empty one to add a rule (unless the list is full).
fn rows_of(rules: &[ProactiveRule]) -> Vec<Row> {
    let mut rows: Vec<Row> = rules.iter().map(Row::of).collect();
    if rows.len() < MAX_PROACTIVE_RULES {
        rows.push(Row::default());
    }
    rows
}

pub async fn page(SiteOwner { owner, site, live }: SiteOwner) -> Markup {
    let rules = &live.config.proactive;
    render(&owner, &site, live.config.sound, &rows_of(rules), rules, &Errors::new(), Said::Nothing)
}

pub async fn submit(
    State(state): State<AppState>,
    SiteOwner { owner, site, live }: SiteOwner,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let live_rules = &live.config.proactive;
    let sound = form.contains_key("sound");
    let text = |name: String| form.get(&name).map(|v| v.replace("\r\n", "\n")).unwrap_or_default();
    let count = form.get("rows").and_then(|n| n.parse::<usize>().ok()).unwrap_or(0).min(MAX_PROACTIVE_RULES + 1);
    let rows: Vec<Row> = (0..count)
        .map(|i| Row {
            path: text(format!("path_{i}")),
            after_secs: text(format!("after_secs_{i}")),
            text: text(format!("text_{i}")),
            texts: text(format!("texts_{i}")),
        })
        .collect();

    if form.get("shown").map(String::as_str) != Some(fingerprint(live_rules).as_str()) {
        let errors = Errors::from([(
            "page".to_string(),
            "The proactive messages were changed meanwhile; here they are as they are now. Nothing was saved."
                .to_string(),
        )]);
        let page = render(&owner, &site, live.config.sound, &rows_of(live_rules), live_rules, &errors, Said::Nothing);
        return Ok((StatusCode::CONFLICT, page).into_response());
    }

    let refuse = |errors: &Errors| {
        let page = render(&owner, &site, sound, &rows, live_rules, errors, Said::Nothing);
        (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
    };
    let mut rules = Vec::new();
    let mut rows_kept = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        if row.is_empty() || form.contains_key(&format!("remove_{i}")) {
            continue;
        }
        match rule_of(i, row) {
            Ok(rule) => {
                rules.push(rule);
                rows_kept.push(i);
            }
            Err((name, problem)) => return Ok(refuse(&Errors::from([(name, problem)]))),
        }
    }
    if let Err((setting, problem)) = check_proactive(&rules) {
        let name = field_of(&setting, &rows_kept).unwrap_or_else(|| "page".to_string());
        let problem = format!("Not usable: {problem}.");
        return Ok(refuse(&Errors::from([(name, problem)])));
    }
    if sound == live.config.sound && rules == *live_rules {
        let page =
            render(&owner, &site, sound, &rows_of(&rules), &rules, &Errors::new(), Said::Notice("Nothing changed."));
        return Ok(page.into_response());
    }
    let list = toml::Value::try_from(&rules).map_err(|e| AdminError::Internal(e.to_string()))?;
    let result = settings::edit(&state, &owner, &site, "settings.attention", |table| {
        if sound != live.config.sound {
            table.insert("sound".into(), sound.into());
        }
        if rules != *live_rules {
            table.insert("proactive".into(), list);
        }
        Ok(())
    })
    .await;
    match result {
        Ok(()) => {
            let now = state.sites.get(&site).ok_or(AdminError::NotFound)?;
            let rules = &now.config.proactive;
            let notice = Said::Notice("Saved. Pages opened from now on (or within a minute) use these settings.");
            Ok(render(&owner, &site, now.config.sound, &rows_of(rules), rules, &Errors::new(), notice).into_response())
        }
        Err(error) => Ok(refuse(&Errors::from([("page".to_string(), error.to_string())]))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(path: &str, after: &str, text: &str, texts: &str) -> Row {
        Row { path: path.into(), after_secs: after.into(), text: text.into(), texts: texts.into() }
    }

    #[test]
    fn a_row_reads_as_the_rule_and_back() {
        let rule =
            rule_of(0, &row(" /pricing* ", "20", " Questions? ", "de: Fragen?\n\nfr : Des questions ?")).unwrap();
        let texts = BTreeMap::from([("de".into(), "Fragen?".into()), ("fr".into(), "Des questions ?".into())]);
        assert_eq!(rule, ProactiveRule { path: "/pricing*".into(), after_secs: 20, text: "Questions?".into(), texts });
        assert_eq!(rule_of(0, &Row::of(&rule)).unwrap(), rule);
        assert!(Row::default().is_empty() && row("", "0", " ", "").is_empty() && !row("/", "", "", "").is_empty());
    }

    #[test]
    fn what_the_form_cannot_read_is_refused_at_its_field() {
        assert_eq!(rule_of(3, &row("/", "soon", "Hi", "")).unwrap_err().0, "after_secs_3");
        assert_eq!(rule_of(3, &row("/", "-1", "Hi", "")).unwrap_err().0, "after_secs_3");
        assert_eq!(rule_of(1, &row("/", "5", "Hi", "Hallo")).unwrap_err().0, "texts_1");
        assert_eq!(rule_of(1, &row("/", "5", "Hi", "de: a\nde: b")).unwrap_err().0, "texts_1");
    }

    #[test]
    fn the_check_s_setting_names_the_row_s_field() {
        // Rows 0 and 2 were kept (row 1 removed): the check's second rule is row 2.
        assert_eq!(field_of("proactive[1].texts.de", &[0, 2]).as_deref(), Some("texts_2"));
        assert_eq!(field_of("proactive[0].path", &[0, 2]).as_deref(), Some("path_0"));
        assert_eq!(field_of("proactive", &[0, 2]), None);
        assert_eq!(field_of("proactive[5].path", &[0, 2]), None);
    }
}
