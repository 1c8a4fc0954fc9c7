//! Signing in and out, and the first owner's setup.
//!
//! A sign-in is refused, before any password is checked, when its address made more than
//! `[admin] sign_ins_per_minute` attempts in the last minute (429) or when the account is
//! locked; `lockout_after` wrong passwords in a row lock the account for `lockout_for` (kept in
//! the store, so every relay refuses it). An unknown email costs the same time as a wrong
//! password and gets the same answer.

use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    Form,
};
use axum_extra::extract::cookie::CookieJar;
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    password,
    session::{id_hash, random_token, Cookies, Signed},
    view::{self, field, Input},
    AdminError,
};
use crate::{
    config::ALL_SITES,
    limits::ClientIp,
    state::AppState,
    store::admin::{AuditEntry, NewAccount, Role},
};

/// `/admin/`: the sites for owners, the inbox for agents, else sign-in (or setup).
pub async fn home(State(state): State<AppState>, signed: Option<Signed>) -> Result<Response, AdminError> {
    Ok(match signed {
        Some(signed) if signed.0.account.role == Role::Owner => Redirect::to("/admin/sites").into_response(),
        Some(_) => Redirect::to("/admin/inbox").into_response(),
        None if !state.store.admin().has_owner().await? => Redirect::to("/admin/setup").into_response(),
        None => Redirect::to("/admin/sign-in").into_response(),
    })
}

/// The form cookie of a page shown before sign-in: the one the browser has, or a new one.
pub fn form_token(state: &AppState, jar: CookieJar) -> (CookieJar, String) {
    let cookies = Cookies(&state.config.admin);
    match jar.get(cookies.form_name()).map(|c| c.value().to_string()).filter(|t| !t.is_empty()) {
        Some(token) => (jar, token),
        None => {
            let token = random_token();
            (jar.add(cookies.form(token.clone())), token)
        }
    }
}

#[derive(Deserialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

fn sign_in_form(csrf: &str, email: &str, problem: Option<&str>) -> Markup {
    html! {
        @if let Some(problem) = problem { (view::problem(problem)) }
        form method="post" action="/admin/sign-in" {
            (view::csrf(csrf))
            (field("email", "Email", email, Input::Email, None, None))
            (field("password", "Password", "", Input::Password, None, None))
            button type="submit" { "Sign in" }
        }
    }
}

pub async fn sign_in_page(State(state): State<AppState>, jar: CookieJar) -> Response {
    let (jar, token) = form_token(&state, jar);
    (jar, view::page("Sign in", None, sign_in_form(&token, "", None))).into_response()
}

pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    jar: CookieJar,
    Form(form): Form<SignInForm>,
) -> Result<Response, AdminError> {
    let (jar, token) = form_token(&state, jar);
    let email = form.email.trim().to_lowercase();
    let refuse = |status: StatusCode, jar: CookieJar, message: &str| {
        (status, jar, view::page("Sign in", None, sign_in_form(&token, &email, Some(message)))).into_response()
    };
    if let Err(wait) = state.admin.sign_in_allowed(ip) {
        let message = format!("Too many sign-in attempts from your address. Try again in {wait} seconds.");
        return Ok(refuse(StatusCode::TOO_MANY_REQUESTS, jar, &message));
    }
    let admin = &state.config.admin;
    let Some(account) = state.store.admin().account_by_email(&email).await? else {
        password::verify_nothing(form.password).await;
        return Ok(refuse(StatusCode::UNAUTHORIZED, jar, "Wrong email or password."));
    };
    let now = super::now();
    let locked = |until: i64| {
        let minutes = (until - now).max(0) / 60_000 + 1;
        format!("This account is locked after too many wrong passwords. Try again in {minutes} minutes.")
    };
    if let Some(until) = account.locked_until.filter(|until| *until > now) {
        return Ok(refuse(StatusCode::FORBIDDEN, jar, &locked(until)));
    }
    if !password::verify(form.password, account.password_hash.clone()).await {
        let until = now + i64::try_from(admin.lockout_for.as_millis()).unwrap_or(i64::MAX / 2);
        state.store.admin().sign_in_failed(&account.id, admin.lockout_after, until).await?;
        let now_locked = account.failed_attempts + 1 >= admin.lockout_after;
        tracing::warn!(account = %account.email, %ip, locked = now_locked, "wrong password at the dashboard");
        if now_locked {
            return Ok(refuse(StatusCode::FORBIDDEN, jar, &locked(until)));
        }
        return Ok(refuse(StatusCode::UNAUTHORIZED, jar, "Wrong email or password."));
    }
    state.store.admin().sign_in_succeeded(&account.id).await?;
    let id = random_token();
    let expires = now + i64::try_from(admin.session_ttl.as_millis()).unwrap_or(i64::MAX / 2);
    state.store.admin().create_session(&id_hash(&id), &account.id, &random_token(), expires).await?;
    let cookies = Cookies(admin);
    let jar = jar.add(cookies.session(id)).add(cookies.removal(cookies.form_name()));
    Ok((jar, Redirect::to("/admin/")).into_response())
}

