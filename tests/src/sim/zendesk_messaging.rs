//! A Zendesk Messaging simulator (Sunshine Conversations v2,
//! `tests/specs/sunshine-conversations-v2.openapi.yaml`): Basic `keyId:secret` auth and the app
//! id checked on `/v2/apps/{appId}/...`; users (409 on a duplicate `externalId`), personal
//! conversations, messages (author `business` or `user`; text content, or `image`/`file` with an
//! absolute `mediaUrl` and an `altText` of at most 128 characters, `mediaType` being read-only;
//! Prism cannot check these bodies, so this does), passControl and releaseControl; errors in the
//! `{"errors": [{code, title}]}` shape; 429 without rate-limit headers (none are published);
//! the Zendesk Agent Availability API (Basic `{email}/token:{api_token}`). Webhooks carry the
//! secret in `X-API-Key`; [`ZendeskMessaging::agent_message`] is an
//! agent's message, [`ZendeskMessaging::delivery`] any event. With
//! `traffic.send_webhooks_to` the API's own messages and switchboard actions fire
//! `conversation:message` and `switchboard:*` too (the spec: the metadata of passControl and
//! releaseControl "will be included in the webhook"), so echo suppression is exercised.

use std::collections::HashMap;

use super::prelude::*;

pub const APP_ID: &str = "5ebee0975ac5304b664a12fa";
pub const KEY_ID: &str = "app_5ebee0975ac5304b664a12fb";
pub const KEY_SECRET: &str = "sim-sunshine-key-secret";
pub const WEBHOOK_SECRET: &str = "8564b3e6a8b20a4bdb68b05ce9bc5936";
/// Baton's custom integration and switchboard integration in the simulated app.
pub const INTEGRATION_ID: &str = "5f11a650e4e987667c2051d1";
pub const BOT_SWITCHBOARD: &str = "5eecde2dcdbffb08f5c3ed37";
pub const AGENT_EMAIL: &str = "jane@acme.test";
pub const AGENT_TOKEN: &str = "sim-zendesk-api-token";
pub const AGENT_NAME: &str = "Jane Agent";
/// The Agent Availability API's path (Zendesk Support's API, not Sunshine's).
pub const AVAILABILITY: &str = "/api/v2/agent_availabilities";

/// One conversation: its messages and the switchboard actions on it, in order.
#[derive(Debug, Clone, Default)]
pub struct Conversation {
    pub id: String,
    pub user: String,
    pub messages: Vec<Value>,
    /// `("passControl" | "releaseControl", body)`.
    pub switchboard: Vec<(String, Value)>,
}

/// What the simulated app holds.
#[derive(Debug)]
pub struct Inner {
    pub users: Vec<Value>,
    pub conversations: Vec<Conversation>,
    pub agents_online: bool,
    /// Fire `switchboard:passControl` for Baton's passControl to its own integration too, as
    /// Sunshine does (on by default; `tests/tests/providers/specific.rs` checks the relay tells
    /// that echo from the agent workspace handing the conversation back).
    pub echo_pass_control_to_baton: bool,
}

impl Default for Inner {
    fn default() -> Self {
        Self { users: Vec::new(), conversations: Vec::new(), agents_online: true, echo_pass_control_to_baton: true }
    }
}

pub type ZendeskMessaging = Sim<Inner>;

fn error(status: StatusCode, code: &str, title: &str) -> Response {
    (status, Json(json!({"errors": [{"code": code, "title": title}]}))).into_response()
}

fn next_id() -> String {
    // 24 hex digits, like Sunshine's ids.
    format!("67a0{:020x}", next_number())
}

impl Vendor for Inner {
    fn routes() -> Router<ZendeskMessaging> {
        Router::new()
            .route("/v2/apps/{app}", get(app))
            .route("/v2/apps/{app}/users", post(create_user))
            .route("/v2/apps/{app}/users/{user}", get(get_user))
            .route("/v2/apps/{app}/conversations", post(create_conversation).get(list_conversations))
            .route("/v2/apps/{app}/conversations/{id}/messages", post(post_message))
            .route("/v2/apps/{app}/conversations/{id}/{action}", post(switchboard))
            .route(AVAILABILITY, get(availabilities))
    }

