//! A Freshdesk simulator (API v2 as SPEC.md section 6 describes it): Basic `<api_key>:X`,
//! `POST /api/v2/tickets` (requester found or created from `email`; one of email, requester_id
//! or phone required; subject and description required), `POST /api/v2/tickets/{id}/notes`,
//! `PUT /api/v2/tickets/{id}` (status), `GET /api/v2/agents` with `available`; validation errors
//! in Freshdesk's `{"description", "errors": [...]}` shape; 429 with `Retry-After` and the
//! `X-Ratelimit-*` headers; 503 when down.
//!
//! Webhooks: [`Freshdesk::agent_reply`] and [`Freshdesk::agent_resolve`] send what the two
//! automation rules of `docs/webhooks.md` send, with the secret header. With
//! [`Freshdesk::send_rules_to`] the simulator also fires the rules for the API agent's own
//! writes (as a rule without the "performed by" exclusion would), so echo suppression is
//! exercised.

use std::{
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
use serde_json::{json, Value};

use super::Mode;

pub const API_KEY: &str = "sim-freshdesk-api-key";
/// The secret header's value, as configured on the rules' "Trigger webhook" action.
pub const WEBHOOK_SECRET: &str = "sim-freshdesk-webhook-secret";
pub const WEBHOOK_HEADER: &str = "X-Baton-Webhook-Secret";
/// The agent the API key belongs to (its writes are echoes).
pub const API_AGENT: u64 = 900;
pub const API_AGENT_NAME: &str = "Baton API";
pub const AGENT: u64 = 501;
pub const AGENT_NAME: &str = "Priya Agent";

#[derive(Debug, Default)]
pub struct Inner {
    pub mode: Mode,
    /// Contacts: `{"id", "name", "email"}`.
    pub contacts: Vec<Value>,
    /// Tickets as Freshdesk returns them, each with its `notes` (in order) added.
    pub tickets: Vec<Value>,
    /// Every request as (method path, body).
    pub requests: Vec<(String, Value)>,
    pub agents_available: bool,
    /// Where the rules deliver (the relay's webhook URL), when set.
    pub webhook_url: Option<String>,
    /// The relay's answers to the rules fired for the API agent's writes: (status, body sent).
    pub echoes: Vec<(u16, String)>,
}

#[derive(Clone, Default)]
pub struct Freshdesk {
    pub inner: Arc<Mutex<Inner>>,
    pub addr: Option<SocketAddr>,
}

fn validation(field: &str, message: &str) -> Response {
    let body = json!({"description": "Validation failed",
        "errors": [{"field": field, "message": message, "code": "missing_field"}]});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

impl Freshdesk {
    pub async fn start() -> Self {
        let mut sim = Self::default();
        sim.inner.lock().unwrap().agents_available = true;
        let app = Router::new()
            .route("/api/v2/tickets", post(create_ticket))
            .route("/api/v2/tickets/{id}", put(update_ticket))
            .route("/api/v2/tickets/{id}/notes", post(add_note))
            .route("/api/v2/agents", get(agents))
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

    /// Fire the rules for the API agent's own writes too, to `relay_webhook_url`.
    pub fn send_rules_to(&self, relay_webhook_url: &str) {
        self.inner.lock().unwrap().webhook_url = Some(relay_webhook_url.to_string());
    }

    pub fn last_ticket(&self) -> Option<Value> {
        self.inner.lock().unwrap().tickets.last().cloned()
    }

    /// Rule 1's body (`docs/webhooks.md`) when `agent_name` replies `comment` (HTML) on `ticket`.
    pub fn reply_body(ticket: &str, comment: &str, agent_name: &str) -> String {
        json!({"event": "agent_reply", "ticket_id": ticket, "status": "Open", "agent_name": agent_name,
               "agent_email": "", "comment": comment})
        .to_string()
    }

    /// Rule 2's body when `ticket` is resolved.
    pub fn resolved_body(ticket: &str) -> String {
        json!({"event": "closed", "ticket_id": ticket, "status": "Resolved"}).to_string()
    }

    /// An agent's public reply, as rule 1 delivers it.
    pub async fn agent_reply(relay_webhook_url: &str, ticket: &str, html: &str) -> (u16, String) {
        deliver(relay_webhook_url, &Self::reply_body(ticket, html, AGENT_NAME), WEBHOOK_SECRET).await
    }

    /// An agent resolves the ticket, as rule 2 delivers it.
    pub async fn agent_resolve(relay_webhook_url: &str, ticket: &str) -> (u16, String) {
        deliver(relay_webhook_url, &Self::resolved_body(ticket), WEBHOOK_SECRET).await
    }
}

/// Posts `body` with the secret header set to `secret`, as the "Trigger webhook" action does.
pub async fn deliver(url: &str, body: &str, secret: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header(WEBHOOK_HEADER, secret)
        .body(body.to_string())
        .send()
        .await
        .expect("deliver webhook");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

/// Failure mode and auth, as Freshdesk checks them, before any handler runs.
// The error is the simulator's answer itself; its size does not matter in a test server.
#[allow(clippy::result_large_err)]
fn gate(sim: &Freshdesk, headers: &HeaderMap, what: String, body: Value) -> Result<(), Response> {
    let mut inner = sim.inner.lock().unwrap();
    inner.requests.push((what, body));
    match inner.mode {
        Mode::Down => {
            return Err((StatusCode::SERVICE_UNAVAILABLE, Json(json!({"code": "service_unavailable"}))).into_response())
        }
        Mode::RateLimited => {
            let mut response =
                (StatusCode::TOO_MANY_REQUESTS, Json(json!({"message": "You have exceeded the limit of requests"})))
                    .into_response();
            let h = response.headers_mut();
            h.insert("retry-after", "1".parse().unwrap());
            h.insert("x-ratelimit-total", "200".parse().unwrap());
            h.insert("x-ratelimit-remaining", "0".parse().unwrap());
            h.insert("x-ratelimit-used-currentrequest", "1".parse().unwrap());
            return Err(response);
        }
        Mode::Normal => {}
    }
    let basic = format!("Basic {}", STANDARD.encode(format!("{API_KEY}:X")));
    match headers.get("authorization").and_then(|v| v.to_str().ok()) {
        Some(auth) if auth == basic => Ok(()),
        _ => Err((
            StatusCode::UNAUTHORIZED,
            Json(json!({"code": "invalid_credentials",
            "message": "You have to be logged in to perform this action."})),
        )
            .into_response()),
    }
}

fn find<'a>(inner: &'a mut Inner, id: &str) -> Option<&'a mut Value> {
    let id = id.parse::<u64>().ok()?;
    inner.tickets.iter_mut().find(|t| t["id"] == id)
}

/// Fires the rules' deliveries for the API agent's own writes, after the answer.
fn fire(sim: &Freshdesk, hook: Option<String>, bodies: Vec<String>) {
    let Some(hook) = hook else { return };
    let sim = sim.clone();
    tokio::spawn(async move {
        for body in bodies {
            let (status, _) = deliver(&hook, &body, WEBHOOK_SECRET).await;
            sim.inner.lock().unwrap().echoes.push((status, body));
        }
    });
}

async fn create_ticket(State(sim): State<Freshdesk>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = gate(&sim, &headers, "POST /api/v2/tickets".into(), body.clone()) {
        return r;
    }
    let Some(email) = body["email"].as_str().filter(|e| e.contains('@')) else {
        return validation("requester_id", "Please fill at least 1 of email, mobile, phone, requester_id fields");
    };
    for field in ["subject", "description"] {
        if body[field].as_str().is_none_or(str::is_empty) {
            return validation(field, "It should not be blank");
        }
    }
    let mut inner = sim.inner.lock().unwrap();
    let requester = match inner.contacts.iter().find(|c| c["email"] == email) {
        Some(contact) => contact["id"].clone(),
        None => {
            let id = 43_000_000 + inner.contacts.len() as u64;
            inner.contacts.push(json!({"id": id, "name": body["name"], "email": email}));
            json!(id)
        }
    };
    let id = 4521 + inner.tickets.len() as u64;
    let ticket = json!({"id": id, "requester_id": requester, "subject": body["subject"],
        "description": body["description"], "status": body["status"], "priority": body["priority"],
        "source": body["source"], "tags": body["tags"], "responder_id": null,
        "created_at": chrono::Utc::now().to_rfc3339(), "notes": []});
    inner.tickets.push(ticket.clone());
    let mut answer = ticket;
    answer.as_object_mut().expect("object").remove("notes");
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn add_note(
    State(sim): State<Freshdesk>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = gate(&sim, &headers, format!("POST /api/v2/tickets/{id}/notes"), body.clone()) {
        return r;
    }
    if body["body"].as_str().is_none_or(str::is_empty) {
        return validation("body", "It should not be blank");
    }
    let mut inner = sim.inner.lock().unwrap();
    let hook = inner.webhook_url.clone();
    let Some(ticket) = find(&mut inner, &id) else {
        return (StatusCode::NOT_FOUND, Json(json!({"code": "not_found"}))).into_response();
    };
    let private = body["private"].as_bool().unwrap_or(true);
    let note = json!({"id": 60_000 + ticket["notes"].as_array().map_or(0, Vec::len), "body": body["body"],
        "private": private, "incoming": body["incoming"].as_bool().unwrap_or(false),
        "user_id": body.get("user_id").cloned().unwrap_or(json!(API_AGENT)), "ticket_id": ticket["id"]});
    ticket["notes"].as_array_mut().expect("notes").push(note.clone());
    drop(inner);
    // Rule 1 ("public note added") fires; its `{{ticket.agent.name}}` is who acted here: the API agent.
    let echoes = if private {
        Vec::new()
    } else {
        vec![Freshdesk::reply_body(&id, body["body"].as_str().unwrap_or_default(), API_AGENT_NAME)]
    };
    fire(&sim, hook, echoes);
    (StatusCode::CREATED, Json(note)).into_response()
}

async fn update_ticket(
    State(sim): State<Freshdesk>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = gate(&sim, &headers, format!("PUT /api/v2/tickets/{id}"), body.clone()) {
        return r;
    }
    let mut inner = sim.inner.lock().unwrap();
    let hook = inner.webhook_url.clone();
    let Some(ticket) = find(&mut inner, &id) else {
        return (StatusCode::NOT_FOUND, Json(json!({"code": "not_found"}))).into_response();
    };
    let mut echoes = Vec::new();
    if let Some(status) = body["status"].as_u64() {
        if !(2..=5).contains(&status) {
            return validation("status", "It should be one of these values: '2,3,4,5'");
        }
        ticket["status"] = json!(status);
        if status >= 4 {
            echoes.push(Freshdesk::resolved_body(&id));
        }
    }
    let mut answer = ticket.clone();
    answer.as_object_mut().expect("object").remove("notes");
    drop(inner);
    fire(&sim, hook, echoes);
    Json(answer).into_response()
}

async fn agents(State(sim): State<Freshdesk>, headers: HeaderMap) -> Response {
    if let Err(r) = gate(&sim, &headers, "GET /api/v2/agents".into(), Value::Null) {
        return r;
    }
    let available = sim.inner.lock().unwrap().agents_available;
    Json(json!([
        {"id": API_AGENT, "available": false, "occasional": false, "contact": {"name": API_AGENT_NAME}},
        {"id": AGENT, "available": available, "occasional": false, "contact": {"name": AGENT_NAME}},
    ]))
    .into_response()
}
