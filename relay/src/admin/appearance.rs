//! The Appearance page: the widget's look on the site (`[sites.<key>.theme]`): the brand
//! colour, the launcher's side, the panel's title and avatar, the line shown while a
//! conversation is empty, and the colour scheme. Each value is judged by the rules the
//! configuration file is loaded with (`shared::Theme::check`), each error at its field.
//! "Preview" draws a swatch of the colour with the text the widget writes on it (white or
//! near-black, whichever reaches WCAG AA: `shared::look::text_on`) without saving; "Save" puts
//! the settings that changed into the site's settings document (an emptied one the file sets is
//! unset), audited and applied live: the next widget connection's `welcome` carries them.

use std::collections::HashMap;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Form,
};
use maud::{html, Markup};
use shared::look::{colour_hex, contrast, parse_colour, text_on};

use super::{
    session::{Signed, SiteOwner},
    settings,
    view::{self, field, select_field, Input, Said},
    AdminError,
};
use crate::{config::ThemeConfig, state::AppState};

/// The widget's own brand colour, used when the site sets none (`widget/style/baton.css`).
const WIDGET_PRIMARY: [u8; 3] = [0x4f, 0x46, 0xe5];

const POSITIONS: [(&str, &str); 2] = [("right", "Bottom right"), ("left", "Bottom left")];
const SCHEMES: [(&str, &str); 3] =
    [("auto", "Follow the visitor's system setting"), ("light", "Always light"), ("dark", "Always dark")];

/// The form's values by setting name ([`ThemeConfig::FIELDS`]); empty: not set.
type Values = HashMap<&'static str, String>;

fn values_of(theme: &ThemeConfig) -> Values {
    ThemeConfig::FIELDS.iter().map(|name| (*name, theme.field(name).unwrap_or_default())).collect()
}

/// What is wrong with `text` as the setting `name`, by the configuration's own check.
fn problem(name: &str, text: &str) -> Option<String> {
    let mut one = ThemeConfig::default();
    *one.field_mut(name)? = Some(text.to_string());
    shared::Theme::from(one).check().err().map(|(_, reason)| format!("Not usable: {reason}."))
}

/// The swatch: the panel's header in the brand colour with the title in the text colour the
/// widget picks, the launcher on its side, the panel in its scheme; and the contrast in words.
/// An SVG with presentation attributes, so the dashboard's CSP (no inline style) allows it.
fn swatch(values: &Values, bot_name: &str) -> Markup {
    let primary = parse_colour(&values["primary"]).unwrap_or(WIDGET_PRIMARY);
    let on = text_on(primary);
    let ratio = contrast(primary, on);
    let (primary_hex, on_hex) = (colour_hex(primary), colour_hex(on));
    let on_name = if on == shared::look::WHITE { "white" } else { "near-black" };
    let title = Some(values["title"].as_str()).filter(|t| !t.is_empty()).unwrap_or(bot_name);
    let dark = values["scheme"] == "dark";
    let (panel, ink) = if dark { ("#1e2128", "#e8eaed") } else { ("#ffffff", "#1f2329") };
    let launcher_x = if values["position"] == "left" { 28 } else { 292 };
    let panel_x = if values["position"] == "left" { 8 } else { 72 };
    let greeting = Some(values["greeting"].as_str()).filter(|g| !g.is_empty());
    let label = format!("Preview: the chat titled {title} in {primary_hex} with {on_name} text on it");
    html! {
        div class="swatch" data-testid="swatch" data-primary=(primary_hex) data-on-primary=(on_hex) {
            svg viewBox="0 0 320 200" width="320" height="200" role="img" aria-label=(label) {
                rect x="0" y="0" width="320" height="200" fill="#eef0f3" {}
                rect x=(panel_x) y="8" width="240" height="132" rx="10" fill=(panel) stroke="#c3c9d2" {}
                rect x=(panel_x) y="8" width="240" height="36" rx="10" fill=(primary_hex) {}
                text x=(panel_x + 14) y="32" fill=(on_hex) font-size="15" font-family="system-ui, sans-serif"
                    font-weight="600" { (title) }
                @if let Some(greeting) = greeting {
                    text x=(panel_x + 14) y="68" fill=(ink) font-size="12" font-family="system-ui, sans-serif" { (greeting) }
                }
                rect x=(panel_x + 120) y="100" width="106" height="26" rx="13" fill=(primary_hex) {}
                text x=(panel_x + 134) y="118" fill=(on_hex) font-size="12" font-family="system-ui, sans-serif" { "Your message" }
                circle cx=(launcher_x) cy="172" r="20" fill=(primary_hex) {}
                text x=(launcher_x) y="177" fill=(on_hex) font-size="14" text-anchor="middle"
                    font-family="system-ui, sans-serif" font-weight="700" { "Aa" }
            }
            p data-testid="contrast" {
                "Text on " code { (primary_hex) } ": " (on_name) " (" code { (on_hex) } "), contrast "
                (format!("{ratio:.1}")) ":1, "
                @if ratio >= 4.5 { "meets WCAG AA for normal text (4.5:1)." }
                @else { "below WCAG AA (4.5:1): neither white nor black reaches it on this colour." }
                @if values["primary"].is_empty() { " No colour set: this is the widget's own." }
            }
        }
    }
}

