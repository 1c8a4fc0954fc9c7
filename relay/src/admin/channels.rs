//! The Channels page: where a site's handovers go (the built-in inbox, a link, or one of the
//! helpdesks of the connectors' registry), the chosen one's settings in a form drawn from its
//! connector's fields and read by its own settings type (errors at the field), credentials
//! sealed at rest with the relay's key (`crate::sealed`) and afterwards shown only by their last
//! four characters, a **Test connection** that makes the connector's read-only call within
//! [`TEST_BOUND`], and the webhook address (and secret) to give the helpdesk.
//!
//! Switching keeps conversations already handed over where they are: a handover records its
//! provider (the actor's `open_remote`), outbox jobs name it, and the previous helpdesk's
//! webhook settings stay in place, so its agents' replies still arrive.

use std::{collections::HashMap, time::Duration};

use axum::{
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    Form,
};
use figment::value::Value;
use maud::{html, Markup};
use serde::Deserialize;

use super::{
    session::{random_token, Signed, SiteOwner},
    settings,
    sites::relay_url,
    view::{self, checkbox, field, Input},
    AdminError,
};
use crate::{
    config::Table,
    connectors::{
        self, form, http, settings::SECRET_HEADER_WEBHOOK_FIELDS, Field, FieldKind, ProviderError, ProviderKind,
    },
    sealed::{self, SecretBox},
    site_settings::SettingsError,
    sites::Site,
    state::AppState,
};

/// The longest a "Test connection" waits for the helpdesk (less when the form's timeout is).
pub const TEST_BOUND: Duration = Duration::from_secs(10);

/// The form's prefix of provider settings (`p.access_token`) and webhook settings (`w.secret`).
const PROVIDER: &str = "p";
const WEBHOOK: &str = "w";

#[derive(Deserialize, Default)]
pub struct Choose {
    kind: Option<String>,
}

/// What one drawing of the page shows besides the settings in effect.
#[derive(Default)]
struct Shown<'a> {
    /// The form as sent (non-secret fields are shown back as typed).
    form: Option<&'a HashMap<String, String>>,
    /// Problems by form field name (`p.api_key`); `""` for the form as a whole.
    errors: HashMap<String, String>,
    said: Option<Markup>,
}

fn render(
    state: &AppState,
    owner: &Signed,
    live: &Site,
    kind: ProviderKind,
    headers: &HeaderMap,
    shown: Shown<'_>,
) -> Markup {
    let site = live.key.as_str();
    let current = live.provider.kind();
    let same = current == kind;
    let no_key = state.settings.file().secret_key.is_none();
    let options: Vec<(&str, &str)> = ProviderKind::ALL.iter().map(|k| (k.name(), k.label())).collect();
    let webhook_url = format!("{}/webhooks/{}/{site}", relay_url(state, headers), kind.name());
    let general = shown.errors.get("");
    let body = html! {
        @if let Some(said) = &shown.said { (said) }
        p data-testid="current" { "Handovers go to: " strong { (current.label()) } "." }
        p class="hint" { "Switching does not move conversations already handed over: they finish where they started." }
        @if no_key {
            (view::problem("BATON_SECRET_KEY is not set on the relay, so credentials cannot be saved from the dashboard \
                (they are stored encrypted with that key). Set it to 32 random bytes in base64, e.g. `openssl rand -base64 32`, and restart."))
        }
        form method="get" action={ "/admin/sites/" (site) "/channels" } {
            (view::select("kind", "Provider", &options, kind.name()))
            button type="submit" { "Show its settings" }
        }
        h2 { (kind.label()) @if same { " (in use)" } }
        @if let Some(problem) = general { (view::problem(problem)) }
        @else if !shown.errors.is_empty() { (view::problem("Please correct the fields marked below; nothing was saved.")) }
        form method="post" action={ "/admin/sites/" (site) "/channels" } {
            (view::csrf(owner.csrf()))
            input type="hidden" name="kind" value=(kind.name());
            @if kind.fields().is_empty() { p { "Nothing to set up: agents answer in Baton's inbox at /inbox/." } }
            @for f in kind.fields() {
                (setting(PROVIDER, f, same.then_some(&live.config.provider), &shown))
            }
            @if kind.receives_webhooks() {
                h3 { "Webhook" }
                (field("webhook_url", "Webhook address to give the helpdesk", &webhook_url, Input::Line,
                    Some("The helpdesk sends agents' replies and closes here (docs/webhooks.md says where to paste it)."), None))
                @for f in kind.webhook_fields() {
                    (setting(WEBHOOK, f, live.config.webhooks.get(kind.name()), &shown))
                }
                @if generates_secret(kind) {
                    (checkbox("generate_webhook_secret", "Generate a webhook secret", false,
                        Some("Shown once after saving, to paste into the helpdesk's webhook header.")))
                }
            }
            button type="submit" name="action" value="test" { "Test connection" }
            " "
            button type="submit" name="action" value="save" { "Save" }
        }
    };
    view::page(&format!("Channels of {site}"), Some(owner), body)
}

