//! An Intercom simulator (REST API 2.11 as SPEC.md section 1 describes it): bearer auth and
//! `Intercom-Version` checked, contacts, conversations created as a contact, replies, notes,
//! closes, admins; errors in Intercom's `error.list` shape; 429 with `X-RateLimit-Reset`.
//! [`Intercom::agent_reply`] and [`Intercom::agent_close`] send the signed webhooks an agent's
//! actions would cause.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    extract::{Path, Request, State},
    http::{HeaderMap, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

use super::Mode;

pub const TOKEN: &str = "sim-intercom-token";
pub const CLIENT_SECRET: &str = "sim-intercom-client-secret";
pub const BOT_ADMIN: &str = "991267000";
pub const AGENT_ADMIN: &str = "991267594";

/// Everything the simulator was asked, and what it holds.
#[derive(Debug, Default)]
pub struct Inner {
    pub mode: Mode,
    pub contacts: Vec<Value>,
    /// Conversation id → parts (the opening message, replies, notes, closes) in order.
    pub conversations: Vec<(String, Vec<Value>)>,
    /// Every request as (method path, body).
    pub requests: Vec<(String, Value)>,
    pub agents_away: bool,
    /// Every request's "method path" as it arrives, before [`Inner::delay`].
    pub arrivals: Vec<String>,
    /// How long every answer takes (a slow Intercom).
    pub delay: Duration,
    /// `GET /admins` answers whatever the mode (the rest of the API down, the admin list not).
    pub admins_always_up: bool,
}

#[derive(Clone, Default)]
pub struct Intercom {
    pub inner: Arc<Mutex<Inner>>,
    pub addr: Option<SocketAddr>,
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"type": "error.list", "request_id": "sim", "errors": [{"code": code, "message": message}]});
    (status, Json(body)).into_response()
}

impl Intercom {
    pub async fn start() -> Self {
        let mut sim = Self::default();
        let app = Router::new()
            .route("/me", get(me))
            .route("/admins", get(admins))
            .route("/contacts/search", post(search))
            .route("/contacts", post(create_contact))
            .route("/conversations", post(create_conversation))
            .route("/conversations/{id}", get(conversation))
            .route("/conversations/{id}/reply", post(reply))
            .route("/conversations/{id}/parts", post(parts))
            .layer(middleware::from_fn_with_state(sim.clone(), arrive))
            .with_state(sim.clone());
        sim.addr = Some(super::serve(app).await);
        sim
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr.expect("started"))
    }

    /// Points `site` at this simulator: its provider and its webhook secret.
    pub fn configure(&self, site: &mut relay::config::SiteConfig) {
        site.provider = relay::providers::ProviderConfig::Intercom(relay::providers::config::IntercomConfig {
            base_url: self.url(),
            access_token: TOKEN.into(),
            version: "2.11".into(),
            admin_id: None,
            timeout_seconds: 2,
        });
        site.webhooks.intercom = Some(relay::config::IntercomWebhook {
            client_secret: CLIENT_SECRET.into(),
            bot_admin_id: Some(BOT_ADMIN.into()),
        });
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = mode;
    }

    /// How many requests for `what` ("GET /admins") have arrived so far, answered or not.
    pub fn arrived(&self, what: &str) -> usize {
        self.inner.lock().unwrap().arrivals.iter().filter(|a| *a == what).count()
    }

    /// The parts of the only (or newest) conversation.
    pub fn last_conversation(&self) -> Option<(String, Vec<Value>)> {
        self.inner.lock().unwrap().conversations.last().cloned()
    }

    /// The body of a webhook Intercom would send when `admin` replies in `conversation`,
    /// signed with the app's client secret: (body, `X-Hub-Signature`).
    pub fn webhook(topic: &str, conversation: &str, part: Value) -> (String, String) {
        let body = json!({
            "type": "notification_event",
            "app_id": "simapp",
            "data": {"type": "notification_event_data", "item": {
                "type": "conversation", "id": conversation, "state": if topic.ends_with("closed") { "closed" } else { "open" },
                "open": !topic.ends_with("closed"),
                "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [part], "total_count": 1}
            }},
            "links": {},
            "id": format!("notif_{}", uuid_like()),
            "topic": topic,
            "delivery_status": "pending",
            "delivery_attempts": 1,
            "delivered_at": 0,
            "first_sent_at": now(),
            "created_at": now(),
            "self": null
        })
        .to_string();
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(CLIENT_SECRET.as_bytes()).expect("hmac key");
        mac.update(body.as_bytes());
        let signature = format!("sha1={}", hex::encode(mac.finalize().into_bytes()));
        (body, signature)
    }

    /// Delivers a signed `conversation.admin.replied` webhook to `relay_webhook_url`.
    pub async fn agent_reply(relay_webhook_url: &str, conversation: &str, text: &str) -> (u16, String) {
        let part = json!({"type": "conversation_part", "id": uuid_like(), "part_type": "comment",
                          "body": format!("<p>{text}</p>"), "created_at": now(),
                          "author": {"type": "admin", "id": AGENT_ADMIN, "name": "Ciaran Lee", "email": "ciaran@example.com"},
                          "attachments": []});
        let (body, signature) = Self::webhook("conversation.admin.replied", conversation, part);
        post_webhook(relay_webhook_url, body, &signature).await
    }

    /// Delivers a signed `conversation.admin.closed` webhook.
    pub async fn agent_close(relay_webhook_url: &str, conversation: &str) -> (u16, String) {
        let part = json!({"type": "conversation_part", "id": uuid_like(), "part_type": "close", "body": null,
                          "created_at": now(), "author": {"type": "admin", "id": AGENT_ADMIN, "name": "Ciaran Lee"}});
        let (body, signature) = Self::webhook("conversation.admin.closed", conversation, part);
        post_webhook(relay_webhook_url, body, &signature).await
    }
}

