//! A Gorgias simulator (REST API, `docs/providers/README.md`): Basic `<email>:<api_key>`,
//! `POST /api/tickets` (an incoming API-channel ticket: ticket and message `channel: api`,
//! `via: api`, `from_agent: false`, 1 to 500 messages, each with a sender; the customer found
//! or created from the email), `POST /api/tickets/{id}/messages` (incoming messages from a
//! customer without receiver; internal notes from a user), `PUT /api/tickets/{id}` (status);
//! errors as `{"error": {"msg", "data"}}`; 429 with `Retry-after` and
//! `X-Gorgias-Account-Api-Call-Limit`; 503 when down.
//!
//! Webhooks are HTTP integrations posting JSON with a secret header, like Freshdesk's rules:
//! [`Gorgias::agent_reply_body`] and [`Gorgias::updated_body`] are what the two integrations of
//! `docs/providers/README.md` send. With `traffic.send_webhooks_to` every message and status
//! change Baton makes fires them too, as Gorgias does, so echo suppression is exercised.

pub use super::freshdesk::WEBHOOK_HEADER;
use super::prelude::*;

pub const EMAIL: &str = "baton-bot@acme.test";
pub const API_KEY: &str = "sim-gorgias-api-key";
pub const WEBHOOK_SECRET: &str = "sim-gorgias-webhook-secret";
/// A Gorgias user (agent) id, allowed to author internal notes.
pub const AGENT: u64 = 7001;
pub const AGENT_NAME: &str = "Lee Agent";
pub const AGENT_EMAIL: &str = "lee@acme.test";

/// The requester of tickets for visitors without an email (the connector's `fallback_email`).
pub const FALLBACK_EMAIL: &str = "chat-visitor@acme.test";

/// What the simulated helpdesk holds.
#[derive(Debug, Default)]
pub struct Inner {
    /// Customers: `{"id", "name", "email"}`.
    pub customers: Vec<Value>,
    /// Tickets as Gorgias returns them, with their `messages` in order.
    pub tickets: Vec<Value>,
}

pub type Gorgias = Sim<Inner>;

fn error(status: StatusCode, msg: &str, data: Value) -> Response {
    (status, Json(json!({"error": {"msg": msg, "data": data}}))).into_response()
}

fn invalid(field: &str, message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, "Failed to validate the request", json!({ field: [message] }))
}

impl Vendor for Inner {
    fn routes() -> Router<Gorgias> {
        Router::new()
            .route("/api/users/{id}", get(user))
            .route("/api/tickets", post(create_ticket))
            .route("/api/tickets/{id}", put(update_ticket))
            .route("/api/tickets/{id}/messages", post(add_message))
    }

    fn credentials(_path: &str) -> Vec<String> {
        vec![basic(EMAIL, API_KEY)]
    }

    fn error(status: StatusCode, _path: &str) -> Response {
        let message = match status {
            StatusCode::UNAUTHORIZED => "Unauthorized",
            StatusCode::TOO_MANY_REQUESTS => "Too many requests",
            _ => "Service unavailable",
        };
        error(status, message, Value::Null)
    }

    fn rate_limit_headers() -> Vec<(&'static str, String)> {
        vec![("retry-after", "1".into()), ("x-gorgias-account-api-call-limit", "40/40".into())]
    }

    fn webhook(_url: &str, body: String) -> Delivery {
        Delivery::new(body, &[(WEBHOOK_HEADER, WEBHOOK_SECRET)])
    }
}

impl Gorgias {
    pub fn last_ticket(&self) -> Option<Value> {
        self.inner.lock().unwrap().tickets.last().cloned()
    }

    /// The "ticket message created" integration's body for `message` on `ticket` (booleans
    /// rendered as Jinja renders them: `True`/`False`).
    pub fn message_body(ticket: &str, status: &str, message: &Value) -> String {
        let from_agent = if message["from_agent"].as_bool() == Some(true) { "True" } else { "False" };
        json!({"event": "ticket-message-created", "ticket_id": ticket, "status": status, "from_agent": from_agent,
               "channel": message["channel"], "message_id": message["id"].to_string(),
               "body_text": message["body_text"], "sender_name": message["sender"]["name"],
               "sender_email": message["sender"]["email"]})
        .to_string()
    }

    /// The "ticket updated" integration's body.
    pub fn updated_body(ticket: &str, status: &str) -> String {
        json!({"event": "ticket-updated", "ticket_id": ticket, "status": status}).to_string()
    }

    /// The message integration's body for an agent's reply by email.
    pub fn agent_reply_body(ticket: &str, message_id: u64, text: &str) -> String {
        let message = json!({"id": message_id, "channel": "email", "from_agent": true, "body_text": text,
                             "sender": {"id": AGENT, "name": AGENT_NAME, "email": AGENT_EMAIL}});
        Self::message_body(ticket, "open", &message)
    }
}

fn customer(inner: &mut Inner, email: &str, name: &Value) -> u64 {
    if let Some(c) = inner.customers.iter().find(|c| c["email"] == email) {
        return c["id"].as_u64().unwrap_or_default();
    }
    let id = 310_000 + inner.customers.len() as u64;
    inner.customers.push(json!({"id": id, "name": name, "email": email}));
    id
}

