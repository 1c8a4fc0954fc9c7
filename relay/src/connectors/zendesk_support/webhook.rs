//! Zendesk Support ticket webhooks (SPEC 3(c)), in both shapes Zendesk can send:
//!
//! - **A, trigger + webhook**: the JSON body the site owner wrote in the trigger
//!   (`docs/webhooks.md` gives it): `ticket_id`, `status`, `comment`, `author_id`,
//!   `author_name`, `author_role`, optionally `event` and `event_id`. Statuses are lowercase.
//! - **B, event subscription**: `zen:event-type:ticket.comment_added` and
//!   `…ticket.status_changed`, with string ids and UPPERCASE statuses.
//!
//! Echoes: comments by the API user Baton writes with (`current_user` in a trigger), private
//! comments and end-user comments (the visitor's own messages, forwarded by Baton) are dropped.

use axum::http::HeaderMap;
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use hmac::Mac;
use serde_json::Value;

use crate::connectors::inbound::{body_id, json, required, text, InboundEvent, InboundKind, ParseError};
use crate::connectors::signature::{header, hmac_sha256, malformed, usable, SignatureError};
use super::settings::ZendeskSupportWebhook;

/// Zendesk Support: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp +
/// body)), with the timestamp header's exact string. The secret is used as-is (it looks like
/// base64 but is not decoded). `window_seconds == 0` turns the age check off.
///
/// The timestamp's format is UNCONFIRMED (ISO-8601 observed): [`parse_timestamp`] accepts
/// RFC 3339 and its common variants and Unix seconds or milliseconds. The signature is checked
/// first, so an unreadable timestamp on a genuine delivery is reported as `Malformed`, not
/// `Mismatch`.
pub fn verify(secret: &str, headers: &HeaderMap, body: &[u8], now: i64, window_seconds: u64) -> Result<(), SignatureError> {
    usable(secret)?;
    const SIGNATURE: &str = "X-Zendesk-Webhook-Signature";
    const TIMESTAMP: &str = "X-Zendesk-Webhook-Signature-Timestamp";
    let signature = header(headers, SIGNATURE)?;
    let timestamp = header(headers, TIMESTAMP)?;
    let given = BASE64.decode(signature).map_err(|_| malformed(SIGNATURE))?;
    let mut mac = hmac_sha256(secret.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)?;
    if window_seconds > 0 {
        let sent = parse_timestamp(timestamp).ok_or_else(|| malformed(TIMESTAMP))?;
        if now.abs_diff(sent) > window_seconds {
            return Err(SignatureError::Stale);
        }
    }
    Ok(())
}

/// A timestamp in seconds since the epoch, from RFC 3339 (`2024-01-01T00:00:00Z`, with or
/// without fractions or an offset), the same with a space or without a zone (taken as UTC),
/// or a Unix time in seconds or milliseconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(number) = text.parse::<i64>() {
        // Unix milliseconds are 13 digits until the year 2286; seconds are 10.
        return Some(if number.abs() >= 100_000_000_000 { number / 1000 } else { number });
    }
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp());
    }
    let normalised = text.replacen(' ', "T", 1);
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(&normalised) {
        return Some(time.timestamp());
    }
    let naive = normalised.trim_end_matches(['Z', 'z']);
    chrono::NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc().timestamp())
}

pub fn parse(body: &[u8], config: &ZendeskSupportWebhook) -> Result<Vec<InboundEvent>, ParseError> {
    let payload = json(body)?;
    let event = match text(&payload, "/type") {
        Some(kind) if kind.starts_with("zen:event-type:") => subscription(&payload, &kind, config)?,
        _ => trigger(&payload, body, config)?,
    };
    Ok(event.into_iter().collect())
}

fn is_closed(status: &str) -> bool {
    status.eq_ignore_ascii_case("solved") || status.eq_ignore_ascii_case("closed")
}

