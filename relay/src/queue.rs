//! The waiting line per site: who waits for an agent, in order, and the estimate each visitor
//! is shown. Rebuilt from the store at start; every change re-announces positions to the
//! waiting conversations. With several relays, a change is noticed on the bus ([`QUEUE`]) and
//! every relay re-reads the line from the store ([`Queue::follow`]).

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use tokio_util::sync::CancellationToken;

use crate::{
    agents::Presence,
    pubsub::{Bus, BusMessage},
    state::Sites,
    store::{Store, StoreError},
};

/// The topic relays tell each other on that a site's line changed.
pub const QUEUE: &str = "_queue";
/// With several relays, the line is also re-read this often (a notice may have been lost).
const RELOAD_EVERY: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct Queue {
    // A std mutex: list edits only, never held across `.await`.
    waiting: Arc<Mutex<HashMap<String, Vec<Entry>>>>,
    bus: Bus,
    presence: Presence,
    /// Several relays: changes are told on [`QUEUE`].
    shared: Arc<AtomicBool>,
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
        Self { waiting: Arc::default(), bus, presence, shared: Arc::default() }
    }

    /// Replaces every line with the conversations the store has waiting, and announces them.
    pub async fn load(&self, store: &dyn Store, sites: &Sites) -> Result<(), StoreError> {
        let mut lines: HashMap<String, Vec<Entry>> = HashMap::new();
        for waiting in store.conversations_in(&[crate::event::Phase::Waiting]).await? {
            let handling_seconds =
                sites.get(&waiting.site).map_or(180, |s| (s.config.handover.average_handling_minutes * 60.0) as u64);
            let since = waiting.handover.waiting_since.unwrap_or(waiting.updated_at);
            lines.entry(waiting.site).or_default().push(Entry { since, conversation_id: waiting.id, handling_seconds });
        }
        let sites: Vec<String> = {
            let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
            for line in lines.values_mut() {
                line.sort_by(|a, b| a.since.cmp(&b.since).then_with(|| a.conversation_id.cmp(&b.conversation_id)));
            }
            let emptied: Vec<String> = waiting.keys().filter(|site| !lines.contains_key(*site)).cloned().collect();
            for site in emptied {
                lines.insert(site, Vec::new());
            }
            let sites = lines.keys().cloned().collect();
            *waiting = lines;
            sites
        };
        for site in sites {
            self.announce(&site);
        }
        Ok(())
    }

    /// Several relays: re-reads the line from the store whenever a relay says it changed (and
    /// every [`RELOAD_EVERY`]), until `stop`.
    pub async fn follow(self, store: Arc<dyn Store>, sites: Sites, stop: CancellationToken) {
        self.shared.store(true, Ordering::Relaxed);
        let mut notices = self.bus.subscribe(QUEUE);
        let mut every = tokio::time::interval(RELOAD_EVERY);
        loop {
            let reload = tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => true,
                // A change, a resync, or notices missed: all mean the same.
                _ = notices.recv() => true,
            };
            if reload {
                if let Err(error) = self.load(store.as_ref(), &sites).await {
                    tracing::warn!(%error, "cannot re-read the waiting line");
                }
            }
        }
    }

    /// Tells the other relays that `site`'s line changed (several relays only).
    fn changed(&self, site: &str) {
        if self.shared.load(Ordering::Relaxed) {
            self.bus.publish(QUEUE, BusMessage::QueueChanged { site: site.to_string() });
        }
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
        self.changed(site);
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
        // Even if this relay did not know it: another one may.
        self.changed(site);
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

    /// Two relays: the line one changes is the line the other shows.
    #[tokio::test]
    async fn relays_follow_each_others_changes() {
        let dir = tempfile::tempdir().unwrap();
        let config = crate::config::Config {
            database_url: format!("sqlite://{}/q.db", dir.path().display()),
            ..crate::config::Config::default()
        };
        let state = crate::build_state(config).await.unwrap();
        let bus = Bus::local();
        let (a, b) = (Queue::new(bus.clone(), Presence::default()), Queue::new(bus.clone(), Presence::default()));
        let stop = CancellationToken::new();
        tokio::spawn(a.clone().follow(state.store.clone(), state.sites.clone(), stop.clone()));
        tokio::spawn(b.clone().follow(state.store.clone(), state.sites.clone(), stop.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        let id = state.store.create_conversation("demo", "h").await.unwrap().id;
        let waiting = crate::store::Handover {
            phase: crate::event::Phase::Waiting,
            waiting_since: Some(5),
            ..Default::default()
        };
        state.store.set_handover(&id, &waiting).await.unwrap();
        a.join("demo", &id, 5, 180);
        let in_line = async {
            while b.place("demo", &id).is_none() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), in_line).await.expect("b learns of the new place in line");
        state.store.set_handover(&id, &crate::store::Handover::default()).await.unwrap();
        // The relay that takes it out of the line need not be the one that put it there.
        b.leave("demo", &id);
        let out = async {
            while a.place("demo", &id).is_some() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), out).await.expect("a learns it left the line");
        stop.cancel();
    }
}