/// An incoming API message, checked as Gorgias checks it; the stored form.
// The error is the simulator's answer itself.
#[allow(clippy::result_large_err)]
fn incoming(inner: &mut Inner, message: &Value, next_id: u64) -> Result<Value, Response> {
    if message["channel"] != "api" || message["via"] != "api" || message["from_agent"] != false {
        return Err(invalid("messages", "channel, via and from_agent are required (api, api, false)"));
    }
    if message.get("receiver").is_some() {
        return Err(invalid("receiver", "An incoming message has no receiver"));
    }
    let Some(email) = message["sender"]["email"].as_str() else {
        return Err(invalid("sender", "Missing sender id or email"));
    };
    let id = customer(inner, email, &Value::Null);
    Ok(json!({"id": next_id, "channel": "api", "via": "api", "from_agent": false, "public": true,
        "sender": {"id": id, "email": email, "name": Value::Null}, "body_text": message["body_text"],
        "body_html": message["body_html"], "external_id": message["external_id"]}))
}

async fn create_ticket(State(sim): State<Gorgias>, Json(body): Json<Value>) -> Response {
    if body["channel"] != "api" || body["via"] != "api" || body["from_agent"] != false {
        return invalid("channel", "channel, via and from_agent are required (api, api, false)");
    }
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    if messages.is_empty() || messages.len() > 500 {
        return invalid("messages", "Length must be between 1 and 500.");
    }
    if let Some(tags) = body.get("tags") {
        if tags.as_array().is_none_or(|t| t.iter().any(|t| t["name"].as_str().is_none())) {
            return invalid("tags", "Tags must be objects with a name");
        }
    }
    let mut inner = sim.inner.lock().unwrap();
    let email = body["customer"]["email"].as_str().unwrap_or_default().to_string();
    let customer_id = customer(&mut inner, &email, &body["customer"]["name"]);
    let id = 88_123 + inner.tickets.len() as u64;
    let mut stored = Vec::new();
    for (n, message) in messages.iter().enumerate() {
        match incoming(&mut inner, message, id * 1000 + n as u64) {
            Ok(message) => stored.push(message),
            Err(r) => return r,
        }
    }
    let ticket = json!({"id": id, "status": "open", "channel": "api", "via": "api", "subject": body["subject"],
        "external_id": body["external_id"], "tags": body["tags"],
        "customer": {"id": customer_id, "email": email}, "messages": stored});
    inner.tickets.push(ticket.clone());
    (StatusCode::CREATED, Json(ticket)).into_response()
}

async fn add_message(State(sim): State<Gorgias>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let mut inner = sim.inner.lock().unwrap();
    let Some(index) = inner.tickets.iter().position(|t| id.parse::<u64>().is_ok_and(|id| t["id"] == id)) else {
        return error(StatusCode::NOT_FOUND, "Resource not found", Value::Null);
    };
    let next = inner.tickets[index]["id"].as_u64().unwrap_or_default() * 1000
        + inner.tickets[index]["messages"].as_array().map_or(0, Vec::len) as u64;
    let message = if body["channel"] == "internal-note" {
        if body["from_agent"] != true || body["sender"]["id"] != AGENT {
            return invalid("sender", "An internal note needs a user sender and from_agent: true");
        }
        json!({"id": next, "channel": "internal-note", "via": "api", "from_agent": true, "public": false,
               "sender": {"id": AGENT, "name": AGENT_NAME, "email": AGENT_EMAIL}, "body_text": body["body_text"]})
    } else {
        match incoming(&mut inner, &body, next) {
            Ok(message) => message,
            Err(r) => return r,
        }
    };
    let ticket = &mut inner.tickets[index];
    ticket["messages"].as_array_mut().expect("messages").push(message.clone());
    let echo = Gorgias::message_body(&id, ticket["status"].as_str().unwrap_or("open"), &message);
    drop(inner);
    sim.echo(vec![echo]);
    (StatusCode::CREATED, Json(message)).into_response()
}

async fn update_ticket(State(sim): State<Gorgias>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let mut inner = sim.inner.lock().unwrap();
    let Some(ticket) = inner.tickets.iter_mut().find(|t| id.parse::<u64>().is_ok_and(|id| t["id"] == id)) else {
        return error(StatusCode::NOT_FOUND, "Resource not found", Value::Null);
    };
    let mut echoes = Vec::new();
    if let Some(status) = body["status"].as_str() {
        if status != "open" && status != "closed" {
            return invalid("status", "Must be one of: open, closed.");
        }
        ticket["status"] = json!(status);
        echoes.push(Gorgias::updated_body(&id, status));
    }
    let answer = ticket.clone();
    drop(inner);
    sim.echo(echoes);
    Json(answer).into_response()
}

/// `GET /api/users/{id}`; id 0 is the user the API key belongs to.
async fn user(Path(id): Path<u64>) -> Response {
    if id != 0 {
        return (StatusCode::NOT_FOUND, Json(json!({"error": {"msg": "Resource not found."}}))).into_response();
    }
    Json(json!({"id": 1, "email": EMAIL, "name": "Baton Bot", "firstname": "Baton", "lastname": "Bot"})).into_response()
}