/// Whether Baton makes the webhook's secret itself (helpdesks that sign nothing: the owner
/// puts Baton's secret in a header of the helpdesk's webhook).
fn generates_secret(kind: ProviderKind) -> bool {
    kind.webhook_fields() == SECRET_HEADER_WEBHOOK_FIELDS
}

/// One setting's input, filled with what was typed, else what is in effect (secrets never).
fn setting(prefix: &str, f: &Field, current: Option<&Table>, shown: &Shown<'_>) -> Markup {
    let name = format!("{prefix}.{}", f.name);
    let label = if f.required { format!("{} (required)", f.label) } else { f.label.to_string() };
    let now = current.and_then(|table| form::get(table, f.name));
    let typed = shown.form.and_then(|form| form.get(&name));
    let text = typed.cloned().unwrap_or_else(|| now.map(|value| f.text_of(value)).unwrap_or_default());
    let error = shown.errors.get(&name).map(String::as_str);
    match f.kind {
        FieldKind::Secret => {
            let status = match now.and_then(Value::as_str) {
                Some(raw) => format!("Set (ends {}); leave empty to keep it.", sealed::masked(raw)),
                None => "Not set.".to_string(),
            };
            html! {
                (field(&name, &label, "", Input::Secret, Some(&format!("{} {status}", f.hint)), error))
            }
        }
        FieldKind::Flag { default } => {
            let on = match shown.form {
                Some(form) => form.contains_key(&name),
                None => now.and_then(Value::to_bool).unwrap_or(default),
            };
            checkbox(&name, &label, on, (!f.hint.is_empty()).then_some(f.hint))
        }
        FieldKind::Choice(values) => {
            let mut options = vec![("", "(default)")];
            options.extend(values.iter().map(|v| (*v, *v)));
            view::select_with(&name, &label, &options, &text, Some(f.hint))
        }
        FieldKind::List | FieldKind::LongText => field(&name, &label, &text, Input::Text(4), Some(f.hint), error),
        FieldKind::Text | FieldKind::Number => field(&name, &label, &text, Input::Line, Some(f.hint), error),
    }
}

pub async fn page(
    State(state): State<AppState>,
    SiteOwner { owner, live, .. }: SiteOwner,
    headers: HeaderMap,
    Query(choose): Query<Choose>,
) -> Markup {
    let kind = choose.kind.as_deref().and_then(ProviderKind::named).unwrap_or_else(|| live.provider.kind());
    render(&state, &owner, &live, kind, &headers, Shown::default())
}

/// One table of settings read from the form: as stored (secrets sealed) and as the connector
/// gets it (secrets in the clear, for the checks and the test).
#[derive(Default)]
struct Read {
    stored: Table,
    plain: Table,
}

/// How the form's secrets are read: sealed with `key` for `site`, and whether only to test
/// them (no key is needed then).
struct Secrets<'a> {
    key: Option<&'a SecretBox>,
    site: &'a str,
    testing: bool,
}

/// Reads `fields` under `prefix`; a secret left empty keeps the one in `current`.
fn read(
    form: &HashMap<String, String>,
    prefix: &str,
    fields: &[Field],
    current: Option<&Table>,
    secrets: &Secrets<'_>,
    errors: &mut HashMap<String, String>,
) -> Read {
    let Secrets { key, site, testing } = *secrets;
    let mut read = Read::default();
    for f in fields {
        let name = format!("{prefix}.{}", f.name);
        let text = form.get(&name).map(String::as_str).unwrap_or_default().trim();
        if f.is_secret() {
            let kept = current.and_then(|table| form::get(table, f.name)).and_then(Value::as_str);
            let (stored, plain) = match (text.is_empty(), kept) {
                (true, None) if f.required => {
                    errors.insert(name, required(f));
                    continue;
                }
                (true, None) => continue,
                // Kept as it is stored; opened only to check and test it.
                (true, Some(kept)) if sealed::is_sealed(kept) => {
                    match key.ok_or(sealed::SealError::NoKey).and_then(|key| key.open(site, kept)) {
                        Ok(plain) => (Some(kept.to_string()), plain),
                        Err(error) => {
                            errors.insert(name, error.to_string());
                            continue;
                        }
                    }
                }
                // From the file (plain), or typed now: sealed from here on.
                (true, Some(plain)) => (key.map(|key| key.seal(site, plain)), plain.to_string()),
                (false, _) => (key.map(|key| key.seal(site, text)), text.to_string()),
            };
            match stored {
                Some(stored) => form::put(&mut read.stored, f.name, Value::from(stored)),
                None if !testing => {
                    let message = "Cannot be saved: BATON_SECRET_KEY is not set on the relay (see above).";
                    errors.insert(name, message.to_string());
                    continue;
                }
                None => {}
            }
            form::put(&mut read.plain, f.name, Value::from(plain));
            continue;
        }
        let text = if matches!(f.kind, FieldKind::Flag { .. }) && !form.contains_key(&name) { "" } else { text };
        if text.is_empty() && f.required && !matches!(f.kind, FieldKind::Flag { .. }) {
            errors.insert(name, required(f));
            continue;
        }
        match f.value(text) {
            Ok(Some(value)) => {
                form::put(&mut read.stored, f.name, value.clone());
                form::put(&mut read.plain, f.name, value);
            }
            Ok(None) => {}
            Err(problem) => {
                errors.insert(name, problem);
            }
        }
    }
    read
}

