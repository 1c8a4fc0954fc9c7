//! Webhook ingress: what helpdesk agents do comes back to Baton here.
//!
//! `POST /webhooks/{provider}/{site}` takes the body as raw bytes and, in order:
//! 1. checks the provider's own authenticity proof on those bytes (the helpdesk's connector,
//!    `connectors/<helpdesk>/webhook.rs`, with the site's settings); 401 if it fails;
//! 2. parses it into provider-neutral [`InboundEvent`]s (the same connector), dropping
//!    Baton's own writes (echoes); 400 if unreadable, with the body logged so nothing is lost;
//! 3. answers 200 at once, because helpdesks time out in seconds and retry;
//! 4. before that answer, stores each event de-duplicated by its id (deliveries are
//!    at-least-once); [`pending`] then hands new ones to [`deliver()`] in arrival order per
//!    helpdesk conversation, retrying those that cannot be applied yet (their conversation's
//!    helpdesk id is not stored yet) with backoff, and records those it gives up on.
//!
//! `GET`/`HEAD` on the same URL answer 200 for setup checks. Intercom's `ping` is a normal
//! signed POST and is answered 200 with nothing to deliver.
//!
//! Ordering: events about one helpdesk conversation are applied in the order they arrived;
//! helpdesks do not promise order across deliveries (their retries reorder them).

mod deliver;
pub mod pending;

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, Method, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde_json::json;

pub use deliver::{deliver, InboundError};

use crate::{
    connectors::{Delivery, ParseError, ProviderKind, Refusal, SignatureError},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/webhooks/{provider}/{site}", post(receive).get(probe).head(probe))
}

/// The helpdesks that send webhooks, by the name in the URL (an alias such as
/// `zendesk-support` or `sunshine` also works).
pub(crate) fn provider_named(name: &str) -> Option<ProviderKind> {
    ProviderKind::named(name).filter(|kind| kind.receives_webhooks())
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

impl From<Refusal> for WebhookError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Signature(error) => Self::Signature(error),
            Refusal::Parse(error) => Self::Parse(error),
        }
    }
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
        crate::web::json_error(status, code, self)
    }
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
            let webhook = config.webhooks.get(&provider).ok_or(WebhookError::NotConfigured(provider.name()))?;
            Ok((provider, webhook.verify_and_parse(&delivery)?))
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
        let stored = state.store.record_event(provider, &site, &event.event_id, &event.remote_conversation_id, &json);
        match stored.await {
            Ok(true) => fresh = true,
            Ok(false) => {
                tracing::debug!(provider = provider.name(), %site, event = %event.event_id, "duplicate webhook event")
            }
            Err(error) => {
                // Not stored: do not acknowledge, so the helpdesk delivers it again.
                tracing::error!(provider = provider.name(), %site, %error, "webhook event not stored; asking for a retry");
                return crate::web::json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "try again");
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

fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
