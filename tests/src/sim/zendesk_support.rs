//! A Zendesk Support simulator (the Tickets API): Basic `{email}/token:{api_token}` or OAuth
//! bearer auth, `POST /api/v2/tickets` (requester found or created from the email, else the API
//! user; `Idempotency-Key` answered from memory with `x-idempotency-lookup`),
//! `PUT /api/v2/tickets/{id}` with comments and status, the 5000-comment cap,
//! `GET /api/v2/agent_availabilities`; errors in Zendesk's `{"error", "description"}` shape;
//! 429 with `Retry-After` and `X-Rate-Limit` headers.
//!
//! Webhooks are signed base64(HMAC-SHA256(secret, timestamp + body)) with the timestamp in its
//! own header: [`ZendeskSupport::comment_body`] and [`ZendeskSupport::solved_body`] are what the
//! two triggers of `docs/webhooks.md` send. With `traffic.send_webhooks_to` the simulator also
//! fires those triggers for the API user's own updates, as real Zendesk does, so echo
//! suppression is exercised.

use std::collections::HashMap;

use super::{hmac_sha256_base64, prelude::*};

pub const EMAIL: &str = "baton-bot@acme.test";
pub const API_TOKEN: &str = "sim-zendesk-api-token";
pub const OAUTH_TOKEN: &str = "sim-zendesk-oauth-token";
pub const SIGNING_SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
/// The user the API token belongs to.
pub const API_USER: u64 = 900;
pub const AGENT: u64 = 501;
pub const AGENT_NAME: &str = "Sam Agent";
/// Zendesk's per-ticket comment cap.
pub const MAX_COMMENTS: usize = 5000;

/// What the simulated account holds.
#[derive(Debug)]
pub struct Inner {
    /// End users by id: `{"id", "name", "email", "role"}`.
    pub users: Vec<Value>,
    /// Tickets as Zendesk returns them, each with its `comments` (in order) added.
    pub tickets: Vec<Value>,
    /// `Idempotency-Key` → (request body, ticket id).
    pub idempotency: HashMap<String, (Value, u64)>,
    /// Create the next ticket but answer 503, as if the answer were lost on the way.
    pub lose_next_create_answer: bool,
    pub agents_online: bool,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            tickets: Vec::new(),
            idempotency: HashMap::new(),
            lose_next_create_answer: false,
            agents_online: true,
        }
    }
}

pub type ZendeskSupport = Sim<Inner>;

fn error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, Json(json!({"error": error, "description": description}))).into_response()
}

impl Vendor for Inner {
    fn routes() -> Router<ZendeskSupport> {
        Router::new()
            .route("/api/v2/users/me", get(me))
            .route("/api/v2/tickets", post(create_ticket))
            .route("/api/v2/tickets/{id}", put(update_ticket))
            .route("/api/v2/agent_availabilities", get(availabilities))
    }

    /// The API token (`{email}/token:{api_token}`) or the OAuth token.
    fn credentials(_path: &str) -> Vec<String> {
        vec![basic(&format!("{EMAIL}/token"), API_TOKEN), format!("Bearer {OAUTH_TOKEN}")]
    }

    fn error(status: StatusCode, _path: &str) -> Response {
        match status {
            StatusCode::UNAUTHORIZED => error(status, "Couldn't authenticate you", ""),
            StatusCode::TOO_MANY_REQUESTS => error(status, "TooManyRequests", "Rate limit exceeded"),
            _ => error(status, "ServiceUnavailable", "Maintenance"),
        }
    }

    fn rate_limit_headers() -> Vec<(&'static str, String)> {
        let headers = [("retry-after", "1"), ("x-rate-limit", "700"), ("x-rate-limit-remaining", "0")];
        headers.into_iter().chain([("ratelimit-reset", "1")]).map(|(name, value)| (name, value.into())).collect()
    }

    /// Signed now with the simulator's secret.
    fn webhook(_url: &str, body: String) -> Delivery {
        ZendeskSupport::signed(SIGNING_SECRET, &chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(), body)
    }
}

