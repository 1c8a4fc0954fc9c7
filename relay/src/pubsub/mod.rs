//! Fan-out of live conversation events to every session watching a conversation.
//!
//! The bus carries notifications only; the store is the source of truth. A subscriber that
//! falls behind (a lagged broadcast receiver) or sees a gap in sequence numbers re-reads the
//! store, so a slow socket never loses an event. In-process by default; a Redis driver for
//! several relay nodes plugs in behind the same [`Bus`] later.

mod local;

use std::sync::Arc;

use shared::{Author, ConversationEvent};
use tokio::sync::broadcast;

pub use local::LocalBus;

/// What travels on a conversation's topic.
#[derive(Debug, Clone, PartialEq)]
pub enum BusMessage {
    /// A stored event.
    Event(ConversationEvent),
    /// Someone is (or stopped) writing. Ephemeral: not stored.
    Typing { author: Author, on: bool },
    /// The bot's answer so far, while it streams (an empty text withdraws it). Ephemeral.
    Draft { draft_id: String, author: Author, text: String },
    /// The conversation's place in the waiting line.
    Queue { position: u32, wait_seconds: u64 },
    /// On the [`INBOX`] topic: this conversation changed in a way agents see (phase, summary,
    /// new message). Agent sessions re-read it from the store.
    InboxChanged { conversation_id: String },
}

/// The topic agent sessions watch for changes to the conversation list.
pub const INBOX: &str = "_inbox";

/// The driver behind a [`Bus`].
pub trait Driver: Send + Sync + 'static {
    fn publish(&self, conversation_id: &str, message: BusMessage);
    fn subscribe(&self, conversation_id: &str) -> broadcast::Receiver<BusMessage>;
}

/// A cheap, cloneable handle on the pub/sub driver.
#[derive(Clone)]
pub struct Bus(Arc<dyn Driver>);

impl Bus {
    pub fn local() -> Self {
        Self(Arc::new(LocalBus::default()))
    }

    pub fn publish(&self, conversation_id: &str, message: BusMessage) {
        self.0.publish(conversation_id, message);
    }

    pub fn subscribe(&self, conversation_id: &str) -> broadcast::Receiver<BusMessage> {
        self.0.subscribe(conversation_id)
    }
}
