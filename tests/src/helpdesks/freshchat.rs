//! Freshchat's row: a live chat whose first message is the summary as a private note, the
//! visitor a user (with their email) writing normal messages; webhooks signed RSA-SHA256.

use serde_json::Value;

use super::{Attached, By, Entry, Kind, Profile, Remote, Row};
use crate::sim::{freshchat::*, Delivery};

fn text(message: &Value) -> &str {
    message["message_parts"][0]["text"]["content"].as_str().unwrap_or_default()
}

/// The newest conversation and its user.
fn newest(sim: &Freshchat) -> (Conversation, Value) {
    let conversation = sim.last_conversation().expect("a conversation");
    let user = sim.inner.lock().unwrap().users.iter().find(|u| u["id"] == conversation.user.as_str()).cloned();
    (conversation, user.expect("the conversation's user"))
}

impl Row for Inner {
    const TAKES_FILES: bool = true;
    const PROFILE: &'static Profile = &Profile {
        name: "freshchat",
        kind: Kind::LiveChat,
        // Freshchat's payloads carry no agent name: the relay's default.
        agent_name: "Support agent",
        availability: Some("GET /v2/agents/"),
        open_call: "POST /v2/conversations",
        forward_echoes: true,
        close_echo: "conversation_resolution",
        rating: false,
    };

    fn base_url(sim: &Freshchat) -> String {
        sim.api_url()
    }

    /// Availability asked of [`AGENT`].
    fn provider_settings(_sim: &Freshchat) -> String {
        format!(
            r#"
            api_token = "{TOKEN}"
            summary_note = true
            note_actor_type = "bot"
            priority = "High"
            resolve_on_cancel = true
            availability_agents = ["{AGENT}"]
            availability_field = "availability_status"
            available_values = ["available"]
            "#
        )
    }

    fn webhook_settings() -> String {
        format!(
            r#"
            public_key = """{key}"""
            "#,
            key = public_key_pem(),
        )
    }

    fn remotes(sim: &Freshchat) -> Vec<Remote> {
        let inner = sim.inner.lock().unwrap();
        let email = |user: &str| inner.users.iter().find(|u| u["id"] == user)?["email"].as_str().map(str::to_owned);
        let entry = |m: &Value| Entry {
            text: text(m).to_string(),
            by: if m["actor_type"] == "user" { By::Visitor } else { By::Baton },
            internal: m["message_type"] == "private",
        };
        let remote = |c: &Conversation| Remote {
            id: c.id.clone(),
            entries: c.messages.iter().map(entry).collect(),
            closed: c.status == "resolved",
            contact: email(&c.user),
        };
        inner.conversations.iter().map(remote).collect()
    }

    /// The messages' `image {url}` and `file {url, name}` parts.
    fn attached(sim: &Freshchat) -> Vec<Attached> {
        let messages = sim.last_conversation().map(|c| c.messages).unwrap_or_default();
        let parts = messages.iter().flat_map(|m| m["message_parts"].as_array().cloned().unwrap_or_default());
        parts
            .filter_map(|part| match (part["image"]["url"].as_str(), part["file"]["url"].as_str()) {
                (Some(url), _) => Some(Attached { url: url.into(), image: true }),
                (None, Some(url)) => Some(Attached { url: url.into(), image: false }),
                _ => None,
            })
            .collect()
    }

    fn set_available(sim: &Freshchat, available: bool) {
        sim.inner.lock().unwrap().agent_status = if available { "available" } else { "unavailable" }.into();
    }

    fn reply(_sim: &Freshchat, hook: &str, remote: &str, text: &str) -> Delivery {
        Freshchat::sign_webhook(hook, Freshchat::message_body(remote, &next_id(), "agent", AGENT, text))
    }

    fn close(hook: &str, remote: &str) -> Delivery {
        Freshchat::sign_webhook(hook, Freshchat::resolution_body(remote, "agent", AGENT))
    }

    fn forgeries(_hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)> {
        let other = sign(&genuine.body.replacen('{', "{ ", 1));
        vec![
            ("signed over another body", genuine.clone().with("x-freshchat-signature", &other)),
            ("unsigned", genuine.clone().without("x-freshchat-signature")),
            ("an empty signature", genuine.clone().with("x-freshchat-signature", "")),
        ]
    }

    /// The summary is a private note, then the visitor's words; the user is Ada, keyed by Baton's id.
    fn check_handover(sim: &Freshchat, remote: &Remote) {
        let (conversation, user) = newest(sim);
        assert_eq!(conversation.messages[0]["message_type"], "private", "the summary is a note: {remote:?}");
        assert_eq!(conversation.messages[1]["actor_type"], "user", "then the visitor's words: {remote:?}");
        assert_eq!(user["first_name"], "Ada", "{user}");
        assert!(user["reference_id"].as_str().unwrap().starts_with("baton-"), "{user}");
    }

    /// A normal message by the conversation's user.
    fn check_forward(sim: &Freshchat, written: &str) {
        let (conversation, user) = newest(sim);
        let forward = conversation.messages.iter().find(|m| text(m) == written).expect("the forward");
        assert_eq!((&forward["actor_type"], &forward["actor_id"]), (&"user".into(), &user["id"]), "{forward}");
    }

    /// A user keyed by Baton's id, without an email.
    fn check_anonymous(sim: &Freshchat, _remote: &Remote) {
        let (_, user) = newest(sim);
        assert!(user["email"].is_null(), "{user}");
        assert!(user["reference_id"].as_str().unwrap().starts_with("baton-"), "{user}");
    }

    /// The account refuses private notes: the summary becomes the visitor's first message.
    fn trouble_recovering(sim: &Freshchat) {
        sim.inner.lock().unwrap().refuse_private_notes = true;
    }

    fn check_recovered(sim: &Freshchat, remote: &Remote) {
        let (conversation, _) = newest(sim);
        assert_eq!(conversation.messages[0]["message_type"], "normal", "{remote:?}");
        assert!(remote.entries[0].text.contains("Bot summary"), "{remote:?}");
    }
}