impl ZendeskSupport {
    /// The newest ticket.
    pub fn last_ticket(&self) -> Option<Value> {
        self.inner.lock().unwrap().tickets.last().cloned()
    }

    /// base64(HMAC-SHA256(secret, timestamp + body)).
    pub fn sign(secret: &str, timestamp: &str, body: &str) -> String {
        hmac_sha256_base64(secret, &[timestamp, body])
    }

    /// `body` as Zendesk's webhook delivers it, signed with `secret` at `timestamp`.
    pub fn signed(secret: &str, timestamp: &str, body: String) -> Delivery {
        let signature = Self::sign(secret, timestamp, &body);
        Delivery::new(
            body,
            &[
                ("content-type", "application/json; charset=utf-8"),
                ("x-zendesk-webhook-signature", &signature),
                ("x-zendesk-webhook-signature-timestamp", timestamp),
                ("user-agent", "Zendesk Webhook"),
            ],
        )
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
}

/// The end user with `email`, created when unknown.
fn requester(inner: &mut Inner, requester: &Value) -> Option<u64> {
    let email = requester["email"].as_str()?;
    if let Some(user) = inner.users.iter().find(|u| u["email"] == email) {
        return user["id"].as_u64();
    }
    let id = 20_978_392 + inner.users.len() as u64;
    inner.users.push(json!({"id": id, "name": requester["name"], "email": email, "role": "end-user"}));
    Some(id)
}

fn created(ticket: &Value, lookup: &'static str) -> Response {
    let mut response =
        (StatusCode::CREATED, Json(json!({"ticket": without_comments(ticket), "audit": {"events": []}})))
            .into_response();
    response.headers_mut().insert("x-idempotency-lookup", lookup.parse().unwrap());
    response
}

async fn create_ticket(State(sim): State<ZendeskSupport>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
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
        return created(&inner.tickets.iter().find(|t| t["id"] == id).cloned().unwrap_or_default(), "hit");
    }
    let requester_id = requester(&mut inner, &ticket["requester"]).unwrap_or(API_USER);
    let id = 35_436 + inner.tickets.len() as u64;
    let public = ticket["comment"]["public"].as_bool().unwrap_or(true);
    let author = if public { requester_id } else { API_USER };
    let ticket = json!({"id": id, "requester_id": requester_id, "submitter_id": API_USER, "status": "new",
        "subject": ticket["subject"], "tags": ticket["tags"], "priority": ticket["priority"],
        "external_id": ticket["external_id"], "description": ticket["comment"]["body"],
        "comments": [{"body": ticket["comment"]["body"], "public": public, "author_id": author}]});
    inner.tickets.push(ticket.clone());
    if let Some(key) = key {
        inner.idempotency.insert(key, (body.clone(), id));
    }
    if std::mem::take(&mut inner.lose_next_create_answer) {
        return error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", "answer lost");
    }
    created(&ticket, "miss")
}

fn without_comments(ticket: &Value) -> Value {
    let mut ticket = ticket.clone();
    if let Some(map) = ticket.as_object_mut() {
        map.remove("comments");
    }
    ticket
}

async fn update_ticket(State(sim): State<ZendeskSupport>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let update = &body["ticket"];
    let mut inner = sim.inner.lock().unwrap();
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
    sim.echo(triggers);
    Json(answer).into_response()
}

async fn availabilities(State(sim): State<ZendeskSupport>) -> Response {
    let data = if sim.inner.lock().unwrap().agents_online {
        vec![json!({"type": "agent_availabilities", "id": format!("agent_availabilities|{AGENT}"),
            "attributes": {"agent_id": AGENT, "agent_status": {"id": 1, "name": "online", "reason": "UNKNOWN"},
                           "group_ids": [1], "version": 236}})]
    } else {
        Vec::new()
    };
    Json(json!({"data": data, "links": {"first": null, "last": null}, "meta": {"has_more": false}})).into_response()
}

/// `GET /api/v2/users/me`: the API user.
async fn me() -> Response {
    Json(json!({"user": {"id": API_USER, "name": "Baton Bot", "email": EMAIL, "role": "agent"}})).into_response()
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
