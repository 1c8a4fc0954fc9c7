//! A Zendesk Support simulator (Tickets API as SPEC.md section 3 describes it): Basic
//! `{email}/token:{api_token}` or OAuth bearer auth, `POST /api/v2/tickets` (requester found or
//! created from the email, else the API user; `Idempotency-Key` answered from memory with
//! `x-idempotency-lookup`), `PUT /api/v2/tickets/{id}` with comments and status, the 5000-comment
//! cap, `GET /api/v2/agent_availabilities`; errors in Zendesk's `{"error", "description"}` shape;
//! 429 with `Retry-After` and `X-Rate-Limit` headers.
//!
//! Webhooks: [`ZendeskSupport::agent_reply`] and [`ZendeskSupport::agent_solve`] send what the
//! two triggers of `docs/providers/README.md` send, signed as SPEC 9 says. With
//! [`ZendeskSupport::send_triggers_to`] the simulator also fires those triggers for the API
//! user's own updates, as real Zendesk does, so echo suppression is exercised.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post, put},
    Json, Router,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use super::Mode;

pub const EMAIL: &str = "baton-bot@acme.test";
pub const API_TOKEN: &str = "sim-zendesk-api-token";
pub const OAUTH_TOKEN: &str = "sim-zendesk-oauth-token";
pub const SIGNING_SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
/// The user the API token belongs to.
pub const API_USER: u64 = 900;
pub const AGENT: u64 = 501;
pub const AGENT_NAME: &str = "Sam Agent";
/// Zendesk's per-ticket comment cap (SPEC 3(b)).
pub const MAX_COMMENTS: usize = 5000;

/// Everything the simulator was asked, and what it holds.
#[derive(Debug, Default)]
pub struct Inner {
    pub mode: Mode,
    /// End users by id: `{"id", "name", "email", "role"}`.
    pub users: Vec<Value>,
    /// Tickets as Zendesk returns them, each with its `comments` (in order) added.
    pub tickets: Vec<Value>,
    /// Every request as (method path, body).
    pub requests: Vec<(String, Value)>,
    /// `Idempotency-Key` → (request body, ticket id).
    pub idempotency: HashMap<String, (Value, u64)>,
    /// Create the next ticket but answer 503, as if the answer were lost on the way.
    pub lose_next_create_answer: bool,
    pub agents_online: bool,
    /// Where the triggers deliver (the relay's webhook URL), when set.
    pub webhook_url: Option<String>,
    /// The relay's answers to the triggers fired for the API user's updates: (status, body sent).
    pub echoes: Vec<(u16, String)>,
}

#[derive(Clone, Default)]
pub struct ZendeskSupport {
    pub inner: Arc<Mutex<Inner>>,
    pub addr: Option<SocketAddr>,
}

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "description": description}))).into_response()
}

impl ZendeskSupport {
    pub async fn start() -> Self {
        let mut sim = Self::default();
        sim.inner.lock().unwrap().agents_online = true;
        let app = Router::new()
            .route("/api/v2/tickets", post(create_ticket))
            .route("/api/v2/tickets/{id}", put(update_ticket))
            .route("/api/v2/agent_availabilities", get(availabilities))
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

    /// Fire the triggers for the API user's own updates too, to `relay_webhook_url`.
    pub fn send_triggers_to(&self, relay_webhook_url: &str) {
        self.inner.lock().unwrap().webhook_url = Some(relay_webhook_url.to_string());
    }

    /// The newest ticket.
    pub fn last_ticket(&self) -> Option<Value> {
        self.inner.lock().unwrap().tickets.last().cloned()
    }

    /// base64(HMAC-SHA256(secret, timestamp + body)) (SPEC 3(c), 9).
    pub fn sign(secret: &str, timestamp: &str, body: &str) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
        mac.update(timestamp.as_bytes());
        mac.update(body.as_bytes());
        STANDARD.encode(mac.finalize().into_bytes())
    }

    /// Trigger 1's body when `author` comments publicly on `ticket`.
    pub fn comment_body(ticket: &str, status: &str, comment: &str, author: u64, name: &str, role: &str) -> String {
        json!({"ticket_id": ticket, "status": status, "comment": comment, "author_id": author.to_string(),
               "author_name": name, "author_role": role, "updated_at": chrono::Utc::now().to_rfc3339()})
        .to_string()
    }

