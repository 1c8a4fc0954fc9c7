//! A Freshchat simulator (API v2, `docs/providers/README.md`): bearer auth, channels, users
//! (looked up by `reference_id` or `email`, created), conversations created with their first
//! messages, messages, `PUT` status, agents; private notes refused on demand (which actor may
//! write them is UNCONFIRMED); 503 when down and a bare 429 when rate-limited (Freshchat's
//! rate-limit headers are UNCONFIRMED).
//!
//! Webhooks are signed RSA-SHA256 (PKCS#1 v1.5) with a key pair made once per test process
//! ([`public_key_pem`]): [`Freshchat::message_body`] and [`Freshchat::resolution_body`] are what an
//! agent's actions send; with `traffic.send_webhooks_to` Baton's own messages and resolves come
//! back as webhooks too, as Freshchat's do, so echo suppression is exercised.

use std::{collections::HashMap, sync::OnceLock};

use base64::{engine::general_purpose::STANDARD, Engine};
use rsa::{
    pkcs1v15::SigningKey,
    pkcs8::{EncodePublicKey, LineEnding},
    signature::{SignatureEncoding, Signer},
    RsaPrivateKey,
};
use sha2::Sha256;

use super::prelude::*;

pub const TOKEN: &str = "sim-freshchat-api-token";
pub const CHANNEL: &str = "c5456f9e-9131-43aa-b3ec-29535bc7691d";
pub const AGENT: &str = "ae72b467-a0d2-43a6-a1c7-8cf33d68c7c4";

/// One conversation as Freshchat holds it.
#[derive(Debug, Clone)]
pub struct Conversation {
    pub id: String,
    pub user: String,
    pub status: String,
    /// The messages in order, each as posted plus its `id`.
    pub messages: Vec<Value>,
}

/// What the simulated account holds.
#[derive(Debug)]
pub struct Inner {
    pub users: Vec<Value>,
    pub conversations: Vec<Conversation>,
    /// Answer 400 to private messages, as an account might for the actor used.
    pub refuse_private_notes: bool,
    /// The agent's `availability_status`.
    pub agent_status: String,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            conversations: Vec::new(),
            refuse_private_notes: false,
            agent_status: "available".into(),
        }
    }
}

pub type Freshchat = Sim<Inner>;

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({"code": status.as_u16(), "status": status.canonical_reason(), "message": message})))
        .into_response()
}

/// The account's key pair: 1024 bits keeps unoptimised builds quick; made once per process.
fn keys() -> &'static (SigningKey<Sha256>, String) {
    static KEYS: OnceLock<(SigningKey<Sha256>, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).expect("RSA key");
        let pem = private.to_public_key().to_public_key_pem(LineEnding::LF).expect("public PEM");
        (SigningKey::<Sha256>::new(private), pem)
    })
}

/// The public key Freshchat's webhook settings show (SPKI PEM).
pub fn public_key_pem() -> String {
    keys().1.clone()
}

/// base64 RSA-SHA256 PKCS#1 v1.5 over the body: `X-Freshchat-Signature`.
pub fn sign(body: &str) -> String {
    STANDARD.encode(keys().0.sign(body.as_bytes()).to_bytes())
}

