//! The Sites pages: the owner's sites, a new site, and one site's overview (embed snippet,
//! allowed origins, export and import of its settings as TOML, its audit log).

use axum::{
    extract::State,
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    session::{Owner, Signed, SiteOwner},
    settings,
    view::{self, field, Input},
    AdminError,
};
use crate::{
    site_settings::{self, SettingsError},
    state::AppState,
};

/// The longest site key.
const MAX_KEY_CHARS: usize = 40;

/// The address pages embed the widget from: `[admin] public_url`, else the request's host.
pub fn relay_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.config.admin.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    format!("http://{host}")
}

/// The tag a site owner puts in their pages.
pub fn embed_snippet(relay: &str, site: &str) -> String {
    format!("<script src=\"{relay}/embed.js\" data-site=\"{site}\" async></script>")
}

/// The site keys `owner` may see, sorted.
fn sites_of(state: &AppState, owner: &Signed) -> Vec<String> {
    let mut keys: Vec<String> = state.sites.keys().into_iter().filter(|key| owner.may(key)).collect();
    keys.sort();
    keys
}

#[derive(Deserialize, Default)]
pub struct NewSite {
    #[serde(default)]
    key: String,
    #[serde(default)]
    bot_name: String,
}

fn list_page(state: &AppState, owner: &Signed, form: &NewSite, problems: (Option<&str>, Option<&str>)) -> Markup {
    let keys = sites_of(state, owner);
    let body = html! {
        @if keys.is_empty() { p { "No sites yet." } }
        ul class="sites" {
            @for key in &keys {
                li { a href={ "/admin/sites/" (key) } { (key) } }
            }
        }
        h2 { "New site" }
        @if problems.0.is_some() || problems.1.is_some() { (view::problem("Please correct the fields marked below.")) }
        form method="post" action="/admin/sites" {
            (view::csrf(owner.csrf()))
            (field("key", "Site key", &form.key, Input::Line,
                Some("Lower-case letters, digits, - and _; the data-site of the embed tag. It cannot change later."), problems.0))
            (field("bot_name", "Bot name", &form.bot_name, Input::Line, Some("Shown in the chat header."), problems.1))
            button type="submit" { "Create site" }
        }
    };
    view::page("Sites", Some(owner), body)
}

pub async fn list(State(state): State<AppState>, Owner(owner): Owner) -> Markup {
    list_page(&state, &owner, &NewSite::default(), (None, None))
}

pub async fn create(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Form(form): Form<NewSite>,
) -> Result<Response, AdminError> {
    let key = form.key.trim().to_string();
    let bot_name = form.bot_name.trim().to_string();
    let key_problem = if key.is_empty()
        || key.chars().count() > MAX_KEY_CHARS
        || !key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        Some(format!("Use 1 to {MAX_KEY_CHARS} lower-case letters, digits, - or _."))
    } else if state.sites.get(&key).is_some() {
        Some("A site with this key exists already.".to_string())
    } else {
        None
    };
    let name_problem = bot_name.is_empty().then_some("Enter the bot's name.");
    if key_problem.is_some() || name_problem.is_some() {
        let page = list_page(&state, &owner, &form, (key_problem.as_deref(), name_problem));
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    settings::save(&state, &owner, &key, "site.create", &[("bot_name", bot_name.into())])
        .await
        .map_err(|e| AdminError::Internal(e.to_string()))?;
    if !owner.may(&key) {
        state.store.admin().add_account_site(&owner.0.account.id, &key).await?;
    }
    Ok(Redirect::to(&format!("/admin/sites/{key}")).into_response())
}

