//! The visitor's transcript: the conversation as readable plain text or a small HTML page,
//! downloaded by the widget and, when `[smtp]` is set, emailed to the visitor.
//!
//! - `GET /api/v1/sites/{site}/transcript?format=text|html&tz=<IANA zone>` with
//!   `Authorization: Bearer <resume token>`: the transcript as an attachment
//!   (`Content-Disposition`), never cached, its times in the visitor's zone (named in its
//!   heading; UTC for an absent or unknown one).
//! - `POST /api/v1/sites/{site}/transcript/email?tz=<IANA zone>`, same header: `202 {"email": ...}` and the mail
//!   goes out in the background ([`mail`]); the outcome is a system message in the chat.
//!
//! Only the resume token (a secret the widget keeps; the store has its hash) opens a
//! transcript, never a conversation id. Refusals are the relay's JSON errors: 401 without a
//! token or with one this site does not know, 404 for an unknown site, 409 when the visitor
//! gave no email, 429 for a second mail within `smtp.every`, 503 without `[smtp]`.

pub mod mail;
mod render;
pub mod words;

use axum::{
    extract::{Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use tower_http::cors::CorsLayer;

pub use render::{html, text, Transcript};

use crate::{state::AppState, store::Conversation, web::json_error};

/// Events read per store call, and the most a transcript holds.
const PAGE: u32 = 500;
const MAX_EVENTS: usize = 20_000;

pub fn router() -> Router<AppState> {
    // Host pages on other origins call these with the token in `Authorization`: CORS, with
    // that header allowed (the preflight).
    Router::new()
        .route("/api/v1/sites/{site}/transcript", get(download))
        .route("/api/v1/sites/{site}/transcript/email", post(email))
        .layer(CorsLayer::permissive())
}

#[derive(Deserialize)]
struct Format {
    #[serde(default)]
    format: Option<String>,
    /// The visitor's time zone (IANA name, from the browser): the transcript's times are in
    /// it; UTC when absent or unknown.
    #[serde(default)]
    tz: Option<String>,
}

/// `?tz=` of the mail request.
#[derive(Deserialize)]
struct Zone {
    #[serde(default)]
    tz: Option<String>,
}

/// The conversation whose resume token the request carries.
async fn authorised(state: &AppState, site: &str, headers: &HeaderMap) -> Result<(Conversation, String), Response> {
    let Some(live) = state.sites.get(site) else {
        return Err(json_error(StatusCode::NOT_FOUND, "unknown_site", format!("site {site:?} is not configured")));
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 128);
    let unauthorised = || {
        json_error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send the conversation's resume token as `Authorization: Bearer <token>`",
        )
    };
    let Some(token) = token else {
        return Err(unauthorised());
    };
    match state.store.conversation_by_token(&live.key, &crate::gateway::token_hash(token)).await {
        Ok(Some(conversation)) => Ok((conversation, live.config.bot_name.clone())),
        Ok(None) => Err(unauthorised()),
        Err(error) => {
            tracing::error!(%error, "transcript: cannot read the conversation");
            Err(json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the transcript cannot be read now; retry"))
        }
    }
}

/// The conversation's events, oldest first, as a transcript in the visitor's language.
pub async fn read(
    state: &AppState,
    conversation: &Conversation,
    title: &str,
    zone: chrono_tz::Tz,
) -> Result<Transcript, Response> {
    let mut events = Vec::new();
    loop {
        let after = events.last().map_or(0, |e: &crate::event::Event| e.seq);
        let page = match state.store.events_after(&conversation.id, after, PAGE).await {
            Ok(page) => page,
            Err(error) => {
                tracing::error!(%error, "transcript: cannot read the events");
                let message = "the transcript cannot be read now; retry";
                return Err(json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message));
            }
        };
        let done = page.len() < PAGE as usize || events.len() + page.len() >= MAX_EVENTS;
        events.extend(page);
        if done {
            break;
        }
    }
    let words = words::for_languages(&conversation.visitor.languages);
    Ok(Transcript::new(title, conversation.created_at, &events, words).in_zone(zone))
}

async fn download(
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(format): Query<Format>,
    headers: HeaderMap,
) -> Response {
    let html = match format.format.as_deref() {
        None | Some("text" | "txt") => false,
        Some("html") => true,
        Some(other) => {
            let message = format!("format {other:?} is not one of text, html");
            return json_error(StatusCode::BAD_REQUEST, "bad_request", message);
        }
    };
    let (conversation, bot_name) = match authorised(&state, &site, &headers).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let transcript = match read(&state, &conversation, &bot_name, render::zone(format.tz.as_deref())).await {
        Ok(transcript) => transcript,
        Err(refused) => return refused,
    };
    let (body, content_type, extension) = if html {
        (render::html(&transcript), "text/html; charset=utf-8", "html")
    } else {
        (render::text(&transcript), "text/plain; charset=utf-8", "txt")
    };
    let disposition = format!("attachment; filename=\"{}.{extension}\"", transcript.file_name());
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    // Opened rather than saved, the page runs nothing and loads nothing.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
    );
    response
}

async fn email(
    State(state): State<AppState>,
    Path(site): Path<String>,
    Query(zone): Query<Zone>,
    headers: HeaderMap,
) -> Response {
    let (conversation, bot_name) = match authorised(&state, &site, &headers).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let Some(mailer) = state.mailer.clone() else {
        let message = "this relay has no mail server (`[smtp]`): download the transcript instead";
        return json_error(StatusCode::SERVICE_UNAVAILABLE, "smtp_not_configured", message);
    };
    let Some(to) = conversation.visitor.email.clone().filter(|e| shared::email::check(e).is_ok()) else {
        let message = "no email was given in this conversation: give one first";
        return json_error(StatusCode::CONFLICT, "no_email", message);
    };
    if let Err(wait) = mailer.claim(&conversation.id) {
        let mut refused = json_error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("the transcript was emailed a moment ago; try again in {} s", wait.as_secs().max(1)),
        );
        if let Ok(value) = HeaderValue::from_str(&wait.as_secs().max(1).to_string()) {
            refused.headers_mut().insert(header::RETRY_AFTER, value);
        }
        return refused;
    }
    let transcript = match read(&state, &conversation, &bot_name, render::zone(zone.tz.as_deref())).await {
        Ok(transcript) => transcript,
        Err(refused) => return refused,
    };
    mail::send_in_background(&state, mailer, &conversation, &to, &transcript);
    (StatusCode::ACCEPTED, Json(serde_json::json!({"email": to}))).into_response()
}
