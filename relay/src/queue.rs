//! The waiting line per site: who waits for an agent, in order, and the estimate each visitor
//! is shown. Rebuilt from the store at start; every change re-announces positions to the
//! waiting conversations.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use crate::{
    agents::Presence,
    pubsub::{Bus, BusMessage},
};

#[derive(Clone)]
pub struct Queue {
    // A std mutex: list edits only, never held across `.await`.
    waiting: Arc<Mutex<HashMap<String, Vec<Entry>>>>,
    bus: Bus,
    presence: Presence,
}

#[derive(Debug, Clone, PartialEq)]
struct Entry {
    since: i64,
    conversation_id: String,
    /// Seconds an agent spends per conversation on this site.
    handling_seconds: u64,
}

/// A visitor's place in line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub position: u32,
    pub wait_seconds: u64,
}

impl Queue {
    pub fn new(bus: Bus, presence: Presence) -> Self {
        Self { waiting: Arc::default(), bus, presence }
    }

    /// Adds a conversation (again: joining twice keeps one entry) and announces positions.
    pub fn join(&self, site: &str, conversation_id: &str, since: i64, handling_seconds: u64) {
        {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            let line = waiting.entry(site.to_string()).or_default();
            line.retain(|e| e.conversation_id != conversation_id);
            line.push(Entry { since, conversation_id: conversation_id.to_string(), handling_seconds });
            line.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.conversation_id.cmp(&b.conversation_id)));
        }
        self.announce(site);
    }

    pub fn leave(&self, site: &str, conversation_id: &str) {
        let removed = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            let line = waiting.entry(site.to_string()).or_default();
            let before = line.len();
            line.retain(|e| e.conversation_id != conversation_id);
            before != line.len()
        };
        if removed {
            self.announce(site);
        }
    }

    /// How many conversations wait, per site that had a line.
    pub fn lengths(&self) -> Vec<(String, usize)> {
        let waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        waiting.iter().map(|(site, line)| (site.clone(), line.len())).collect()
    }

    pub fn place(&self, site: &str, conversation_id: &str) -> Option<Place> {
        let waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let line = waiting.get(site)?;
        let index = line.iter().position(|e| e.conversation_id == conversation_id)?;
        Some(self.place_at(site, index, line[index].handling_seconds))
    }

    fn place_at(&self, site: &str, index: usize, handling_seconds: u64) -> Place {
        // Only the site's own agents take its line.
        let agents = self.presence.online_at(site).max(1) as u64;
        let position = index as u64 + 1;
        Place { position: position as u32, wait_seconds: position.div_ceil(agents) * handling_seconds }
    }

    fn announce(&self, site: &str) {
        let places: Vec<(String, Place)> = {
            let waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            waiting
                .get(site)
                .map(|line| {
                    line.iter()
                        .enumerate()
                        .map(|(i, e)| (e.conversation_id.clone(), self.place_at(site, i, e.handling_seconds)))
                        .collect()
                })
                .unwrap_or_default()
        };
        for (conversation_id, place) in places {
            self.bus.publish(
                &conversation_id,
                BusMessage::Queue { position: place.position, wait_seconds: place.wait_seconds },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn positions_follow_waiting_order_and_move_up() {
        let bus = Bus::local();
        let queue = Queue::new(bus.clone(), Presence::default());
        let mut second = bus.subscribe("b");
        queue.join("demo", "a", 1, 180);
        queue.join("demo", "b", 2, 180);
        queue.join("other", "c", 0, 180);
        assert_eq!(queue.place("demo", "b"), Some(Place { position: 2, wait_seconds: 360 }));
        assert_eq!(second.recv().await.unwrap(), BusMessage::Queue { position: 2, wait_seconds: 360 });
        queue.leave("demo", "a");
        assert_eq!(second.recv().await.unwrap(), BusMessage::Queue { position: 1, wait_seconds: 180 });
        assert_eq!(queue.place("demo", "a"), None);
        assert_eq!(queue.place("other", "c").map(|p| p.position), Some(1));
    }

    #[test]
    fn more_agents_online_shorten_the_wait() {
        let presence = Presence::default();
        let queue = Queue::new(Bus::local(), presence.clone());
        for (i, id) in ["a", "b", "c"].iter().enumerate() {
            queue.join("demo", id, i as i64, 120);
        }
        let _alex = presence.connect(&crate::agents::presence::agent("alex", &["demo"]));
        let _sam = presence.connect(&crate::agents::presence::agent("sam", &["*"]));
        let _kim = presence.connect(&crate::agents::presence::agent("kim", &["shop"]));
        assert_eq!(
            queue.place("demo", "c"),
            Some(Place { position: 3, wait_seconds: 240 }),
            "kim answers another site"
        );
    }
}
