//! The plain HTTP channel: one request, one response, for servers, mobile apps or SMS
//! gateways that cannot hold a live connection. The bot answers in the response. A handover
//! asked for here gets the site's "unsupported channel" message, because no agent reply could
//! reach the caller. Documented in README.md.
//!
//! `POST /api/v1/sites/{site}/messages` with `{"text": "...", "conversation": "<token>"?,
//! "client_id": "..."?, "request_handover": false?}` answers `{"conversation": "<token>",
//! "messages": [...], "phase": "bot"}`.
//!
//! New conversations, messages and handover requests count against the address's and the
//! site's limits; a refusal is `429 Too Many Requests` with `Retry-After` (seconds) and
//! `{"error": {"code": "rate_limited", "message": ..., "retry_after": <seconds>}}`.

use axum::{
    extract::{rejection::JsonRejection, Path, State},
    http::{header::RETRY_AFTER, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::oneshot;

use crate::{
    conversation::{Channel, Command, ConversationError, VisitorAction},
    event::{EventBody, Role},
    gateway::{open_conversation, OpenError},
    limits::{ClientIp, Kind, Limited},
    state::AppState,
    store::StoreError,
    wire,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/v1/sites/{site}/messages", post(message))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    #[serde(default)]
    text: String,
    /// The token from an earlier response; absent to start a conversation.
    conversation: Option<String>,
    /// Makes retries safe: the same id is stored once.
    client_id: Option<String>,
    /// The caller's "Talk to a person" button.
    #[serde(default)]
    request_handover: bool,
}

#[derive(Serialize)]
struct Reply {
    role: shared::Role,
    name: Option<String>,
    text: String,
    source_url: Option<String>,
}

#[derive(Debug, thiserror::Error)]
enum ChannelError {
    #[error("site {0:?} is not configured")]
    UnknownSite(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Conversation(#[from] ConversationError),
    #[error(transparent)]
    Limited(#[from] Limited),
}

impl From<OpenError> for ChannelError {
    fn from(error: OpenError) -> Self {
        match error {
            OpenError::Limited(limited) => Self::Limited(limited),
            OpenError::Store(error) => Self::Store(error),
        }
    }
}

impl IntoResponse for ChannelError {
    fn into_response(self) -> Response {
        if let Self::Limited(limited) = &self {
            tracing::info!(%limited, "HTTP channel request limited");
            let seconds = limited.retry_after_secs();
            let body =
                json!({"error": {"code": "rate_limited", "message": limited.to_string(), "retry_after": seconds}});
            let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
            return response;
        }
        let (status, code) = match &self {
            Self::UnknownSite(_) => (StatusCode::NOT_FOUND, "unknown_site"),
            Self::BadRequest(_) => (StatusCode::UNPROCESSABLE_ENTITY, "bad_request"),
            Self::BodyTimeout => (StatusCode::REQUEST_TIMEOUT, "timeout"),
            Self::Store(_) | Self::Conversation(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Limited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        };
        let instead = "the message could not be processed; retry with the same client_id";
        crate::web::api_error(status, code, &self, "HTTP channel request", instead)
    }
}

async fn message(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(site): Path<String>,
    body: Result<Json<Request>, JsonRejection>,
) -> Result<Response, ChannelError> {
    let Json(request) =
        body.map_err(
            |e| {
                if timed_out(&e) {
                    ChannelError::BodyTimeout
                } else {
                    ChannelError::BadRequest(e.body_text())
                }
            },
        )?;
    let site = state.sites.get(&site).ok_or(ChannelError::UnknownSite(site))?;
    let text = request.text.trim().to_string();
    if !request.request_handover && (text.is_empty() || text.chars().count() > shared::MAX_MESSAGE_CHARS) {
        return Err(ChannelError::BadRequest(format!("text must have 1 to {} characters", shared::MAX_MESSAGE_CHARS)));
    }
    if request.client_id.as_ref().is_some_and(|id| id.is_empty() || id.len() > shared::MAX_CLIENT_ID_BYTES) {
        return Err(ChannelError::BadRequest("client_id must be 1 to 64 bytes".into()));
    }
    // A new conversation counts against its own limit first (a flood of them is refused as
    // such), then the message or handover request against theirs.
    let (conversation, token, _) = open_conversation(&state, &site, request.conversation.as_deref(), ip).await?;
    let kind = if request.request_handover { Kind::Handover } else { Kind::Message };
    state.limits.check(&site.key, &site.config, kind, ip)?;
    let after = conversation.last_seq;
    let action = if request.request_handover {
        VisitorAction::RequestHandover
    } else {
        let client_id = request.client_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        VisitorAction::Message { client_id, text, attachments: vec![] }
    };
    let (done, finished) = oneshot::channel();
    let command = Command::Visitor { action, channel: Channel::Http, stored: None, done: Some(done) };
    state.conversations.send(&conversation.id, &site.key, command).await?;
    let last_seq = finished.await.map_err(|_| ConversationError::Closed)?;
    let events = state.store.events_after(&conversation.id, after, (last_seq - after.min(last_seq)) as u32 + 1).await?;
    let messages: Vec<Reply> = events
        .into_iter()
        .filter_map(|event| match event.body {
            EventBody::Message(m) if m.author.role != Role::Visitor => Some(Reply {
                role: wire::role(m.author.role),
                name: m.author.name,
                text: m.text,
                source_url: m.source.map(|s| s.url),
            }),
            _ => None,
        })
        .collect();
    let phase = state.store.conversation(&conversation.id).await?.map(|c| wire::phase(c.handover.phase));
    Ok(Json(json!({"conversation": token, "messages": messages, "phase": phase})).into_response())
}

/// Whether the body stopped arriving (the router's body timeout) rather than being malformed.
fn timed_out(rejection: &JsonRejection) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(rejection);
    while let Some(error) = cause {
        if error.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = error.source();
    }
    false
}