pub fn next_id() -> String {
    format!("35814612-{:012x}", next_number())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

impl Vendor for Inner {
    fn routes() -> Router<Freshchat> {
        Router::new()
            .route("/v2/accounts/configuration", get(configuration))
            .route("/v2/channels", get(channels))
            .route("/v2/users", get(find_users).post(create_user))
            .route("/v2/conversations", post(create_conversation))
            .route("/v2/conversations/{id}", axum::routing::put(update_conversation))
            .route("/v2/conversations/{id}/messages", post(add_message))
            .route("/v2/agents/{id}", get(agent))
    }

    fn credentials(_path: &str) -> Vec<String> {
        vec![format!("Bearer {TOKEN}")]
    }

    /// Freshchat's rate-limit headers are UNCONFIRMED: a bare 429.
    fn error(status: StatusCode, _path: &str) -> Response {
        error(status, status.canonical_reason().unwrap_or_default())
    }

    fn webhook(_url: &str, body: String) -> Delivery {
        let signature = sign(&body);
        Freshchat::signed(body, &signature)
    }
}

impl Freshchat {
    /// The API base, as the connector is configured with it.
    pub fn api_url(&self) -> String {
        format!("{}/v2", self.url())
    }

    /// `body` with `signature` in Freshchat's webhook headers.
    pub fn signed(body: String, signature: &str) -> Delivery {
        Delivery::new(
            body,
            &[("x-freshchat-signature", signature), ("x-freshchat-payload-version", "1.0"), ("x-retry-count", "0")],
        )
    }

    pub fn last_conversation(&self) -> Option<Conversation> {
        self.inner.lock().unwrap().conversations.last().cloned()
    }

    /// `message_create` by `actor_type` in `conversation`.
    pub fn message_body(conversation: &str, message_id: &str, actor_type: &str, actor: &str, text: &str) -> String {
        json!({"actor": {"actor_type": actor_type, "actor_id": actor}, "action": "message_create", "action_time": now(),
            "data": {"message": {"message_parts": [{"text": {"content": text}}], "app_id": "87f6d88a",
                "actor_id": actor, "id": message_id, "channel_id": CHANNEL, "conversation_id": conversation,
                "message_type": "normal", "actor_type": actor_type, "created_time": now(), "message_source": "web"}}})
        .to_string()
    }

    /// `conversation_resolution` by `resolver` (`agent`, or `user` for Baton's own resolve).
    pub fn resolution_body(conversation: &str, resolver: &str, resolver_id: &str) -> String {
        json!({"actor": {"actor_type": resolver, "actor_id": resolver_id}, "action": "conversation_resolution",
            "action_time": now(), "data": {"resolve": {"resolver": resolver, "resolver_id": resolver_id,
                "conversation": {"conversation_id": conversation, "status": "resolved", "channel_id": CHANNEL,
                                 "app_id": "87f6d88a"}}}})
        .to_string()
    }
}

async fn channels() -> Response {
    Json(json!({"channels": [{"id": CHANNEL, "name": "Inbox", "enabled": true}],
                "pagination": {"total_items": 1, "total_pages": 1, "current_page": 1, "items_per_page": 10}}))
    .into_response()
}

async fn find_users(State(sim): State<Freshchat>, Query(query): Query<HashMap<String, String>>) -> Response {
    let inner = sim.inner.lock().unwrap();
    let found: Vec<Value> = inner
        .users
        .iter()
        .filter(|u| query.iter().all(|(k, v)| (k != "reference_id" && k != "email") || u[k.as_str()] == v.as_str()))
        .filter(|_| query.contains_key("reference_id") || query.contains_key("email"))
        .cloned()
        .collect();
    Json(json!({"users": found})).into_response()
}

async fn create_user(State(sim): State<Freshchat>, Json(body): Json<Value>) -> Response {
    let mut inner = sim.inner.lock().unwrap();
    let id = format!("5cac723a-13aa-473e-846b-{:012x}", inner.users.len());
    let mut user = body.clone();
    user["id"] = json!(id);
    user["created_time"] = json!(now());
    inner.users.push(user.clone());
    (StatusCode::CREATED, Json(user)).into_response()
}

/// What Freshchat requires of a message; the refusal's text when it is wrong.
fn invalid(inner: &Inner, message: &Value, user: &str) -> Option<&'static str> {
    let parts = message["message_parts"].as_array().cloned().unwrap_or_default();
    let valid_part = |part: &Value| {
        part["text"]["content"].as_str().is_some_and(|t| !t.is_empty())
            || fetchable(&part["image"]["url"])
            || (fetchable(&part["file"]["url"]) && part["file"]["name"].as_str().is_some_and(|n| !n.is_empty()))
    };
    if parts.is_empty() || !parts.iter().all(valid_part) {
        return Some("message_parts must be text {content}, image {url} or file {url, name}");
    }
    match (message["message_type"].as_str(), message["actor_type"].as_str()) {
        (Some("private"), _) if inner.refuse_private_notes => Some("actor not allowed to create private messages"),
        (Some("private"), Some("bot" | "agent")) => None,
        (Some("normal"), Some("user")) if message["actor_id"] == user => None,
        (Some("normal"), Some("bot")) => None,
        _ => Some("message_type and actor_type are invalid"),
    }
}

