//! Freshdesk automation-rule webhooks (SPEC 6(c)): the JSON body is the site owner's own
//! template (`docs/webhooks.md`): `event` (`agent_reply` or `closed`), `ticket_id`, `status`,
//! `agent_name`, `comment`, optionally `event_id`. Freshdesk signs nothing; the secret header
//! or Basic credentials were checked before this.
//!
//! `{{ticket.agent.name}}` is the assigned agent, not necessarily the author, so echo
//! suppression rests on the rule's "performed by" condition plus `ignore_agents`. The comment
//! may be HTML and may quote email history; it is turned into text, the quote kept.

use serde_json::Value;

use crate::connectors::html::strip_html;
use crate::connectors::inbound::{body_id, json, required, text, InboundEvent, InboundKind, ParseError};
use crate::connectors::settings::SecretHeaderWebhook;

pub fn parse(body: &[u8], config: &SecretHeaderWebhook) -> Result<Vec<InboundEvent>, ParseError> {
    let payload = json(body)?;
    let ticket = required(&payload, "/ticket_id", "ticket_id")?;
    let event_id = text(&payload, "/event_id").unwrap_or_else(|| body_id(body));
    let agent_name = text(&payload, "/agent_name").unwrap_or_default();
    let agent_email = text(&payload, "/agent_email").unwrap_or_default();
    let ignored = config.ignore_agents.iter().any(|a| {
        (!agent_name.is_empty() && a.eq_ignore_ascii_case(&agent_name))
            || (!agent_email.is_empty() && a.eq_ignore_ascii_case(&agent_email))
    });
    let kind = match text(&payload, "/event").as_deref() {
        Some("closed") => closed(&payload),
        Some("agent_reply") | None => {
            let comment = text(&payload, "/comment").map(|c| strip_html(&c)).filter(|c| !c.is_empty());
            match comment {
                Some(_) if ignored => None,
                Some(comment) => Some(InboundKind::AgentMessage {
                    agent_id: if agent_email.is_empty() { agent_name.clone() } else { agent_email },
                    agent_name,
                    text: comment, files: vec![],
                }),
                None => closed(&payload),
            }
        }
        Some(_) => None,
    };
    Ok(kind.map(|kind| InboundEvent { event_id, remote_conversation_id: ticket, kind }).into_iter().collect())
}

/// Resolved (4) or Closed (5); the placeholder renders the name, a number is tolerated.
fn closed(payload: &Value) -> Option<InboundKind> {
    let status = text(payload, "/status")?.to_ascii_lowercase();
    matches!(status.as_str(), "resolved" | "closed" | "4" | "5").then_some(InboundKind::Closed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config() -> SecretHeaderWebhook {
        crate::connectors::testing::secret_header_webhook("X-Baton-Webhook-Secret", &["Baton API"])
    }

    fn parse_json(value: Value) -> Vec<InboundEvent> {
        parse(&serde_json::to_vec(&value).unwrap(), &config()).unwrap()
    }

    #[test]
    fn agent_reply() {
        let events = parse_json(json!({"event": "agent_reply", "ticket_id": "4521", "status": "Open",
            "agent_name": "Priya Agent", "comment": "<div>Hello Ada,<br>your refund is on its way.</div>"}));
        assert_eq!(events[0].remote_conversation_id, "4521");
        assert_eq!(
            events[0].kind,
            InboundKind::AgentMessage {
                agent_id: "Priya Agent".into(),
                agent_name: "Priya Agent".into(),
                text: "Hello Ada,\nyour refund is on its way.".into(), files: vec![]
            }
        );
        assert!(parse_json(json!({"event": "agent_reply", "ticket_id": 1, "agent_name": "baton api", "comment": "x"}))
            .is_empty());
    }

    #[test]
    fn closed_and_malformed() {
        for status in ["Resolved", "Closed", "4", "5"] {
            let events = parse_json(json!({"event": "closed", "ticket_id": 4521, "status": status}));
            assert_eq!(events[0].kind, InboundKind::Closed, "{status}");
        }
        assert!(parse_json(json!({"event": "closed", "ticket_id": 4521, "status": "Pending"})).is_empty());
        assert!(matches!(parse(b"{\"event\":\"closed\"}", &config()), Err(ParseError::Missing("ticket_id"))));
        assert!(matches!(parse(b"ticket_id=1", &config()), Err(ParseError::Json(_))));
    }
}
