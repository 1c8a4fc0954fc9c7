//! Fan-out of live conversation events to every session watching a conversation.
//!
//! The bus carries notifications only; the store is the source of truth. A subscriber that
//! falls behind (a lagged broadcast receiver), sees a gap in sequence numbers, or is told
//! [`BusMessage::Resync`] re-reads the store, so a slow socket or a lost message never loses
//! an event. In-process by default ([`LocalBus`]); with a Redis URL configured, [`RedisBus`]
//! carries every topic between the relays sharing that Redis (the same local broadcast per
//! topic, fed from Redis), so a visitor on one relay and an agent on another see each other.

mod envelope;
mod local;
mod redis;

use std::sync::Arc;

use crate::event::{Author, EmailStep, Event};
use futures_util::future::BoxFuture;
use tokio::sync::broadcast;

pub use envelope::EnvelopeError;
pub use local::LocalBus;
pub use redis::{RedisBus, RedisSettings};

/// What travels on a conversation's topic.
#[derive(Debug, Clone, PartialEq)]
pub enum BusMessage {
    /// A stored event. Boxed: a topic's buffer holds a message in each of its slots whether
    /// used or not (one topic per open conversation), and an event is by far the largest.
    Event(Box<Event>),
    /// Someone is (or stopped) writing. Ephemeral: not stored.
    Typing { author: Author, on: bool },
    /// The bot's answer so far, while it streams (an empty text withdraws it). Ephemeral.
    Draft { draft_id: String, author: Author, text: String },
    /// The conversation's place in the waiting line.
    Queue { position: u32, wait_seconds: u64 },
    /// The widget should show its email prompt. Ephemeral (a reconnecting widget is asked again
    /// from the stored state).
    AskEmail { step: EmailStep },
    /// The summary passed on at a handover, for the visitor (with the contact form's address
    /// on a site whose helpdesk is a link). Ephemeral (a reconnecting widget gets the stored one).
    Summary { text: String, link: Option<String> },
    /// On the [`INBOX`] topic: this conversation changed in a way agents see (phase, summary,
    /// new message). Agent sessions re-read it from the store.
    InboxChanged { conversation_id: String },
    /// Messages of this topic may have been lost (the bus lost its connection, a relay could
    /// not publish for a while, a subscription just became live): whoever shows the topic
    /// re-reads it from the store, exactly as after a lagged receiver. Never stored, never
    /// published by the relay's own code: drivers deliver it locally.
    Resync,
    /// On [`crate::conversation::LEASES`]: a relay wants the conversation `holder` (an actor)
    /// holds; that actor hands it over after the commands it has.
    ReleaseLease { conversation_id: String, holder: String },
    /// On [`crate::conversation::LEASES`]: the conversation's lease was given up.
    LeaseFreed { conversation_id: String },
    /// On [`PRESENCE`]: the agents online at relay `node` (sent on change and periodically;
    /// relays forget a relay that stopped sending).
    Presence { node: String, agents: Vec<OnlineAgent> },
    /// On [`crate::queue::QUEUE`]: the site's waiting line changed; relays re-read it.
    QueueChanged { site: String },
    /// On [`crate::site_settings::SETTINGS`]: the site's settings in the database changed;
    /// relays re-read them.
    SettingsChanged { site: String },
    /// On [`INBOX`]: the dashboard account was revoked; its inbox sockets close at once.
    AccountRevoked { account_id: String },
}

/// An agent online at some relay, as [`BusMessage::Presence`] carries it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OnlineAgent {
    pub id: String,
    pub name: String,
    /// Site keys, or `*`.
    pub sites: Vec<String>,
}

/// The topic relays share their agents' presence on.
pub const PRESENCE: &str = "_presence";

/// The topic agent sessions watch for changes to the conversation list.
pub const INBOX: &str = "_inbox";

/// The driver behind a [`Bus`].
pub trait Driver: Send + Sync + 'static {
    fn publish(&self, conversation_id: &str, message: BusMessage);
    fn subscribe(&self, conversation_id: &str) -> broadcast::Receiver<BusMessage>;
    /// Whether the server behind the bus answers (readiness); the in-process bus always does.
    fn ping(&self) -> BoxFuture<'static, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }
}

/// A cheap, cloneable handle on the pub/sub driver.
#[derive(Clone)]
pub struct Bus(Arc<dyn Driver>);

impl Bus {
    pub fn local() -> Self {
        Self(Arc::new(LocalBus::default()))
    }

    /// Redis pub/sub between relays ([`RedisBus`]). Connects in the background: a relay starts
    /// (and serves its own sessions) while Redis is down, and catches up when it is back.
    pub fn redis(settings: RedisSettings) -> Result<Self, ::redis::RedisError> {
        Ok(Self(Arc::new(RedisBus::start(settings)?)))
    }

    pub fn publish(&self, conversation_id: &str, message: BusMessage) {
        self.0.publish(conversation_id, message);
    }

    pub fn subscribe(&self, conversation_id: &str) -> broadcast::Receiver<BusMessage> {
        self.0.subscribe(conversation_id)
    }

    /// A round trip to Redis when the bus is Redis (`/readyz`).
    pub async fn ping(&self) -> Result<(), String> {
        self.0.ping().await
    }
}