    /// Sunshine's key, or on the Agent Availability API (Zendesk Support's) an agent's API token.
    fn credentials(path: &str) -> Vec<String> {
        match path {
            AVAILABILITY => vec![basic(&format!("{AGENT_EMAIL}/token"), AGENT_TOKEN)],
            _ => vec![basic(KEY_ID, KEY_SECRET)],
        }
    }

    /// Sunshine's errors, Zendesk Support's on the availability API. No numbers or headers are
    /// published for Sunshine's limits: a bare 429.
    fn error(status: StatusCode, path: &str) -> Response {
        match (status, path) {
            (StatusCode::UNAUTHORIZED, AVAILABILITY) => {
                (status, Json(json!({"error": "Couldn't authenticate you"}))).into_response()
            }
            (StatusCode::UNAUTHORIZED, _) => error(status, "unauthorized", "Authorization is required"),
            (StatusCode::TOO_MANY_REQUESTS, _) => error(status, "too_many_requests", "Too Many Requests"),
            _ => error(status, "service_unavailable", "Service Unavailable"),
        }
    }

    /// Another app's id.
    fn refuse(path: &str, _headers: &HeaderMap) -> Option<Response> {
        let app = path.strip_prefix("/v2/apps/").and_then(|rest| rest.split('/').next());
        (path != AVAILABILITY && app != Some(APP_ID))
            .then(|| error(StatusCode::NOT_FOUND, "app_not_found", "App not found"))
    }

    fn webhook(_url: &str, body: String) -> Delivery {
        Delivery::new(body, &[("x-api-key", WEBHOOK_SECRET)])
    }
}

impl ZendeskMessaging {
    pub fn last_conversation(&self) -> Option<Conversation> {
        self.inner.lock().unwrap().conversations.last().cloned()
    }

    /// A webhook delivery holding one event of `kind` about `conversation`.
    pub fn delivery(kind: &str, conversation: &str, payload: Value) -> Delivery {
        let mut payload = payload;
        payload["conversation"]["id"] = json!(conversation);
        payload["conversation"]["type"] = json!("personal");
        let body = json!({"app": {"id": APP_ID}, "webhook": {"id": "5f4eaef81e3dcc117c7ba48a", "version": "v2"},
            "events": [{"id": next_id(), "createdAt": "2026-01-01T12:00:00.000Z", "type": kind, "payload": payload}]});
        <Inner as Vendor>::webhook("", body.to_string())
    }

    /// An agent's message from the agent workspace.
    pub fn agent_message(text: &str) -> Value {
        json!({"message": {"id": next_id(), "received": "2026-01-01T12:00:00.000Z",
            "author": {"type": "business", "displayName": AGENT_NAME, "subtypes": ["agent"]},
            "content": {"type": "text", "text": text},
            "metadata": {"__zendesk_msg.agent.id": "12345678"},
            "source": {"type": "zd:agentWorkspace"}}})
    }
}

async fn create_user(State(sim): State<ZendeskMessaging>, Json(body): Json<Value>) -> Response {
    let mut inner = sim.inner.lock().unwrap();
    if body["externalId"].is_string() && inner.users.iter().any(|u| u["externalId"] == body["externalId"]) {
        return error(StatusCode::CONFLICT, "conflict", "User already exists");
    }
    let user = json!({"id": next_id(), "externalId": body["externalId"], "profile": body["profile"],
                      "metadata": body["metadata"], "identities": []});
    inner.users.push(user.clone());
    (StatusCode::CREATED, Json(json!({"user": user}))).into_response()
}

async fn get_user(State(sim): State<ZendeskMessaging>, Path((_, user)): Path<(String, String)>) -> Response {
    let inner = sim.inner.lock().unwrap();
    match inner.users.iter().find(|u| u["id"] == user.as_str() || u["externalId"] == user.as_str()) {
        Some(found) => Json(json!({"user": found})).into_response(),
        None => error(StatusCode::NOT_FOUND, "user_not_found", "User not found"),
    }
}

