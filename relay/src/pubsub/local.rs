//! The in-process bus: one `tokio::sync::broadcast` channel per conversation that has watchers.
//! [`Topics`] is that map; the Redis driver feeds the same map from Redis.

use std::{collections::HashMap, sync::Mutex};

use tokio::sync::broadcast;

use super::{BusMessage, Driver};

/// A conversation topic's buffer, allocated in full when the topic opens (one per open
/// conversation, so it is most of an idle visitor's memory: 32 slots cost 5 KiB per socket,
/// measured with `BENCH_ONLY=idle scripts/bench.sh`). A session that falls further behind gets
/// `Lagged` and re-reads the store, so a small buffer loses nothing.
const CONVERSATION_CAPACITY: usize = 8;
/// The shared topics (`_inbox`, `_presence`, `_queue`, leases: names starting with `_`) carry
/// every conversation's notices; their readers recover from a lag more slowly (a re-sent
/// presence, a lease asked again), so they keep a larger buffer. There are only a few.
const SHARED_CAPACITY: usize = 32;

fn capacity(topic: &str) -> usize {
    if topic.starts_with('_') {
        SHARED_CAPACITY
    } else {
        CONVERSATION_CAPACITY
    }
}

/// The topics this process has subscribers for, each a broadcast channel.
#[derive(Default)]
pub(super) struct Topics {
    // A std mutex: every critical section is a map lookup with no `.await` inside.
    senders: Mutex<HashMap<String, broadcast::Sender<BusMessage>>>,
}

impl Topics {
    /// A receiver of `topic`; `opened` runs (under the map's lock, so in order with
    /// [`Topics::deliver`]'s `closed`) when the topic had no subscriber before.
    pub fn subscribe(&self, topic: &str, opened: impl FnOnce()) -> broadcast::Receiver<BusMessage> {
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = senders.get(topic) {
            return sender.subscribe();
        }
        let (sender, receiver) = broadcast::channel(capacity(topic));
        senders.insert(topic.to_string(), sender);
        opened();
        receiver
    }

    /// Sends to the topic's local subscribers. A topic nobody listens to any more is dropped
    /// (so the map does not grow forever) and `closed` runs, under the map's lock.
    pub fn deliver(&self, topic: &str, message: BusMessage, closed: impl FnOnce()) {
        let mut senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = senders.get(topic) {
            if sender.send(message).is_err() {
                senders.remove(topic);
                closed();
            }
        }
    }

    /// The topics open now.
    pub fn names(&self) -> Vec<String> {
        self.senders.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect()
    }

    /// Whether `topic` has a local subscriber entry.
    pub fn is_open(&self, topic: &str) -> bool {
        self.senders.lock().unwrap_or_else(|e| e.into_inner()).contains_key(topic)
    }

    /// Tells every open topic's subscribers to re-read the store.
    pub fn resync_all(&self) {
        let senders = self.senders.lock().unwrap_or_else(|e| e.into_inner());
        for sender in senders.values() {
            let _ = sender.send(BusMessage::Resync);
        }
    }
}

#[derive(Default)]
pub struct LocalBus {
    topics: Topics,
}

impl Driver for LocalBus {
    fn publish(&self, conversation_id: &str, message: BusMessage) {
        self.topics.deliver(conversation_id, message, || {});
    }

    fn subscribe(&self, conversation_id: &str) -> broadcast::Receiver<BusMessage> {
        self.topics.subscribe(conversation_id, || {})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Author;

    #[tokio::test]
    async fn subscribers_of_a_topic_get_its_messages_only() {
        let bus = LocalBus::default();
        let mut a = bus.subscribe("a");
        let mut b = bus.subscribe("b");
        bus.publish("a", BusMessage::Typing { author: Author::bot("x"), on: true });
        assert!(matches!(a.recv().await.unwrap(), BusMessage::Typing { on: true, .. }));
        assert!(b.try_recv().is_err());
    }

    #[tokio::test]
    async fn topics_without_subscribers_are_dropped() {
        let bus = LocalBus::default();
        drop(bus.subscribe("a"));
        bus.publish("a", BusMessage::Typing { author: Author::bot("x"), on: true });
        assert!(bus.topics.names().is_empty());
    }
}
