//! Zendesk Messaging (Sunshine Conversations v2) webhooks (SPEC 2(c)): one delivery holds
//! several `events[]`, each de-duplicated by its own `id`.
//!
//! Agent messages are `conversation:message` with a `business` author. Baton also writes as
//! `business` (the summary, notices), so messages from Baton's integration or from the REST API
//! source are echoes. The agent is done when control is released or passed back to Baton.

use axum::http::HeaderMap;
use serde_json::Value;

use crate::connectors::inbound::{json, text, InboundEvent, InboundKind, ParseError, RemoteFile};
use crate::connectors::signature::{self, SignatureError};
use super::settings::ZendeskMessagingWebhook;

/// The metadata key Zendesk's agent workspace puts on agent messages (practitioner-observed).
const AGENT_ID_KEY: &str = "__zendesk_msg.agent.id";
/// The metadata key Baton puts on its own `passControl` to its switchboard integration (at the
/// start of a handover); Sunshine echoes metadata in the `switchboard:passControl` webhook, so
/// that echo is told apart from the agent workspace handing the conversation back.
pub(super) const OWN_PASS_KEY: &str = "baton_own_pass";

/// Sunshine Conversations (Zendesk Messaging): `X-API-Key` carries the webhook secret verbatim.
pub fn verify(secret: &str, headers: &HeaderMap) -> Result<(), SignatureError> {
    signature::shared_secret(headers, "X-API-Key", secret)
}

pub fn parse(body: &[u8], config: &ZendeskMessagingWebhook) -> Result<Vec<InboundEvent>, ParseError> {
    let delivery = json(body)?;
    let events = delivery.get("events").and_then(Value::as_array).ok_or(ParseError::Missing("events"))?;
    let mut out = Vec::new();
    for event in events {
        let (Some(event_id), Some(conversation)) = (text(event, "/id"), text(event, "/payload/conversation/id")) else {
            // One unreadable event must not lose its siblings: skip it, keep the rest.
            tracing::warn!(event = %event, "Sunshine event without id or conversation, skipped");
            continue;
        };
        let kind = match text(event, "/type").as_deref() {
            Some("conversation:message") => message(event, config),
            Some("conversation:typing") => typing(event),
            Some("switchboard:releaseControl") => Some(InboundKind::Closed),
            Some("switchboard:passControl") if passed_to_baton(event, config) && !own_pass(event) => {
                Some(InboundKind::Closed)
            }
            _ => None,
        };
        if let Some(kind) = kind {
            out.push(InboundEvent { event_id, remote_conversation_id: conversation, kind });
        }
    }
    Ok(out)
}

fn message(event: &Value, config: &ZendeskMessagingWebhook) -> Option<InboundKind> {
    let message = event.pointer("/payload/message")?;
    if text(message, "/author/type").as_deref() != Some("business") {
        return None;
    }
    let source_type = text(message, "/source/type").unwrap_or_default();
    let from_baton = config.echo_source_types.contains(&source_type)
        || (config.integration_id.is_some() && text(message, "/source/integrationId") == config.integration_id);
    // Subtypes are documented as "responses only"; when a webhook does carry them, bots are not people.
    let by_bot = message
        .pointer("/author/subtypes")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().any(|t| matches!(t.as_str(), Some("bot" | "AI"))));
    let agent_id = message.pointer("/metadata").and_then(|m| m.get(AGENT_ID_KEY)).and_then(|id| match id {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    });
    if from_baton || by_bot || (config.require_agent_metadata && agent_id.is_none()) {
        return None;
    }
    let agent_name = text(message, "/author/displayName").unwrap_or_default();
    // Images and files (SPEC 2(c)): `mediaUrl`, `mediaType`, `altText`, and maybe a text.
    let (body, files) = match text(message, "/content/type").as_deref() {
        Some("text") | None => (text(message, "/content/text")?, vec![]),
        Some(_) => {
            let file = RemoteFile {
                url: text(message, "/content/mediaUrl")?,
                name: text(message, "/content/altText"),
                content_type: text(message, "/content/mediaType"),
            };
            (text(message, "/content/text").unwrap_or_default(), vec![file])
        }
    };
    Some(InboundKind::AgentMessage {
        agent_id: agent_id.unwrap_or_else(|| agent_name.clone()),
        agent_name,
        text: body,
        files,
    })
}

fn typing(event: &Value) -> Option<InboundKind> {
    if text(event, "/payload/activity/author/type").as_deref() != Some("business") {
        return None;
    }
    match text(event, "/payload/activity/type").as_deref() {
        Some("typing:start") => Some(InboundKind::AgentTyping { on: true }),
        Some("typing:stop") => Some(InboundKind::AgentTyping { on: false }),
        _ => None,
    }
}