async fn list_conversations(
    State(sim): State<ZendeskMessaging>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
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

async fn create_conversation(State(sim): State<ZendeskMessaging>, Json(body): Json<Value>) -> Response {
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
    Path((_, id)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    let mut inner = sim.inner.lock().unwrap();
    let Some(conversation) = inner.conversations.iter_mut().find(|c| c.id == id) else {
        return error(StatusCode::NOT_FOUND, "conversation_not_found", "Conversation not found");
    };
    let valid_author = match body["author"]["type"].as_str() {
        Some("business") => true,
        Some("user") => body["author"]["userId"] == conversation.user.as_str(),
        _ => false,
    };
    let content = &body["content"];
    let valid_content = match content["type"].as_str() {
        Some("text") => content["text"].as_str().is_some_and(|t| !t.is_empty()),
        Some("image" | "file") => {
            fetchable(&content["mediaUrl"])
                && content["mediaType"].is_null()
                && content["altText"].as_str().is_none_or(|alt| alt.chars().count() <= 128)
        }
        _ => false,
    };
    if !valid_author || !valid_content {
        return error(StatusCode::BAD_REQUEST, "bad_request", "invalid author or content");
    }
    let message = json!({"id": next_id(), "received": "2026-01-01T12:00:00.000Z", "author": body["author"],
                         "content": body["content"], "source": {"type": "api:conversations"}});
    conversation.messages.push(message.clone());
    drop(inner);
    sim.echo(vec![ZendeskMessaging::delivery("conversation:message", &id, json!({"message": message})).body]);
    (StatusCode::CREATED, Json(json!({"messages": [message]}))).into_response()
}

async fn switchboard(
    State(sim): State<ZendeskMessaging>,
    Path((_, id, action)): Path<(String, String, String)>,
    body: Option<Json<Value>>,
) -> Response {
    let body = body.map(|Json(b)| b).unwrap_or(Value::Null);
    if action == "passControl" && !body["switchboardIntegration"].is_string() {
        return error(StatusCode::BAD_REQUEST, "bad_request", "switchboardIntegration is required");
    }
    if action != "passControl" && action != "releaseControl" {
        return error(StatusCode::NOT_FOUND, "not_found", "Not found");
    }
    let mut inner = sim.inner.lock().unwrap();
    let echo_to_baton = inner.echo_pass_control_to_baton;
    let Some(conversation) = inner.conversations.iter_mut().find(|c| c.id == id) else {
        return error(StatusCode::NOT_FOUND, "conversation_not_found", "Conversation not found");
    };
    conversation.switchboard.push((action.clone(), body.clone()));
    drop(inner);
    let mut payload = json!({"metadata": body["metadata"]});
    let mut echo = true;
    if action == "passControl" {
        let active = switchboard_integration(&body["switchboardIntegration"]);
        echo = echo_to_baton || active["id"] != BOT_SWITCHBOARD;
        payload["conversation"]["activeSwitchboardIntegration"] = active;
    }
    if echo {
        sim.echo(vec![ZendeskMessaging::delivery(&format!("switchboard:{action}"), &id, payload).body]);
    }
    Json(json!({})).into_response()
}

/// The switchboard integration `target` names (Baton's bot integration or the agent workspace).
fn switchboard_integration(target: &Value) -> Value {
    if target == BOT_SWITCHBOARD || target == "bot" {
        json!({"id": BOT_SWITCHBOARD, "name": "bot", "integrationId": INTEGRATION_ID, "integrationType": "custom"})
    } else {
        json!({"id": "5ef0c1ab3d8f1e7a2b4c6d8e", "name": "zd-agentWorkspace", "integrationType": "zd:agentWorkspace"})
    }
}

async fn availabilities(State(sim): State<ZendeskMessaging>, Query(query): Query<HashMap<String, String>>) -> Response {
    let online = sim.inner.lock().unwrap().agents_online && query.contains_key("filter[channel_status]");
    let data: Vec<Value> = if online {
        vec![json!({"type": "agent_availabilities", "id": "agent_availabilities|10011",
                    "attributes": {"agent_id": 10011, "agent_status": {"id": 1, "name": "online"}, "group_ids": [1]}})]
    } else {
        vec![]
    };
    Json(json!({"data": data, "links": {}})).into_response()
}

/// `GET /v2/apps/{appId}` ("Get App"): the app the key opens.
async fn app(Path(app): Path<String>) -> Response {
    if app != APP_ID {
        return error(StatusCode::NOT_FOUND, "app_not_found", "App not found");
    }
    Json(json!({"app": {"id": APP_ID, "displayName": "Acme Support", "settings": {}, "metadata": null}}))
        .into_response()
}
