//! Freshchat webhooks (SPEC 5(c)): one URL for every `action`. Agent messages are
//! `message_create` by an `agent` actor; Baton's own writes are `user` (the visitor, forwarded)
//! or `bot`/`system` and are dropped, as are private notes. The agent's name is not in the
//! payload (it takes `GET /v2/agents/{id}`), so it is left empty for the consumer to look up.

use axum::http::HeaderMap;
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use rsa::{pkcs1::DecodeRsaPublicKey, pkcs1v15, pkcs8::DecodePublicKey, signature::Verifier, RsaPublicKey};
use sha2::Sha256;
use serde_json::Value;

use crate::connectors::inbound::{json, required, text, InboundEvent, InboundKind, ParseError, RemoteFile};
use crate::connectors::signature::{header, malformed, SignatureError};

/// The account's Freshchat public key, parsed once from the PEM shown in the webhook settings.
#[derive(Debug, Clone)]
pub struct FreshchatKey(pkcs1v15::VerifyingKey<Sha256>);

impl FreshchatKey {
    /// Accepts SPKI (`BEGIN PUBLIC KEY`), PKCS#1 (`BEGIN RSA PUBLIC KEY`) and the bare base64
    /// body of either, since practitioners report both armours (SPEC 5(c)).
    pub fn from_pem(pem: &str) -> Result<Self, SignatureError> {
        let pem = pem.trim();
        let key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .or_else(|_| {
                let der = BASE64.decode(pem.split_whitespace().collect::<String>()).map_err(|e| e.to_string())?;
                RsaPublicKey::from_public_key_der(&der)
                    .or_else(|_| RsaPublicKey::from_pkcs1_der(&der))
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| SignatureError::BadKey(format!("Freshchat public key: {e}")))?;
        Ok(Self(pkcs1v15::VerifyingKey::new(key)))
    }
}

/// Freshchat: `X-Freshchat-Signature` = base64 RSA-SHA256 (PKCS#1 v1.5) over the body.
pub fn verify(key: &FreshchatKey, headers: &HeaderMap, body: &[u8]) -> Result<(), SignatureError> {
    const NAME: &str = "X-Freshchat-Signature";
    let raw = BASE64.decode(header(headers, NAME)?).map_err(|_| malformed(NAME))?;
    let signature = pkcs1v15::Signature::try_from(raw.as_slice()).map_err(|_| malformed(NAME))?;
    key.0.verify(body, &signature).map_err(|_| SignatureError::Mismatch)
}

pub fn parse(body: &[u8]) -> Result<Vec<InboundEvent>, ParseError> {
    let payload = json(body)?;
    let action = required(&payload, "/action", "action")?;
    let event = match action.as_str() {
        "message_create" => message(&payload)?,
        "conversation_resolution" => {
            let conversation = required(&payload, "/data/resolve/conversation/conversation_id", "conversation_id")?;
            Some(InboundEvent {
                event_id: timed_id(&payload, &action, &conversation),
                remote_conversation_id: conversation,
                kind: InboundKind::Closed,
            })
        }
        "conversation_assignment" => {
            let conversation = required(&payload, "/data/assignment/conversation/conversation_id", "conversation_id")?;
            text(&payload, "/data/assignment/to_agent_id").map(|agent_id| InboundEvent {
                event_id: timed_id(&payload, &action, &conversation),
                remote_conversation_id: conversation,
                kind: InboundKind::AgentJoined { agent_id, agent_name: String::new() },
            })
        }
        _ => None,
    };
    Ok(event.into_iter().collect())
}

/// Events without an id of their own: the action, conversation and time name them.
fn timed_id(payload: &Value, action: &str, conversation: &str) -> String {
    format!("{action}:{conversation}:{}", text(payload, "/action_time").unwrap_or_default())
}

fn message(payload: &Value) -> Result<Option<InboundEvent>, ParseError> {
    let message = payload.pointer("/data/message").ok_or(ParseError::Missing("data.message"))?;
    let actor_type = text(payload, "/actor/actor_type").or_else(|| text(message, "/actor_type"));
    if actor_type.as_deref() != Some("agent") || text(message, "/message_type").as_deref() == Some("private") {
        return Ok(None);
    }
    let conversation = required(message, "/conversation_id", "data.message.conversation_id")?;
    let id = required(message, "/id", "data.message.id")?;
    let parts = message.get("message_parts").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let text_parts: Vec<String> = parts.iter().filter_map(|p| text(p, "/text/content")).collect();
    // `image {url}`, `file {url, name, ...}` (SPEC 5(b)); video is passed on as a link.
    let files: Vec<RemoteFile> = parts
        .iter()
        .filter_map(|p| match (text(p, "/image/url"), text(p, "/file/url")) {
            (Some(url), _) => Some(RemoteFile { url, name: None, content_type: None }),
            (None, Some(url)) => {
                Some(RemoteFile { url, name: text(p, "/file/name"), content_type: text(p, "/file/content_type") })
            }
            _ => None,
        })
        .collect();
    let mut text_parts = text_parts;
    text_parts.extend(parts.iter().filter_map(|p| text(p, "/video/url")));
    if text_parts.is_empty() && files.is_empty() {
        return Ok(None);
    }
    Ok(Some(InboundEvent {
        event_id: format!("message:{id}"),
        remote_conversation_id: conversation,
        kind: InboundKind::AgentMessage {
            agent_id: text(message, "/actor_id").or_else(|| text(payload, "/actor/actor_id")).unwrap_or_default(),
            agent_name: String::new(),
            text: text_parts.join("\n"),
            files,
        },
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn agent_message(actor_type: &str, message_type: &str) -> Vec<u8> {
        serde_json::to_vec(
            &json!({"actor": {"actor_type": actor_type, "actor_id": "ae72b467-a0d2-43a6-a1c7-8cf33d68c7c4"},
            "action": "message_create", "action_time": "2020-04-06T15:59:44.725Z",
            "data": {"message": {"message_parts": [{"text": {"content": "Hi!!! Agent this side"}}],
                "app_id": "87f6d88a", "actor_id": "ae72b467-a0d2-43a6-a1c7-8cf33d68c7c4", "id": "35814612-1",
                "channel_id": "c5456f9e", "conversation_id": "aecf3cc7-138a-4b40-9723-5bf4d1abb97b",
                "message_type": message_type, "actor_type": actor_type, "created_time": "2020-04-06T15:59:44.709Z",
                "user_id": "5cac723a", "message_source": "web"}}}),
        )
        .unwrap()
    }

    #[test]
    fn an_agents_image_and_file_parts_are_files() {
        let mut body: Value = serde_json::from_slice(&agent_message("agent", "normal")).unwrap();
        body["data"]["message"]["message_parts"] = json!([{"text": {"content": "Here"}},
            {"image": {"url": "https://fc.test/p.png"}}, {"file": {"url": "https://fc.test/r.pdf", "name": "r.pdf"}}]);
        let events = parse(&serde_json::to_vec(&body).unwrap()).unwrap();
        let InboundKind::AgentMessage { text, files, .. } = &events[0].kind else { panic!("{events:?}") };
        assert_eq!(text, "Here");
        let urls: Vec<(&str, Option<&str>)> = files.iter().map(|f| (f.url.as_str(), f.name.as_deref())).collect();
        assert_eq!(urls, [("https://fc.test/p.png", None), ("https://fc.test/r.pdf", Some("r.pdf"))]);
    }

    #[test]
    fn agent_message_and_echoes() {
        let events = parse(&agent_message("agent", "normal")).unwrap();
        assert_eq!(
            events,
            vec![InboundEvent {
                event_id: "message:35814612-1".into(),
                remote_conversation_id: "aecf3cc7-138a-4b40-9723-5bf4d1abb97b".into(),
                kind: InboundKind::AgentMessage {
                    agent_id: "ae72b467-a0d2-43a6-a1c7-8cf33d68c7c4".into(),
                    agent_name: String::new(),
                    text: "Hi!!! Agent this side".into(), files: vec![]
                },
            }]
        );
        for (actor, kind) in [("user", "normal"), ("bot", "normal"), ("system", "normal"), ("agent", "private")] {
            assert!(parse(&agent_message(actor, kind)).unwrap().is_empty(), "{actor} {kind}");
        }
    }

    #[test]
    fn resolution_and_assignment() {
        let resolved = json!({"actor": {"actor_type": "agent", "actor_id": "a1"}, "action": "conversation_resolution",
            "action_time": "2020-04-06T16:00:00.000Z",
            "data": {"resolve": {"resolver": "agent", "resolver_id": "a1",
                "conversation": {"conversation_id": "aecf3cc7", "status": "resolved", "channel_id": "c", "app_id": "x"}}}});
        let events = parse(&serde_json::to_vec(&resolved).unwrap()).unwrap();
        assert_eq!(events[0].kind, InboundKind::Closed);
        assert_eq!(events[0].event_id, "conversation_resolution:aecf3cc7:2020-04-06T16:00:00.000Z");
        let assigned = json!({"action": "conversation_assignment", "action_time": "t",
            "data": {"assignment": {"assignor": "system", "to_agent_id": "a2", "to_group_id": "g",
                "conversation": {"conversation_id": "aecf3cc7", "assigned_agent_id": "a2"}}}});
        let events = parse(&serde_json::to_vec(&assigned).unwrap()).unwrap();
        assert_eq!(events[0].kind, InboundKind::AgentJoined { agent_id: "a2".into(), agent_name: String::new() });
        assert!(parse(br#"{"action":"conversation_reopen","data":{}}"#).unwrap().is_empty());
        assert!(matches!(parse(b"{}"), Err(ParseError::Missing("action"))));
        assert!(matches!(
            parse(br#"{"action":"message_create","actor":{"actor_type":"agent"}}"#),
            Err(ParseError::Missing(_))
        ));
    }
}

/// SPEC.md section 9's test vectors for this check, plus the ways a delivery must fail.
#[cfg(test)]
mod verify_tests {
    use axum::http::HeaderMap;
    use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
    use rsa::{
        pkcs1::EncodeRsaPublicKey,
        pkcs1v15::SigningKey,
        pkcs8::{EncodePublicKey, LineEnding},
        signature::{SignatureEncoding, Signer},
        RsaPrivateKey,
    };
    use sha2::Sha256;

    use super::{verify as freshchat, *};
    use crate::connectors::signature::test_headers as headers;

    /// A fresh key pair per run, as SPEC 9 asks. 1024 bits keeps unoptimised test builds quick;
    /// verification does not depend on the size.
    fn freshchat_keys() -> (SigningKey<Sha256>, String, String) {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
        let spki = private.to_public_key().to_public_key_pem(LineEnding::LF).unwrap();
        let pkcs1 = private.to_public_key().to_pkcs1_pem(LineEnding::LF).unwrap();
        (SigningKey::<Sha256>::new(private), spki, pkcs1)
    }

    #[test]
    fn freshchat_rsa() {
        let (signer, spki, pkcs1) = freshchat_keys();
        let body = br#"{"actor":{"actor_type":"agent"},"action":"message_create"}"#;
        let signature = BASE64.encode(signer.sign(body).to_bytes());
        let h = headers(&[("X-Freshchat-Signature", &signature)]);
        let bare: String = spki.lines().filter(|l| !l.starts_with("-----")).collect();
        for pem in [&spki, &pkcs1, &bare] {
            let key = FreshchatKey::from_pem(pem).unwrap();
            assert_eq!(freshchat(&key, &h, body), Ok(()));
        }
        let key = FreshchatKey::from_pem(&spki).unwrap();
        assert_eq!(freshchat(&key, &h, b"{}"), Err(SignatureError::Mismatch));
        let (_, other, _) = freshchat_keys();
        assert_eq!(freshchat(&FreshchatKey::from_pem(&other).unwrap(), &h, body), Err(SignatureError::Mismatch));
        assert!(matches!(freshchat(&key, &HeaderMap::new(), body), Err(SignatureError::Missing(_))));
        let garbage = headers(&[("X-Freshchat-Signature", "%%%")]);
        assert!(matches!(freshchat(&key, &garbage, body), Err(SignatureError::Malformed(_))));
        assert!(matches!(FreshchatKey::from_pem("not a key"), Err(SignatureError::BadKey(_))));
    }
}
