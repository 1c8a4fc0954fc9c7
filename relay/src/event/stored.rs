//! Conversation events as the relay stores them: [`Event`] and what it holds, and their JSON
//! form in the `body` column ([`to_json`], [`from_json`]).
//!
//! These types belong to the relay. The protocol's `shared::ConversationEvent` is what clients
//! see; `crate::wire` maps these to it, so a new protocol version changes the mapping, not the
//! rows already stored, and a change here is a new [`SCHEMA`] with a migration.
//!
//! The stored JSON carries its schema version, `v`. Schema 1 was the wire format of protocol
//! v1, without `v`; schema 2 is the same fields plus `"v": 2` (migrations SQLite 0023 and
//! PostgreSQL 0004 add it to every stored row). A row without `v` still reads as schema 1: a
//! relay older than those migrations, still running during a rolling upgrade, may write one;
//! and it reads schema 2 rows itself, since it ignores fields it does not know. A row of a
//! schema this relay does not know is refused ([`SchemaError::Version`]), never misread.

use serde::{Deserialize, Serialize};

use super::{Phase, Reason};

/// The schema [`to_json`] writes.
pub const SCHEMA: u64 = 2;

/// One stored event of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Per-conversation sequence number, starting at 1, without gaps.
    pub seq: u64,
    /// When the relay stored the event, in milliseconds since the Unix epoch.
    pub at: i64,
    #[serde(flatten)]
    pub body: EventBody,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventBody {
    /// A chat message from the visitor, the bot, an agent or the system.
    Message(Message),
    /// Who owns the conversation changed.
    Phase(PhaseChange),
    /// The visitor rated the chat with an agent, 1 to 5.
    Rating { score: u8 },
}

/// A change of owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseChange {
    pub phase: Phase,
    /// The agent's display name (`agent` and `ended`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// Why the handover started (`waiting`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub author: Author,
    pub text: String,
    /// The id the visitor's client gave the message (visitor messages only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Buttons offered with the message.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReply>,
    /// The help article the bot answered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The streamed draft this message completes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_id: Option<String>,
    /// Files sent with the message (`crate::attachments`), stored by reference: their bytes
    /// live in the attachment storage. Absent in rows without any, so schema 2 still holds.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file sent with a message, as stored with it. The signed address clients get is made
/// each time the event is sent (`crate::wire`), so it never goes stale in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

impl Message {
    /// A message of `author` with nothing but its text.
    pub fn new(author: Author, text: impl Into<String>) -> Self {
        Self {
            author,
            text: text.into(),
            client_id: None,
            quick_replies: vec![],
            source: None,
            draft_id: None,
            attachments: vec![],
        }
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub role: Role,
    /// Display name (the bot's or the agent's); absent for the visitor and the system.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Author {
    pub fn visitor() -> Self {
        Self { role: Role::Visitor, name: None }
    }
    pub fn bot(name: impl Into<String>) -> Self {
        Self { role: Role::Bot, name: Some(name.into()) }
    }
    pub fn system() -> Self {
        Self { role: Role::System, name: None }
    }
    pub fn agent(name: impl Into<String>) -> Self {
        Self { role: Role::Agent, name: Some(name.into()) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Visitor,
    Bot,
    Agent,
    System,
}

/// A button under a message: without an `action` it sends `payload` as the visitor's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuickReply {
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub payload: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<Action>,
}

/// What a quick reply does instead of sending text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    RequestHandover,
    CancelHandover,
    Rate { score: u8 },
    OpenUrl { url: String },
}

/// A help article a bot answer is drawn from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub title: String,
    pub url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("not a stored event: {0}")]
    Malformed(#[from] serde_json::Error),
    #[error("stored event schema {0}; this relay reads schemas 1 to {SCHEMA}")]
    Version(u64),
}

/// `body` as the store keeps it: JSON of schema [`SCHEMA`].
pub fn to_json(body: &EventBody) -> String {
    #[derive(Serialize)]
    struct Versioned<'a> {
        v: u64,
        #[serde(flatten)]
        body: &'a EventBody,
    }
    // Plain data (strings, numbers, enums with string tags): serialising cannot fail.
    serde_json::to_string(&Versioned { v: SCHEMA, body }).unwrap_or_default()
}