/// The message at a required field left empty (rather than the settings type's "missing field").
fn required(f: &Field) -> String {
    format!("{} is required.", f.label)
}

/// Where a connector's refusal of its settings is shown: at the setting it names.
fn at_field(prefix: &str, setting: Option<String>) -> String {
    setting.map(|s| format!("{prefix}.{s}")).unwrap_or_default()
}

pub async fn submit(
    State(state): State<AppState>,
    SiteOwner { owner, site, live }: SiteOwner,
    headers: HeaderMap,
    Form(mut form): Form<HashMap<String, String>>,
) -> Result<Response, AdminError> {
    let kind = form
        .get("kind")
        .and_then(|kind| ProviderKind::named(kind))
        .ok_or_else(|| AdminError::BadForm("no such provider".into()))?;
    let testing = form.get("action").map(String::as_str) == Some("test");
    let file = state.settings.file();
    let key = SecretBox::from_config(file.secret_key.as_ref()).map_err(|e| AdminError::Internal(e.to_string()))?;
    let same = live.provider.kind() == kind;
    let mut errors = HashMap::new();
    let generated =
        (!testing && generates_secret(kind) && form.contains_key("generate_webhook_secret")).then(random_token);
    if let Some(secret) = &generated {
        form.insert(format!("{WEBHOOK}.secret"), secret.clone());
    }
    let current = same.then_some(&live.config.provider);
    let secrets = Secrets { key: key.as_ref(), site: &site, testing };
    let mut provider = read(&form, PROVIDER, kind.fields(), current, &secrets, &mut errors);
    provider.plain.insert("kind".into(), kind.name().into());
    provider.stored.insert("kind".into(), kind.name().into());
    let presence = state.presence.for_site(&site);
    let built = match connectors::build_provider(&provider.plain, &connectors::Context { presence: &presence }) {
        Ok((_, built)) => Some(built),
        Err(error) => {
            errors.entry(at_field(PROVIDER, error.setting())).or_insert_with(|| error.to_string());
            None
        }
    };
    let webhook = kind.receives_webhooks().then(|| {
        let current = live.config.webhooks.get(kind.name());
        let webhook = read(&form, WEBHOOK, kind.webhook_fields(), current, &secrets, &mut errors);
        match kind.webhook(&webhook.plain).map(|check| check.weak()) {
            Err(error) => {
                errors.entry(at_field(WEBHOOK, error.setting())).or_insert_with(|| error.to_string());
            }
            Ok(Some(weak)) => {
                let at = at_field(WEBHOOK, weak.setting.map(str::to_string));
                errors.entry(at).or_insert_with(|| format!("Webhook: {}", weak.describe(kind.name())));
            }
            Ok(None) => {}
        }
        webhook
    });
    let show = |errors: HashMap<String, String>, said: Option<Markup>| {
        let shown = Shown { form: Some(&form), errors, said };
        render(&state, &owner, &live, kind, &headers, shown)
    };

    if testing {
        // Only the provider's settings matter for a call; webhook problems wait for "Save".
        errors.retain(|name, _| name.is_empty() || name.starts_with(PROVIDER));
        let Some(provider_now) = built.filter(|_| errors.is_empty()) else {
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, show(errors, None)).into_response());
        };
        let bound = form::get(&provider.plain, "timeout_seconds")
            .and_then(|v| v.to_u128())
            .map_or(TEST_BOUND, |seconds| Duration::from_secs(seconds.clamp(1, 10) as u64).min(TEST_BOUND));
        let outcome = tokio::time::timeout(bound, provider_now.test_connection()).await;
        tracing::info!(%site, provider = kind.name(), ok = matches!(outcome, Ok(Ok(_))), "connection tested in the dashboard");
        return Ok(show(HashMap::new(), Some(tested(outcome, bound))).into_response());
    }
    if !errors.is_empty() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, show(errors, None)).into_response());
    }
    let to_toml = |table: &Table| toml::Value::try_from(table).map_err(|e| SettingsError::Toml(e.to_string()));
    let result = settings::edit(&state, &owner, &site, "settings.channels", |doc| {
        retire(doc, kind);
        doc.insert("provider".into(), to_toml(&provider.stored)?);
        if let Some(webhook) = &webhook {
            let webhooks = doc.entry("webhooks").or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(webhooks) = webhooks {
                webhooks.insert(kind.name().into(), to_toml(&webhook.stored)?);
            }
        }
        Ok(())
    })
    .await;
    if let Err(error) = result {
        let errors = HashMap::from([(String::new(), format!("Not saved: {error}"))]);
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, show(errors, None)).into_response());
    }
    let now = state.sites.get(&site).ok_or(AdminError::NotFound)?;
    let said = html! {
        (view::notice(&format!("Saved: new handovers go to {}. Conversations already handed over stay where they are.", kind.label())))
        @if let Some(secret) = &generated {
            (field("generated", "The webhook secret (copy it now into the helpdesk's webhook header: it is not shown again)",
                secret, Input::Line, None, None))
        }
    };
    Ok(render(&state, &owner, &now, kind, &headers, Shown { said: Some(said), ..Shown::default() }).into_response())
}

