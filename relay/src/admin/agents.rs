//! The Agents page: the agents of the owner's sites, an invitation by a one-time link (shown
//! once, good for [`INVITE_DAYS`] days, kept only as its SHA-256), and revoking an agent at once
//! (the account and its dashboard sessions are deleted). The invited agent opens the link, sets
//! a password and signs in; the link is then spent.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Form,
};
use axum_extra::extract::cookie::CookieJar;
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    password,
    session::{id_hash, random_token, Owner, Signed},
    sign_in::form_token,
    sites::relay_url,
    view::{self, checkbox, field, Input},
    AdminError,
};
use crate::{
    state::AppState,
    store::admin::{Accepted, Account, AuditEntry, Invite, Role},
};

/// How long an invitation link works.
pub const INVITE_DAYS: i64 = 7;

/// Whether every site of `agent` is one of `owner`'s (then the owner may revoke them).
fn within(owner: &Signed, agent: &Account) -> bool {
    agent.sites.iter().all(|site| owner.may(site))
}

async fn render(
    state: &AppState,
    owner: &Signed,
    said: Option<Markup>,
    errors: &HashMap<&str, String>,
    form: &HashMap<String, String>,
) -> Result<Markup, AdminError> {
    let agents: Vec<Account> = state
        .store
        .admin()
        .accounts()
        .await?
        .into_iter()
        .filter(|a| a.role == Role::Agent && a.sites.iter().any(|s| owner.may(s)))
        .collect();
    let mut sites: Vec<String> = state.sites.keys().into_iter().filter(|s| owner.may(s)).collect();
    sites.sort();
    let value = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let body = html! {
        @if let Some(said) = said { (said) }
        h2 { "Agents" }
        @if agents.is_empty() { p { "No agents yet." } }
        @else {
            (view::table(&["Name", "Email", "Sites", "Revoke"], agents.iter().map(|agent| vec![
                html! { (agent.name) },
                html! { (agent.email) },
                html! { (agent.sites.join(", ")) },
                html! {
                    @if within(owner, agent) {
                        form method="post" action={ "/admin/agents/" (agent.id) "/revoke" } {
                            (view::csrf(owner.csrf()))
                            button type="submit" aria-label={ "Revoke " (agent.email) } { "Revoke" }
                        }
                    }
                },
            ])))
        }
        h2 { "Invite an agent" }
        @if !errors.is_empty() { (view::problem("Please correct the fields marked below.")) }
        form method="post" action="/admin/agents" {
            (view::csrf(owner.csrf()))
            (field("name", "Name", value("name"), Input::Line, None, errors.get("name").map(String::as_str)))
            (field("email", "Email", value("email"), Input::Line, None, errors.get("email").map(String::as_str)))
            // The group's error is read with it (as a field's is, view::field).
            fieldset aria-describedby=[errors.get("sites").map(|_| "f-sites-error")] {
                legend { "Sites they answer" }
                @if let Some(error) = errors.get("sites") { p class="error" id="f-sites-error" { (error) } }
                @for site in &sites {
                    (checkbox(&format!("site:{site}"), site, form.contains_key(&format!("site:{site}")), None))
                }
            }
            button type="submit" { "Create invitation link" }
        }
    };
    Ok(view::page("Agents", Some(owner), body))
}

pub async fn page(State(state): State<AppState>, Owner(owner): Owner) -> Result<Markup, AdminError> {
    render(&state, &owner, None, &HashMap::new(), &HashMap::new()).await
}

