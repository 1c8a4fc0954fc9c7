//! Gorgias HTTP-integration webhooks (SPEC 7(c)): the `form` the site owner configured
//! (`docs/webhooks.md`): `ticket_id`, `status`, `from_agent`, `channel`, `body_text`,
//! `sender_name`, optionally `message_id` and `event`. Gorgias signs nothing; the secret header
//! or Basic credentials were checked before this.
//!
//! Echoes: Baton's forwarded visitor messages are `from_agent: false`; internal notes
//! (`channel: internal-note`, also Baton's summary) are not for the visitor.

use serde_json::Value;

use crate::connectors::html::strip_html;
use crate::connectors::inbound::{body_id, flag, json, required, text, InboundEvent, InboundKind, ParseError};
use crate::connectors::settings::SecretHeaderWebhook;

pub fn parse(body: &[u8], config: &SecretHeaderWebhook) -> Result<Vec<InboundEvent>, ParseError> {
    let payload = json(body)?;
    let ticket = required(&payload, "/ticket_id", "ticket_id")?;
    let status = text(&payload, "/status").unwrap_or_default();
    let closed = status.eq_ignore_ascii_case("closed") || text(&payload, "/event").as_deref() == Some("closed");
    let message = message(&payload, config);
    let (event_id, kind) = match message {
        Some(kind) => {
            (text(&payload, "/message_id").map(|id| format!("message:{id}")).unwrap_or_else(|| body_id(body)), kind)
        }
        // `ticket-updated` with the ticket closed. A reply sent with "close" comes first as the
        // message (`ticket-message-created`), then as this. Its body names it: the message id
        // it may repeat belongs to the message.
        None if closed => (format!("closed:{}", body_id(body)), InboundKind::Closed),
        None => return Ok(Vec::new()),
    };
    Ok(vec![InboundEvent { event_id, remote_conversation_id: ticket, kind }])
}

fn message(payload: &Value, config: &SecretHeaderWebhook) -> Option<InboundKind> {
    // Only a message trigger sends a message; `ticket-updated` bodies repeat the last message,
    // so an explicit `event` other than a message keeps them from replaying it.
    if text(payload, "/event").is_some_and(|e| !e.contains("message")) {
        return None;
    }
    if flag(payload, "/from_agent") != Some(true) || text(payload, "/channel").as_deref() == Some("internal-note") {
        return None;
    }
    let agent_name = text(payload, "/sender_name").unwrap_or_default();
    let agent_email = text(payload, "/sender_email").unwrap_or_default();
    if config.ignore_agents.iter().any(|a| a.eq_ignore_ascii_case(&agent_name) || a.eq_ignore_ascii_case(&agent_email))
    {
        return None;
    }
    let body = text(payload, "/body_text").or_else(|| text(payload, "/body_html")).map(|b| strip_html(&b))?;
    (!body.is_empty()).then(|| InboundKind::AgentMessage {
        agent_id: if agent_email.is_empty() { agent_name.clone() } else { agent_email },
        agent_name,
        text: body, files: vec![],
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config() -> SecretHeaderWebhook {
        crate::connectors::testing::secret_header_webhook("X-Bot-Secret", &[])
    }

    fn parse_json(value: Value) -> Vec<InboundEvent> {
        parse(&serde_json::to_vec(&value).unwrap(), &config()).unwrap()
    }

    #[test]
    fn agent_message_rendered_as_strings() {
        let events = parse_json(
            json!({"ticket_id": "88123", "status": "open", "from_agent": "True", "channel": "email",
            "body_text": "Hi Ada, refund sent.", "sender_name": "Lee Agent", "external_id": "chat-8c1f", "message_id": "555"}),
        );
        assert_eq!(
            events,
            vec![InboundEvent {
                event_id: "message:555".into(),
                remote_conversation_id: "88123".into(),
                kind: InboundKind::AgentMessage {
                    agent_id: "Lee Agent".into(),
                    agent_name: "Lee Agent".into(),
                    text: "Hi Ada, refund sent.".into(), files: vec![]
                },
            }]
        );
    }

    #[test]
    fn echoes_notes_and_close() {
        assert!(parse_json(
            json!({"ticket_id": 1, "status": "open", "from_agent": false, "channel": "api", "body_text": "Order 1234"})
        )
        .is_empty());
        assert!(parse_json(json!({"ticket_id": 1, "status": "open", "from_agent": true, "channel": "internal-note", "body_text": "Bot summary"})).is_empty());
        let closed =
            parse_json(json!({"ticket_id": 1, "status": "closed", "from_agent": false, "body_text": "Order 1234"}));
        assert_eq!(closed[0].kind, InboundKind::Closed);
        let update = parse_json(
            json!({"event": "ticket-updated", "ticket_id": 1, "status": "closed", "from_agent": true, "body_text": "old"}),
        );
        assert_eq!(update[0].kind, InboundKind::Closed);
        assert!(matches!(parse(b"{}", &config()), Err(ParseError::Missing("ticket_id"))));
    }
}
