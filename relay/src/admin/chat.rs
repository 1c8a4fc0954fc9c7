//! The Chat page: the bot's name and greeting, and the identity-verification secret (set,
//! generated or removed; never shown again in full once saved, only its last four characters).

use std::collections::HashMap;

use axum::{
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    Form,
};
use maud::{html, Markup};

use super::{
    session::{random_token, Signed, SiteOwner},
    settings,
    view::{self, checkbox, field, Input},
    AdminError,
};
use crate::{config::SiteConfig, state::AppState};

fn secret_status(config: &SiteConfig) -> String {
    match &config.identity_secret {
        Some(secret) => {
            let tail: String = secret.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
            format!("Set (ends in …{tail}). Logged-in visitors signed with it are marked verified.")
        }
        None => "Not set: every visitor's identity is unverified.".to_string(),
    }
}

fn render(
    owner: &Signed,
    site: &str,
    config: &SiteConfig,
    form: &HashMap<String, String>,
    errors: &HashMap<&str, String>,
    said: Option<Markup>,
) -> Markup {
    let value = |name: &str, current: &str| form.get(name).cloned().unwrap_or_else(|| current.to_string());
    let error = |name: &str| errors.get(name).map(String::as_str);
    let body = html! {
        @if let Some(said) = said { (said) }
        @if !errors.is_empty() { (view::problem("Please correct the fields marked below; nothing was saved.")) }
        form method="post" action={ "/admin/sites/" (site) "/chat" } {
            (view::csrf(owner.csrf()))
            (field("bot_name", "Bot name", &value("bot_name", &config.bot_name), Input::Line, Some("In the chat header and on its messages."), error("bot_name")))
            (field("greeting", "Greeting", &value("greeting", &config.greeting), Input::Text(3), Some("The first message of every conversation."), error("greeting")))
            h2 { "Identity verification" }
            p data-testid="secret-status" { (secret_status(config)) }
            (field("identity_secret", "New secret", "", Input::Line,
                Some("At least 16 characters; your server signs user_id (else email) with it (HMAC-SHA256). Empty: keep the current one."),
                error("identity_secret")))
            (checkbox("generate_secret", "Generate a random secret instead", false, Some("Shown once after saving.")))
            (checkbox("remove_secret", "Remove the secret", false, Some("No identity is verified any more.")))
            button type="submit" { "Save" }
        }
    };
    view::page(&format!("Chat settings of {site}"), Some(owner), body)
}

pub async fn page(SiteOwner { owner, site, live }: SiteOwner) -> Markup {
    render(&owner, &site, &live.config, &HashMap::new(), &HashMap::new(), None)
}

pub async fn submit(
    State(state): State<AppState>,
    SiteOwner { owner, site, live }: SiteOwner,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let text = |name: &str| form.get(name).map(|v| v.trim().replace("\r\n", "\n")).unwrap_or_default();
    let (bot_name, greeting, typed) = (text("bot_name"), text("greeting"), text("identity_secret"));
    let mut errors = HashMap::new();
    if bot_name.is_empty() {
        errors.insert("bot_name", "Enter the bot's name.".to_string());
    }
    if greeting.is_empty() {
        errors.insert("greeting", "Enter a greeting.".to_string());
    }
    let remove = form.contains_key("remove_secret");
    let generated = form.contains_key("generate_secret").then(random_token);
    let secret = generated.clone().or_else(|| (!typed.is_empty()).then_some(typed));
    if remove && secret.is_some() {
        errors.insert("identity_secret", "Either set a secret or remove it, not both.".to_string());
    }
    let refuse = |errors: &HashMap<&str, String>| {
        (StatusCode::UNPROCESSABLE_ENTITY, render(&owner, &site, &live.config, &form, errors, None)).into_response()
    };
    if !errors.is_empty() {
        return Ok(refuse(&errors));
    }
    let result = settings::edit(&state, &owner, &site, "settings.chat", |table| {
        // Only what changed: the rest keeps following the file.
        if bot_name != live.config.bot_name {
            table.insert("bot_name".into(), bot_name.into());
        }
        if greeting != live.config.greeting {
            table.insert("greeting".into(), greeting.into());
        }
        settings::unset(table, "identity_secret", remove);
        if let Some(secret) = &secret {
            table.insert("identity_secret".into(), secret.clone().into());
        }
        Ok(())
    })
    .await;
    if let Err(error) = result {
        // A weak secret is the likely cause; the message names the setting.
        let at = if error.to_string().contains("identity_secret") { "identity_secret" } else { "bot_name" };
        return Ok(refuse(&HashMap::from([(at, error.to_string())])));
    }
    let now = state.sites.get(&site).ok_or(AdminError::NotFound)?;
    let said = html! {
        (view::notice("Saved."))
        @if let Some(secret) = &generated {
            (field("generated", "The new secret (copy it now: it is not shown again)", secret, Input::Line, None, None))
        }
    };
    Ok(render(&owner, &site, &now.config, &HashMap::new(), &HashMap::new(), Some(said)).into_response())
}