/// Option A: the trigger's own template.
fn trigger(payload: &Value, body: &[u8], config: &ZendeskSupportWebhook) -> Result<Option<InboundEvent>, ParseError> {
    let ticket = required(payload, "/ticket_id", "ticket_id")?;
    // The template's own id if it has one; else the body itself names the event (a retry
    // repeats the body byte for byte).
    let event_id = text(payload, "/event_id").unwrap_or_else(|| body_id(body));
    let status = text(payload, "/status").unwrap_or_default();
    let comment = text(payload, "/comment").map(|c| c.trim().to_string()).filter(|c| !c.is_empty());
    let author_id = text(payload, "/author_id");
    let by_api_user = author_id.is_some() && author_id == config.api_user_id;
    let by_end_user = text(payload, "/author_role").is_some_and(|r| r.eq_ignore_ascii_case("end-user"));
    let kind = match comment {
        // A reply submitted as solved also fires the close trigger, which closes: only the
        // message here, so the visitor sees it before the hand-back.
        Some(comment) if text(payload, "/event").as_deref() != Some("closed") => {
            if by_api_user || by_end_user {
                return Ok(None);
            }
            let agent_name = text(payload, "/author_name").unwrap_or_default();
            InboundKind::AgentMessage {
                agent_id: author_id.unwrap_or_else(|| agent_name.clone()),
                agent_name,
                text: comment, files: vec![],
            }
        }
        _ if text(payload, "/event").as_deref() == Some("closed") || is_closed(&status) => {
            if by_api_user {
                // Baton solved it itself (the visitor left): nothing to hand back.
                return Ok(None);
            }
            InboundKind::Closed
        }
        _ => return Ok(None),
    };
    Ok(Some(InboundEvent { event_id, remote_conversation_id: ticket, kind }))
}

