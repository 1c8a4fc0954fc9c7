//! Webhook ingress: what helpdesk agents do comes back to Baton here.
//!
//! `POST /webhooks/{provider}/{site}` takes the body as raw bytes and, in order:
//! 1. checks the provider's own authenticity proof on those bytes ([`signature`]); 401 if it
//!    fails;
//! 2. parses it into provider-neutral [`InboundEvent`]s (one parser per helpdesk), dropping
//!    Baton's own writes (echoes); 400 if unreadable, with the body logged so nothing is lost;
//! 3. answers 200 at once, because helpdesks time out in seconds and retry;
//! 4. before that answer, stores each event de-duplicated by its id (deliveries are
//!    at-least-once); [`pending`] then hands new ones to [`deliver`] in arrival order per
//!    helpdesk conversation, retrying those that cannot be applied yet (their conversation's
//!    helpdesk id is not stored yet) with backoff, and records those it gives up on.
//!
//! `GET`/`HEAD` on the same URL answer 200 for setup checks. Intercom's `ping` is a normal
//! signed POST and is answered 200 with nothing to deliver.
//!
//! Ordering: events about one helpdesk conversation are applied in the order they arrived;
//! helpdesks do not promise order across deliveries (their retries reorder them).

pub mod events;
pub(crate) mod freshchat;
pub(crate) mod freshdesk;
pub(crate) mod gorgias;
pub(crate) mod hubspot;
pub(crate) mod intercom;
pub mod pending;
pub mod signature;
pub(crate) mod zendesk_messaging;
pub(crate) mod zendesk_support;

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde_json::json;

pub use events::{InboundEvent, InboundKind, ParseError};
pub use signature::SignatureError;

use crate::{
    config::{SecretHeaderWebhook, WebhooksConfig},
    conversation::{AgentRef, ConversationError, HelpdeskEvent},
    providers::{
        inbound::{self, InboundError},
        ProviderKind,
    },
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/{provider}/{site}", post(receive).get(probe).head(probe))
}

/// The helpdesks that send webhooks, by the name in the URL (`zendesk-support` also works).
pub(crate) fn provider_named(name: &str) -> Option<ProviderKind> {
    Some(match name.replace('-', "_").as_str() {
        "intercom" => ProviderKind::Intercom,
        "zendesk_messaging" | "sunshine" => ProviderKind::ZendeskMessaging,
        "zendesk_support" | "zendesk" => ProviderKind::ZendeskSupport,
        "hubspot" => ProviderKind::Hubspot,
        "freshchat" => ProviderKind::Freshchat,
        "freshdesk" => ProviderKind::Freshdesk,
        "gorgias" => ProviderKind::Gorgias,
        _ => return None,
    })
}

#[derive(Debug, thiserror::Error)]
enum WebhookError {
    #[error("no helpdesk is called {0:?}")]
    UnknownProvider(String),
    #[error("site {0:?} is not configured")]
    UnknownSite(String),
    #[error("{0} webhooks are not configured for this site")]
    NotConfigured(&'static str),
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Parse(#[from] ParseError),
}

impl IntoResponse for WebhookError {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::UnknownProvider(_) | Self::UnknownSite(_) | Self::NotConfigured(_) => {
                (StatusCode::NOT_FOUND, "not_configured")
            }
            // Our key is broken, not their request: a 5xx makes the helpdesk retry once fixed.
            Self::Signature(SignatureError::BadKey(_)) => (StatusCode::INTERNAL_SERVER_ERROR, "misconfigured"),
            Self::Signature(_) => (StatusCode::UNAUTHORIZED, "invalid_signature"),
            Self::Parse(_) => (StatusCode::BAD_REQUEST, "malformed_payload"),
        };
        (status, Json(json!({"error": {"code": code, "message": self.to_string()}}))).into_response()
    }
}

/// What was received, as the verifiers need it.
struct Delivery<'a> {
    headers: &'a HeaderMap,
    method: &'a Method,
    uri: &'a Uri,
    body: &'a [u8],
    /// Milliseconds since the epoch, read once per delivery.
    now_ms: i64,
}

