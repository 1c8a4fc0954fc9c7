//! An Intercom simulator (REST API 2.11, `tests/specs/intercom-2.11.openapi.yaml`): bearer auth
//! and `Intercom-Version` checked, contacts, conversations created as a contact, replies, notes,
//! closes, admins; errors in Intercom's `error.list` shape; 429 with `X-RateLimit-Reset`.
//! `attachment_urls` on a conversation's creation and a contact's reply: at most 10 absolute
//! addresses (else 400), kept with the part and shown as its `attachments` (`upload` objects,
//! as Intercom lists what it fetched).
//! Webhooks are signed `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>` with the app's
//! client secret; [`Intercom::agent_reply`] and [`Intercom::agent_close_part`] make what an agent's
//! actions send. With `traffic.send_webhooks_to` the API's own writes fire their topics too
//! (`conversation.user.created`, `conversation.user.replied`, `conversation.admin.noted`,
//! `conversation.admin.closed`), as Intercom's do, so echo suppression is exercised.

use super::{hmac_sha1_hex, prelude::*, unix_now};

pub const TOKEN: &str = "sim-intercom-token";
pub const CLIENT_SECRET: &str = "sim-intercom-client-secret";
pub const BOT_ADMIN: &str = "991267000";
pub const AGENT_ADMIN: &str = "991267594";
pub const AGENT_NAME: &str = "Ciaran Lee";

/// What the simulated workspace holds.
#[derive(Debug, Default)]
pub struct Inner {
    pub contacts: Vec<Value>,
    /// Conversation id → parts (the opening message, replies, notes, closes) in order.
    pub conversations: Vec<(String, Vec<Value>)>,
    pub agents_away: bool,
}

pub type Intercom = Sim<Inner>;

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({"type": "error.list", "request_id": "sim", "errors": [{"code": code, "message": message}]});
    (status, Json(body)).into_response()
}

impl Vendor for Inner {
    fn routes() -> Router<Intercom> {
        Router::new()
            .route("/me", get(me))
            .route("/admins", get(admins))
            .route("/contacts/search", post(search))
            .route("/contacts", post(create_contact))
            .route("/conversations", post(create_conversation))
            .route("/conversations/{id}", get(conversation))
            .route("/conversations/{id}/reply", post(reply))
            .route("/conversations/{id}/parts", post(parts))
    }

    fn credentials(_path: &str) -> Vec<String> {
        vec![format!("Bearer {TOKEN}")]
    }

    fn error(status: StatusCode, _path: &str) -> Response {
        let (code, message) = match status {
            StatusCode::UNAUTHORIZED => ("unauthorized", "Access Token Invalid"),
            StatusCode::TOO_MANY_REQUESTS => ("rate_limit_exceeded", "Exceeded rate limit of 167 in 10_seconds"),
            _ => ("service_unavailable", "Service Unavailable"),
        };
        error(status, code, message)
    }

    /// The window resets in a second (Unix seconds).
    fn rate_limit_headers() -> Vec<(&'static str, String)> {
        let reset = (unix_now() + 1).to_string();
        vec![("x-ratelimit-limit", "167".into()), ("x-ratelimit-remaining", "0".into()), ("x-ratelimit-reset", reset)]
    }

    fn refuse(_path: &str, headers: &HeaderMap) -> Option<Response> {
        let missing = headers.get("intercom-version").is_none();
        missing.then(|| error(StatusCode::BAD_REQUEST, "intercom_version_invalid", "Intercom-Version header missing"))
    }

    fn webhook(_url: &str, body: String) -> Delivery {
        let signature = format!("sha1={}", hmac_sha1_hex(CLIENT_SECRET, &body));
        Delivery::new(body, &[("x-hub-signature", &signature), ("user-agent", "intercom-parrot-service-client/1.0")])
    }
}

impl Intercom {
    /// The parts of the only (or newest) conversation.
    pub fn last_conversation(&self) -> Option<(String, Vec<Value>)> {
        self.inner.lock().unwrap().conversations.last().cloned()
    }