/// Option B: Zendesk's event subscription payloads.
fn subscription(
    payload: &Value,
    kind: &str,
    config: &ZendeskSupportWebhook,
) -> Result<Option<InboundEvent>, ParseError> {
    let event_id = required(payload, "/id", "id")?;
    let ticket = text(payload, "/detail/id")
        .or_else(|| text(payload, "/subject").and_then(|s| s.strip_prefix("zen:ticket:").map(str::to_string)))
        .ok_or(ParseError::Missing("detail.id"))?;
    let kind = match kind {
        "zen:event-type:ticket.comment_added" => {
            let comment = payload.pointer("/event/comment").ok_or(ParseError::Missing("event.comment"))?;
            let author_id = text(comment, "/author/id");
            let is_public = comment.get("is_public").and_then(Value::as_bool).unwrap_or(false);
            let is_staff = comment.pointer("/author/is_staff").and_then(Value::as_bool).unwrap_or(false);
            let by_api_user = author_id.is_some() && author_id == config.api_user_id;
            let Some(body) = text(comment, "/body").filter(|_| is_public && is_staff && !by_api_user) else {
                return Ok(None);
            };
            let agent_name = text(comment, "/author/name").unwrap_or_default();
            InboundKind::AgentMessage { agent_id: author_id.unwrap_or_default(), agent_name, text: body, files: vec![] }
        }
        "zen:event-type:ticket.status_changed" => {
            let status =
                text(payload, "/detail/status").or_else(|| text(payload, "/event/current")).unwrap_or_default();
            if !is_closed(&status) {
                return Ok(None);
            }
            InboundKind::Closed
        }
        _ => return Ok(None),
    };
    Ok(Some(InboundEvent { event_id, remote_conversation_id: ticket, kind }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn config() -> ZendeskSupportWebhook {
        ZendeskSupportWebhook {
            signing_secret: "s".into(),
            timestamp_window_seconds: 300,
            api_user_id: Some("900".into()),
        }
    }

    fn parse_json(value: Value) -> Vec<InboundEvent> {
        parse(&serde_json::to_vec(&value).unwrap(), &config()).unwrap()
    }

    #[test]
    fn trigger_agent_comment() {
        let events = parse_json(json!({"ticket_id": "35436", "status": "open", "comment": "We are on it.\n\"Quoted\"",
            "author_id": "501", "author_name": "Sam Agent", "author_role": "agent",
            "requester_email": "visitor@example.com", "external_id": "chat-8c1f"}));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].remote_conversation_id, "35436");
        assert!(events[0].event_id.starts_with("sha256:"));
        assert_eq!(
            events[0].kind,
            InboundKind::AgentMessage {
                agent_id: "501".into(),
                agent_name: "Sam Agent".into(),
                text: "We are on it.\n\"Quoted\"".into(), files: vec![]
            }
        );
        // The SPEC 9 vector's body: a numeric-looking id and a comment, nothing else.
        let events = parse(br#"{"ticket_id":"123","comment":"Hello from agent"}"#, &config()).unwrap();
        assert!(matches!(&events[0].kind, InboundKind::AgentMessage { text, .. } if text == "Hello from agent"));
        // Same body twice, same id; the template's own id wins when present.
        let with_id = json!({"ticket_id": 1, "comment": "x", "event_id": "evt-1"});
        assert_eq!(parse_json(with_id)[0].event_id, "evt-1");
    }

    #[test]
    fn trigger_echoes_and_close() {
        assert!(parse_json(
            json!({"ticket_id": "1", "comment": "Order 1234", "author_id": "900", "author_role": "admin"})
        )
        .is_empty());
        assert!(parse_json(json!({"ticket_id": "1", "comment": "hi", "author_role": "end-user"})).is_empty());
        assert!(parse_json(json!({"ticket_id": "1", "status": "open", "comment": ""})).is_empty());
        let closed = parse_json(json!({"ticket_id": "1", "status": "solved", "event": "closed"}));
        assert_eq!(closed[0].kind, InboundKind::Closed);
        assert_eq!(parse_json(json!({"ticket_id": 1, "status": "closed"}))[0].kind, InboundKind::Closed);
        // A reply submitted as solved: the message only (the close trigger closes).
        let reply = parse_json(json!({"ticket_id": "1", "status": "solved", "comment": "Done!", "author_id": "501"}));
        assert!(matches!(reply[0].kind, InboundKind::AgentMessage { .. }));
        assert!(
            parse_json(json!({"ticket_id": "1", "status": "solved", "event": "closed", "author_id": "900"})).is_empty()
        );
    }

    #[test]
    fn event_subscription_comment_and_status() {
        let comment = json!({"type": "zen:event-type:ticket.comment_added", "account_id": 22129848, "id": "d4f5c389-1",
            "time": "2025-01-08T14:25:30.123456789Z", "zendesk_event_version": "2022-11-06", "subject": "zen:ticket:5158",
            "detail": {"id": "5158", "status": "OPEN", "requester_id": "8447388090494", "via": {"channel": "web_service"}},
            "event": {"comment": {"id": "9876543210", "body": "We are investigating…", "is_public": true,
                "author": {"id": "8447388090495", "is_staff": true, "name": "Support Agent"}}}});
        let events = parse_json(comment.clone());
        assert_eq!(
            events,
            vec![InboundEvent {
                event_id: "d4f5c389-1".into(),
                remote_conversation_id: "5158".into(),
                kind: InboundKind::AgentMessage {
                    agent_id: "8447388090495".into(),
                    agent_name: "Support Agent".into(),
                    text: "We are investigating…".into(), files: vec![]
                },
            }]
        );
        let mut private = comment.clone();
        private["event"]["comment"]["is_public"] = json!(false);
        let mut visitor = comment.clone();
        visitor["event"]["comment"]["author"]["is_staff"] = json!(false);
        let mut api_user = comment;
        api_user["event"]["comment"]["author"]["id"] = json!("900");
        for echo in [private, visitor, api_user] {
            assert!(parse_json(echo).is_empty());
        }
        let solved = json!({"type": "zen:event-type:ticket.status_changed", "id": "e2", "subject": "zen:ticket:5158",
            "detail": {"id": "5158", "status": "SOLVED"}, "event": {"current": "SOLVED", "previous": "OPEN"}});
        assert_eq!(parse_json(solved)[0].kind, InboundKind::Closed);
        let pending = json!({"type": "zen:event-type:ticket.status_changed", "id": "e3", "detail": {"id": "5158", "status": "PENDING"}});
        assert!(parse_json(pending).is_empty());
    }

    #[test]
    fn malformed() {
        assert!(matches!(parse(b"{\"comment\":\"x\"}", &config()), Err(ParseError::Missing("ticket_id"))));
        assert!(matches!(parse(b"<html>", &config()), Err(ParseError::Json(_))));
    }
}

/// SPEC.md section 9's test vectors for this check, plus the ways a delivery must fail.
#[cfg(test)]
mod verify_tests {
    use axum::http::HeaderMap;

    use super::{verify as zendesk, *};
    use crate::connectors::signature::test_headers as headers;

    const ZENDESK_SECRET: &str = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==";
    const ZENDESK_BODY: &str = r#"{"ticket_id":"123","comment":"Hello from agent"}"#;
    const ZENDESK_TS: &str = "2024-01-01T00:00:00Z";
    const ZENDESK_SIG: &str = "JM/ndYMbT5Vm15i3M7dGu9uEWgOAda+kZ0b6H7Mjdfc=";
    /// 2024-01-01T00:00:00Z.
    const NEW_YEAR_2024: i64 = 1_704_067_200;

    fn zendesk_headers(signature: &str, timestamp: &str) -> HeaderMap {
        headers(&[("X-Zendesk-Webhook-Signature", signature), ("X-Zendesk-Webhook-Signature-Timestamp", timestamp)])
    }

    #[test]
    fn zendesk_vector() {
        let h = zendesk_headers(ZENDESK_SIG, ZENDESK_TS);
        assert_eq!(zendesk(ZENDESK_SECRET, &h, ZENDESK_BODY.as_bytes(), NEW_YEAR_2024 + 60, 300), Ok(()));
    }

    #[test]
    fn zendesk_failures() {
        let h = zendesk_headers(ZENDESK_SIG, ZENDESK_TS);
        let body = ZENDESK_BODY.as_bytes();
        let now = NEW_YEAR_2024;
        assert_eq!(zendesk(ZENDESK_SECRET, &h, b"{\"ticket_id\":\"124\"}", now, 300), Err(SignatureError::Mismatch));
        assert_eq!(zendesk("other", &h, body, now, 300), Err(SignatureError::Mismatch));
        // The timestamp is signed: changing it breaks the signature.
        let moved = zendesk_headers(ZENDESK_SIG, "2024-01-01T00:00:01Z");
        assert_eq!(zendesk(ZENDESK_SECRET, &moved, body, now, 300), Err(SignatureError::Mismatch));
        assert_eq!(zendesk(ZENDESK_SECRET, &h, body, now + 301, 300), Err(SignatureError::Stale));
        assert_eq!(zendesk(ZENDESK_SECRET, &h, body, now - 301, 300), Err(SignatureError::Stale));
        // A window of 0 turns the age check off.
        assert_eq!(zendesk(ZENDESK_SECRET, &h, body, now + 86_400, 0), Ok(()));
        let missing = headers(&[("X-Zendesk-Webhook-Signature", ZENDESK_SIG)]);
        assert!(matches!(zendesk(ZENDESK_SECRET, &missing, body, now, 300), Err(SignatureError::Missing(_))));
        let garbage = zendesk_headers("***", ZENDESK_TS);
        assert!(matches!(zendesk(ZENDESK_SECRET, &garbage, body, now, 300), Err(SignatureError::Malformed(_))));
    }

    #[test]
    fn zendesk_timestamp_variants() {
        for text in [
            "2024-01-01T00:00:00Z",
            "2024-01-01T00:00:00.000Z",
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T01:00:00+01:00",
            "2024-01-01 00:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.123456789Z",
            "1704067200",
            "1704067200000",
        ] {
            assert_eq!(parse_timestamp(text), Some(NEW_YEAR_2024), "{text}");
        }
        assert_eq!(parse_timestamp("yesterday"), None);
    }


    #[test]
    fn an_empty_secret_is_refused_before_the_signature_is_compared() {
        assert!(matches!(zendesk("", &HeaderMap::new(), b"{}", 0, 300), Err(SignatureError::BadKey(_))));
    }
}