pub async fn sign_out(State(state): State<AppState>, jar: CookieJar) -> Result<Response, AdminError> {
    let cookies = Cookies(&state.config.admin);
    if let Some(cookie) = jar.get(cookies.session_name()) {
        state.store.admin().delete_session(&id_hash(cookie.value())).await?;
    }
    let jar = jar.add(cookies.removal(cookies.session_name()));
    Ok((jar, Redirect::to("/admin/sign-in")).into_response())
}

#[derive(Deserialize)]
pub struct SetupQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize, Default)]
pub struct SetupForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

/// Problems with a setup or account form, by field.
#[derive(Default)]
struct Problems {
    token: Option<String>,
    name: Option<String>,
    email: Option<String>,
    password: Option<String>,
}

impl Problems {
    fn any(&self) -> bool {
        self.token.is_some() || self.name.is_some() || self.email.is_some() || self.password.is_some()
    }
}

fn setup_form(csrf: &str, form: &SetupForm, problems: &Problems) -> Markup {
    html! {
        p { "Create the first owner. The one-time setup token is printed in the relay's log at start." }
        @if problems.any() { (view::problem("Please correct the fields marked below.")) }
        form method="post" action="/admin/setup" {
            (view::csrf(csrf))
            (field("token", "Setup token", &form.token, Input::Line, Some("From the relay's log."), problems.token.as_deref()))
            (field("name", "Your name", &form.name, Input::Line, None, problems.name.as_deref()))
            (field("email", "Email", &form.email, Input::Email, None, problems.email.as_deref()))
            (field("password", "Password", "", Input::NewPassword, Some("At least 12 characters."), problems.password.as_deref()))
            button type="submit" { "Create owner" }
        }
    }
}

pub async fn setup_page(
    State(state): State<AppState>,
    jar: CookieJar,
    Query(query): Query<SetupQuery>,
) -> Result<Response, AdminError> {
    if state.store.admin().has_owner().await? {
        return Ok(Redirect::to("/admin/sign-in").into_response());
    }
    let (jar, token) = form_token(&state, jar);
    let form = SetupForm { token: query.token, ..SetupForm::default() };
    Ok((jar, view::page("Set up Baton", None, setup_form(&token, &form, &Problems::default()))).into_response())
}

pub async fn setup(
    State(state): State<AppState>,
    jar: CookieJar,
    Form(form): Form<SetupForm>,
) -> Result<Response, AdminError> {
    let (jar, csrf) = form_token(&state, jar);
    let mut problems = Problems::default();
    let expected = state.admin.setup_token();
    if !bool::from(subtle::ConstantTimeEq::ct_eq(form.token.trim().as_bytes(), expected.as_bytes())) {
        problems.token = Some("This is not the setup token printed in the log.".into());
    }
    let email = form.email.trim().to_lowercase();
    let (name, password) = (form.name.trim().to_string(), form.password.clone());
    check_account_fields(&name, &email, &password, &mut problems);
    let page = |status: StatusCode, jar: CookieJar, problems: &Problems| {
        (status, jar, view::page("Set up Baton", None, setup_form(&csrf, &form, problems))).into_response()
    };
    if problems.any() {
        return Ok(page(StatusCode::UNPROCESSABLE_ENTITY, jar, &problems));
    }
    let hash = password::hash(password).await.map_err(|e| AdminError::Internal(e.to_string()))?;
    let sites = [ALL_SITES.to_string()];
    let new = NewAccount { email: &email, name: &name, role: Role::Owner, password_hash: &hash, sites: &sites };
    if state.store.admin().create_account(&new, true).await?.is_none() {
        // The token is good once: an owner was made meanwhile.
        return Ok((
            StatusCode::GONE,
            view::page("Set up Baton", None, view::problem("Setup is done already: sign in instead.")),
        )
            .into_response());
    }
    let entry = AuditEntry {
        at: super::now(),
        actor: "setup".into(),
        site: None,
        action: "account.create".into(),
        detail: format!("first owner {email}"),
    };
    state.store.admin().audit(&entry).await?;
    tracing::info!(owner = %email, "the first owner was created; the setup token is spent");
    Ok((jar, Redirect::to("/admin/sign-in")).into_response())
}

/// The checks an account's name, email and password get.
fn check_account_fields(name: &str, email: &str, password: &str, problems: &mut Problems) {
    if name.is_empty() {
        problems.name = Some("Enter a name.".into());
    }
    problems.email = email_problem(email).map(str::to_string);
    if let Err(error) = password::acceptable(password) {
        problems.password = Some(format!("Choose a longer password: {error}."));
    }
}

/// What is wrong with `email` as an account's email, if anything.
pub fn email_problem(email: &str) -> Option<&'static str> {
    let parts: Vec<&str> = email.split('@').collect();
    let bad =
        parts.len() != 2 || parts[0].is_empty() || !parts[1].contains('.') || email.chars().any(char::is_whitespace);
    bad.then_some("Enter an email address such as name@example.com.")
}

/// An agent's landing page: their sites and the inbox they answer in.
pub async fn inbox(signed: Signed) -> Markup {
    let sites = &signed.0.account.sites;
    view::page(
        "Inbox",
        Some(&signed),
        html! {
            p { "You answer visitors of these sites in the agent inbox:" }
            ul { @for site in sites { li { (site) } } }
            p { a href="/inbox/" { "Open the inbox" } }
        },
    )
}
