//! A HubSpot simulator (custom channels and the inbox API): OAuth bearer auth,
//! `POST /conversations/v3/custom-channels/{channelId}/messages` (INCOMING messages; the first on
//! an `integrationThreadId` creates the thread; `integrationIdempotencyId` answered from memory),
//! `PATCH /conversations/v3/conversations/threads/{threadId}`; errors in HubSpot's
//! `{"status": "error", "message", "category"}` shape; 429 with `Retry-After` and the
//! `X-HubSpot-RateLimit-*` headers.
//!
//! Webhooks are signed v3: base64(HMAC-SHA256(client secret, method + URL + body + timestamp))
//! with the timestamp in milliseconds. [`Hubspot::reply_body`] is the custom channel's
//! `OUTGOING_CHANNEL_MESSAGE_CREATED`, [`Hubspot::closed_body`] the app's
//! `conversation.propertyChange`. With `traffic.send_webhooks_to` a thread Baton closes fires the
//! close webhook too, as HubSpot's subscription does, so echoes are exercised.

use super::{hmac_sha256_base64, prelude::*};

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

/// What the simulated portal holds.
#[derive(Debug, Default)]
pub struct Inner {
    pub threads: Vec<Thread>,
}

pub type Hubspot = Sim<Inner>;

fn error(status: StatusCode, category: &str, message: &str) -> Response {
    let body = json!({"status": "error", "message": message, "correlationId": "sim-0001", "category": category});
    (status, Json(body)).into_response()
}

impl Vendor for Inner {
    fn routes() -> Router<Hubspot> {
        Router::new()
            .route("/conversations/v3/conversations/inboxes", get(inboxes))
            .route("/conversations/v3/custom-channels/{channel}/messages", post(publish))
            .route("/conversations/v3/conversations/threads/{thread}", patch(update_thread))
    }

    fn credentials(_path: &str) -> Vec<String> {
        vec![format!("Bearer {TOKEN}")]
    }

    fn error(status: StatusCode, _path: &str) -> Response {
        match status {
            StatusCode::UNAUTHORIZED => {
                error(status, "INVALID_AUTHENTICATION", "Authentication credentials not found.")
            }
            StatusCode::TOO_MANY_REQUESTS => {
                error(status, "RATE_LIMITS", "You have reached your ten_secondly_rolling limit.")
            }
            _ => error(status, "SERVICE_UNAVAILABLE", "Service Unavailable"),
        }
    }

    /// `Retry-After` and the `X-HubSpot-RateLimit-*` family.
    fn rate_limit_headers() -> Vec<(&'static str, String)> {
        let limits = [
            ("retry-after", "1"),
            ("x-hubspot-ratelimit-daily", "250000"),
            ("x-hubspot-ratelimit-daily-remaining", "249000"),
            ("x-hubspot-ratelimit-interval-milliseconds", "10000"),
            ("x-hubspot-ratelimit-max", "100"),
            ("x-hubspot-ratelimit-remaining", "0"),
        ];
        limits.into_iter().map(|(name, value)| (name, value.into())).collect()
    }

    /// Signed now for `url` with the app's client secret.
    fn webhook(url: &str, body: String) -> Delivery {
        Hubspot::signed(CLIENT_SECRET, url, &chrono::Utc::now().timestamp_millis().to_string(), body)
    }
}

impl Hubspot {
    /// The newest thread.
    pub fn last_thread(&self) -> Option<Thread> {
        self.inner.lock().unwrap().threads.last().cloned()
    }

    /// base64(HMAC-SHA256(client_secret, method + uri + body + timestamp)).
    pub fn sign(secret: &str, method: &str, uri: &str, body: &str, timestamp: &str) -> String {
        hmac_sha256_base64(secret, &[method, uri, body, timestamp])
    }

    /// `body` posted to `url` as HubSpot delivers it, signed v3 with `secret` at `timestamp` (ms).
    pub fn signed(secret: &str, url: &str, timestamp: &str, body: String) -> Delivery {
        let signature = Self::sign(secret, "POST", url, &body, timestamp);
        Delivery::new(
            body,
            &[
                ("x-hubspot-signature-v3", &signature),
                ("x-hubspot-request-timestamp", timestamp),
                ("user-agent", "HubSpot Connect 2.0 (http://dev.hubspot.com/)"),
            ],
        )
    }

    /// The custom channel's webhook when the agent writes `text` in `thread`.
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

    /// The app subscription's body when `thread` is closed by `source` (`USER`, or `API` for Baton).
    pub fn closed_body(thread_id: &str, event_id: u64, source: &str) -> String {
        json!([{"eventId": event_id, "subscriptionId": 2371671, "portalId": 123456, "appId": 2438486,
            "occurredAt": chrono::Utc::now().timestamp_millis(), "subscriptionType": "conversation.propertyChange",
            "attemptNumber": 0, "objectId": thread_id.parse::<u64>().unwrap_or_default(),
            "propertyName": "status", "propertyValue": "CLOSED", "changeSource": source}])
        .to_string()
    }
}

/// HubSpot's event ids are large numbers.
pub fn event_number() -> u64 {
    3_269_195_544 + next_number()
}

/// What an INCOMING message must carry; the refusal's text when it is wrong.
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

async fn publish(State(sim): State<Hubspot>, Path(channel): Path<String>, Json(body): Json<Value>) -> Response {
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

async fn update_thread(State(sim): State<Hubspot>, Path(id): Path<String>, Json(body): Json<Value>) -> Response {
    let Some(status) = body["status"].as_str().filter(|s| *s == "OPEN" || *s == "CLOSED") else {
        return error(StatusCode::BAD_REQUEST, "VALIDATION_ERROR", "status must be OPEN or CLOSED");
    };
    let mut inner = sim.inner.lock().unwrap();
    let Some(thread) = inner.threads.iter_mut().find(|t| t.id == id) else {
        return error(StatusCode::NOT_FOUND, "OBJECT_NOT_FOUND", "thread not found");
    };
    thread.status = status.to_string();
    let answer = json!({"id": thread.id, "status": status, "inboxId": "147959634"});
    drop(inner);
    // The app's subscription fires for Baton's own close too.
    if status == "CLOSED" {
        sim.echo(vec![Hubspot::closed_body(&id, event_number(), "API")]);
    }
    Json(answer).into_response()
}

/// `GET /conversations/v3/conversations/inboxes`: the account's inboxes.
async fn inboxes() -> Response {
    Json(json!({"total": 1, "results": [{"id": "147959634", "name": "Support inbox", "type": "HELP_DESK",
                                           "archived": false}]}))
    .into_response()
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
