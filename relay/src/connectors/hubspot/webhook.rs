//! HubSpot webhooks (SPEC 4(c)): the custom channel's `OUTGOING_CHANNEL_MESSAGE_CREATED` (an
//! agent wrote to the visitor) and the app's `conversation.*` subscriptions (the thread was
//! closed or assigned). Either may come as one object or an array.
//!
//! The remote conversation is HubSpot's thread id (`conversationsThreadId`, `objectId`), the one
//! id both kinds share. Only outgoing messages from agent actors (`A-…`) count: Baton's own
//! messages are INCOMING and visitor actors are `V-…`. `conversation.newMessage` carries no text
//! (the custom-channel event does), so it is not mapped.

use axum::http::HeaderMap;
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use hmac::Mac;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use serde_json::Value;

use crate::connectors::inbound::{Delivery, json, text, InboundEvent, InboundKind, ParseError};
use crate::connectors::signature::{header, hmac_sha256, malformed, usable, SignatureError};

/// HubSpot's maximum age of a signed request: 5 minutes, in milliseconds (`MAX_ALLOWED_TIMESTAMP`).
pub const HUBSPOT_WINDOW_MS: i64 = 300_000;

/// What HubSpot signed besides the body: the method and the full URL it called.
pub struct HubspotRequest<'a> {
    /// Uppercase, e.g. `POST`.
    pub method: &'a str,
    /// Candidate URLs (scheme, host, path and query) as HubSpot may have called them; behind a
    /// proxy the relay cannot know for sure, so the caller passes every plausible one.
    pub uris: &'a [String],
}