fn stored(message: &Value) -> Value {
    let mut message = message.clone();
    message["id"] = json!(next_id());
    message["created_time"] = json!(now());
    message
}

/// Freshchat's webhooks for the visitor's messages Baton writes (echoes).
fn user_echoes(conversation: &str, messages: &[Value]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m["message_type"] == "normal")
        .map(|m| {
            let text = m["message_parts"][0]["text"]["content"].as_str().unwrap_or_default();
            let actor = m["actor_id"].as_str().unwrap_or_default();
            let actor_type = m["actor_type"].as_str().unwrap_or("user");
            Freshchat::message_body(conversation, m["id"].as_str().unwrap_or_default(), actor_type, actor, text)
        })
        .collect()
}

async fn create_conversation(State(sim): State<Freshchat>, Json(body): Json<Value>) -> Response {
    let mut inner = sim.inner.lock().unwrap();
    let user = body["users"][0]["id"].as_str().unwrap_or_default().to_string();
    if body["channel_id"] != CHANNEL || !inner.users.iter().any(|u| u["id"] == user.as_str()) {
        return error(StatusCode::BAD_REQUEST, "channel_id and a known user are required");
    }
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    if let Some(problem) = messages.iter().find_map(|m| invalid(&inner, m, &user)) {
        return error(StatusCode::BAD_REQUEST, problem);
    }
    let id = format!("aecf3cc7-138a-4b40-9723-{:012x}", inner.conversations.len());
    let messages: Vec<Value> = messages.iter().map(stored).collect();
    let echoes = user_echoes(&id, &messages);
    inner.conversations.push(Conversation { id: id.clone(), user: user.clone(), status: "new".into(), messages });
    drop(inner);
    sim.echo(echoes);
    let answer = json!({"conversation_id": id, "channel_id": CHANNEL, "status": "new", "users": [{"id": user}]});
    (StatusCode::CREATED, Json(answer)).into_response()
}

async fn add_message(State(sim): State<Freshchat>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let mut inner = sim.inner.lock().unwrap();
    let Some(user) = inner.conversations.iter().find(|c| c.id == id).map(|c| c.user.clone()) else {
        return error(StatusCode::NOT_FOUND, "conversation not found");
    };
    if let Some(problem) = invalid(&inner, &body, &user) {
        return error(StatusCode::BAD_REQUEST, problem);
    }
    let message = stored(&body);
    let conversation = inner.conversations.iter_mut().find(|c| c.id == id).expect("found above");
    conversation.messages.push(message.clone());
    drop(inner);
    sim.echo(user_echoes(&id, std::slice::from_ref(&message)));
    (StatusCode::CREATED, Json(message)).into_response()
}

async fn update_conversation(
    State(sim): State<Freshchat>,
    Path(id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    let Some(status) = body["status"].as_str().filter(|s| ["new", "assigned", "resolved", "reopened"].contains(s))
    else {
        return error(StatusCode::BAD_REQUEST, "invalid status");
    };
    let mut inner = sim.inner.lock().unwrap();
    let Some(conversation) = inner.conversations.iter_mut().find(|c| c.id == id) else {
        return error(StatusCode::NOT_FOUND, "conversation not found");
    };
    conversation.status = status.to_string();
    let user = conversation.user.clone();
    drop(inner);
    if status == "resolved" {
        sim.echo(vec![Freshchat::resolution_body(&id, "user", &user)]);
    }
    Json(json!({"conversation_id": id, "status": status, "channel_id": CHANNEL})).into_response()
}

async fn agent(State(sim): State<Freshchat>, Path(id): Path<String>) -> Response {
    if id != AGENT {
        return error(StatusCode::NOT_FOUND, "agent not found");
    }
    let status = sim.inner.lock().unwrap().agent_status.clone();
    Json(json!({"id": AGENT, "first_name": "Priya", "last_name": "Agent", "email": "priya@example.com",
                "availability_status": status}))
    .into_response()
}

/// `GET /v2/accounts/configuration` (SPEC 5(a), the token check).
async fn configuration() -> Response {
    Json(json!({"app_id": "sim-app", "organisation_id": 1234567890, "account_name": "acme"})).into_response()
}