    /// Trigger 2's body when `author` solves `ticket`.
    pub fn solved_body(ticket: &str, author: u64) -> String {
        json!({"ticket_id": ticket, "status": "solved", "event": "closed", "author_id": author.to_string(),
               "updated_at": chrono::Utc::now().to_rfc3339()})
        .to_string()
    }

    /// An agent's public reply: the signed trigger delivery.
    pub async fn agent_reply(relay_webhook_url: &str, ticket: &str, text: &str) -> (u16, String) {
        let body = Self::comment_body(ticket, "open", text, AGENT, AGENT_NAME, "agent");
        deliver(relay_webhook_url, &body).await
    }

    /// An agent solves the ticket.
    pub async fn agent_solve(relay_webhook_url: &str, ticket: &str) -> (u16, String) {
        deliver(relay_webhook_url, &Self::solved_body(ticket, AGENT)).await
    }
}

/// Signs `body` now with the simulator's secret and posts it, as Zendesk's webhook does.
pub async fn deliver(url: &str, body: &str) -> (u16, String) {
    let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let signature = ZendeskSupport::sign(SIGNING_SECRET, &timestamp, body);
    post_signed(url, body, &timestamp, &signature).await
}

pub async fn post_signed(url: &str, body: &str, timestamp: &str, signature: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-zendesk-webhook-signature", signature)
        .header("x-zendesk-webhook-signature-timestamp", timestamp)
        .header("user-agent", "Zendesk Webhook")
        .body(body.to_string())
        .send()
        .await
        .expect("deliver webhook");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

/// Failure mode and auth, as Zendesk checks them, before any handler runs.
// The error is the simulator's answer itself; its size does not matter in a test server.
#[allow(clippy::result_large_err)]
fn gate(sim: &ZendeskSupport, headers: &HeaderMap, what: String, body: Value) -> Result<(), Response> {
    let mut inner = sim.inner.lock().unwrap();
    inner.requests.push((what, body));
    match inner.mode {
        Mode::Down => return Err(error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "Maintenance")),
        Mode::RateLimited => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, "TooManyRequests", "Rate limit exceeded");
            let h = response.headers_mut();
            h.insert("retry-after", "1".parse().unwrap());
            h.insert("x-rate-limit", "700".parse().unwrap());
            h.insert("x-rate-limit-remaining", "0".parse().unwrap());
            h.insert("ratelimit-reset", "1".parse().unwrap());
            return Err(response);
        }
        Mode::Normal => {}
    }
    let basic = format!("Basic {}", STANDARD.encode(format!("{EMAIL}/token:{API_TOKEN}")));
    let bearer = format!("Bearer {OAUTH_TOKEN}");
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(auth) if auth == basic || auth == bearer => Ok(()),
        _ => Err(error(StatusCode::UNAUTHORIZED, "Couldn't authenticate you", "")),
    }
}

/// The end user with `email`, created when unknown (SPEC 3(b) step 1).
fn requester(inner: &mut Inner, requester: &Value) -> Option<u64> {
    let email = requester["email"].as_str()?;
    if let Some(user) = inner.users.iter().find(|u| u["email"] == email) {
        return user["id"].as_u64();
    }
    let id = 20_978_392 + inner.users.len() as u64;
    inner.users.push(json!({"id": id, "name": requester["name"], "email": email, "role": "end-user"}));
    Some(id)
}

async fn create_ticket(State(sim): State<ZendeskSupport>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = gate(&sim, &headers, "POST /api/v2/tickets".into(), body.clone()) {
        return r;
    }
    let ticket = &body["ticket"];
    if ticket["comment"]["body"].as_str().is_none_or(str::is_empty) {
        return error(StatusCode::UNPROCESSABLE_ENTITY, "RecordInvalid", "Description: cannot be blank");
    }
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string);
    let mut inner = sim.inner.lock().unwrap();
    if let Some((earlier, id)) = key.as_ref().and_then(|k| inner.idempotency.get(k)).cloned() {
        if earlier != body {
            return error(StatusCode::BAD_REQUEST, "IdempotentRequestError", "Key reused with another request");
        }
        let found = inner.tickets.iter().find(|t| t["id"] == id).cloned().unwrap_or_default();
        let mut response = (StatusCode::CREATED, Json(json!({"ticket": without_comments(&found)}))).into_response();
        response.headers_mut().insert("x-idempotency-lookup", "hit".parse().unwrap());
        return response;
    }
    let requester_id = requester(&mut inner, &ticket["requester"]).unwrap_or(API_USER);
    let id = 35_436 + inner.tickets.len() as u64;
    let public = ticket["comment"]["public"].as_bool().unwrap_or(true);
    let author = if public { requester_id } else { API_USER };
    let created = json!({"id": id, "requester_id": requester_id, "submitter_id": API_USER, "status": "new",
        "subject": ticket["subject"], "tags": ticket["tags"], "priority": ticket["priority"],
        "external_id": ticket["external_id"], "description": ticket["comment"]["body"],
        "comments": [{"body": ticket["comment"]["body"], "public": public, "author_id": author}]});
    inner.tickets.push(created.clone());
    if let Some(key) = key {
        inner.idempotency.insert(key, (body.clone(), id));
    }
    if std::mem::take(&mut inner.lose_next_create_answer) {
        return error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "answer lost");
    }
    let mut response =
        (StatusCode::CREATED, Json(json!({"ticket": without_comments(&created), "audit": {"events": []}})))
            .into_response();
    response.headers_mut().insert("x-idempotency-lookup", "miss".parse().unwrap());
    response
}

