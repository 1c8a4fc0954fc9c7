//! A HubSpot simulator (custom channels and the inbox API as SPEC.md section 4 describes them):
//! OAuth bearer auth, `POST /conversations/v3/custom-channels/{channelId}/messages` (INCOMING
//! messages; the first on an `integrationThreadId` creates the thread; `integrationIdempotencyId`
//! answered from memory), `PATCH /conversations/v3/conversations/threads/{threadId}`; errors in
//! HubSpot's `{"status": "error", "message", "category"}` shape; 429 with `Retry-After` and the
//! `X-HubSpot-RateLimit-*` headers.
//!
//! Webhooks: [`Hubspot::agent_reply`] sends the custom channel's `OUTGOING_CHANNEL_MESSAGE_CREATED`,
//! [`Hubspot::agent_close`] the app's `conversation.propertyChange`, both signed with v3 (SPEC
//! 4(c), 9). With [`Hubspot::send_webhooks_to`] a thread Baton closes fires the close webhook
//! too, as HubSpot's subscription does, so echoes are exercised.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{patch, post},
    Json, Router,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use super::Mode;

pub const TOKEN: &str = "sim-hubspot-oauth-token";
pub const CLIENT_SECRET: &str = "sim-hubspot-client-secret";
pub const CHANNEL: &str = "1001";
pub const CHANNEL_ACCOUNT: &str = "2002";
pub const AGENT: &str = "A-82843387";
pub const AGENT_NAME: &str = "Jane Agent";

/// One thread as HubSpot holds it.
#[derive(Debug, Clone)]
pub struct Thread {
    pub id: String,
    pub integration_thread: String,
    pub status: String,
    /// The messages in order, as they were posted.
    pub messages: Vec<Value>,
}

/// Everything the simulator was asked, and what it holds.
#[derive(Debug, Default)]
pub struct Inner {
    pub mode: Mode,
    pub threads: Vec<Thread>,
    /// Every request as (method path, body).
    pub requests: Vec<(String, Value)>,
    /// Where the app's webhook subscription delivers, when set.
    pub webhook_url: Option<String>,
    /// The relay's answers to webhooks fired for Baton's own writes: (status, body sent).
    pub echoes: Vec<(u16, String)>,
}

#[derive(Clone, Default)]
pub struct Hubspot {
    pub inner: Arc<Mutex<Inner>>,
    pub addr: Option<SocketAddr>,
}

fn error(status: StatusCode, category: &str, message: &str) -> Response {
    let body = json!({"status": "error", "message": message, "correlationId": "sim-0001", "category": category});
    (status, Json(body)).into_response()
}

impl Hubspot {
    pub async fn start() -> Self {
        let mut sim = Self::default();
        let app = Router::new()
            .route("/conversations/v3/custom-channels/{channel}/messages", post(publish))
            .route("/conversations/v3/conversations/threads/{thread}", patch(update_thread))
            .with_state(sim.clone());
        sim.addr = Some(super::serve(app).await);
        sim
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr.expect("started"))
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = mode;
    }

    /// Fire the app's `conversation.propertyChange` for Baton's own closes, to `relay_webhook_url`.
    pub fn send_webhooks_to(&self, relay_webhook_url: &str) {
        self.inner.lock().unwrap().webhook_url = Some(relay_webhook_url.to_string());
    }

    /// The newest thread.
    pub fn last_thread(&self) -> Option<Thread> {
        self.inner.lock().unwrap().threads.last().cloned()
    }

    /// base64(HMAC-SHA256(client_secret, method + uri + body + timestamp)) (SPEC 4(c), 9).
    pub fn sign(secret: &str, method: &str, uri: &str, body: &str, timestamp: &str) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
        for part in [method, uri, body, timestamp] {
            mac.update(part.as_bytes());
        }
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// The custom channel's webhook when the agent writes `text` in `thread` (HubSpot's id).
    pub fn reply_body(thread: &Thread, message_id: &str, text: &str) -> String {
        json!({"type": "OUTGOING_CHANNEL_MESSAGE_CREATED", "portalId": 123456, "channelId": CHANNEL,
            "channelIntegrationThreadIds": [thread.integration_thread],
            "message": {"id": message_id, "type": "MESSAGE", "channelId": CHANNEL, "channelAccountId": CHANNEL_ACCOUNT,
                "conversationsThreadId": thread.id, "direction": "OUTGOING", "text": text,
                "richText": format!("<p>{text}</p>"),
                "senders": [{"actorId": AGENT, "name": AGENT_NAME}],
                "recipients": [{"actorId": "V-551"}],
                "createdBy": AGENT, "createdAt": chrono::Utc::now().to_rfc3339(), "attachments": []}})
        .to_string()
    }

    /// The app subscription's body when `thread` is closed.
    pub fn closed_body(thread_id: &str, event_id: u64, source: &str) -> String {
        json!([{"eventId": event_id, "subscriptionId": 2371671, "portalId": 123456, "appId": 2438486,
            "occurredAt": chrono::Utc::now().timestamp_millis(), "subscriptionType": "conversation.propertyChange",
            "attemptNumber": 0, "objectId": thread_id.parse::<u64>().unwrap_or_default(),
            "propertyName": "status", "propertyValue": "CLOSED", "changeSource": source}])
        .to_string()
    }

    /// An agent's reply: the signed custom-channel webhook.
    pub async fn agent_reply(relay_webhook_url: &str, thread: &Thread, text: &str) -> (u16, String) {
        deliver(relay_webhook_url, &Self::reply_body(thread, &next_id(), text)).await
    }

    /// An agent closes the thread.
    pub async fn agent_close(relay_webhook_url: &str, thread: &Thread) -> (u16, String) {
        deliver(relay_webhook_url, &Self::closed_body(&thread.id, next_number(), "USER")).await
    }
}

