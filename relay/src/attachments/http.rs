//! The attachments' HTTP surface: uploads by visitors and agents, and the signed downloads.
//!
//! `POST /api/v1/sites/{site}/attachments?name=<file name>` with the raw bytes as the body and
//! `Authorization: Bearer <resume token>` (the widget's, from `welcome`) answers
//! `201 {"id", "name", "content_type", "size", "url"}`; the widget then sends a message naming
//! the id. Refusals: `401 unauthorized` (no such conversation), `403 origin_not_allowed` or
//! `attachments_off`, `413 too_large`, `415 type_not_allowed`, `429 rate_limited` (an upload
//! counts as a message).
//!
//! `POST /agent/api/conversations/{id}/attachments?name=...` is the same for agents (their
//! token, or the dashboard session from the relay's own pages).
//!
//! `GET /attachments/{id}?expires=..&sig=..` serves the bytes with the sniffed type,
//! `X-Content-Type-Options: nosniff`, `Content-Security-Policy: sandbox; default-src 'none'`,
//! and `Content-Disposition: attachment` unless it is an image (then `inline`); a missing,
//! forged or expired signature is 403.

use axum::{
    body::{Body, Bytes},
    extract::{Path, Query, State},
    http::{
        header::{
            AUTHORIZATION, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_SECURITY_POLICY, CONTENT_TYPE,
            ORIGIN, REFERRER_POLICY, RETRY_AFTER, X_CONTENT_TYPE_OPTIONS,
        },
        HeaderMap, HeaderValue, StatusCode,
    },
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use axum_extra::extract::cookie::CookieJar;
use futures_util::StreamExt;
use serde::Deserialize;
use tower_http::cors::CorsLayer;

use super::{Refused, StorageError, UploadError};
use crate::{
    agents::desk,
    limits::{ClientIp, Kind, Limited},
    state::AppState,
    store::StoreError,
};

pub fn router() -> Router<AppState> {
    // The widget uploads from the host page's origin: any origin may ask (the site's
    // `allowed_origins` is checked in the handler, as the socket does).
    let visitor =
        Router::new().route("/api/v1/sites/{site}/attachments", post(visitor_upload)).layer(CorsLayer::permissive());
    Router::new()
        .merge(visitor)
        .route("/agent/api/conversations/{id}/attachments", post(agent_upload))
        .route("/attachments/{id}", get(serve))
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error("site {0:?} is not configured")]
    UnknownSite(String),
    #[error("send the widget's resume token as `Authorization: Bearer <token>`")]
    Unauthorized,
    #[error("origin {0:?} may not use this site")]
    OriginNotAllowed(Option<String>),
    #[error("this site does not accept files")]
    Off,
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error("the upload did not arrive: {0}")]
    Body(String),
    #[error(transparent)]
    Limited(#[from] Limited),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Desk(#[from] desk::DeskError),
}

