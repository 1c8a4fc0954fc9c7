//! What a helpdesk's webhook means, without the helpdesk: the delivery as the connectors' checks
//! see it, the provider-neutral events every parser produces, why a delivery is refused, and the
//! small tools the parsers share (tolerant field access, content-addressed ids).
//!
//! Parsers read `serde_json::Value` through JSON pointers rather than typed structs: vendors
//! send ids as strings or numbers and add fields freely, and a missing optional field must
//! never fail a delivery.

use axum::http::{HeaderMap, Method, Uri};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::SignatureError;

/// A webhook delivery as it was received, for a connector's check and parser.
pub struct Delivery<'a> {
    pub headers: &'a HeaderMap,
    pub method: &'a Method,
    pub uri: &'a Uri,
    pub body: &'a [u8],
    /// Milliseconds since the epoch, read once per delivery.
    pub now_ms: i64,
}

/// Why a connector refused a delivery: its proof does not hold (401, or 500 for an unusable
/// key of ours), or its body cannot be read (400).
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Signature(#[from] SignatureError),
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// One thing an agent did in the helpdesk, about one remote conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundEvent {
    /// The de-duplication key (SPEC 8.2): deliveries are at-least-once.
    pub event_id: String,
    /// The helpdesk's conversation, ticket or thread id.
    pub remote_conversation_id: String,
    pub kind: InboundKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum InboundKind {
    /// `agent_name` is empty when the payload does not carry it (Freshchat, some HubSpot and
    /// Intercom events): whoever consumes the event looks the agent up.
    AgentJoined {
        agent_id: String,
        agent_name: String,
    },
    AgentMessage {
        agent_id: String,
        agent_name: String,
        /// May be empty when the message is files only.
        text: String,
        /// Files the agent sent, at the helpdesk's addresses (absent in events stored before
        /// files were read).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        files: Vec<RemoteFile>,
    },
    AgentTyping {
        on: bool,
    },
    /// The agent closed, solved or resolved it, or handed control back.
    Closed,
}

/// A file an agent sent, where the helpdesk keeps it; copied into Baton's storage before the
/// visitor sees it (`crate::attachments::Attachments::copy_from`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteFile {
    pub url: String,
    /// The helpdesk's name or alt text for it, if any.
    #[serde(default)]
    pub name: Option<String>,
    /// The type the helpdesk claims (never believed: the bytes are sniffed).
    #[serde(default)]
    pub content_type: Option<String>,
}

/// A body the relay cannot read: answered 400 and logged with the body, so nothing is lost.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("the body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the payload has no {0}")]
    Missing(&'static str),
}

pub(super) fn json(body: &[u8]) -> Result<Value, ParseError> {
    Ok(serde_json::from_slice(body)?)
}

/// The string or number at `pointer`, as text; `None` when absent, null or empty.
pub(super) fn text(value: &Value, pointer: &str) -> Option<String> {
    match value.pointer(pointer)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Like [`text`], but a missing value fails the parse.
pub(super) fn required(value: &Value, pointer: &str, what: &'static str) -> Result<String, ParseError> {
    text(value, pointer).ok_or(ParseError::Missing(what))
}

/// A boolean that templating helpdesks may render as text (`"true"`, `"True"`, `"1"`).
pub(super) fn flag(value: &Value, pointer: &str) -> Option<bool> {
    match value.pointer(pointer)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" | "" => Some(false),
            _ => None,
        },
        Value::Number(n) => Some(n.as_i64() != Some(0)),
        _ => None,
    }
}

/// A content-addressed event id for helpdesks whose templates carry no id of their own: a
/// redelivery of the same body is the same event. Templates should include something that
/// changes per update (see docs/webhooks.md), or two identical replies would merge.
pub(super) fn body_id(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("sha256:{}", hex::encode(&digest[..16]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_fields() {
        let v: Value = serde_json::json!({"a": 1, "b": "x", "c": "", "d": null, "t": "True", "f": false});
        assert_eq!(text(&v, "/a").as_deref(), Some("1"));
        assert_eq!(text(&v, "/b").as_deref(), Some("x"));
        assert_eq!(text(&v, "/c"), None);
        assert_eq!(text(&v, "/d"), None);
        assert_eq!(flag(&v, "/t"), Some(true));
        assert_eq!(flag(&v, "/f"), Some(false));
        assert_eq!(body_id(b"x"), body_id(b"x"));
        assert_ne!(body_id(b"x"), body_id(b"y"));
    }
}