fn next_number() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(3_269_195_544);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

fn next_id() -> String {
    format!("{:x}", next_number())
}

/// Signs `body` now for `url` with the simulator's secret and posts it, as HubSpot does.
pub async fn deliver(url: &str, body: &str) -> (u16, String) {
    let timestamp = chrono::Utc::now().timestamp_millis().to_string();
    let signature = Hubspot::sign(CLIENT_SECRET, "POST", url, body, &timestamp);
    post_signed(url, body, &timestamp, &signature).await
}

pub async fn post_signed(url: &str, body: &str, timestamp: &str, signature: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-hubspot-signature-v3", signature)
        .header("x-hubspot-request-timestamp", timestamp)
        .header("user-agent", "HubSpot Connect 2.0 (http://dev.hubspot.com/)")
        .body(body.to_string())
        .send()
        .await
        .expect("deliver webhook");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

/// Failure mode and auth, as HubSpot checks them, before any handler runs. (The error is the
/// simulator's whole answer; its size does not matter in a test server.)
#[allow(clippy::result_large_err)]
fn gate(sim: &Hubspot, headers: &HeaderMap, what: String, body: Value) -> Result<(), Response> {
    let mut inner = sim.inner.lock().unwrap();
    inner.requests.push((what, body));
    match inner.mode {
        Mode::Down => return Err(error(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", "Service Unavailable")),
        Mode::RateLimited => {
            let mut response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITS",
                "You have reached your ten_secondly_rolling limit.",
            );
            let h = response.headers_mut();
            h.insert("retry-after", "1".parse().unwrap());
            h.insert("x-hubspot-ratelimit-daily", "250000".parse().unwrap());
            h.insert("x-hubspot-ratelimit-daily-remaining", "249000".parse().unwrap());
            h.insert("x-hubspot-ratelimit-interval-milliseconds", "10000".parse().unwrap());
            h.insert("x-hubspot-ratelimit-max", "100".parse().unwrap());
            h.insert("x-hubspot-ratelimit-remaining", "0".parse().unwrap());
            return Err(response);
        }
        Mode::Normal => {}
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {TOKEN}")) {
        return Err(error(StatusCode::UNAUTHORIZED, "INVALID_AUTHENTICATION", "Authentication credentials not found."));
    }
    Ok(())
}

/// What SPEC 4(b) step 1 requires of an INCOMING message; the refusal's text when it is wrong.
fn invalid(body: &Value) -> Option<&'static str> {
    let sender = &body["senders"][0]["deliveryIdentifier"];
    if body["type"] != "MESSAGE" || body["messageDirection"] != "INCOMING" {
        return Some("type MESSAGE and messageDirection INCOMING are required");
    }
    if body["integrationThreadId"].as_str().is_none_or(str::is_empty) {
        return Some("integrationThreadId is required with threadingModel INTEGRATION_THREAD_ID");
    }
    if body["channelAccountId"] != CHANNEL_ACCOUNT {
        return Some("unknown channelAccountId");
    }
    if !matches!(sender["type"].as_str(), Some("HS_EMAIL_ADDRESS" | "CHANNEL_SPECIFIC_OPAQUE_ID"))
        || sender["value"].as_str().is_none_or(str::is_empty)
    {
        return Some("senders[0].deliveryIdentifier is invalid");
    }
    if body["text"].as_str().is_none_or(str::is_empty) {
        return Some("text is required");
    }
    None
}

async fn publish(
    State(sim): State<Hubspot>,
    headers: HeaderMap,
    Path(channel): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let what = format!("POST /conversations/v3/custom-channels/{channel}/messages");
    if let Err(r) = gate(&sim, &headers, what, body.clone()) {
        return r;
    }
    if channel != CHANNEL {
        return error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", "channel not found");
    }
    if let Some(problem) = invalid(&body) {
        return error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", problem);
    }
    let mut inner = sim.inner.lock().unwrap();
    let integration_thread = body["integrationThreadId"].as_str().unwrap_or_default().to_string();
    let idempotency = &body["integrationIdempotencyId"];
    // A known idempotency id answers with the message it made (the simulator's reading of the
    // UNCONFIRMED semantics; the connector tolerates either).
    for thread in &inner.threads {
        if let Some(earlier) =
            thread.messages.iter().find(|m| !idempotency.is_null() && m["integrationIdempotencyId"] == *idempotency)
        {
            return (StatusCode::OK, Json(earlier["answer"].clone())).into_response();
        }
    }
    let count = inner.threads.len();
    let index = match inner.threads.iter().position(|t| t.integration_thread == integration_thread) {
        Some(index) => index,
        None => {
            inner.threads.push(Thread {
                id: (9_876_543_210u64 + count as u64).to_string(),
                integration_thread,
                status: "OPEN".into(),
                messages: Vec::new(),
            });
            count
        }
    };
    let thread = &mut inner.threads[index];
    // A visitor writing on a closed thread reopens it, as a new message does in HubSpot's inbox.
    thread.status = "OPEN".into();
    let answer = json!({"id": format!("m{}-{}", thread.id, thread.messages.len()), "type": "MESSAGE",
        "conversationsThreadId": thread.id, "channelId": CHANNEL, "channelAccountId": CHANNEL_ACCOUNT,
        "direction": "INCOMING", "text": body["text"], "senders": [{"actorId": "V-551", "name": body["senders"][0]["name"],
            "deliveryIdentifier": body["senders"][0]["deliveryIdentifier"]}],
        "createdAt": chrono::Utc::now().to_rfc3339(), "truncationStatus": "NOT_TRUNCATED",
        "client": {"clientType": "INTEGRATION", "integrationAppId": 2438486}});
    let mut stored = body.clone();
    stored["answer"] = answer.clone();
    thread.messages.push(stored);
    (StatusCode::OK, Json(answer)).into_response()
}

async fn update_thread(
    State(sim): State<Hubspot>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = gate(&sim, &headers, format!("PATCH /conversations/v3/conversations/threads/{id}"), body.clone()) {
        return r;
    }
    let Some(status) = body["status"].as_str().filter(|s| *s == "OPEN" || *s == "CLOSED") else {
        return error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", "status must be OPEN or CLOSED");
    };
    let mut inner = sim.inner.lock().unwrap();
    let hook = inner.webhook_url.clone();
    let Some(thread) = inner.threads.iter_mut().find(|t| t.id == id) else {
        return error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", "thread not found");
    };
    thread.status = status.to_string();
    let answer = json!({"id": thread.id, "status": status, "inboxId": "147959634"});
    drop(inner);
    // The app's subscription fires for Baton's own close too.
    if let (Some(hook), "CLOSED") = (hook, status) {
        let sim = sim.clone();
        tokio::spawn(async move {
            let body = Hubspot::closed_body(&id, next_number(), "API");
            let (status, _) = deliver(&hook, &body).await;
            sim.inner.lock().unwrap().echoes.push((status, body));
        });
    }
    Json(answer).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_test_vector() {
        let body = r#"[{"eventId":1,"subscriptionType":"conversation.newMessage","objectId":123,"messageId":"abc"}]"#;
        let signature =
            Hubspot::sign("test-client-secret", "POST", "https://example.com/webhooks/hubspot", body, "1704067200000");
        assert_eq!(signature, "qfQnmqOlGxQ77x7hgEeAtMECuDm4BN0aAbAG4jJ6f1U=");
    }
}
