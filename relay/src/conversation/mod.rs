//! The conversation engine.
//!
//! Each live conversation is one actor task ([`actor`]) that owns its state and is the only
//! writer of its events, so sequence numbers, the order "visitor message, then bot answer",
//! and who may speak hold without locks. Sessions, the agent API and the HTTP channel talk to
//! it through a [`Registry`] of bounded command channels. What to do with an input is decided
//! by the pure [`machine`]; the actor only carries it out.

mod actor;
mod draft;
pub mod lease;
pub mod machine;
mod recent;
mod registry;
pub mod signals;

use std::sync::Arc;

use tokio::sync::oneshot;

pub use lease::{Leases, LEASES};
pub use machine::{AgentRef, Channel, Refusal};
pub use registry::Registry;

use crate::{agents::Presence, pubsub::Bus, queue::Queue, store::Store};

/// What an actor needs from the rest of the relay.
#[derive(Clone)]
pub struct Deps {
    pub store: Arc<dyn Store>,
    pub bus: Bus,
    pub queue: Queue,
    pub presence: Presence,
    pub outbox: crate::outbox::Outbox,
    pub metrics: crate::metrics::Metrics,
    /// Visitors' files, linked in what is forwarded to helpdesks.
    pub attachments: crate::attachments::Attachments,
    /// Actors run on its tracker; once its token is cancelled they finish what is queued and exit.
    pub shutdown: crate::state::Shutdown,
}

/// What the visitor did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VisitorAction {
    Message {
        client_id: String,
        text: String,
        /// Files uploaded for this conversation, checked by the edge.
        attachments: Vec<crate::event::Attachment>,
    },
    RequestHandover,
    CancelHandover,
    Rate {
        score: u8,
    },
    /// The visitor gave or changed their email in the widget's prompt (checked already).
    Email {
        email: String,
    },
    /// The visitor declined the prompt asked before a handover.
    SkipEmail,
}

/// What an agent did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentAction {
    Accept,
    /// With files the agent uploaded for this conversation (checked by the edge).
    Message {
        text: String,
        attachments: Vec<crate::event::Attachment>,
    },
    Typing {
        on: bool,
    },
    End,
}

/// Replies: the stored sequence number of the visitor's or agent's message, if one was stored.
pub type Reply = oneshot::Sender<Result<Option<u64>, ConversationError>>;

/// What a session can ask of a conversation.
#[derive(Debug)]
pub enum Command {
    /// A new conversation starts: post the greeting.
    Greet,
    /// The visitor acted. `stored` is answered as soon as a message is stored (before the bot
    /// answers); `done` once every effect was carried out, with the conversation's last `seq`.
    Visitor { action: VisitorAction, channel: Channel, stored: Option<Reply>, done: Option<oneshot::Sender<u64>> },
    /// The host page identified the visitor (checked against the site's signature already).
    Identify(crate::identity::Identity),
    /// An agent acted.
    Agent { agent: AgentRef, action: AgentAction, reply: Reply },
    /// The helpdesk said something (from a verified webhook). `key` names the event (an agent
    /// message is stored once per key); `done` is answered once it was applied or refused.
    Helpdesk { event: HelpdeskEvent, key: String, done: Reply },
    /// What became of the handover in the outbox.
    Outbox(crate::outbox::Outcome),
    /// Tell the visitor something that is no input of the conversation's (how the emailing of
    /// their transcript went): a system message.
    Notice { text: String },
}

/// What a helpdesk tells Baton about a conversation handed to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HelpdeskEvent {
    AgentJoined {
        agent: AgentRef,
    },
    AgentMessage {
        agent: AgentRef,
        text: String,
        /// The agent's files, already copied into Baton's storage for this conversation.
        attachments: Vec<crate::event::Attachment>,
    },
    /// The agent who owns the conversation is typing (helpdesks do not always say who).
    AgentTyping {
        on: bool,
    },
    /// The agent closed the conversation or ticket there.
    Closed,
}

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error("storage failed: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("site {0:?} is not configured")]
    UnknownSite(String),
    #[error("conversation {0} not found")]
    NotFound(String),
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("the conversation is shutting down")]
    Closed,
    #[error("{0}")]
    Failed(String),
}
