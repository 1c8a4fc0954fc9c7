//! What a [`BusMessage`] looks like between relays: a versioned JSON envelope owned by the bus,
//! so a change to a message type is a change here (and a new version), not a silent change of
//! what another relay of a rolling upgrade receives. Only [`super::redis`] uses it.

use crate::event::{Author, EmailStep, Event};
use serde::{Deserialize, Serialize};

use super::{BusMessage, OnlineAgent};

/// The envelope's format. A relay ignores (and logs) envelopes of another version: during a
/// rolling upgrade its sessions catch up from the store instead.
const VERSION: u8 = 1;

#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    #[error("not a bus envelope: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("bus envelope version {0}, this relay reads {VERSION}")]
    Version(u8),
}

/// One message between relays: who sent it and what.
#[derive(Debug, Serialize, Deserialize)]
struct Envelope {
    v: u8,
    /// The sending relay's node id: a relay skips its own messages (it delivered them locally).
    /// (`from`: messages may carry a `node` of their own.)
    from: String,
    #[serde(flatten)]
    message: Carried,
}

/// [`BusMessage`] as it travels.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Carried {
    Event { event: Event },
    Typing { author: Author, on: bool },
    Draft { draft_id: String, author: Author, text: String },
    Queue { position: u32, wait_seconds: u64 },
    AskEmail { step: EmailStep },
    Summary { text: String, link: Option<String> },
    InboxChanged { conversation_id: String },
    Resync,
    ReleaseLease { conversation_id: String, holder: String },
    LeaseFreed { conversation_id: String },
    Presence { node: String, agents: Vec<OnlineAgent> },
    QueueChanged { site: String },
    SettingsChanged { site: String },
    AccountRevoked { account_id: String },
}

impl From<BusMessage> for Carried {
    fn from(message: BusMessage) -> Self {
        match message {
            BusMessage::Event(event) => Self::Event { event: *event },
            BusMessage::Typing { author, on } => Self::Typing { author, on },
            BusMessage::Draft { draft_id, author, text } => Self::Draft { draft_id, author, text },
            BusMessage::Queue { position, wait_seconds } => Self::Queue { position, wait_seconds },
            BusMessage::AskEmail { step } => Self::AskEmail { step },
            BusMessage::Summary { text, link } => Self::Summary { text, link },
            BusMessage::InboxChanged { conversation_id } => Self::InboxChanged { conversation_id },
            BusMessage::Resync => Self::Resync,
            BusMessage::ReleaseLease { conversation_id, holder } => Self::ReleaseLease { conversation_id, holder },
            BusMessage::LeaseFreed { conversation_id } => Self::LeaseFreed { conversation_id },
            BusMessage::Presence { node, agents } => Self::Presence { node, agents },
            BusMessage::QueueChanged { site } => Self::QueueChanged { site },
            BusMessage::SettingsChanged { site } => Self::SettingsChanged { site },
            BusMessage::AccountRevoked { account_id } => Self::AccountRevoked { account_id },
        }
    }
}

impl From<Carried> for BusMessage {
    fn from(carried: Carried) -> Self {
        match carried {
            Carried::Event { event } => Self::Event(Box::new(event)),
            Carried::Typing { author, on } => Self::Typing { author, on },
            Carried::Draft { draft_id, author, text } => Self::Draft { draft_id, author, text },
            Carried::Queue { position, wait_seconds } => Self::Queue { position, wait_seconds },
            Carried::AskEmail { step } => Self::AskEmail { step },
            Carried::Summary { text, link } => Self::Summary { text, link },
            Carried::InboxChanged { conversation_id } => Self::InboxChanged { conversation_id },
            Carried::Resync => Self::Resync,
            Carried::ReleaseLease { conversation_id, holder } => Self::ReleaseLease { conversation_id, holder },
            Carried::LeaseFreed { conversation_id } => Self::LeaseFreed { conversation_id },
            Carried::Presence { node, agents } => Self::Presence { node, agents },
            Carried::QueueChanged { site } => Self::QueueChanged { site },
            Carried::SettingsChanged { site } => Self::SettingsChanged { site },
            Carried::AccountRevoked { account_id } => Self::AccountRevoked { account_id },
        }
    }
}