/// A stored body of any schema this relay reads.
pub fn from_json(json: &str) -> Result<EventBody, SchemaError> {
    #[derive(Deserialize)]
    struct Version {
        #[serde(default = "schema_1")]
        v: u64,
    }
    fn schema_1() -> u64 {
        1
    }
    let Version { v } = serde_json::from_str(json)?;
    if !(1..=SCHEMA).contains(&v) {
        return Err(SchemaError::Version(v));
    }
    // Schema 1 is schema 2 without `v`: one reading serves both.
    Ok(serde_json::from_str(json)?)
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::{json, Value};

    use super::*;

    /// `body` is stored as `expected` (and reads back as `body`).
    fn check(body: EventBody, expected: Value) {
        let stored = to_json(&body);
        assert_eq!(serde_json::from_str::<Value>(&stored).unwrap(), expected, "{stored}");
        assert_eq!(from_json(&stored).unwrap(), body);
    }

    /// A bot answer with every kind of button, a source and a draft id: what it holds, and its
    /// JSON (stored, without `v`; and on the wire, without `seq` and `at`).
    pub(crate) fn answer() -> (Message, Value) {
        let button =
            |title: &str, action| QuickReply { title: title.into(), payload: String::new(), action: Some(action) };
        let answer = Message {
            quick_replies: vec![
                QuickReply { title: "Thanks".into(), payload: "thanks".into(), action: None },
                button("Person", Action::RequestHandover),
                button("Cancel", Action::CancelHandover),
                button("5", Action::Rate { score: 5 }),
                button("Form", Action::OpenUrl { url: "/f".into() }),
            ],
            source: Some(Source { title: "Delivery".into(), url: "/help/demo/delivery".into() }),
            draft_id: Some("d-1".into()),
            ..Message::new(Author::bot("Baton"), "Parcels take 3 days.")
        };
        let json = json!({"kind": "message", "author": {"role": "bot", "name": "Baton"}, "text": "Parcels take 3 days.",
            "quick_replies": [
                {"title": "Thanks", "payload": "thanks"},
                {"title": "Person", "action": {"type": "request_handover"}},
                {"title": "Cancel", "action": {"type": "cancel_handover"}},
                {"title": "5", "action": {"type": "rate", "score": 5}},
                {"title": "Form", "action": {"type": "open_url", "url": "/f"}}],
            "source": {"title": "Delivery", "url": "/help/demo/delivery"}, "draft_id": "d-1"});
        (answer, json)
    }

    /// The stored form of each kind of event, pinned: a change that alters it fails here and
    /// needs a new schema and a migration.
    #[test]
    fn every_kind_of_event_is_stored_in_schema_2() {
        let (answer, mut expected) = answer();
        expected["v"] = SCHEMA.into();
        check(EventBody::Message(answer), expected);
        let asked = Message { client_id: Some("m-1".into()), ..Message::new(Author::visitor(), "hi") };
        check(
            EventBody::Message(asked),
            json!({"v": 2, "kind": "message", "author": {"role": "visitor"}, "text": "hi", "client_id": "m-1"}),
        );
        for (author, role) in [(Author::system(), "system"), (Author::agent("Alex"), "agent")] {
            let name = author.name.clone();
            let mut expected = json!({"v": 2, "kind": "message", "author": {"role": role}, "text": "x"});
            if let Some(name) = name {
                expected["author"]["name"] = name.into();
            }
            check(EventBody::Message(Message::new(author, "x")), expected);
        }
        for reason in Reason::ALL {
            let waiting = PhaseChange { phase: Phase::Waiting, agent_name: None, reason: Some(reason) };
            check(
                EventBody::Phase(waiting),
                json!({"v": 2, "kind": "phase", "phase": "waiting", "reason": reason.as_str()}),
            );
        }
        for phase in Phase::ALL {
            let change = PhaseChange { phase, agent_name: Some("Sam".into()), reason: None };
            check(
                EventBody::Phase(change),
                json!({"v": 2, "kind": "phase", "phase": phase.as_str(), "agent_name": "Sam"}),
            );
        }
        check(EventBody::Rating { score: 4 }, json!({"v": 2, "kind": "rating", "score": 4}));
        let photo = Attachment { id: "a1".into(), name: "p.png".into(), content_type: "image/png".into(), size: 3 };
        check(
            EventBody::Message(Message { attachments: vec![photo], ..Message::new(Author::visitor(), "") }),
            json!({"v": 2, "kind": "message", "author": {"role": "visitor"}, "text": "",
                "attachments": [{"id": "a1", "name": "p.png", "content_type": "image/png", "size": 3}]}),
        );
    }

    #[test]
    fn schema_1_rows_without_a_version_read_as_before() {
        let body = from_json(r#"{"kind":"phase","phase":"waiting","reason":"explicit_request"}"#).unwrap();
        let expected = PhaseChange { phase: Phase::Waiting, agent_name: None, reason: Some(Reason::ExplicitRequest) };
        assert_eq!(body, EventBody::Phase(expected));
        assert_eq!(from_json(r#"{"v":1,"kind":"rating","score":3}"#).unwrap(), EventBody::Rating { score: 3 });
    }

    #[test]
    fn other_schemas_and_garbage_are_refused() {
        assert!(matches!(from_json(r#"{"v":3,"kind":"rating","score":3}"#), Err(SchemaError::Version(3))));
        assert!(matches!(from_json(r#"{"v":0,"kind":"rating","score":3}"#), Err(SchemaError::Version(0))));
        assert!(matches!(from_json(r#"{"v":3,"kind":"poll"}"#), Err(SchemaError::Version(3))), "version first");
        assert!(matches!(from_json(r#"{"v":2,"kind":"poll"}"#), Err(SchemaError::Malformed(_))));
        assert!(matches!(from_json(r#"{"kind":"phase","phase":"lunch"}"#), Err(SchemaError::Malformed(_))));
        assert!(matches!(from_json("[]"), Err(SchemaError::Malformed(_))));
    }
}