async fn post_webhook(url: &str, body: String, signature: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-hub-signature", signature)
        .header("user-agent", "intercom-parrot-service-client/1.0")
        .body(body)
        .send()
        .await
        .expect("deliver webhook");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{:012x}{:08x}", now(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Notes each request as it arrives, then answers after the configured delay.
async fn arrive(State(sim): State<Intercom>, request: Request, next: Next) -> Response {
    let delay = {
        let mut inner = sim.inner.lock().unwrap();
        inner.arrivals.push(format!("{} {}", request.method(), request.uri().path()));
        inner.delay
    };
    tokio::time::sleep(delay).await;
    next.run(request).await
}

/// Auth, version and failure mode, as Intercom checks them, before any handler runs. (The
/// error is a whole response, large but built at most once per request.)
#[allow(clippy::result_large_err)]
fn gate(sim: &Intercom, headers: &HeaderMap, what: String, body: Value) -> Result<(), Response> {
    let mut inner = sim.inner.lock().unwrap();
    let exempt = inner.admins_always_up && what == "GET /admins";
    inner.requests.push((what, body));
    match inner.mode {
        _ if exempt => {}
        Mode::Down => return Err(error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "Service Unavailable")),
        Mode::RateLimited => {
            let reset = (now() + 1).to_string();
            let mut response =
                error(StatusCode::TOO_MANY_REQUESTS, "rate_limit_exceeded", "Exceeded rate limit of 167 in 10_seconds");
            response.headers_mut().insert("x-ratelimit-limit", "167".parse().unwrap());
            response.headers_mut().insert("x-ratelimit-remaining", "0".parse().unwrap());
            response.headers_mut().insert("x-ratelimit-reset", reset.parse().unwrap());
            return Err(response);
        }
        Mode::Normal => {}
    }
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(&format!("Bearer {TOKEN}")) {
        return Err(error(StatusCode::UNAUTHORIZED, "unauthorized", "Access Token Invalid"));
    }
    if headers.get("intercom-version").is_none() {
        return Err(error(StatusCode::BAD_REQUEST, "intercom_version_invalid", "Intercom-Version header missing"));
    }
    Ok(())
}

async fn me(State(sim): State<Intercom>, headers: HeaderMap) -> Response {
    if let Err(r) = gate(&sim, &headers, "GET /me".into(), Value::Null) {
        return r;
    }
    Json(json!({"type": "admin", "id": BOT_ADMIN, "email": "bot@example.com", "name": "Baton Bot"})).into_response()
}

async fn admins(State(sim): State<Intercom>, headers: HeaderMap) -> Response {
    if let Err(r) = gate(&sim, &headers, "GET /admins".into(), Value::Null) {
        return r;
    }
    let away = sim.inner.lock().unwrap().agents_away;
    Json(json!({"type": "admin.list", "admins": [
        {"type": "admin", "id": AGENT_ADMIN, "name": "Ciaran Lee", "email": "ciaran@example.com",
         "away_mode_enabled": away, "away_mode_reassign": false, "has_inbox_seat": true, "team_ids": []}
    ]}))
    .into_response()
}

async fn search(State(sim): State<Intercom>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = gate(&sim, &headers, "POST /contacts/search".into(), body.clone()) {
        return r;
    }
    let (field, value) = (body["query"]["field"].as_str().unwrap_or(""), &body["query"]["value"]);
    let found: Vec<Value> = sim.inner.lock().unwrap().contacts.iter().filter(|c| &c[field] == value).cloned().collect();
    Json(json!({"type": "list", "data": found, "total_count": found.len(), "pages": {"type": "pages", "page": 1}}))
        .into_response()
}

