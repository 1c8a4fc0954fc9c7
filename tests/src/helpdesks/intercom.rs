//! Intercom's row: a live chat; the conversation is opened as the visitor's contact with their
//! words, the summary is the bot admin's note; webhooks signed HMAC-SHA1.

use serde_json::Value;

use super::{Attached, By, Entry, Kind, Profile, Remote, Row};
use crate::sim::{hmac_sha1_hex, intercom::*, next_number, Delivery};

fn entry(part: &Value) -> Entry {
    let by = if part["type"] == "admin" || part["author"]["type"] == "admin" { By::Baton } else { By::Visitor };
    Entry { text: part["body"].as_str().unwrap_or_default().to_string(), by, internal: part["message_type"] == "note" }
}

/// The newest conversation's parts and its contact.
fn newest(sim: &Intercom) -> (Vec<Value>, Value) {
    let (_, parts) = sim.last_conversation().expect("a conversation");
    let contact = sim.inner.lock().unwrap().contacts.iter().find(|c| c["id"] == parts[0]["author"]["id"]).cloned();
    (parts, contact.expect("the conversation's contact"))
}

impl Row for Inner {
    const TAKES_FILES: bool = true;
    const PROFILE: &'static Profile = &Profile {
        name: "intercom",
        kind: Kind::LiveChat,
        agent_name: AGENT_NAME,
        availability: Some("GET /admins"),
        open_call: "POST /conversations",
        forward_echoes: true,
        close_echo: "conversation.admin.closed",
        rating: true,
    };

    fn provider_settings(_sim: &Intercom) -> String {
        format!(
            r#"
            access_token = "{TOKEN}"
            version = "2.11"
            "#
        )
    }

    fn webhook_settings() -> String {
        format!(
            r#"
            client_secret = "{CLIENT_SECRET}"
            bot_admin_id = "{BOT_ADMIN}"
            "#
        )
    }

    fn remotes(sim: &Intercom) -> Vec<Remote> {
        let inner = sim.inner.lock().unwrap();
        let contact = |parts: &[Value]| inner.contacts.iter().find(|c| c["id"] == parts[0]["author"]["id"]).cloned();
        let remote = |(id, parts): &(String, Vec<Value>)| Remote {
            id: id.clone(),
            entries: parts.iter().map(entry).collect(),
            closed: parts.last().is_some_and(|p| p["message_type"] == "close"),
            contact: contact(parts).and_then(|c| c["email"].as_str().map(str::to_owned)),
        };
        inner.conversations.iter().map(remote).collect()
    }

    /// `attachment_urls` of the parts Baton wrote (Intercom takes image addresses).
    fn attached(sim: &Intercom) -> Vec<Attached> {
        let (_, parts) = sim.last_conversation().unwrap_or_default();
        let urls = parts.iter().flat_map(|p| p["attachment_urls"].as_array().cloned().unwrap_or_default());
        urls.filter_map(|u| u.as_str().map(|url| Attached { url: url.to_string(), image: true })).collect()
    }

    fn set_available(sim: &Intercom, available: bool) {
        sim.inner.lock().unwrap().agents_away = !available;
    }

    fn reply(_sim: &Intercom, _hook: &str, remote: &str, text: &str) -> Delivery {
        let part = Intercom::agent_comment(&format!("part-{}", next_number()), &super::paragraphs(text));
        Intercom::webhook("conversation.admin.replied", remote, part)
    }

    fn close(_hook: &str, remote: &str) -> Delivery {
        Intercom::webhook("conversation.admin.closed", remote, Intercom::agent_close_part())
    }

    fn forgeries(_hook: &str, genuine: &Delivery) -> Vec<(&'static str, Delivery)> {
        let wrong = format!("sha1={}", hmac_sha1_hex("not-the-client-secret", &genuine.body));
        vec![
            ("signed with another secret", genuine.clone().with("x-hub-signature", &wrong)),
            ("unsigned", genuine.clone().without("x-hub-signature")),
            ("a changed body", genuine.clone().with_body(genuine.body.replacen('{', "{ ", 1))),
        ]
    }

    /// Opened as the visitor with their words; the summary is the bot admin's note.
    fn check_handover(sim: &Intercom, remote: &Remote) {
        let (parts, contact) = newest(sim);
        assert_eq!((&parts[0]["part_type"], &contact["name"]), (&"open".into(), &"Ada".into()), "{parts:?}");
        assert!(remote.entries[0].text.contains("40123"), "opened with the visitor's words: {remote:?}");
        let note = parts.iter().find(|p| p["message_type"] == "note").expect("the summary note");
        assert_eq!(note["admin_id"], BOT_ADMIN, "{note}");
    }

    /// A comment as the conversation's contact.
    fn check_forward(sim: &Intercom, text: &str) {
        let (parts, contact) = newest(sim);
        let forward = parts.iter().find(|p| p["body"] == text).expect("the forward");
        assert_eq!((&forward["type"], &forward["message_type"]), (&"user".into(), &"comment".into()), "{forward}");
        assert_eq!(forward["intercom_user_id"], contact["id"], "{forward}");
    }

    /// A lead keyed by Baton's id.
    fn check_anonymous(sim: &Intercom, _remote: &Remote) {
        let (_, lead) = newest(sim);
        assert_eq!(lead["role"], "lead", "{lead}");
        assert!(lead["external_id"].as_str().is_some_and(|id| id.starts_with("baton-")), "{lead}");
    }
}