async fn receive(
    State(state): State<AppState>,
    Path((provider_name, site)): Path<(String, String)>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let delivery = Delivery { headers: &headers, method: &method, uri: &uri, body: &body, now_ms: now_millis() };
    let outcome = provider_named(&provider_name)
        .ok_or_else(|| WebhookError::UnknownProvider(provider_name.clone()))
        .and_then(|provider| {
            let config = state.sites.get(&site).ok_or_else(|| WebhookError::UnknownSite(site.clone()))?;
            let events = verify_and_parse(provider, &config.config.webhooks, &delivery)?;
            Ok((provider, events))
        });
    let (provider, events) = match outcome {
        Ok(accepted) => accepted,
        Err(error) => {
            log_refusal(&provider_name, &site, &error, &body);
            return error.into_response();
        }
    };
    let received = events.len();
    tracing::debug!(provider = provider.name(), %site, received, "webhook accepted");
    // Stored before the answer, processed after it: an acknowledged event survives a crash
    // (processed at the next start), and a redelivery is recognised here.
    let mut fresh = false;
    for event in events {
        let json = serde_json::to_string(&event).unwrap_or_default();
        match state.store.record_event(provider.name(), &site, &event.event_id, &json).await {
            Ok(true) => fresh = true,
            Ok(false) => {
                tracing::debug!(provider = provider.name(), %site, event = %event.event_id, "duplicate webhook event")
            }
            Err(error) => {
                // Not stored: do not acknowledge, so the helpdesk delivers it again.
                tracing::error!(provider = provider.name(), %site, %error, "webhook event not stored; asking for a retry");
                let body = json!({"error": {"code": "unavailable", "message": "try again"}});
                return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
            }
        }
    }
    if fresh {
        state.webhook_events.wake();
    }
    (StatusCode::OK, Json(json!({"received": received}))).into_response()
}

/// Refusals are logged with their reason; unreadable bodies also with the body (truncated), so
/// a payload shape the parser does not know yet can be recovered from the log.
fn log_refusal(provider: &str, site: &str, error: &WebhookError, body: &[u8]) {
    /// Enough for any realistic webhook; bounds the log line.
    const LOGGED_BODY: usize = 16 * 1024;
    match error {
        WebhookError::Parse(_) => {
            let shown = String::from_utf8_lossy(&body[..body.len().min(LOGGED_BODY)]);
            tracing::warn!(%provider, %site, %error, body = %shown, bytes = body.len(), "webhook refused: malformed");
        }
        WebhookError::Signature(SignatureError::BadKey(_)) => {
            tracing::error!(%provider, %site, %error, "webhook refused: fix the site's webhook key");
        }
        _ => tracing::warn!(%provider, %site, %error, "webhook refused"),
    }
}

async fn probe(State(state): State<AppState>, Path((provider, site)): Path<(String, String)>) -> StatusCode {
    match (provider_named(&provider), state.sites.get(&site)) {
        (Some(_), Some(_)) => StatusCode::OK,
        _ => StatusCode::NOT_FOUND,
    }
}

/// Checks the delivery with the provider's proof and turns it into events.
fn verify_and_parse(
    provider: ProviderKind,
    config: &WebhooksConfig,
    delivery: &Delivery<'_>,
) -> Result<Vec<InboundEvent>, WebhookError> {
    let not_configured = || WebhookError::NotConfigured(provider.name());
    let (headers, body) = (delivery.headers, delivery.body);
    Ok(match provider {
        ProviderKind::Intercom => {
            let c = config.intercom.as_ref().ok_or_else(not_configured)?;
            signature::intercom(&c.client_secret, headers, body)?;
            intercom::parse(body, c)?
        }
        ProviderKind::ZendeskMessaging => {
            let c = config.zendesk_messaging.as_ref().ok_or_else(not_configured)?;
            signature::sunshine(&c.secret, headers)?;
            zendesk_messaging::parse(body, c)?
        }
        ProviderKind::ZendeskSupport => {
            let c = config.zendesk_support.as_ref().ok_or_else(not_configured)?;
            let now = delivery.now_ms / 1000;
            signature::zendesk(&c.signing_secret, headers, body, now, c.timestamp_window_seconds)?;
            zendesk_support::parse(body, c)?
        }
        ProviderKind::Hubspot => {
            let c = config.hubspot.as_ref().ok_or_else(not_configured)?;
            let uris = hubspot_uris(c.public_url.as_deref(), delivery);
            let request = signature::HubspotRequest { method: delivery.method.as_str(), uris: &uris };
            if c.legacy_signatures && !headers.contains_key("x-hubspot-signature-v3") {
                signature::hubspot_legacy(&c.client_secret, &request, headers, body)?;
            } else {
                signature::hubspot(&c.client_secret, &request, headers, body, delivery.now_ms)?;
            }
            hubspot::parse(body)?
        }
        ProviderKind::Freshchat => {
            let c = config.freshchat.as_ref().ok_or_else(not_configured)?;
            signature::freshchat(&signature::FreshchatKey::from_pem(&c.public_key)?, headers, body)?;
            freshchat::parse(body)?
        }
        ProviderKind::Freshdesk => {
            let c = config.freshdesk.as_ref().ok_or_else(not_configured)?;
            check_secret_header(c, headers)?;
            freshdesk::parse(body, c)?
        }
        ProviderKind::Gorgias => {
            let c = config.gorgias.as_ref().ok_or_else(not_configured)?;
            check_secret_header(c, headers)?;
            gorgias::parse(body, c)?
        }
        ProviderKind::Builtin | ProviderKind::Link => return Err(not_configured()),
    })
}