/// The envelope of `message` from `node`.
pub(super) fn encode(node: &str, message: BusMessage) -> Vec<u8> {
    let envelope = Envelope { v: VERSION, from: node.to_string(), message: message.into() };
    // Plain data (strings, numbers, enums with string tags): serialising cannot fail.
    serde_json::to_vec(&envelope).unwrap_or_default()
}

/// The sending node and the message of an envelope.
pub(super) fn decode(bytes: &[u8]) -> Result<(String, BusMessage), EnvelopeError> {
    #[derive(Deserialize)]
    struct Version {
        v: u8,
    }
    let Version { v } = serde_json::from_slice(bytes)?;
    if v != VERSION {
        return Err(EnvelopeError::Version(v));
    }
    let envelope: Envelope = serde_json::from_slice(bytes)?;
    Ok((envelope.from, envelope.message.into()))
}

#[cfg(test)]
mod tests {
    use crate::event::{EventBody, Message, Phase, PhaseChange, Reason};

    use super::*;

    fn check(message: BusMessage) {
        let bytes = encode("node-a", message.clone());
        let (node, back) = decode(&bytes).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&bytes)));
        assert_eq!((node.as_str(), back), ("node-a", message));
    }

    #[test]
    fn every_message_survives_the_trip() {
        let message = Message {
            author: Author::agent("Sam"),
            text: "Hello".into(),
            client_id: Some("c1".into()),
            quick_replies: vec![],
            source: None,
            draft_id: Some("d".into()),
            attachments: vec![crate::event::Attachment {
                id: "a".into(),
                name: "a.pdf".into(),
                content_type: "application/pdf".into(),
                size: 9,
            }],
        };
        check(BusMessage::Event(Box::new(Event { seq: 7, at: 1_700_000_000_000, body: EventBody::Message(message) })));
        let phase = PhaseChange { phase: Phase::Waiting, agent_name: None, reason: Some(Reason::ExplicitRequest) };
        check(BusMessage::Event(Box::new(Event { seq: 8, at: 1, body: EventBody::Phase(phase) })));
        check(BusMessage::Event(Box::new(Event { seq: 9, at: 2, body: EventBody::Rating { score: 4 } })));
        check(BusMessage::Typing { author: Author::visitor(), on: true });
        check(BusMessage::Draft { draft_id: "d1".into(), author: Author::bot("Bo"), text: "We ship".into() });
        check(BusMessage::Queue { position: 2, wait_seconds: 360 });
        check(BusMessage::AskEmail { step: crate::event::EmailStep::BeforeHandover });
        check(BusMessage::AskEmail { step: crate::event::EmailStep::Unavailable });
        check(BusMessage::Summary { text: "The visitor needs: a refund.".into(), link: None });
        check(BusMessage::Summary { text: "s".into(), link: Some("https://shop.example/contact".into()) });
        check(BusMessage::InboxChanged { conversation_id: "c".into() });
        check(BusMessage::Resync);
        check(BusMessage::ReleaseLease { conversation_id: "c".into(), holder: "n/1".into() });
        check(BusMessage::LeaseFreed { conversation_id: "c".into() });
        let sam = OnlineAgent { id: "sam".into(), name: "Sam".into(), sites: vec!["demo".into()] };
        check(BusMessage::Presence { node: "n".into(), agents: vec![sam] });
        check(BusMessage::QueueChanged { site: "demo".into() });
        check(BusMessage::SettingsChanged { site: "demo".into() });
        check(BusMessage::AccountRevoked { account_id: "a1".into() });
    }

    #[test]
    fn other_versions_and_garbage_are_refused() {
        let other = br#"{"v":2,"from":"n","type":"resync"}"#;
        assert!(matches!(decode(other), Err(EnvelopeError::Version(2))));
        assert!(matches!(decode(b"PING"), Err(EnvelopeError::Malformed(_))));
        assert!(matches!(decode(br#"{"v":1,"from":"n","type":"nope"}"#), Err(EnvelopeError::Malformed(_))));
    }
}
