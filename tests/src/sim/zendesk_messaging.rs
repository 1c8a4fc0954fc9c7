//! A Zendesk Messaging simulator (Sunshine Conversations v2 as SPEC.md section 2 describes it):
//! Basic `keyId:secret` auth and the app id checked on `/v2/apps/{appId}/...`; users (409 on a
//! duplicate `externalId`), personal conversations, messages (author `business` or `user`,
//! text content; Prism cannot check these bodies, so this does), passControl and
//! releaseControl; errors in the `{"errors": [{code, title}]}` shape; 429 without rate-limit
//! headers (none are published); the Zendesk Agent Availability API. [`ZendeskMessaging::agent_reply`]
//! and [`ZendeskMessaging::release_control`] deliver the webhooks, authenticated by `X-API-Key`.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

use super::Mode;

pub const APP_ID: &str = "5ebee0975ac5304b664a12fa";
pub const KEY_ID: &str = "app_5ebee0975ac5304b664a12fb";
pub const KEY_SECRET: &str = "sim-sunshine-key-secret";
pub const WEBHOOK_SECRET: &str = "8564b3e6a8b20a4bdb68b05ce9bc5936";
/// Baton's custom integration and switchboard integration in the simulated app.
pub const INTEGRATION_ID: &str = "5f11a650e4e987667c2051d1";
pub const BOT_SWITCHBOARD: &str = "5eecde2dcdbffb08f5c3ed37";
pub const AGENT_EMAIL: &str = "jane@acme.test";
pub const AGENT_TOKEN: &str = "sim-zendesk-api-token";

/// One conversation: its messages and the switchboard actions on it, in order.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub id: String,
    pub user: String,
    pub messages: Vec<Value>,
    /// `("passControl" | "releaseControl", body)`.
    pub switchboard: Vec<(String, Value)>,
}

#[derive(Debug, Default)]
pub struct Inner {
    pub mode: Mode,
    pub users: Vec<Value>,
    pub conversations: Vec<Conversation>,
    /// Every request as (method path, body).
    pub requests: Vec<(String, Value)>,
    pub agents_online: bool,
}

#[derive(Clone, Default)]
pub struct ZendeskMessaging {
    pub inner: Arc<Mutex<Inner>>,
    pub addr: Option<SocketAddr>,
}

fn error(status: StatusCode, code: &str, title: &str) -> Response {
    (status, Json(json!({"errors": [{"code": code, "title": title}]}))).into_response()
}

