//! The in-process bus: one `tokio::sync::broadcast` channel per conversation that has watchers.

use std::{collections::HashMap, sync::Mutex};

use tokio::sync::broadcast;

use super::{BusMessage, Driver};

/// Per-topic buffer, allocated in full when the topic opens. A session that falls further
/// behind gets `Lagged` and re-reads the store, so a small buffer loses nothing; it only keeps
/// each open conversation cheap.
const TOPIC_CAPACITY: usize = 32;

#[derive(Default)]
pub struct LocalBus {
    // A std mutex: every critical section is a map lookup with no `.await` inside.
    topics: Mutex<HashMap<String, broadcast::Sender<BusMessage>>>,
}

impl Driver for LocalBus {
    fn publish(&self, conversation_id: &str, message: BusMessage) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = topics.get(conversation_id) {
            if sender.send(message).is_err() {
                // Nobody listens any more: drop the topic so the map does not grow forever.
                topics.remove(conversation_id);
            }
        }
    }

    fn subscribe(&self, conversation_id: &str) -> broadcast::Receiver<BusMessage> {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics.entry(conversation_id.to_string()).or_insert_with(|| broadcast::channel(TOPIC_CAPACITY).0).subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Author;

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
        assert!(bus.topics.lock().unwrap().is_empty());
    }
}
