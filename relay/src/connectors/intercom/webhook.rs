//! Intercom's notification events (SPEC 1(c)): agent replies, assignments and closes.
//!
//! The envelope's `topic` says what happened and `data.item` is the conversation with only the
//! part(s) that caused the event (practitioner-observed; UNCONFIRMED officially, and an empty
//! list is tolerated). Baton's own notes and closes, written as the bot admin, come back on the
//! same topics and are dropped here.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde_json::Value;

use crate::connectors::html::strip_html;
use crate::connectors::inbound::{json, required, text, InboundEvent, InboundKind, ParseError, RemoteFile};
use crate::connectors::signature::{header, malformed, usable, SignatureError};
use super::settings::IntercomWebhook;

/// Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(client_secret, body)>`. No timestamp is
/// signed, so replays are caught by the event-id de-duplication instead.
pub fn verify(client_secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    usable(client_secret)?;
    const NAME: &str = "X-Hub-Signature";
    let value = header(headers, NAME)?;
    let hex_digest = value.strip_prefix("sha1=").ok_or_else(|| malformed(NAME))?;
    // Intercom sends lowercase hex; uppercase is tolerated (hex::decode accepts both).
    let given = hex::decode(hex_digest).map_err(|_| malformed(NAME))?;
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(client_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)
}

/// A part's `attachments` (`{type: "upload", name, url, content_type, filesize}`).
fn attachments(part: &Value) -> Vec<RemoteFile> {
    let listed = part.get("attachments").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    listed
        .iter()
        .filter_map(|a| {
            Some(RemoteFile { url: text(a, "/url")?, name: text(a, "/name"), content_type: text(a, "/content_type") })
        })
        .collect()
}