fn next_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    // 24 hex digits, like Sunshine's ids.
    format!("67a0{:020x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl ZendeskMessaging {
    pub async fn start() -> Self {
        let mut sim = Self::default();
        sim.inner.lock().unwrap().agents_online = true;
        let app = Router::new()
            .route("/v2/apps/{app}/users", post(create_user))
            .route("/v2/apps/{app}/users/{user}", get(get_user))
            .route("/v2/apps/{app}/conversations", post(create_conversation).get(list_conversations))
            .route("/v2/apps/{app}/conversations/{id}/messages", post(post_message))
            .route("/v2/apps/{app}/conversations/{id}/{action}", post(switchboard))
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

    pub fn last_conversation(&self) -> Option<Conversation> {
        self.inner.lock().unwrap().conversations.last().cloned()
    }

    /// A webhook delivery holding one event of `kind` about `conversation`: (body, event id).
    pub fn delivery(kind: &str, conversation: &str, payload: Value) -> (String, String) {
        let event_id = next_id();
        let mut payload = payload;
        payload["conversation"] = json!({"id": conversation, "type": "personal"});
        let body = json!({"app": {"id": APP_ID}, "webhook": {"id": "5f4eaef81e3dcc117c7ba48a", "version": "v2"},
            "events": [{"id": event_id, "createdAt": "2026-01-01T12:00:00.000Z", "type": kind, "payload": payload}]});
        (body.to_string(), event_id)
    }

    /// Delivers an agent's message from the agent workspace to `relay_webhook_url`.
    pub async fn agent_reply(relay_webhook_url: &str, conversation: &str, text: &str) -> (u16, String) {
        let (body, _) = Self::delivery("conversation:message", conversation, Self::agent_message(text));
        post_webhook(relay_webhook_url, body, WEBHOOK_SECRET).await
    }

    pub fn agent_message(text: &str) -> Value {
        json!({"message": {"id": next_id(), "received": "2026-01-01T12:00:00.000Z",
            "author": {"type": "business", "displayName": "Jane Agent", "subtypes": ["agent"]},
            "content": {"type": "text", "text": text},
            "metadata": {"__zendesk_msg.agent.id": "12345678"},
            "source": {"type": "zd:agentWorkspace"}}})
    }

    /// The agent solved the ticket: Zendesk releases control.
    pub async fn release_control(relay_webhook_url: &str, conversation: &str) -> (u16, String) {
        let (body, _) = Self::delivery("switchboard:releaseControl", conversation, json!({"reason": "ticketClosed"}));
        post_webhook(relay_webhook_url, body, WEBHOOK_SECRET).await
    }
}

pub async fn post_webhook(url: &str, body: String, api_key: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("x-api-key", api_key)
        .body(body)
        .send()
        .await
        .expect("deliver webhook");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

/// Failure mode, app and auth, as Sunshine checks them, before any handler runs: the refusal, if any.
fn gate(sim: &ZendeskMessaging, headers: &HeaderMap, app: &str, what: String, body: Value) -> Option<Response> {
    let mut inner = sim.inner.lock().unwrap();
    inner.requests.push((what, body));
    match inner.mode {
        Mode::Down => {
            return Some(error(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable", "Service Unavailable"))
        }
        // No numbers or headers are published for Sunshine's limits: a bare 429.
        Mode::RateLimited => {
            return Some(error(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "Too Many Requests"))
        }
        Mode::Normal => {}
    }
    let expected = format!("Basic {}", STANDARD.encode(format!("{KEY_ID}:{KEY_SECRET}")));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return Some(error(StatusCode::UNAUTHORIZED, "unauthorized", "Authorization is required"));
    }
    if app != APP_ID {
        return Some(error(StatusCode::NOT_FOUND, "app_not_found", "App not found"));
    }
    None
}

async fn create_user(
    State(sim): State<ZendeskMessaging>,
    headers: HeaderMap,
    Path(app): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = gate(&sim, &headers, &app, "POST /users".into(), body.clone()) {
        return r;
    }
    let mut inner = sim.inner.lock().unwrap();
    if body["externalId"].is_string() && inner.users.iter().any(|u| u["externalId"] == body["externalId"]) {
        return error(StatusCode::CONFLICT, "conflict", "User already exists");
    }
    let user = json!({"id": next_id(), "externalId": body["externalId"], "profile": body["profile"],
                      "metadata": body["metadata"], "identities": []});
    inner.users.push(user.clone());
    (StatusCode::CREATED, Json(json!({"user": user}))).into_response()
}

async fn get_user(
    State(sim): State<ZendeskMessaging>,
    headers: HeaderMap,
    Path((app, user)): Path<(String, String)>,
) -> Response {
    if let Some(r) = gate(&sim, &headers, &app, format!("GET /users/{user}"), Value::Null) {
        return r;
    }
    let inner = sim.inner.lock().unwrap();
    match inner.users.iter().find(|u| u["id"] == user.as_str() || u["externalId"] == user.as_str()) {
        Some(found) => Json(json!({"user": found})).into_response(),
        None => error(StatusCode::NOT_FOUND, "user_not_found", "User not found"),
    }
}

async fn list_conversations(
    State(sim): State<ZendeskMessaging>,
    headers: HeaderMap,
    Path(app): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Some(r) = gate(&sim, &headers, &app, "GET /conversations".into(), json!(query)) {
        return r;
    }
    let Some(user) = query.get("filter[userId]") else {
        return error(StatusCode::BAD_REQUEST, "bad_request", "filter[userId] or filter[userExternalId] is required");
    };
    let inner = sim.inner.lock().unwrap();
    let found: Vec<Value> = inner
        .conversations
        .iter()
        .filter(|c| &c.user == user)
        .map(|c| json!({"id": c.id, "type": "personal", "isDefault": false}))
        .collect();
    Json(json!({"conversations": found, "meta": {"hasMore": false}})).into_response()
}

async fn create_conversation(
    State(sim): State<ZendeskMessaging>,
    headers: HeaderMap,
    Path(app): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = gate(&sim, &headers, &app, "POST /conversations".into(), body.clone()) {
        return r;
    }
    let mut inner = sim.inner.lock().unwrap();
    let participants = body["participants"].as_array().cloned().unwrap_or_default();
    let user = participants.first().and_then(|p| p["userId"].as_str()).unwrap_or_default().to_string();
    if body["type"] != "personal" || participants.len() != 1 {
        return error(StatusCode::BAD_REQUEST, "bad_request", "personal conversations need exactly 1 participant");
    }
    if !inner.users.iter().any(|u| u["id"] == user.as_str()) {
        return error(StatusCode::NOT_FOUND, "user_not_found", "User not found");
    }
    let id = next_id();
    inner.conversations.push(Conversation { id: id.clone(), user, ..Conversation::default() });
    let conversation = json!({"id": id, "type": "personal", "isDefault": false, "metadata": body["metadata"]});
    (StatusCode::CREATED, Json(json!({"conversation": conversation}))).into_response()
}

async fn post_message(
    State(sim): State<ZendeskMessaging>,
    headers: HeaderMap,
    Path((app, id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = gate(&sim, &headers, &app, format!("POST /conversations/{id}/messages"), body.clone()) {
        return r;
    }
    let mut inner = sim.inner.lock().unwrap();
    let Some(conversation) = inner.conversations.iter_mut().find(|c| c.id == id) else {
        return error(StatusCode::NOT_FOUND, "conversation_not_found", "Conversation not found");
    };
    let valid_author = match body["author"]["type"].as_str() {
        Some("business") => true,
        Some("user") => body["author"]["userId"] == conversation.user.as_str(),
        _ => false,
    };
    let valid_content =
        body["content"]["type"] == "text" && body["content"]["text"].as_str().is_some_and(|t| !t.is_empty());
    if !valid_author || !valid_content {
        return error(StatusCode::BAD_REQUEST, "bad_request", "invalid author or content");
    }
    let message = json!({"id": next_id(), "received": "2026-01-01T12:00:00.000Z", "author": body["author"],
                         "content": body["content"], "source": {"type": "api:conversations"}});
    conversation.messages.push(message.clone());
    (StatusCode::CREATED, Json(json!({"messages": [message]}))).into_response()
}

async fn switchboard(
    State(sim): State<ZendeskMessaging>,
    headers: HeaderMap,
    Path((app, id, action)): Path<(String, String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let body = body.map(|Json(b)| b).unwrap_or(Value::Null);
    if let Some(r) = gate(&sim, &headers, &app, format!("POST /conversations/{id}/{action}"), body.clone()) {
        return r;
    }
    if action == "passControl" && !body["switchboardIntegration"].is_string() {
        return error(StatusCode::BAD_REQUEST, "bad_request", "switchboardIntegration is required");
    }
    if action != "passControl" && action != "releaseControl" {
        return error(StatusCode::NOT_FOUND, "not_found", "Not found");
    }
    let mut inner = sim.inner.lock().unwrap();
    let Some(conversation) = inner.conversations.iter_mut().find(|c| c.id == id) else {
        return error(StatusCode::NOT_FOUND, "conversation_not_found", "Conversation not found");
    };
    conversation.switchboard.push((action, body));
    Json(json!({})).into_response()
}

async fn availabilities(
    State(sim): State<ZendeskMessaging>,
    headers: HeaderMap,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let expected = format!("Basic {}", STANDARD.encode(format!("{AGENT_EMAIL}/token:{AGENT_TOKEN}")));
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "Couldn't authenticate you"}))).into_response();
    }
    let online = sim.inner.lock().unwrap().agents_online && query.contains_key("filter[channel_status]");
    let data: Vec<Value> = if online {
        vec![json!({"type": "agent_availabilities", "id": "agent_availabilities|10011",
                    "attributes": {"agent_id": 10011, "agent_status": {"id": 1, "name": "online"}, "group_ids": [1]}})]
    } else {
        vec![]
    };
    Json(json!({"data": data, "links": {}})).into_response()
}