/// `passControl` to Baton's own switchboard integration: the agent workspace gave the
/// conversation back (typically the ticket was solved).
/// The echo of Baton's own `passControl` (see [`OWN_PASS_KEY`]).
fn own_pass(event: &Value) -> bool {
    event.pointer("/payload/metadata").and_then(|m| m.get(OWN_PASS_KEY)).is_some()
}

fn passed_to_baton(event: &Value, config: &ZendeskMessagingWebhook) -> bool {
    let Some(active) = event.pointer("/payload/conversation/activeSwitchboardIntegration") else {
        return false;
    };
    let ours = |field: &str, expected: &Option<String>| expected.is_some() && text(active, field) == *expected;
    ours("/id", &config.switchboard_integration_id)
        || ours("/name", &config.switchboard_integration_id)
        || ours("/integrationId", &config.integration_id)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config() -> ZendeskMessagingWebhook {
        ZendeskMessagingWebhook {
            secret: "s".into(),
            integration_id: Some("5f11a650e4e987667c2051d1".into()),
            switchboard_integration_id: Some("5eecde2dcdbffb08f5c3ed37".into()),
            echo_source_types: vec!["api:conversations".into()],
            require_agent_metadata: false,
        }
    }

    fn delivery(events: Value) -> Vec<u8> {
        serde_json::to_vec(&json!({"app": {"id": "5ebee0975ac5304b664a12fa"},
            "webhook": {"id": "5f4eaef81e3dcc117c7ba48a", "version": "v2"}, "events": events}))
        .unwrap()
    }

    fn agent_message(id: &str, source: &str) -> Value {
        json!({"id": id, "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:message",
            "payload": {
                "conversation": {"id": "67a0ecf8f0305f4a391e9db1", "type": "personal",
                    "activeSwitchboardIntegration": {"id": "5ef2", "name": "zd-agentWorkspace", "integrationId": "x", "integrationType": "zd:agentWorkspace"}},
                "message": {"id": "5f74c7d84a146f3abd72af1d", "received": "2020-09-30T18:00:56.820Z",
                    "author": {"type": "business", "displayName": "Jane Agent", "avatarUrl": "https://x.test/a.png", "subtypes": ["agent"]},
                    "content": {"type": "text", "text": "Hi Ada, I can help."},
                    "metadata": {"__zendesk_msg.agent.id": "12345678"},
                    "source": {"type": source}}}})
    }

    #[test]
    fn agent_message_from_the_workspace() {
        let events =
            parse(&delivery(json!([agent_message("5f74a0d52b5315fc007e798a", "zd:agentWorkspace")])), &config())
                .unwrap();
        assert_eq!(
            events,
            vec![InboundEvent {
                event_id: "5f74a0d52b5315fc007e798a".into(),
                remote_conversation_id: "67a0ecf8f0305f4a391e9db1".into(),
                kind: InboundKind::AgentMessage {
                    agent_id: "12345678".into(),
                    agent_name: "Jane Agent".into(),
                    text: "Hi Ada, I can help.".into(), files: vec![]
                },
            }]
        );
    }

    #[test]
    fn an_agents_image_or_file_is_a_file_at_its_media_url() {
        let mut image = agent_message("6", "zd:agentWorkspace");
        image["payload"]["message"]["content"] = json!({"type": "image", "mediaUrl": "https://z.test/p.png",
            "mediaType": "image/png", "altText": "parcel.png"});
        let mut file = agent_message("7", "zd:agentWorkspace");
        file["payload"]["message"]["content"] =
            json!({"type": "file", "mediaUrl": "https://z.test/r.pdf", "text": "The receipt"});
        let kinds: Vec<InboundKind> =
            parse(&delivery(json!([image, file])), &config()).unwrap().into_iter().map(|e| e.kind).collect();
        let message = |text: &str, file| InboundKind::AgentMessage {
            agent_id: "12345678".into(),
            agent_name: "Jane Agent".into(),
            text: text.into(),
            files: vec![file],
        };
        let png = RemoteFile {
            url: "https://z.test/p.png".into(),
            name: Some("parcel.png".into()),
            content_type: Some("image/png".into()),
        };
        let pdf = RemoteFile { url: "https://z.test/r.pdf".into(), name: None, content_type: None };
        assert_eq!(kinds, vec![message("", png), message("The receipt", pdf)]);
    }

    #[test]
    fn echoes_users_and_bots_are_dropped() {
        let mut user = agent_message("2", "web");
        user["payload"]["message"]["author"] = json!({"type": "user", "userId": "67a1"});
        let mut bot = agent_message("3", "zd:answerBot");
        bot["payload"]["message"]["author"]["subtypes"] = json!(["bot"]);
        let mut ours = agent_message("4", "custom");
        ours["payload"]["message"]["source"]["integrationId"] = json!("5f11a650e4e987667c2051d1");
        let events = json!([agent_message("1", "api:conversations"), user, bot, ours]);
        assert!(parse(&delivery(events), &config()).unwrap().is_empty());
    }

    #[test]
    fn several_events_per_delivery_with_close_and_typing() {
        let release = json!({"id": "r1", "type": "switchboard:releaseControl",
            "payload": {"conversation": {"id": "c1", "type": "personal"}, "reason": "ticketClosed"}});
        let pass_back = json!({"id": "p1", "type": "switchboard:passControl",
            "payload": {"conversation": {"id": "c2", "activeSwitchboardIntegration": {"id": "5eecde2dcdbffb08f5c3ed37", "name": "bot", "integrationId": "5f11a650e4e987667c2051d1", "integrationType": "custom"}}}});
        let pass_to_agents = json!({"id": "p2", "type": "switchboard:passControl",
            "payload": {"conversation": {"id": "c3", "activeSwitchboardIntegration": {"id": "zz", "name": "zd-agentWorkspace", "integrationType": "zd:agentWorkspace"}}}});
        let typing = json!({"id": "t1", "type": "conversation:typing",
            "payload": {"conversation": {"id": "c4"}, "activity": {"type": "typing:start", "author": {"type": "business", "displayName": "Jane"}}}});
        let user_typing = json!({"id": "t2", "type": "conversation:typing",
            "payload": {"conversation": {"id": "c4"}, "activity": {"type": "typing:start", "author": {"type": "user"}}}});
        let broken = json!({"type": "conversation:message"});
        // Baton's own passControl to its integration (the start of a handover), echoed.
        let mut own_pass = pass_back.clone();
        own_pass["id"] = json!("p3");
        own_pass["payload"]["metadata"] = json!({OWN_PASS_KEY: true});
        let events = parse(
            &delivery(json!([release, pass_back, pass_to_agents, typing, user_typing, broken, own_pass])),
            &config(),
        )
        .unwrap();
        let kinds: Vec<_> =
            events.iter().map(|e| (e.event_id.as_str(), e.remote_conversation_id.as_str(), e.kind.clone())).collect();
        assert_eq!(
            kinds,
            vec![
                ("r1", "c1", InboundKind::Closed),
                ("p1", "c2", InboundKind::Closed),
                ("t1", "c4", InboundKind::AgentTyping { on: true }),
            ]
        );
    }

    #[test]
    fn metadata_requirement_and_malformed() {
        let mut strict = config();
        strict.require_agent_metadata = true;
        let mut no_meta = agent_message("1", "zd:agentWorkspace");
        no_meta["payload"]["message"]["metadata"] = json!({});
        assert!(parse(&delivery(json!([no_meta.clone()])), &strict).unwrap().is_empty());
        assert_eq!(parse(&delivery(json!([no_meta])), &config()).unwrap().len(), 1);
        assert!(matches!(parse(b"{}", &config()), Err(ParseError::Missing("events"))));
        assert!(matches!(parse(b"[", &config()), Err(ParseError::Json(_))));
    }
}

/// SPEC.md section 9's test vectors for this check, plus the ways a delivery must fail.
#[cfg(test)]
mod verify_tests {
    use axum::http::HeaderMap;

    use super::{verify as sunshine, *};
    use crate::connectors::signature::test_headers as headers;

    #[test]
    fn sunshine_secret() {
        let secret = "8564b3e6a8b20a4bdb68b05ce9bc5936";
        assert_eq!(sunshine(secret, &headers(&[("X-API-Key", secret)])), Ok(()));
        assert_eq!(
            sunshine(secret, &headers(&[("x-api-key", "8564b3e6a8b20a4bdb68b05ce9bc5937")])),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(sunshine(secret, &headers(&[("X-API-Key", "short")])), Err(SignatureError::Mismatch));
        assert!(matches!(sunshine(secret, &HeaderMap::new()), Err(SignatureError::Missing(_))));
    }


    #[test]
    fn an_empty_secret_accepts_nothing_not_even_an_empty_header() {
        assert_eq!(sunshine("", &headers(&[("X-API-Key", "")])), Err(SignatureError::Mismatch));
    }
}
