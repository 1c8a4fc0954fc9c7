//! Conversation events as clients see them.
//!
//! Every event the relay stores for a conversation gets the next sequence number of that
//! conversation (1, 2, 3, ...). A client remembers the highest number it has seen and, when it
//! reconnects, asks for everything after it: that is how nothing is missed or shown twice.

use serde::{Deserialize, Serialize};

/// One stored event of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationEvent {
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
    /// Who owns the conversation changed (a handover started, an agent joined, ...).
    Phase(PhaseChange),
    /// The visitor rated the chat with an agent, 1 to 5.
    Rating { score: u8 },
}

/// Who owns the conversation, as clients see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The bot answers.
    Bot,
    /// A person was requested and nobody has joined yet; the bot is silent, the visitor may cancel.
    Waiting,
    /// An agent is chatting.
    Agent,
    /// The agent ended the chat; the visitor may rate it.
    Ended,
}

/// A change of owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhaseChange {
    pub phase: Phase,
    /// The agent's display name (`agent` and `ended`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    /// Why the handover started (`waiting`): `explicit_request`, `frustration`, `cannot_answer`,
    /// `rule` or `topic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub author: Author,
    pub text: String,
    /// The id the visitor's client gave the message (visitor messages only), so the client can
    /// match the stored message with the one it shows as "sending".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// Buttons offered with the message; clicking one sends its `payload` as the visitor.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub quick_replies: Vec<QuickReply>,
    /// Where the answer came from (a help article), when the bot answered from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// The [`crate::ServerFrame::Draft`] this message completes (a streamed bot answer): the
    /// client replaces that draft with this message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft_id: Option<String>,
    /// Files sent with the message (images shown inline, other files as download links).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file sent with a message: uploaded first (`POST /api/v1/sites/{site}/attachments` for the
/// visitor), then named by `id` in the message. `url` is signed and expires: it is made anew
/// each time the relay sends the event, relative to the relay (`/attachments/...`) unless the
/// relay knows its public address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    /// The file's name as the sender gave it (cleaned of paths and control characters).
    pub name: String,
    /// The type sniffed from the bytes (`image/png`, `application/pdf`, `text/plain`, ...).
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    pub url: String,
}

/// What a site's visitors may send (`welcome.attachments`, present only when the site accepts
/// files): the widget refuses other files before uploading them; the relay checks again, by
/// the bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentLimits {
    /// The types allowed (`image/png`, `application/pdf`, `text/plain`, ...).
    pub types: Vec<String>,
    /// The largest file, in bytes.
    pub max_bytes: u64,
}

impl Attachment {
    /// Whether the widget shows it inline (an image), not as a download link.
    pub fn is_image(&self) -> bool {
        self.content_type.starts_with("image/")
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Visitor,
    Bot,
    Agent,
    System,
}

/// A button under a message. Without an `action`, clicking it sends `payload` as the
/// visitor's message; with one, the client sends that action's frame instead.
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
    /// Send `request_handover`.
    RequestHandover,
    /// Send `cancel_handover`.
    CancelHandover,
    /// Send `rate` with this score.
    Rate { score: u8 },
    /// Open this address in a new tab (a contact form, for sites whose helpdesk is a link).
    OpenUrl { url: String },
}

/// A help article a bot answer is drawn from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    pub title: String,
    pub url: String,
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