fn without_comments(ticket: &Value) -> Value {
    let mut ticket = ticket.clone();
    if let Some(map) = ticket.as_object_mut() {
        map.remove("comments");
    }
    ticket
}

async fn update_ticket(
    State(sim): State<ZendeskSupport>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = gate(&sim, &headers, format!("PUT /api/v2/tickets/{id}"), body.clone()) {
        return r;
    }
    let update = &body["ticket"];
    let mut inner = sim.inner.lock().unwrap();
    let hook = inner.webhook_url.clone();
    let Some(ticket) = inner.tickets.iter_mut().find(|t| id.parse::<u64>().is_ok_and(|id| t["id"] == id)) else {
        return error(StatusCode::NOT_FOUND, "RecordNotFound", "Not found");
    };
    let mut triggers = Vec::new();
    if let Some(comment) = update.get("comment") {
        if ticket["comments"].as_array().map_or(0, Vec::len) >= MAX_COMMENTS {
            return error(StatusCode::UNPROCESSABLE_ENTITY, "RecordInvalid", "Comments: limit of 5000 reached");
        }
        let public = comment["public"].as_bool().unwrap_or(true);
        let author = comment["author_id"].as_u64().unwrap_or(API_USER);
        let text = comment["body"].as_str().unwrap_or_default();
        ticket["comments"]
            .as_array_mut()
            .expect("comments")
            .push(json!({"body": text, "public": public, "author_id": author}));
        // Trigger 1 fires for public comments; its `current_user` is whoever made the update:
        // the API user, even when the comment is authored as the requester.
        if public {
            triggers.push(ZendeskSupport::comment_body(&id, "open", text, API_USER, "Baton Bot", "admin"));
        }
    }
    if let Some(status) = update["status"].as_str() {
        ticket["status"] = json!(status);
        if status == "solved" || status == "closed" {
            triggers.push(ZendeskSupport::solved_body(&id, API_USER));
        }
    }
    let answer = json!({"ticket": without_comments(ticket), "audit": {"events": []}});
    drop(inner);
    if let Some(hook) = hook {
        let sim = sim.clone();
        tokio::spawn(async move {
            for body in triggers {
                let (status, _) = deliver(&hook, &body).await;
                sim.inner.lock().unwrap().echoes.push((status, body));
            }
        });
    }
    Json(answer).into_response()
}

async fn availabilities(State(sim): State<ZendeskSupport>, headers: HeaderMap) -> Response {
    if let Err(r) = gate(&sim, &headers, "GET /api/v2/agent_availabilities".into(), Value::Null) {
        return r;
    }
    let data = if sim.inner.lock().unwrap().agents_online {
        vec![json!({"type": "agent_availabilities", "id": format!("agent_availabilities|{AGENT}"),
            "attributes": {"agent_id": AGENT, "agent_status": {"id": 1, "name": "online", "reason": "UNKNOWN"},
                           "group_ids": [1], "version": 236}})]
    } else {
        Vec::new()
    };
    Json(json!({"data": data, "links": {"first": null, "last": null}, "meta": {"has_more": false}})).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_test_vector() {
        let signature = ZendeskSupport::sign(
            SIGNING_SECRET,
            "2024-01-01T00:00:00Z",
            r#"{"ticket_id":"123","comment":"Hello from agent"}"#,
        );
        assert_eq!(signature, "JM/ndYMbT5Vm15i3M7dGu9uEWgOAda+kZ0b6H7Mjdfc=");
    }
}
