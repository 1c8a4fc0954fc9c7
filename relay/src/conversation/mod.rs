//! The conversation engine.
//!
//! Each live conversation is one actor task ([`actor`]) that owns its state and is the only
//! writer of its events, so sequence numbers and the order "visitor message, then bot answer"
//! hold without locks. Sessions talk to it through a [`Registry`] of bounded command channels.
//! What to do with an input is decided by the pure [`machine`]; the actor only carries it out.

mod actor;
pub mod machine;
mod registry;

use shared::Visitor;
use tokio::sync::oneshot;

pub use registry::Registry;

/// What a session can ask of a conversation.
#[derive(Debug)]
pub enum Command {
    /// A new conversation starts: post the greeting.
    Greet,
    /// A visitor message; the reply is the stored sequence number (also for a duplicate).
    VisitorMessage {
        client_id: String,
        text: String,
        reply: oneshot::Sender<Result<u64, ConversationError>>,
    },
    /// The host page identified the visitor.
    Identify(Visitor),
}

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error("storage failed: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("site {0:?} is not configured")]
    UnknownSite(String),
    #[error("the conversation is shutting down")]
    Closed,
}
