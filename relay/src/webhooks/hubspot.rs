//! HubSpot webhooks (SPEC 4(c)): the custom channel's `OUTGOING_CHANNEL_MESSAGE_CREATED` (an
//! agent wrote to the visitor) and the app's `conversation.*` subscriptions (the thread was
//! closed or assigned). Either may come as one object or an array.
//!
//! The remote conversation is HubSpot's thread id (`conversationsThreadId`, `objectId`), the one
//! id both kinds share. Only outgoing messages from agent actors (`A-…`) count: Baton's own
//! messages are INCOMING and visitor actors are `V-…`. `conversation.newMessage` carries no text
//! (the custom-channel event does), so it is not mapped.

use serde_json::Value;

use super::events::{json, text, InboundEvent, InboundKind, ParseError};

pub fn parse(body: &[u8]) -> Result<Vec<InboundEvent>, ParseError> {
    let payload = json(body)?;
    let items = match &payload {
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => std::slice::from_ref(&payload),
        _ => return Err(ParseError::Missing("event object")),
    };
    let mut events = Vec::new();
    for item in items {
        if text(item, "/type").as_deref() == Some("OUTGOING_CHANNEL_MESSAGE_CREATED") {
            events.extend(channel_message(item));
        } else if let Some(kind) = text(item, "/subscriptionType") {
            events.extend(app_event(item, &kind));
        } else if text(item, "/type").is_none() {
            return Err(ParseError::Missing("type or subscriptionType"));
        }
    }
    Ok(events)
}

fn channel_message(item: &Value) -> Option<InboundEvent> {
    let message = item.get("message")?;
    if text(message, "/direction").is_some_and(|d| d != "OUTGOING") {
        return None;
    }
    let sender = message.pointer("/senders/0");
    let agent_id = sender.and_then(|s| text(s, "/actorId")).or_else(|| text(message, "/createdBy")).unwrap_or_default();
    if !agent_id.starts_with("A-") {
        return None;
    }
    let thread = text(message, "/conversationsThreadId").or_else(|| text(item, "/channelIntegrationThreadIds/0"))?;
    Some(InboundEvent {
        event_id: format!("message:{}", text(message, "/id")?),
        remote_conversation_id: thread,
        kind: InboundKind::AgentMessage {
            agent_name: sender.and_then(|s| text(s, "/name")).unwrap_or_default(),
            agent_id,
            text: text(message, "/text")?,
        },
    })
}

fn app_event(item: &Value, subscription: &str) -> Option<InboundEvent> {
    if subscription != "conversation.propertyChange" {
        return None;
    }
    let value = text(item, "/propertyValue");
    let kind = match text(item, "/propertyName").as_deref() {
        Some("status") if value.as_deref() == Some("CLOSED") => InboundKind::Closed,
        // The agent's name is not in the event; the consumer looks the actor up.
        Some("assignedTo") => InboundKind::AgentJoined { agent_id: value?, agent_name: String::new() },
        _ => return None,
    };
    Some(InboundEvent {
        event_id: format!("event:{}", text(item, "/eventId")?),
        remote_conversation_id: text(item, "/objectId")?,
        kind,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn outgoing(actor: &str) -> Value {
        json!({"type": "OUTGOING_CHANNEL_MESSAGE_CREATED", "portalId": 123456, "channelId": "1001",
            "channelIntegrationThreadIds": ["chat-8c1f"],
            "message": {"id": "a1b2c3", "type": "MESSAGE", "channelId": "1001", "channelAccountId": "2002",
                "conversationsThreadId": "9876543210", "direction": "OUTGOING",
                "text": "Hi Ada, I can help.", "richText": "<p>Hi Ada, I can help.</p>",
                "senders": [{"actorId": actor, "name": "Jane Agent"}],
                "recipients": [{"actorId": "V-551", "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS", "value": "visitor@example.com"}}],
                "createdBy": actor, "createdAt": "2025-01-01T12:01:00Z", "attachments": []}})
    }

    #[test]
    fn custom_channel_agent_message() {
        let events = parse(&serde_json::to_vec(&outgoing("A-82843387")).unwrap()).unwrap();
        assert_eq!(
            events,
            vec![InboundEvent {
                event_id: "message:a1b2c3".into(),
                remote_conversation_id: "9876543210".into(),
                kind: InboundKind::AgentMessage {
                    agent_id: "A-82843387".into(),
                    agent_name: "Jane Agent".into(),
                    text: "Hi Ada, I can help.".into()
                },
            }]
        );
        // Arrays are accepted too; visitor actors are not agents.
        let both = json!([outgoing("A-1"), outgoing("V-551")]);
        assert_eq!(parse(&serde_json::to_vec(&both).unwrap()).unwrap().len(), 1);
    }

    #[test]
    fn app_webhooks() {
        let body = json!([
            {"eventId": 3269195544u64, "subscriptionId": 2371671, "portalId": 23428445, "appId": 2438486, "occurredAt": 1702439388898u64,
             "subscriptionType": "conversation.propertyChange", "attemptNumber": 0, "objectId": 6065362089u64,
             "propertyName": "status", "propertyValue": "CLOSED", "changeSource": "USER"},
            {"eventId": 2, "subscriptionType": "conversation.propertyChange", "objectId": 6065362089u64,
             "propertyName": "assignedTo", "propertyValue": "A-82843387"},
            {"eventId": 3, "subscriptionType": "conversation.newMessage", "objectId": 6065362089u64,
             "messageId": "9b38dc6d5b5744a788931a9cf3a7b225", "messageType": "MESSAGE", "changeFlag": "NEW_MESSAGE"},
            {"eventId": 4, "subscriptionType": "conversation.propertyChange", "objectId": 1, "propertyName": "status", "propertyValue": "OPEN"}
        ]);
        let events = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0].event_id, "event:3269195544");
        assert_eq!(events[0].remote_conversation_id, "6065362089");
        assert_eq!(events[0].kind, InboundKind::Closed);
        assert_eq!(
            events[1].kind,
            InboundKind::AgentJoined { agent_id: "A-82843387".into(), agent_name: String::new() }
        );
    }

    #[test]
    fn malformed() {
        assert!(parse(b"42").is_err());
        assert!(parse(b"{\"foo\":1}").is_err());
        assert!(parse(b"[{").is_err());
        // The SPEC 9 vector's body parses (a newMessage: acknowledged, nothing to deliver).
        let vector =
            br#"[{"eventId":1,"subscriptionType":"conversation.newMessage","objectId":123,"messageId":"abc"}]"#;
        assert!(parse(vector).unwrap().is_empty());
    }
}