async fn create_contact(State(sim): State<Intercom>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = gate(&sim, &headers, "POST /contacts".into(), body.clone()) {
        return r;
    }
    if body["email"].is_null() && body["external_id"].is_null() && body["role"].is_null() {
        return error(StatusCode::BAD_REQUEST, "parameter_invalid", "email, external_id or role required");
    }
    let mut inner = sim.inner.lock().unwrap();
    if body["email"].is_string() && inner.contacts.iter().any(|c| c["email"] == body["email"]) {
        return error(StatusCode::CONFLICT, "conflict", "A contact matching those details already exists");
    }
    let contact = json!({"type": "contact", "id": format!("667d60b08a68186f43ba{:04x}", inner.contacts.len()),
                         "role": body["role"].as_str().unwrap_or("lead"), "email": body["email"],
                         "name": body["name"], "external_id": body["external_id"]});
    inner.contacts.push(contact.clone());
    Json(contact).into_response()
}

async fn create_conversation(State(sim): State<Intercom>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = gate(&sim, &headers, "POST /conversations".into(), body.clone()) {
        return r;
    }
    let mut inner = sim.inner.lock().unwrap();
    let contact = body["from"]["id"].as_str().unwrap_or_default();
    if !inner.contacts.iter().any(|c| c["id"] == contact) {
        return error(StatusCode::NOT_FOUND, "not_found", "User Not Found");
    }
    let id = (363 + inner.conversations.len()).to_string();
    inner
        .conversations
        .push((id.clone(), vec![json!({"part_type": "open", "author": body["from"], "body": body["body"]})]));
    Json(json!({"type": "user_message", "id": "403918251", "created_at": now(), "body": body["body"],
                "message_type": "inapp", "conversation_id": id}))
    .into_response()
}

/// `GET /conversations/{id}`: the conversation with its parts as Intercom shows them (part
/// type, body, author type and id).
async fn conversation(State(sim): State<Intercom>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    if let Err(r) = gate(&sim, &headers, format!("GET /conversations/{id}"), Value::Null) {
        return r;
    }
    let inner = sim.inner.lock().unwrap();
    let Some((_, parts)) = inner.conversations.iter().find(|(c, _)| *c == id) else {
        return error(StatusCode::NOT_FOUND, "not_found", "Resource Not Found");
    };
    let parts: Vec<Value> = parts
        .iter()
        .map(|p| {
            let author_type = p["type"].as_str().or(p["author"]["type"].as_str()).unwrap_or("user");
            let author_id = p["intercom_user_id"].as_str().or(p["admin_id"].as_str()).or(p["author"]["id"].as_str());
            json!({"type": "conversation_part", "part_type": p["message_type"].as_str().or(p["part_type"].as_str()),
                   "body": p["body"], "author": {"type": author_type, "id": author_id}})
        })
        .collect();
    Json(json!({"type": "conversation", "id": id,
                "conversation_parts": {"type": "conversation_part.list", "conversation_parts": parts}}))
    .into_response()
}

fn add_part(sim: &Intercom, id: &str, part: Value) -> Response {
    let mut inner = sim.inner.lock().unwrap();
    let Some((_, parts)) = inner.conversations.iter_mut().find(|(c, _)| c == id) else {
        return error(StatusCode::NOT_FOUND, "not_found", "Resource Not Found");
    };
    parts.push(part);
    Json(json!({"type": "conversation", "id": id, "state": "open"})).into_response()
}

async fn reply(
    State(sim): State<Intercom>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = gate(&sim, &headers, format!("POST /conversations/{id}/reply"), body.clone()) {
        return r;
    }
    let valid = match (body["type"].as_str(), body["message_type"].as_str()) {
        (Some("admin"), Some("note" | "comment")) => body["admin_id"].is_string(),
        (Some("user"), Some("comment")) => body["intercom_user_id"].is_string() || body["email"].is_string(),
        _ => false,
    };
    if !valid {
        return error(StatusCode::BAD_REQUEST, "parameter_invalid", "reply body invalid");
    }
    add_part(&sim, &id, body)
}

async fn parts(
    State(sim): State<Intercom>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Err(r) = gate(&sim, &headers, format!("POST /conversations/{id}/parts"), body.clone()) {
        return r;
    }
    if body["type"] != "admin" || !body["admin_id"].is_string() {
        return error(StatusCode::BAD_REQUEST, "parameter_invalid", "admin_id required");
    }
    add_part(&sim, &id, body)
}