pub async fn invite(
    State(state): State<AppState>,
    Owner(owner): Owner,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let name = form.get("name").map(|n| n.trim().to_string()).unwrap_or_default();
    let email = form.get("email").map(|e| e.trim().to_lowercase()).unwrap_or_default();
    let sites: Vec<String> = form
        .keys()
        .filter_map(|k| k.strip_prefix("site:"))
        .filter(|site| owner.may(site) && state.sites.get(site).is_some())
        .map(str::to_string)
        .collect();
    let mut errors = HashMap::new();
    if name.is_empty() {
        errors.insert("name", "Enter the agent's name.".to_string());
    }
    if super::sign_in::email_problem(&email).is_some() {
        errors.insert("email", "Enter an email address such as name@example.com.".to_string());
    }
    if sites.is_empty() {
        errors.insert("sites", "Choose at least one of your sites.".to_string());
    }
    if !errors.is_empty() {
        let page = render(&state, &owner, None, &errors, &form).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let token = random_token();
    let invite = Invite {
        token_hash: id_hash(&token),
        email: email.clone(),
        name,
        sites: sites.clone(),
        invited_by: owner.email().to_string(),
        expires_at: super::now() + INVITE_DAYS * 24 * 3600 * 1000,
    };
    state.store.admin().create_invite(&invite).await?;
    audit(&state, &owner, "agent.invite", format!("{email} for {}", sites.join(", "))).await?;
    let link = format!("{}/admin/invite?token={token}", relay_url(&state, &headers));
    let said = html! {
        (view::notice(&format!("Invitation for {email} created. Send them this link; it works once, for {INVITE_DAYS} days, and is not shown again.")))
        (field("link", "Invitation link", &link, Input::Line, None, None))
    };
    Ok(render(&state, &owner, Some(said), &HashMap::new(), &HashMap::new()).await?.into_response())
}

async fn audit(state: &AppState, owner: &Signed, action: &str, detail: String) -> Result<(), AdminError> {
    let entry =
        AuditEntry { at: super::now(), actor: owner.email().to_string(), site: None, action: action.into(), detail };
    Ok(state.store.admin().audit(&entry).await?)
}

pub async fn revoke(
    State(state): State<AppState>,
    Owner(owner): Owner,
    Path(id): Path<String>,
) -> Result<Response, AdminError> {
    let accounts = state.store.admin().accounts().await?;
    let agent = accounts.iter().find(|a| a.id == id && a.role == Role::Agent).ok_or(AdminError::NotFound)?;
    if !within(&owner, agent) {
        return Err(AdminError::Forbidden);
    }
    state.store.admin().delete_account(&agent.id).await?;
    // Its inbox sockets, on this relay and every other, close now (the sessions they signed
    // in with are gone with the account).
    state.bus.publish(crate::pubsub::INBOX, crate::pubsub::BusMessage::AccountRevoked { account_id: agent.id.clone() });
    audit(&state, &owner, "agent.revoke", agent.email.clone()).await?;
    tracing::info!(agent = %agent.email, by = owner.email(), "agent revoked");
    let said = view::notice(&format!("{} can no longer sign in; their sessions have ended.", agent.email));
    Ok(render(&state, &owner, Some(said), &HashMap::new(), &HashMap::new()).await?.into_response())
}

#[derive(Deserialize, Default)]
pub struct InviteQuery {
    #[serde(default)]
    token: String,
}

fn accept_form(csrf: &str, token: &str, problem: Option<&str>) -> Markup {
    html! {
        @if let Some(problem) = problem { (view::problem(problem)) }
        p { "Choose a password to finish your account." }
        form method="post" action="/admin/invite" {
            (view::csrf(csrf))
            input type="hidden" name="token" value=(token);
            (field("password", "Password", "", Input::NewPassword, Some("At least 12 characters."), None))
            button type="submit" { "Create my account" }
        }
    }
}

pub async fn accept_page(State(state): State<AppState>, jar: CookieJar, Query(query): Query<InviteQuery>) -> Response {
    let (jar, csrf) = form_token(&state, jar);
    (jar, view::page("Join Baton", None, accept_form(&csrf, &query.token, None))).into_response()
}

#[derive(Deserialize, Default)]
pub struct AcceptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

pub async fn accept(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<AcceptForm>,
) -> Result<Response, AdminError> {
    let (jar, csrf) = form_token(&state, jar);
    let refuse = |status: StatusCode, jar: CookieJar, problem: &str| {
        (status, jar, view::page("Join Baton", None, accept_form(&csrf, &form.token, Some(problem)))).into_response()
    };
    if let Err(error) = password::acceptable(&form.password) {
        return Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, jar, &format!("Choose a longer password: {error}.")));
    }
    let hash = password::hash(form.password.clone()).await.map_err(|e| AdminError::Internal(e.to_string()))?;
    match state.store.admin().accept_invite(&id_hash(form.token.trim()), super::now(), &hash).await? {
        Accepted::Created(account) => {
            let entry = AuditEntry {
                at: super::now(),
                actor: account.email.clone(),
                site: None,
                action: "agent.join".into(),
                detail: format!("for {}", account.sites.join(", ")),
            };
            state.store.admin().audit(&entry).await?;
            Ok((jar, Redirect::to("/admin/sign-in")).into_response())
        }
        Accepted::Unknown => Ok(refuse(
            StatusCode::GONE,
            jar,
            "This invitation link is not valid: it was used already or has expired. Ask for a new one.",
        )),
        Accepted::EmailTaken => {
            Ok(refuse(StatusCode::CONFLICT, jar, "An account with this email exists already: sign in instead."))
        }
    }
}
