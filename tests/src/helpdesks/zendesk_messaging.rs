//! Zendesk Messaging's row: a live chat in Sunshine Conversations; the summary is Baton's first
//! business message, control is passed to the agent workspace with the data-capture metadata;
//! webhooks carry the secret in `X-API-Key`; the agent solving the ticket releases control.

use serde_json::{json, Value};

use super::{Attached, By, Entry, Kind, Profile, Remote, Row};
use crate::sim::{zendesk_messaging::*, Delivery};

/// The newest conversation and its user.
fn newest(sim: &ZendeskMessaging) -> (Conversation, Value) {
    let conversation = sim.last_conversation().expect("a conversation");
    let user = sim.inner.lock().unwrap().users.iter().find(|u| u["id"] == conversation.user.as_str()).cloned();
    (conversation, user.expect("the conversation's user"))
}

impl Row for Inner {
    const TAKES_FILES: bool = true;
    const PROFILE: &'static Profile = &Profile {
        name: "zendesk_messaging",
        kind: Kind::LiveChat,
        agent_name: AGENT_NAME,
        availability: Some("GET /api/v2/agent_availabilities"),
        open_call: "POST /v2/apps/5ebee0975ac5304b664a12fa/conversations",
        forward_echoes: true,
        close_echo: "switchboard:releaseControl",
        rating: false,
    };

    fn provider_settings(sim: &ZendeskMessaging) -> String {
        format!(
            r#"
            app_id = "{APP_ID}"
            key_id = "{KEY_ID}"
            key_secret = "{KEY_SECRET}"
            auth = "basic"
            agent_switchboard_integration = "zd:agentWorkspace"
            bot_switchboard_integration = "{BOT_SWITCHBOARD}"
            bot_name = "Baton bot"
            data_capture = true
            tags = "bot_handover"
            release_on_cancel = true

            [provider.availability]
            base_url = "{url}"
            email = "{AGENT_EMAIL}"
            api_token = "{AGENT_TOKEN}"
            channel_status = "messaging:online"
            "#,
            url = sim.url(),
        )
    }

    fn webhook_settings() -> String {
        format!(
            r#"
            secret = "{WEBHOOK_SECRET}"
            integration_id = "{INTEGRATION_ID}"
            switchboard_integration_id = "{BOT_SWITCHBOARD}"
            echo_source_types = ["api:conversations"]
            require_agent_metadata = false
            "#
        )
    }

    fn remotes(sim: &ZendeskMessaging) -> Vec<Remote> {
        let inner = sim.inner.lock().unwrap();
        let email =
            |user: &str| inner.users.iter().find(|u| u["id"] == user)?["profile"]["email"].as_str().map(str::to_owned);
        let remote = |c: &Conversation| Remote {
            id: c.id.clone(),
            entries: c
                .messages
                .iter()
                .map(|m| Entry {
                    text: m["content"]["text"].as_str().unwrap_or_default().to_string(),
                    by: if m["author"]["type"] == "user" { By::Visitor } else { By::Baton },
                    internal: false,
                })
                .collect(),
            closed: c.switchboard.iter().any(|(action, _)| action == "releaseControl"),
            contact: email(&c.user),
        };
        inner.conversations.iter().map(remote).collect()
    }

    /// The `image` and `file` messages' `mediaUrl`s.
    fn attached(sim: &ZendeskMessaging) -> Vec<Attached> {
        let messages = sim.last_conversation().map(|c| c.messages).unwrap_or_default();
        let files = messages.iter().map(|m| &m["content"]).filter(|c| c["type"] == "image" || c["type"] == "file");
        files
            .map(|c| Attached { url: c["mediaUrl"].as_str().unwrap_or_default().into(), image: c["type"] == "image" })
            .collect()
    }

    fn set_available(sim: &ZendeskMessaging, available: bool) {
        sim.inner.lock().unwrap().agents_online = available;
    }

    fn reply(_sim: &ZendeskMessaging, _hook: &str, remote: &str, text: &str) -> Delivery {
        ZendeskMessaging::delivery("conversation:message", remote, ZendeskMessaging::agent_message(text))
    }

    fn close(_hook: &str, remote: &str) -> Delivery {
        ZendeskMessaging::delivery("switchboard:releaseControl", remote, json!({"reason": "ticketClosed"}))
    }

    fn forgeries(_hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)> {
        vec![
            ("another key", genuine.clone().with("x-api-key", "not-the-secret-but-as-long-as-it")),
            ("no key", genuine.clone().without("x-api-key")),
        ]
    }

    /// Control has been passed to the agent workspace.
    fn handed_over(sim: &ZendeskMessaging) -> bool {
        let passed = |(action, body): &(String, Value)| {
            action == "passControl" && body["switchboardIntegration"] == "zd:agentWorkspace"
        };
        sim.last_conversation().is_some_and(|c| c.switchboard.iter().any(passed))
    }

    /// The summary first; control to Baton's own integration, then to the agent workspace with
    /// the data-capture metadata.
    fn check_handover(sim: &ZendeskMessaging, remote: &Remote) {
        let (conversation, user) = newest(sim);
        assert_eq!(user["profile"]["givenName"], "Ada", "{user}");
        let first = &conversation.messages[0];
        assert_eq!(first["author"]["type"], "business", "the summary comes first: {first}");
        assert!(remote.texts().iter().any(|t| t.contains("never arrived")), "the visitor's words: {remote:?}");
        assert_eq!(conversation.switchboard[0].1["switchboardIntegration"], BOT_SWITCHBOARD);
        let (_, pass) = conversation.switchboard.last().expect("passControl");
        assert_eq!(pass["metadata"]["first_message_id"], first["id"]);
        assert_eq!(pass["metadata"]["dataCapture.systemField.requester.email"], "ada@example.com");
        assert_eq!(pass["metadata"]["dataCapture.systemField.tags"], "bot_handover");
    }

    fn check_forward(sim: &ZendeskMessaging, text: &str) {
        let (conversation, user) = newest(sim);
        let forward = conversation.messages.iter().find(|m| m["content"]["text"] == text).expect("the forward");
        assert_eq!(forward["author"], json!({"type": "user", "userId": user["id"]}), "{forward}");
    }

    /// A user keyed by Baton's id, without an email.
    fn check_anonymous(sim: &ZendeskMessaging, _remote: &Remote) {
        let (_, user) = newest(sim);
        assert!(user["profile"]["email"].is_null(), "{user}");
        assert!(user["externalId"].as_str().is_some_and(|id| id.starts_with("baton-")), "{user}");
    }
}