/// Keeps the document's helpdesk, when another one takes its place, under `retired_providers`
/// (its secrets stay sealed), so the conversations handed to it can finish there after restarts
/// too; `kind`, now in use, is no longer retired. (A helpdesk of the file is kept by
/// `site_settings::merge`.)
fn retire(doc: &mut toml::Table, kind: ProviderKind) {
    let old = doc.get("provider").and_then(toml::Value::as_table).cloned();
    let old_kind = old.as_ref().and_then(|old| old.get("kind")?.as_str()).and_then(ProviderKind::named);
    let retired = doc.entry("retired_providers").or_insert_with(|| toml::Value::Table(toml::Table::new()));
    if let toml::Value::Table(retired) = retired {
        if let (Some(old), Some(old_kind)) = (old, old_kind.filter(|old| *old != kind && old.receives_webhooks())) {
            retired.insert(old_kind.name().into(), toml::Value::Table(old));
        }
        retired.remove(kind.name());
    }
    if doc.get("retired_providers").and_then(toml::Value::as_table).is_some_and(toml::Table::is_empty) {
        doc.remove("retired_providers");
    }
}

/// The helpdesk's answer to the test, in the owner's words.
fn tested(outcome: Result<Result<String, ProviderError>, tokio::time::error::Elapsed>, bound: Duration) -> Markup {
    let late = || {
        format!(
            "Timed out: the helpdesk did not answer within {} s. Check the address; a firewall may be dropping the connection.",
            bound.as_secs()
        )
    };
    let (ok, message) = match outcome {
        Ok(Ok(who)) => (true, format!("Connected: {who}.")),
        Err(_) => (false, late()),
        Ok(Err(ProviderError::Rejected(detail))) if detail.starts_with("401") || detail.starts_with("403") => (
            false,
            format!("Wrong credentials: the helpdesk refused them ({}). Check the token or key.", status_of(&detail)),
        ),
        Ok(Err(ProviderError::Rejected(detail))) => (false, format!("The helpdesk refused the request: {detail}")),
        Ok(Err(ProviderError::Unavailable(detail))) if detail.starts_with(http::TIMED_OUT) => (false, late()),
        Ok(Err(ProviderError::Unavailable(detail))) if detail.starts_with(http::CANNOT_CONNECT) => {
            (false, format!("Unreachable: no connection to the helpdesk's address ({detail})."))
        }
        Ok(Err(ProviderError::Unavailable(detail))) => {
            (false, format!("The helpdesk answered with an error: {detail}"))
        }
        Ok(Err(ProviderError::RateLimited { .. })) => {
            (false, "The helpdesk says too many requests; try again in a moment.".to_string())
        }
        Ok(Err(ProviderError::Config(detail))) => (false, format!("These settings cannot be used: {detail}")),
    };
    html! {
        p class=(if ok { "notice" } else { "problem" }) role=(if ok { "status" } else { "alert" }) data-testid="test-outcome" { (message) }
    }
}

/// `401 Unauthorized` out of a refusal's detail (`401 Unauthorized: {...}`).
fn status_of(detail: &str) -> &str {
    detail.split(':').next().unwrap_or(detail)
}