pub fn parse(body: &[u8], config: &IntercomWebhook) -> Result<Vec<InboundEvent>, ParseError> {
    let envelope = json(body)?;
    let topic = required(&envelope, "/topic", "topic")?;
    if topic == "ping" {
        // Sent when the endpoint is registered or tested: answered 200, nothing to do.
        return Ok(Vec::new());
    }
    let notification = required(&envelope, "/id", "notification id")?;
    let item = envelope.pointer("/data/item").ok_or(ParseError::Missing("data.item"))?;
    if text(item, "/type").as_deref() != Some("conversation") {
        return Ok(Vec::new());
    }
    let conversation = required(item, "/id", "data.item.id")?;
    let is_bot = |id: &Option<String>| id.is_some() && id.as_ref() == config.bot_admin_id.as_ref();
    let parts = item
        .pointer("/conversation_parts/conversation_parts")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let event = |event_id: String, kind| InboundEvent { event_id, remote_conversation_id: conversation.clone(), kind };
    let mut events = Vec::new();
    match topic.as_str() {
        "conversation.admin.replied" => {
            for part in parts {
                let author = text(part, "/author/id");
                let is_comment = text(part, "/part_type").as_deref() == Some("comment");
                let by_admin = text(part, "/author/type").as_deref() == Some("admin");
                if !is_comment || !by_admin || is_bot(&author) {
                    continue;
                }
                let body = strip_html(&text(part, "/body").unwrap_or_default());
                let Some(part_id) = text(part, "/id") else { continue };
                let files = attachments(part);
                if body.is_empty() && files.is_empty() {
                    continue;
                }
                events.push(event(
                    format!("part:{part_id}"),
                    InboundKind::AgentMessage {
                        agent_id: author.unwrap_or_default(),
                        agent_name: text(part, "/author/name").unwrap_or_default(),
                        text: body,
                        files,
                    },
                ));
            }
        }
        "conversation.admin.assigned" => {
            // Baton's own routing (assignment by the bot admin to a team) is not a person.
            let assignee = text(item, "/admin_assignee_id");
            if assignee.is_some() && !is_bot(&assignee) {
                let agent_id = assignee.unwrap_or_default();
                // The part's author is whoever assigned; its name is the agent's only when the
                // agent took the conversation themselves.
                let agent_name = parts
                    .iter()
                    .find(|p| text(p, "/author/id").as_deref() == Some(agent_id.as_str()))
                    .and_then(|p| text(p, "/author/name"))
                    .unwrap_or_default();
                events.push(event(notification, InboundKind::AgentJoined { agent_id, agent_name }));
            }
        }
        "conversation.admin.closed" => {
            // Baton closes as the bot admin when the visitor leaves: that echo is dropped.
            let closer = parts.iter().rev().find_map(|p| text(p, "/author/id"));
            if !is_bot(&closer) {
                events.push(event(notification, InboundKind::Closed));
            }
        }
        _ => {}
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> IntercomWebhook {
        IntercomWebhook { client_secret: "s".into(), bot_admin_id: Some("991267459".into()) }
    }

    /// The SPEC 1(c) envelope with `topic` and the parts replaced.
    fn envelope(topic: &str, parts: Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "type": "notification_event", "app_id": "q8sn4hth",
            "data": {"type": "notification_event_data", "item": {
                "type": "conversation", "id": "363", "state": "open", "open": true,
                "admin_assignee_id": 991267594, "team_assignee_id": null,
                "contacts": {"type": "contact.list", "contacts": [{"type": "contact", "id": "667d60b08a68186f43bafdbf"}]},
                "source": {"type": "conversation", "body": "<p>I need to talk…</p>"},
                "conversation_parts": {"type": "conversation_part.list", "conversation_parts": parts, "total_count": 1}}},
            "links": {}, "id": "notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e", "topic": topic,
            "delivery_status": "pending", "delivery_attempts": 1, "delivered_at": 0,
            "first_sent_at": 1719492901, "created_at": 1719492901, "self": null, "unknown_field": {"x": 1}
        }))
        .unwrap()
    }

    fn part(id: &str, part_type: &str, author_id: &str, body: &str) -> Value {
        serde_json::json!({"type": "conversation_part", "id": id, "part_type": part_type, "body": body,
            "created_at": 1719492900, "attachments": [],
            "author": {"type": "admin", "id": author_id, "name": "Ciaran Lee", "email": "ciaran@example.com"}})
    }

    #[test]
    fn agent_reply() {
        let body = envelope(
            "conversation.admin.replied",
            serde_json::json!([part("9001", "comment", "991267594", "<p>Hi Ada, I can help.</p>")]),
        );
        let events = parse(&body, &config()).unwrap();
        assert_eq!(
            events,
            vec![InboundEvent {
                event_id: "part:9001".into(),
                remote_conversation_id: "363".into(),
                kind: InboundKind::AgentMessage {
                    agent_id: "991267594".into(),
                    agent_name: "Ciaran Lee".into(),
                    text: "Hi Ada, I can help.".into(), files: vec![]
                },
            }]
        );
    }

    #[test]
    fn an_agents_attachments_are_files_even_without_a_body() {
        let mut with_file = part("9002", "comment", "991267594", "");
        with_file["attachments"] = serde_json::json!([{"type": "upload", "name": "label.pdf",
            "url": "https://downloads.intercomcdn.com/i/o/1/label.pdf", "content_type": "application/pdf", "filesize": 1234}]);
        let events = parse(&envelope("conversation.admin.replied", serde_json::json!([with_file])), &config()).unwrap();
        let InboundKind::AgentMessage { text, files, .. } = &events[0].kind else { panic!("{events:?}") };
        assert_eq!(text, "");
        assert_eq!(
            files,
            &vec![RemoteFile {
                url: "https://downloads.intercomcdn.com/i/o/1/label.pdf".into(),
                name: Some("label.pdf".into()),
                content_type: Some("application/pdf".into()),
            }]
        );
    }

    #[test]
    fn echoes_and_notes_are_dropped() {
        let parts = serde_json::json!([
            part("1", "comment", "991267459", "<p>bot</p>"),
            part("2", "note", "991267594", "<p>internal</p>"),
            part("3", "comment", "991267594", ""),
        ]);
        assert!(parse(&envelope("conversation.admin.replied", parts), &config()).unwrap().is_empty());
        let bot_close = serde_json::json!([part("4", "close", "991267459", "Visitor left the chat.")]);
        assert!(parse(&envelope("conversation.admin.closed", bot_close), &config()).unwrap().is_empty());
        let noted = serde_json::json!([part("5", "note", "991267459", "<p>Bot summary</p>")]);
        assert!(parse(&envelope("conversation.admin.noted", noted), &config()).unwrap().is_empty());
    }

    #[test]
    fn close_and_assignment() {
        let closed = parse(
            &envelope("conversation.admin.closed", serde_json::json!([part("6", "close", "991267594", "")])),
            &config(),
        )
        .unwrap();
        assert_eq!(closed[0].kind, InboundKind::Closed);
        assert_eq!(closed[0].event_id, "notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e");
        // A close with no parts (tolerated) still closes.
        assert_eq!(parse(&envelope("conversation.admin.closed", serde_json::json!([])), &config()).unwrap().len(), 1);
        let assigned = parse(
            &envelope("conversation.admin.assigned", serde_json::json!([part("7", "assignment", "991267594", "")])),
            &config(),
        )
        .unwrap();
        assert_eq!(
            assigned[0].kind,
            InboundKind::AgentJoined { agent_id: "991267594".into(), agent_name: "Ciaran Lee".into() }
        );
    }

    #[test]
    fn ping_and_malformed() {
        let ping = br#"{"type":"notification_event","topic":"ping","data":{"type":"notification_event_data","item":{"type":"ping","message":"hello"}}}"#;
        assert!(parse(ping, &config()).unwrap().is_empty());
        assert!(matches!(parse(b"not json", &config()), Err(ParseError::Json(_))));
        assert!(matches!(parse(b"{\"id\":\"x\"}", &config()), Err(ParseError::Missing("topic"))));
    }
}