impl From<UploadError> for Failure {
    fn from(error: UploadError) -> Self {
        match error {
            UploadError::Refused(refused) => Self::Refused(refused),
            UploadError::Storage(error) => Self::Storage(error),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, code) = match &self {
            Self::UnknownSite(_) => (StatusCode::NOT_FOUND, "unknown_site"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::OriginNotAllowed(_) => (StatusCode::FORBIDDEN, "origin_not_allowed"),
            Self::Off => (StatusCode::FORBIDDEN, "attachments_off"),
            Self::Refused(Refused::TooLarge { .. }) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            Self::Refused(Refused::Empty) => (StatusCode::UNPROCESSABLE_ENTITY, "empty"),
            Self::Refused(Refused::TypeNotAllowed { .. }) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "type_not_allowed"),
            Self::Body(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            Self::Limited(_) => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Desk(desk::DeskError::NotFound(_)) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Storage(_) | Self::Store(_) | Self::Desk(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        };
        let mut response =
            crate::web::api_error(status, code, &self, "attachment upload", "the file was not kept; retry");
        if let Self::Limited(limited) = &self {
            response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(limited.retry_after_secs()));
        }
        response
    }
}

#[derive(Deserialize)]
struct Upload {
    #[serde(default)]
    name: String,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let token = headers.get(AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")?.trim();
    (!token.is_empty() && token.len() <= 128).then_some(token)
}

/// The body, refused as too large as soon as it passes `max` bytes (before reading it all when
/// `Content-Length` says so).
async fn read_at_most(headers: &HeaderMap, body: Body, max: u64) -> Result<Bytes, Failure> {
    let declared = headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if let Some(size) = declared.filter(|&size| size > max) {
        return Err(Refused::TooLarge { size, max }.into());
    }
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| Failure::Body(e.to_string()))?;
        let size = (bytes.len() + chunk.len()) as u64;
        if size > max {
            return Err(Refused::TooLarge { size, max }.into());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes.into())
}

async fn visitor_upload(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(site): Path<String>,
    Query(upload): Query<Upload>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let site = state.sites.get(&site).ok_or(Failure::UnknownSite(site))?;
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let allowed = &site.config.allowed_origins;
    if !allowed.is_empty() && !origin.as_ref().is_some_and(|o| allowed.contains(o)) {
        return Err(Failure::OriginNotAllowed(origin));
    }
    let token = bearer(&headers).ok_or(Failure::Unauthorized)?;
    let hash = crate::gateway::token_hash(token);
    let conversation = state.store.conversation_by_token(&site.key, &hash).await?.ok_or(Failure::Unauthorized)?;
    let rules = &site.config.attachments;
    if !rules.enabled {
        return Err(Failure::Off);
    }
    state.limits.check(&site.key, &site.config, Kind::Message, ip)?;
    let bytes = read_at_most(&headers, body, rules.max_bytes).await?;
    let attachment = state.attachments.upload(&site.key, &conversation.id, rules, &upload.name, bytes).await?;
    Ok((StatusCode::CREATED, Json(state.attachments.wire(attachment))).into_response())
}

async fn agent_upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(upload): Query<Upload>,
    headers: HeaderMap,
    jar: CookieJar,
    body: Body,
) -> Result<Response, Failure> {
    let agent = match bearer(&headers) {
        Some(token) => state.agents.authenticate(token),
        None if crate::agents::socket::same_origin(&headers) => crate::admin::session::inbox_agent(&state, &jar).await,
        None => None,
    };
    let agent = agent.ok_or(Failure::Unauthorized)?;
    let conversation = desk::get(&state, &agent, &id).await?;
    let site = state.sites.get(&conversation.site).ok_or(Failure::UnknownSite(conversation.site))?;
    let rules = &site.config.attachments;
    let bytes = read_at_most(&headers, body, rules.max_bytes).await?;
    let attachment = state.attachments.upload(&site.key, &id, rules, &upload.name, bytes).await?;
    Ok((StatusCode::CREATED, Json(state.attachments.wire(attachment))).into_response())
}

#[derive(Deserialize)]
struct Signed {
    #[serde(default)]
    expires: u64,
    #[serde(default)]
    sig: String,
}

/// Images shown inline; everything else only downloads.
const INLINE: [&str; 4] = ["image/png", "image/jpeg", "image/gif", "image/webp"];

async fn serve(State(state): State<AppState>, Path(id): Path<String>, Query(signed): Query<Signed>) -> Response {
    let now = super::unix_now();
    if let Err(error) = state.attachments.links().check(&id, signed.expires, &signed.sig, now) {
        return crate::web::json_error(StatusCode::FORBIDDEN, "forbidden", error);
    }
    let (meta, bytes) = match state.attachments.read(&id).await {
        Ok(Some(found)) => found,
        Ok(None) => return crate::web::json_error(StatusCode::NOT_FOUND, "not_found", "no such file"),
        Err(error) => {
            tracing::error!(%error, id, "attachment not readable");
            return crate::web::json_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the file cannot be read now",
            );
        }
    };
    let inline = INLINE.contains(&meta.content_type.as_str());
    let disposition = format!(
        "{}; filename=\"{}\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        meta.name
            .chars()
            .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' { c } else { '_' })
            .collect::<String>(),
        percent_encode(&meta.name),
    );
    let header = |value: &str| HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, header(&meta.content_type));
    headers.insert(CONTENT_DISPOSITION, header(&disposition));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static("sandbox; default-src 'none'"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    let max_age = signed.expires.saturating_sub(now);
    headers.insert(CACHE_CONTROL, header(&format!("private, max-age={max_age}")));
    response
}

/// RFC 5987 encoding of a file name for `filename*`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