    /// The webhook Intercom sends for `topic` about `conversation`, carrying `part`, signed.
    pub fn webhook(topic: &str, conversation: &str, part: Value) -> Delivery {
        let closed = topic.ends_with("closed");
        let body = json!({
            "type": "notification_event",
            "app_id": "simapp",
            "data": {"type": "notification_event_data", "item": {
                "type": "conversation", "id": conversation, "state": if closed { "closed" } else { "open" },
                "open": !closed,
                "conversation_parts": {"type": "conversation_part.list", "conversation_parts": [part], "total_count": 1}
            }},
            "links": {},
            "id": format!("notif_{:012x}{:08x}", unix_now(), next_number()),
            "topic": topic,
            "delivery_status": "pending",
            "delivery_attempts": 1,
            "delivered_at": 0,
            "first_sent_at": unix_now(),
            "created_at": unix_now(),
            "self": null
        });
        <Inner as Vendor>::webhook("", body.to_string())
    }

    /// The part of an agent's comment `html`, with part id `id`.
    pub fn agent_comment(id: &str, html: &str) -> Value {
        json!({"type": "conversation_part", "id": id, "part_type": "comment", "body": html, "created_at": unix_now(),
               "author": {"type": "admin", "id": AGENT_ADMIN, "name": AGENT_NAME, "email": "ciaran@example.com"},
               "attachments": []})
    }

    /// Delivers a signed `conversation.admin.replied` webhook to `relay_webhook_url`.
    pub async fn agent_reply(relay_webhook_url: &str, conversation: &str, text: &str) -> (u16, String) {
        let part = Self::agent_comment(&format!("part-{}", next_number()), &format!("<p>{text}</p>"));
        Self::webhook("conversation.admin.replied", conversation, part).send(relay_webhook_url).await
    }

    /// The part of an agent closing the conversation.
    pub fn agent_close_part() -> Value {
        json!({"type": "conversation_part", "id": format!("part-{}", next_number()), "part_type": "close",
               "body": null, "created_at": unix_now(), "author": {"type": "admin", "id": AGENT_ADMIN, "name": AGENT_NAME}})
    }
}

async fn me() -> Response {
    Json(json!({"type": "admin", "id": BOT_ADMIN, "email": "bot@example.com", "name": "Baton Bot"})).into_response()
}

async fn admins(State(sim): State<Intercom>) -> Response {
    let away = sim.inner.lock().unwrap().agents_away;
    Json(json!({"type": "admin.list", "admins": [
        {"type": "admin", "id": AGENT_ADMIN, "name": AGENT_NAME, "email": "ciaran@example.com",
         "away_mode_enabled": away, "away_mode_reassign": false, "has_inbox_seat": true, "team_ids": []}
    ]}))
    .into_response()
}

async fn search(State(sim): State<Intercom>, Json(body): Json<Value>) -> Response {
    let (field, value) = (body["query"]["field"].as_str().unwrap_or(""), &body["query"]["value"]);
    let found: Vec<Value> = sim.inner.lock().unwrap().contacts.iter().filter(|c| &c[field] == value).cloned().collect();
    Json(json!({"type": "list", "data": found, "total_count": found.len(), "pages": {"type": "pages", "page": 1}}))
        .into_response()
}