/// HubSpot v3: `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(client_secret, method + uri +
/// body + timestamp)), `X-HubSpot-Request-Timestamp` in Unix milliseconds, refused when more
/// than 5 minutes from `now_ms` either way.
///
/// Which percent-encoded characters HubSpot decodes in the URI before signing is UNCONFIRMED:
/// each candidate URI is tried as given and with HubSpot's documented list decoded.
pub fn verify(
    client_secret: &str,
    request: &HubspotRequest<'_>,
    headers: &HeaderMap,
    body: &[u8],
    now_ms: i64,
) -> Result<(), SignatureError> {
    usable(client_secret)?;
    const SIGNATURE: &str = "X-HubSpot-Signature-v3";
    const TIMESTAMP: &str = "X-HubSpot-Request-Timestamp";
    let signature = header(headers, SIGNATURE)?;
    let timestamp = header(headers, TIMESTAMP)?;
    let sent: i64 = timestamp.parse().map_err(|_| malformed(TIMESTAMP))?;
    if now_ms.abs_diff(sent) > HUBSPOT_WINDOW_MS as u64 {
        return Err(SignatureError::Stale);
    }
    let given = BASE64.decode(signature).map_err(|_| malformed(SIGNATURE))?;
    let mut candidates: Vec<String> = Vec::with_capacity(request.uris.len() * 2);
    for uri in request.uris {
        let decoded = decode(uri);
        candidates.push(uri.clone());
        if decoded != *uri {
            candidates.push(decoded);
        }
    }
    let matches = candidates.iter().any(|uri| {
        let mut mac = hmac_sha256(client_secret.as_bytes());
        mac.update(request.method.as_bytes());
        mac.update(uri.as_bytes());
        mac.update(body);
        mac.update(timestamp.as_bytes());
        mac.verify_slice(&given).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The percent-encodings HubSpot's request-validation page lists as decoded before signing.
fn decode(uri: &str) -> String {
    const DECODED: [(&str, &str); 12] = [
        ("%3A", ":"),
        ("%2F", "/"),
        ("%3F", "?"),
        ("%40", "@"),
        ("%21", "!"),
        ("%24", "$"),
        ("%27", "'"),
        ("%28", "("),
        ("%29", ")"),
        ("%2A", "*"),
        ("%2C", ","),
        ("%3B", ";"),
    ];
    let mut out = uri.to_string();
    for (encoded, plain) in DECODED {
        out = out.replace(encoded, plain).replace(&encoded.to_ascii_lowercase(), plain);
    }
    out
}

/// HubSpot's legacy signatures, for webhooks that carry no v3 header (custom-channel webhooks
/// may not: UNCONFIRMED). v1 = hex SHA-256(secret + body), v2 = hex SHA-256(secret + method +
/// uri + body). Neither is timestamped, so only opt-in (`legacy_signatures = true`).
pub fn verify_legacy(client_secret: &str, request: &HubspotRequest<'_>, headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    usable(client_secret)?;
    const SIGNATURE: &str = "X-HubSpot-Signature";
    let given = hex::decode(header(headers, SIGNATURE)?).map_err(|_| malformed(SIGNATURE))?;
    let version = headers.get("X-HubSpot-Signature-Version").and_then(|v| v.to_str().ok()).unwrap_or("v1");
    let digest = |parts: &[&[u8]]| {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize()
    };
    let matches = match version {
        "v2" => request.uris.iter().any(|uri| {
            let expected = digest(&[client_secret.as_bytes(), request.method.as_bytes(), uri.as_bytes(), body]);
            bool::from(expected.as_slice().ct_eq(&given))
        }),
        _ => bool::from(digest(&[client_secret.as_bytes(), body]).as_slice().ct_eq(&given)),
    };
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The full URLs HubSpot may have signed: the configured public URL, else the forwarded or
/// direct host with `https` (what HubSpot calls) and `http` (a relay reached directly).
pub fn uris(public_url: Option<&str>, delivery: &Delivery<'_>) -> Vec<String> {
    let path = delivery.uri.path_and_query().map_or("/", |p| p.as_str());
    if let Some(base) = public_url {
        return vec![format!("{}{path}", base.trim_end_matches('/'))];
    }
    let header = |name: &str| delivery.headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    let Some(host) = header("x-forwarded-host").or_else(|| header("host")).or(delivery.uri.host()) else {
        return Vec::new();
    };
    let forwarded = header("x-forwarded-proto").map(|p| p.split(',').next().unwrap_or(p).trim().to_string());
    let mut schemes: Vec<String> = forwarded.into_iter().collect();
    for scheme in ["https", "http"] {
        if !schemes.iter().any(|s| s == scheme) {
            schemes.push(scheme.to_string());
        }
    }
    schemes.iter().map(|scheme| format!("{scheme}://{host}{path}")).collect()
}

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
            text: text(message, "/text")?, files: vec![],
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
                    text: "Hi Ada, I can help.".into(), files: vec![]
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

/// SPEC.md section 9's test vectors for this check, plus the ways a delivery must fail.
#[cfg(test)]
mod verify_tests {
    use axum::http::HeaderMap;

    use super::{verify as hubspot, verify_legacy as hubspot_legacy, *};
    use crate::connectors::signature::test_headers as headers;

    const HUBSPOT_BODY: &str =
        r#"[{"eventId":1,"subscriptionType":"conversation.newMessage","objectId":123,"messageId":"abc"}]"#;
    const HUBSPOT_SIG: &str = "qfQnmqOlGxQ77x7hgEeAtMECuDm4BN0aAbAG4jJ6f1U=";
    const HUBSPOT_TS: i64 = 1_704_067_200_000;

    fn hubspot_headers(signature: &str, timestamp: &str) -> HeaderMap {
        headers(&[("X-HubSpot-Signature-v3", signature), ("X-HubSpot-Request-Timestamp", timestamp)])
    }

    #[test]
    fn hubspot_vector() {
        let uris = ["https://example.com/webhooks/hubspot".to_string()];
        let request = HubspotRequest { method: "POST", uris: &uris };
        let h = hubspot_headers(HUBSPOT_SIG, "1704067200000");
        assert_eq!(hubspot("test-client-secret", &request, &h, HUBSPOT_BODY.as_bytes(), HUBSPOT_TS + 1_000), Ok(()));
        // The right URI among several candidates (e.g. http and https behind a proxy) is found.
        let uris = ["http://example.com/webhooks/hubspot".to_string(), "https://example.com/webhooks/hubspot".to_string()];
        let request = HubspotRequest { method: "POST", uris: &uris };
        assert_eq!(hubspot("test-client-secret", &request, &h, HUBSPOT_BODY.as_bytes(), HUBSPOT_TS), Ok(()));
    }

    #[test]
    fn hubspot_failures() {
        let uris = ["https://example.com/webhooks/hubspot".to_string()];
        let request = HubspotRequest { method: "POST", uris: &uris };
        let h = hubspot_headers(HUBSPOT_SIG, "1704067200000");
        let body = HUBSPOT_BODY.as_bytes();
        assert_eq!(hubspot("test-client-secret", &request, &h, b"[]", HUBSPOT_TS), Err(SignatureError::Mismatch));
        assert_eq!(hubspot("other", &request, &h, body, HUBSPOT_TS), Err(SignatureError::Mismatch));
        let other_uri = ["https://example.com/webhooks/other".to_string()];
        let moved = HubspotRequest { method: "POST", uris: &other_uri };
        assert_eq!(hubspot("test-client-secret", &moved, &h, body, HUBSPOT_TS), Err(SignatureError::Mismatch));
        // Five minutes and one millisecond later: stale, even though the signature is right.
        assert_eq!(hubspot("test-client-secret", &request, &h, body, HUBSPOT_TS + 300_001), Err(SignatureError::Stale));
        assert_eq!(hubspot("test-client-secret", &request, &h, body, HUBSPOT_TS + 300_000), Ok(()));
        let seconds = hubspot_headers(HUBSPOT_SIG, "not-a-number");
        assert!(matches!(
            hubspot("test-client-secret", &request, &seconds, body, HUBSPOT_TS),
            Err(SignatureError::Malformed(_))
        ));
        let missing = headers(&[("X-HubSpot-Signature-v3", HUBSPOT_SIG)]);
        assert!(matches!(
            hubspot("test-client-secret", &request, &missing, body, HUBSPOT_TS),
            Err(SignatureError::Missing(_))
        ));
    }

    #[test]
    fn hubspot_decodes_the_uri_when_signed_decoded() {
        // HubSpot signs some percent-encoded characters decoded: a signature over the decoded URI
        // verifies against the encoded one the relay saw.
        let decoded = "https://example.com/webhooks/hubspot/demo?token=a:b";
        let source = format!("POST{decoded}{HUBSPOT_BODY}{HUBSPOT_TS}");
        let mut mac = hmac_sha256(b"test-client-secret");
        mac.update(source.as_bytes());
        let signature = BASE64.encode(mac.finalize().into_bytes());
        let uris = ["https://example.com/webhooks/hubspot/demo?token=a%3Ab".to_string()];
        let request = HubspotRequest { method: "POST", uris: &uris };
        let h = hubspot_headers(&signature, &HUBSPOT_TS.to_string());
        assert_eq!(hubspot("test-client-secret", &request, &h, HUBSPOT_BODY.as_bytes(), HUBSPOT_TS), Ok(()));
    }

    #[test]
    fn hubspot_legacy_v1_and_v2() {
        let uris = ["https://example.com/webhooks/hubspot".to_string()];
        let request = HubspotRequest { method: "POST", uris: &uris };
        let v1 = hex::encode(Sha256::digest(format!("secret{HUBSPOT_BODY}")));
        let h = headers(&[("X-HubSpot-Signature", &v1)]);
        assert_eq!(hubspot_legacy("secret", &request, &h, HUBSPOT_BODY.as_bytes()), Ok(()));
        assert_eq!(hubspot_legacy("other", &request, &h, HUBSPOT_BODY.as_bytes()), Err(SignatureError::Mismatch));
        let v2 = hex::encode(Sha256::digest(format!("secretPOST{}{HUBSPOT_BODY}", uris[0])));
        let h = headers(&[("X-HubSpot-Signature", &v2), ("X-HubSpot-Signature-Version", "v2")]);
        assert_eq!(hubspot_legacy("secret", &request, &h, HUBSPOT_BODY.as_bytes()), Ok(()));
    }
}