/// The full URLs HubSpot may have signed: the configured public URL, else the forwarded or
/// direct host with `https` (what HubSpot calls) and `http` (a relay reached directly).
fn hubspot_uris(public_url: Option<&str>, delivery: &Delivery<'_>) -> Vec<String> {
    let path = delivery.uri.path_and_query().map_or("/", |p| p.as_str());
    if let Some(base) = public_url {
        return vec![format!("{}{path}", base.trim_end_matches('/'))];
    }
    let header = |name: &str| delivery.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let Some(host) = header("x-forwarded-host").or_else(|| header("host")).or(delivery.uri.host()) else {
        return Vec::new();
    };
    let forwarded = header("x-forwarded-proto").map(|p| p.split(',').next().unwrap_or(p).trim().to_string());
    let mut schemes: Vec<String> = forwarded.into_iter().collect();
    for scheme in ["https", "http"] {
        if !schemes.iter().any(|s| s == scheme) {
            schemes.push(scheme.to_string());
        }
    }
    schemes.iter().map(|scheme| format!("{scheme}://{host}{path}")).collect()
}

/// Freshdesk and Gorgias: whichever of the secret header and Basic credentials is configured
/// must be present (both, if both). Neither configured refuses everything: an open endpoint
/// would let anyone post as an agent.
fn check_secret_header(config: &SecretHeaderWebhook, headers: &HeaderMap) -> Result<(), SignatureError> {
    if config.secret.is_none() && config.basic_username.is_none() {
        return Err(SignatureError::BadKey("set `secret` or `basic_username`/`basic_password`".into()));
    }
    if let Some(secret) = &config.secret {
        signature::shared_secret(headers, &config.header, secret)?;
    }
    if let Some(username) = &config.basic_username {
        signature::basic_auth(headers, username, config.basic_password.as_deref().unwrap_or_default())?;
    }
    Ok(())
}

/// The seam to the conversation core: a new, verified, de-duplicated event about the
/// helpdesk's conversation `event.remote_conversation_id`, for `site`, handed to
/// [`inbound::deliver`]; `Ok` once the conversation applied it (or refused it for good).
pub async fn deliver(
    state: &AppState,
    site: &str,
    provider: ProviderKind,
    event: InboundEvent,
) -> Result<(), InboundError> {
    tracing::info!(
        provider = provider.name(),
        %site,
        event = %event.event_id,
        remote = %event.remote_conversation_id,
        kind = ?event.kind,
        "helpdesk event"
    );
    // Helpdesk agents are not Baton agents: their ids are namespaced by provider, so the
    // conversation machine can tell "the same agent" from "another agent".
    let agent = |id: String, name: String| AgentRef {
        id: format!("{}:{id}", provider.name()),
        name: if name.trim().is_empty() { "Support agent".to_string() } else { name },
    };
    let helpdesk_event = match event.kind {
        InboundKind::AgentJoined { agent_id, agent_name } => {
            HelpdeskEvent::AgentJoined { agent: agent(agent_id, agent_name) }
        }
        InboundKind::AgentMessage { agent_id, agent_name, text } => {
            HelpdeskEvent::AgentMessage { agent: agent(agent_id, agent_name), text }
        }
        InboundKind::AgentTyping { on } => HelpdeskEvent::AgentTyping { on },
        InboundKind::Closed => HelpdeskEvent::Closed,
    };
    match inbound::deliver(state, site, provider, &event.remote_conversation_id, &event.event_id, helpdesk_event).await
    {
        // The conversation is not where the event means anything (closed already, another
        // agent): applied as far as it can be.
        Err(InboundError::Conversation(ConversationError::Refused(refusal))) => {
            tracing::info!(provider = provider.name(), %site, event = %event.event_id, %refusal, "helpdesk event refused");
            Ok(())
        }
        other => other,
    }
}

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
