//! A Freshdesk simulator (API v2, `docs/providers/README.md`): Basic `<api_key>:X`,
//! `POST /api/v2/tickets` (requester found or created from `email`; one of email, requester_id
//! or phone required; subject and description required), `POST /api/v2/tickets/{id}/notes`,
//! `PUT /api/v2/tickets/{id}` (status), `GET /api/v2/agents` with `available`; validation errors
//! in Freshdesk's `{"description", "errors": [...]}` shape; 429 with `Retry-After` and the
//! `X-Ratelimit-*` headers; 503 when down.
//!
//! Webhooks are the automation rules' "Trigger webhook" action: JSON with a secret header.
//! [`Freshdesk::reply_body`] and [`Freshdesk::resolved_body`] are what the two rules of
//! `docs/webhooks.md` send. With `traffic.send_webhooks_to` the simulator also fires the rules
//! for the API agent's own writes (as a rule without the "performed by" exclusion would), so
//! echo suppression is exercised.

use super::prelude::*;

pub const API_KEY: &str = "sim-freshdesk-api-key";
/// The secret header's value, as configured on the rules' "Trigger webhook" action.
pub const WEBHOOK_SECRET: &str = "sim-freshdesk-webhook-secret";
pub const WEBHOOK_HEADER: &str = "X-Baton-Webhook-Secret";
/// The agent the API key belongs to (its writes are echoes).
pub const API_AGENT: u64 = 900;
pub const API_AGENT_NAME: &str = "Baton API";
pub const AGENT: u64 = 501;
pub const AGENT_NAME: &str = "Priya Agent";
/// The requester of tickets for visitors without an email (the connector's `fallback_email`).
pub const FALLBACK_EMAIL: &str = "chat-visitor@acme.test";

/// What the simulated helpdesk holds.
#[derive(Debug)]
pub struct Inner {
    /// Contacts: `{"id", "name", "email"}`.
    pub contacts: Vec<Value>,
    /// Tickets as Freshdesk returns them, each with its `notes` (in order) added.
    pub tickets: Vec<Value>,
    pub agents_available: bool,
}

impl Default for Inner {
    fn default() -> Self {
        Self { contacts: Vec::new(), tickets: Vec::new(), agents_available: true }
    }
}

pub type Freshdesk = Sim<Inner>;

fn validation(field: &str, message: &str) -> Response {
    let body = json!({"description": "Validation failed",
        "errors": [{"field": field, "message": message, "code": "missing_field"}]});
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"code": "not_found"}))).into_response()
}

impl Vendor for Inner {
    fn routes() -> Router<Freshdesk> {
        Router::new()
            .route("/api/v2/tickets", post(create_ticket))
            .route("/api/v2/tickets/{id}", put(update_ticket))
            .route("/api/v2/tickets/{id}/notes", post(add_note))
            .route("/api/v2/agents", get(agents))
            .route("/api/v2/agents/me", get(me))
    }

    fn credentials(_path: &str) -> Vec<String> {
        vec![basic(API_KEY, "X")]
    }

    fn error(status: StatusCode, _path: &str) -> Response {
        let body = match status {
            StatusCode::UNAUTHORIZED => json!({"code": "invalid_credentials",
                                               "message": "You have to be logged in to perform this action."}),
            StatusCode::TOO_MANY_REQUESTS => json!({"message": "You have exceeded the limit of requests"}),
            _ => json!({"code": "service_unavailable"}),
        };
        (status, Json(body)).into_response()
    }

    fn rate_limit_headers() -> Vec<(&'static str, String)> {
        let headers = [("retry-after", "1"), ("x-ratelimit-total", "200"), ("x-ratelimit-remaining", "0")];
        headers.into_iter().chain([("x-ratelimit-used-currentrequest", "1")]).map(|(n, v)| (n, v.into())).collect()
    }

    fn webhook(_url: &str, body: String) -> Delivery {
        Delivery::new(body, &[(WEBHOOK_HEADER, WEBHOOK_SECRET)])
    }
}

impl Freshdesk {
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
}

fn find<'a>(inner: &'a mut Inner, id: &str) -> Option<&'a mut Value> {
    let id = id.parse::<u64>().ok()?;
    inner.tickets.iter_mut().find(|t| t["id"] == id)
}

async fn create_ticket(State(sim): State<Freshdesk>, Json(body): Json<Value>) -> Response {
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
    (StatusCode::CREATED, Json(without_notes(ticket))).into_response()
}

fn without_notes(mut ticket: Value) -> Value {
    ticket.as_object_mut().expect("object").remove("notes");
    ticket
}

async fn add_note(State(sim): State<Freshdesk>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    if body["body"].as_str().is_none_or(str::is_empty) {
        return validation("body", "It should not be blank");
    }
    let mut inner = sim.inner.lock().unwrap();
    let Some(ticket) = find(&mut inner, &id) else {
        return not_found();
    };
    let private = body["private"].as_bool().unwrap_or(true);
    let note = json!({"id": 60_000 + ticket["notes"].as_array().map_or(0, Vec::len), "body": body["body"],
        "private": private, "incoming": body["incoming"].as_bool().unwrap_or(false),
        "user_id": body.get("user_id").cloned().unwrap_or(json!(API_AGENT)), "ticket_id": ticket["id"]});
    ticket["notes"].as_array_mut().expect("notes").push(note.clone());
    drop(inner);
    // Rule 1 ("public note added") fires; its `{{ticket.agent.name}}` is who acted here: the API agent.
    if !private {
        sim.echo(vec![Freshdesk::reply_body(&id, body["body"].as_str().unwrap_or_default(), API_AGENT_NAME)]);
    }
    (StatusCode::CREATED, Json(note)).into_response()
}

async fn update_ticket(State(sim): State<Freshdesk>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let mut inner = sim.inner.lock().unwrap();
    let Some(ticket) = find(&mut inner, &id) else {
        return not_found();
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
    let answer = without_notes(ticket.clone());
    drop(inner);
    sim.echo(echoes);
    Json(answer).into_response()
}

async fn agents(State(sim): State<Freshdesk>) -> Response {
    let available = sim.inner.lock().unwrap().agents_available;
    Json(json!([
        {"id": API_AGENT, "available": false, "occasional": false, "contact": {"name": API_AGENT_NAME}},
        {"id": AGENT, "available": available, "occasional": false, "contact": {"name": AGENT_NAME}},
    ]))
    .into_response()
}

/// `GET /api/v2/agents/me`: the agent the API key belongs to.
async fn me() -> Response {
    Json(json!({"id": API_AGENT, "available": false, "occasional": false,
                "contact": {"name": API_AGENT_NAME, "email": "baton-api@acme.test"}}))
    .into_response()
}