fn render(
    owner: &Signed,
    site: &str,
    bot_name: &str,
    values: &Values,
    errors: &HashMap<&str, String>,
    said: Said<'_>,
) -> Markup {
    let error = |name: &str| errors.get(name).map(String::as_str);
    let value = |name: &str| values.get(name).map(String::as_str).unwrap_or_default();
    let body = html! {
        (said)
        @if !errors.is_empty() { (view::problem("Please correct the fields marked below; nothing was saved.")) }
        @if errors.is_empty() { (swatch(values, bot_name)) }
        form method="post" action={ "/admin/sites/" (site) "/appearance" } {
            (view::csrf(owner.csrf()))
            (field("primary", "Brand colour", value("primary"), Input::Line,
                Some("#rgb or #rrggbb, such as #0b6e4f: the launcher, the header and the visitor's messages. \
                      The text on it is white or near-black, whichever is readable. Empty: the widget's own."),
                error("primary")))
            (select_field("position", "Launcher position", &POSITIONS, value("position"), None, error("position")))
            (field("title", "Title", value("title"), Input::Line,
                Some("At the top of the chat panel, at most 200 characters. Empty: the bot's name."), error("title")))
            (field("avatar", "Avatar image URL", value("avatar"), Input::Line,
                Some("An https:// image shown in the header. Empty: the title's first letter."), error("avatar")))
            (field("greeting", "Welcome line", value("greeting"), Input::Line,
                Some("Shown above the messages while the conversation is empty, at most 200 characters. Empty: none."),
                error("greeting")))
            (select_field("scheme", "Colour scheme", &SCHEMES, value("scheme"), None, error("scheme")))
            div class="actions" {
                button type="submit" name="action" value="preview" { "Preview" }
                button type="submit" name="action" value="save" { "Save" }
            }
        }
    };
    view::page(&format!("Appearance of {site}"), Some(owner), body)
}

/// The form's values with the selects' defaults filled in.
fn with_defaults(mut values: Values) -> Values {
    for (name, default) in [("position", "right"), ("scheme", "auto")] {
        if values[name].is_empty() {
            values.insert(name, default.to_string());
        }
    }
    values
}

pub async fn page(SiteOwner { owner, site, live }: SiteOwner) -> Markup {
    let values = with_defaults(values_of(&live.config.theme));
    render(&owner, &site, &live.config.bot_name, &values, &HashMap::new(), Said::Nothing)
}

pub async fn submit(
    State(state): State<AppState>,
    SiteOwner { owner, site, live }: SiteOwner,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let current = with_defaults(values_of(&live.config.theme));
    let mut values = Values::new();
    let mut errors = HashMap::new();
    for name in ThemeConfig::FIELDS {
        // A field left out of the form keeps its value.
        let text = form.get(name).map_or_else(|| current[name].clone(), |t| t.trim().to_string());
        if let Some(problem) = Some(&text).filter(|t| !t.is_empty()).and_then(|t| problem(name, t)) {
            errors.insert(name, problem);
        }
        values.insert(name, text);
    }
    let bot_name = &live.config.bot_name;
    if !errors.is_empty() {
        let page = render(&owner, &site, bot_name, &values, &errors, Said::Nothing);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let values = with_defaults(values);
    if form.get("action").map(String::as_str) != Some("save") {
        let notice = Said::Notice("Preview only: not saved yet.");
        return Ok(render(&owner, &site, bot_name, &values, &errors, notice).into_response());
    }
    let changed: Vec<(&str, String)> =
        ThemeConfig::FIELDS.into_iter().filter(|n| values[n] != current[n]).map(|n| (n, values[n].clone())).collect();
    if changed.is_empty() {
        return Ok(render(&owner, &site, bot_name, &values, &errors, Said::Notice("Nothing changed.")).into_response());
    }
    let file_theme = state.settings.file().sites.get(&site).map(|s| s.theme.clone()).unwrap_or_default();
    let result = settings::edit(&state, &owner, &site, "settings.appearance", |table| {
        let mut theme = match table.remove("theme") {
            Some(toml::Value::Table(theme)) => theme,
            _ => toml::Table::new(),
        };
        for (name, value) in &changed {
            // Emptied: the document no longer sets it, and the file's value is taken away too.
            if value.is_empty() {
                theme.remove(*name);
            } else {
                theme.insert(name.to_string(), value.clone().into());
            }
            settings::unset(table, &format!("theme.{name}"), value.is_empty() && file_theme.field(name).is_some());
        }
        if !theme.is_empty() {
            table.insert("theme".into(), toml::Value::Table(theme));
        }
        Ok(())
    })
    .await;
    match result {
        Ok(()) => {
            let now = state.sites.get(&site).ok_or(AdminError::NotFound)?;
            let values = with_defaults(values_of(&now.config.theme));
            let notice = Said::Notice("Saved. Widgets that connect from now on look like this.");
            Ok(render(&owner, &site, &now.config.bot_name, &values, &errors, notice).into_response())
        }
        Err(error) => {
            let page = render(&owner, &site, bot_name, &values, &errors, Said::Problem(&error.to_string()));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}