/// SPEC.md section 9's test vectors for this check, plus the ways a delivery must fail.
#[cfg(test)]
mod verify_tests {
    use axum::http::HeaderMap;
    use hmac::{Hmac, Mac};

    use super::{verify as intercom, *};
    use crate::connectors::signature::test_headers as headers;

    const INTERCOM_BODY: &str = r#"{"type":"notification_event","topic":"ping","data":{"type":"notification_event_data","item":{"type":"ping","message":"hello"}}}"#;
    const INTERCOM_SIG: &str = "sha1=89496aefd69deecb5a5d5efe57ba7353e24264d9";

    #[test]
    fn intercom_vector() {
        let h = headers(&[("X-Hub-Signature", INTERCOM_SIG)]);
        assert_eq!(intercom("test_client_secret", &h, INTERCOM_BODY.as_bytes()), Ok(()));
    }

    #[test]
    fn intercom_failures() {
        let h = headers(&[("X-Hub-Signature", INTERCOM_SIG)]);
        let tampered = INTERCOM_BODY.replace("hello", "hellO");
        assert_eq!(intercom("test_client_secret", &h, tampered.as_bytes()), Err(SignatureError::Mismatch));
        assert_eq!(intercom("wrong_secret", &h, INTERCOM_BODY.as_bytes()), Err(SignatureError::Mismatch));
        assert!(matches!(intercom("s", &HeaderMap::new(), b"{}"), Err(SignatureError::Missing(_))));
        let bare = headers(&[("X-Hub-Signature", "89496aefd69deecb5a5d5efe57ba7353e24264d9")]);
        assert!(matches!(
            intercom("test_client_secret", &bare, INTERCOM_BODY.as_bytes()),
            Err(SignatureError::Malformed(_))
        ));
        let not_hex = headers(&[("X-Hub-Signature", "sha1=zz")]);
        assert!(matches!(intercom("test_client_secret", &not_hex, b"{}"), Err(SignatureError::Malformed(_))));
    }


    #[test]
    fn an_empty_secret_is_refused_before_the_signature_is_compared() {
        // An HMAC under an empty key is computable by anyone.
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(b"").unwrap();
        mac.update(INTERCOM_BODY.as_bytes());
        let forged = format!("sha1={}", hex::encode(mac.finalize().into_bytes()));
        let h = headers(&[("X-Hub-Signature", &forged)]);
        assert!(matches!(intercom("", &h, INTERCOM_BODY.as_bytes()), Err(SignatureError::BadKey(_))));
    }
}