/// What the overview shows after a form on it.
#[derive(Default)]
struct Shown<'a> {
    notice: Option<&'a str>,
    origins: Option<(&'a str, String)>,
    import: Option<(&'a str, String)>,
}

async fn overview_page(
    state: &AppState,
    owner: &Signed,
    site: &str,
    headers: &HeaderMap,
    shown: Shown<'_>,
) -> Result<Markup, AdminError> {
    let config = settings::current(state, site).ok_or(AdminError::NotFound)?;
    let relay = relay_url(state, headers);
    let log = state.store.admin().audit_log(Some(site), 20).await?;
    let origins_text =
        shown.origins.as_ref().map_or_else(|| config.allowed_origins.join("\n"), |(text, _)| text.to_string());
    let import_text = shown.import.as_ref().map_or("", |(text, _)| text);
    let body = html! {
        @if let Some(notice) = shown.notice { (view::notice(notice)) }
        nav aria-label="This site" class="site-nav" {
            a href={ "/admin/sites/" (site) "/chat" } { "Chat and identity" }
            a href={ "/admin/sites/" (site) "/handover" } { "Handover texts" }
            a href={ "/admin/sites/" (site) "/channels" } { "Channels" }
            a href={ "/admin/sites/" (site) "/triggers" } { "Triggers" }
            a href={ "/admin/sites/" (site) "/office-hours" } { "Office hours" }
            a href={ "/admin/sites/" (site) "/appearance" } { "Appearance" }
            a href={ "/admin/sites/" (site) "/attention" } { "Sound and proactive messages" }
            a href={ "/admin/sites/" (site) "/test" } { "Test chat" }
            a href={ "/admin/sites/" (site) "/insights" } { "Insights" }
            a href={ "/admin/sites/" (site) "/export" } download={ (site) ".toml" } { "Export settings (TOML)" }
        }
        h2 { "Embed" }
        (field("snippet", "Put this tag in your pages, before </body>", &embed_snippet(&relay, site), Input::Text(2),
            Some("Select it and copy it."), None))
        h2 { "Allowed origins" }
        @if let Some((_, problem)) = &shown.origins { (view::problem(problem)) }
        form method="post" action={ "/admin/sites/" (site) "/origins" } {
            (view::csrf(owner.csrf()))
            (field("origins", "Pages that may open the chat", &origins_text, Input::Text(4),
                Some("One origin a line, such as https://shop.example. Empty: any page."),
                shown.origins.as_ref().map(|(_, problem)| problem.as_str())))
            button type="submit" { "Save origins" }
        }
        h2 { "Import settings" }
        @if let Some((_, problem)) = &shown.import { (view::problem(problem)) }
        form method="post" action={ "/admin/sites/" (site) "/import" } {
            (view::csrf(owner.csrf()))
            (field("toml", "Settings as TOML", import_text, Input::Text(8),
                Some("A [sites.<key>] table of this site (as exported) or its keys alone; the keys it holds replace those set here."),
                shown.import.as_ref().map(|(_, problem)| problem.as_str())))
            button type="submit" { "Import" }
        }
        h2 { "Changes" }
        @if log.is_empty() { p { "No changes made in the dashboard yet." } }
        @else {
            (view::table(&["When (UTC)", "Who", "What", "Changed"], log.iter().map(|entry| vec![
                html! { (when(entry.at)) },
                html! { (entry.actor) },
                html! { (entry.action) },
                html! { pre { (entry.detail) } },
            ])))
        }
    };
    Ok(view::page(&format!("Site {site}"), Some(owner), body))
}

fn when(at: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map_or_else(|| at.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

pub async fn overview(
    State(state): State<AppState>,
    SiteOwner { owner, site, .. }: SiteOwner,
    headers: HeaderMap,
) -> Result<Markup, AdminError> {
    overview_page(&state, &owner, &site, &headers, Shown::default()).await
}

#[derive(Deserialize)]
pub struct OriginsForm {
    #[serde(default)]
    origins: String,
}

/// Each line an origin (`scheme://host[:port]`, http or https), or what is wrong with it.
fn parse_origins(text: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let origin = reqwest::Url::parse(line)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .map(|url| url.origin().ascii_serialization())
            .filter(|origin| origin == line.trim_end_matches('/'));
        match origin {
            Some(origin) if !origins.contains(&origin) => origins.push(origin),
            Some(_) => {}
            None => {
                return Err(format!("{line:?} is not an origin: write https://host or https://host:port, no path."))
            }
        }
    }
    Ok(origins)
}

pub async fn origins(
    State(state): State<AppState>,
    SiteOwner { owner, site, .. }: SiteOwner,
    headers: HeaderMap,
    Form(form): Form<OriginsForm>,
) -> Result<Response, AdminError> {
    let owner = &owner;
    let result = match parse_origins(&form.origins) {
        Ok(origins) => {
            let value = toml::Value::Array(origins.into_iter().map(toml::Value::String).collect());
            settings::save(&state, owner, &site, "settings.origins", &[("allowed_origins", value)]).await
        }
        Err(problem) => Err(SettingsError::Invalid(problem)),
    };
    let form = Sent::Origins(&form.origins);
    after_form(&state, owner, &site, &headers, result, "Allowed origins saved.", form).await
}

/// Which form of the overview was sent, with its text.
enum Sent<'a> {
    Origins(&'a str),
    Import(&'a str),
}

/// The overview after a form: `notice` when `result` is fine, else the problem at the form.
async fn after_form(
    state: &AppState,
    owner: &Signed,
    site: &str,
    headers: &HeaderMap,
    result: Result<(), SettingsError>,
    notice: &str,
    sent: Sent<'_>,
) -> Result<Response, AdminError> {
    let (status, shown) = match (result, sent) {
        (Ok(()), _) => (StatusCode::OK, Shown { notice: Some(notice), ..Shown::default() }),
        (Err(error), Sent::Origins(text)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Shown { origins: Some((text, error.to_string())), ..Shown::default() })
        }
        (Err(error), Sent::Import(text)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, Shown { import: Some((text, error.to_string())), ..Shown::default() })
        }
    };
    Ok((status, overview_page(state, owner, site, headers, shown).await?).into_response())
}

pub async fn export(SiteOwner { site, live, .. }: SiteOwner) -> Result<Response, AdminError> {
    let text = site_settings::export(&site, &live.config).map_err(|e| AdminError::Internal(e.to_string()))?;
    let disposition = format!("attachment; filename=\"{site}.toml\"");
    Ok((
        [
            (header::CONTENT_TYPE, "application/toml; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        text,
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    toml: String,
}

pub async fn import(
    State(state): State<AppState>,
    SiteOwner { owner, site, .. }: SiteOwner,
    headers: HeaderMap,
    Form(form): Form<ImportForm>,
) -> Result<Response, AdminError> {
    let owner = &owner;
    let imported = site_settings::import(&site, &form.toml);
    let stored = state.store.admin().site_setting(&site).await?;
    let (before, version) = stored.map_or((String::new(), 0), |doc| (doc.document, doc.version));
    let result = match imported.and_then(|document| site_settings::combine(&before, &document)) {
        // The imported keys over what the document holds already.
        Ok(after) => settings::replace(&state, owner, &site, "settings.import", &before, version, after).await,
        Err(error) => Err(error),
    };
    after_form(&state, owner, &site, &headers, result, "Settings imported.", Sent::Import(&form.toml)).await
}