async fn create_contact(State(sim): State<Intercom>, Json(body): Json<Value>) -> Response {
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

/// `attachment_urls`: absent, or at most 10 absolute addresses (the request schemas'
/// `maxItems: 10`, `format: uri`).
fn attachment_urls_invalid(body: &Value) -> Option<Response> {
    let urls = &body["attachment_urls"];
    let valid = urls.is_null() || urls.as_array().is_some_and(|u| u.len() <= 10 && u.iter().all(fetchable));
    (!valid).then(|| error(StatusCode::BAD_REQUEST, "parameter_invalid", "attachment_urls must be up to 10 URLs"))
}

/// A part's `attachments` as Intercom shows them: what `attachment_urls` named.
pub fn attachments_of(written: &Value) -> Value {
    let urls = written["attachment_urls"].as_array().cloned().unwrap_or_default();
    let upload = |url: &Value| {
        let name = url.as_str().and_then(|u| u.split('?').next()).and_then(|u| u.rsplit('/').next()).unwrap_or("file");
        json!({"type": "upload", "name": name, "url": url, "content_type": "image/png", "filesize": 0})
    };
    Value::Array(urls.iter().map(upload).collect())
}

async fn create_conversation(State(sim): State<Intercom>, Json(body): Json<Value>) -> Response {
    if let Some(refused) = attachment_urls_invalid(&body) {
        return refused;
    }
    let mut inner = sim.inner.lock().unwrap();
    let contact = body["from"]["id"].as_str().unwrap_or_default();
    if !inner.contacts.iter().any(|c| c["id"] == contact) {
        return error(StatusCode::NOT_FOUND, "not_found", "User Not Found");
    }
    let id = (363 + inner.conversations.len()).to_string();
    let opening = json!({"part_type": "open", "author": body["from"], "body": body["body"],
                         "attachment_urls": body["attachment_urls"]});
    inner.conversations.push((id.clone(), vec![opening.clone()]));
    drop(inner);
    echo(&sim, &id, &opening);
    Json(json!({"type": "user_message", "id": "403918251", "created_at": unix_now(), "body": body["body"],
                "message_type": "inapp", "conversation_id": id}))
    .into_response()
}

/// The webhook Intercom fires for a part the API wrote (`conversation.user.created` for the
/// opening message, `user.replied`, `admin.noted`, `admin.closed`), when webhooks are on.
fn echo(sim: &Intercom, conversation: &str, written: &Value) {
    let (author_type, author_id) = match written["type"].as_str() {
        Some(kind @ ("user" | "admin")) => {
            (kind, written["intercom_user_id"].as_str().or(written["admin_id"].as_str()))
        }
        _ => (written["author"]["type"].as_str().unwrap_or("user"), written["author"]["id"].as_str()),
    };
    let part_type = written["message_type"].as_str().or(written["part_type"].as_str()).unwrap_or("comment");
    let topic = match (author_type, part_type) {
        (_, "open") => "conversation.user.created",
        ("admin", "note") => "conversation.admin.noted",
        ("admin", "close") => "conversation.admin.closed",
        ("admin", _) => "conversation.admin.replied",
        _ => "conversation.user.replied",
    };
    let part = json!({"type": "conversation_part", "id": format!("part-{}", next_number()), "part_type": part_type,
                      "body": written["body"], "created_at": unix_now(),
                      "author": {"type": author_type, "id": author_id}, "attachments": attachments_of(written)});
    sim.echo(vec![Intercom::webhook(topic, conversation, part).body]);
}

/// `GET /conversations/{id}`: the conversation with its parts as Intercom shows them (part
/// type, body, author type and id).
async fn conversation(State(sim): State<Intercom>, Path(id): Path<String>) -> Response {
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
                   "body": p["body"], "author": {"type": author_type, "id": author_id},
                   "attachments": attachments_of(p)})
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
    parts.push(part.clone());
    drop(inner);
    echo(sim, id, &part);
    Json(json!({"type": "conversation", "id": id, "state": "open"})).into_response()
}

async fn reply(State(sim): State<Intercom>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let valid = match (body["type"].as_str(), body["message_type"].as_str()) {
        (Some("admin"), Some("note" | "comment")) => body["admin_id"].is_string(),
        (Some("user"), Some("comment")) => body["intercom_user_id"].is_string() || body["email"].is_string(),
        _ => false,
    };
    if !valid {
        return error(StatusCode::BAD_REQUEST, "parameter_invalid", "reply body invalid");
    }
    if let Some(refused) = attachment_urls_invalid(&body) {
        return refused;
    }
    add_part(&sim, &id, body)
}

async fn parts(State(sim): State<Intercom>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    if body["type"] != "admin" || !body["admin_id"].is_string() {
        return error(StatusCode::BAD_REQUEST, "parameter_invalid", "admin_id required");
    }
    add_part(&sim, &id, body)
}
