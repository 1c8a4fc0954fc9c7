//! One writer per conversation across relays: the actor of a conversation runs only while its
//! relay holds the conversation's lease in the store.
//!
//! An actor takes the lease as it starts ([`Leases::acquire`]); the relay's one heartbeat renews
//! every lease the relay holds every third of the TTL, all in one statement (a heartbeat per
//! actor was a write per conversation every few seconds: 600 a second for 2,000 live chats). A relay that gets a command for a conversation another relay holds asks
//! for it ([`BusMessage::ReleaseLease`] on [`LEASES`], and a flag in the lease row the holder
//! sees when it renews, should the bus be down); the holder's actor finishes the commands it
//! has, gives the lease up ([`BusMessage::LeaseFreed`]) and exits; the asking relay's actor
//! then takes it and loads the conversation from the store, redoing what was left pending,
//! exactly as after a crash. A relay killed outright stops renewing: its leases expire after
//! the TTL and the next command takes them. Single-relay deployments have no [`Leases`] and
//! pay nothing for this.

use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex, Weak,
    },
    time::{Duration, Instant},
};

use tokio::sync::watch;

use crate::{
    pubsub::{Bus, BusMessage},
    store::{LeaseOutcome, Renewal, Store, StoreError},
};

/// The bus topic of lease requests and releases.
pub const LEASES: &str = "_leases";
/// A waiting relay asks the holder again this often (a request may have been lost).
const ASK_AGAIN: Duration = Duration::from_secs(1);
/// Polling the store while waiting: from the first delay, doubling, up to the last (a freed
/// notice on the bus wakes the waiter sooner).
const POLL_FIRST: Duration = Duration::from_millis(5);
const POLL_MAX: Duration = Duration::from_millis(200);

/// This relay's side of the leases.
pub struct Leases {
    store: Arc<dyn Store>,
    bus: Bus,
    node: String,
    ttl: Duration,
    serial: AtomicU64,
    held: Held,
}

/// The leases this relay holds, by conversation, as the heartbeat renews them.
type Held = Arc<Mutex<HashMap<String, Holding>>>;

/// One held lease, as the heartbeat knows it.
struct Holding {
    holder: String,
    /// Last taken or renewed.
    renewed: Instant,
    report: watch::Sender<LeaseState>,
}

/// How an actor waits for its conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// Until the holder hands it over or lets it expire (a command is waiting).
    Patient,
    /// Not at all: a live holder keeps it (waking conversations that may have work left).
    IfFree,
}

/// What the heartbeat learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    Held,
    /// Another relay wants the conversation: hand it over after the commands at hand.
    ReleaseRequested,
    /// The lease expired and may be another's: stop writing at once.
    Lost,
}

/// A held lease; renewed until released or dropped.
pub struct Lease {
    store: Arc<dyn Store>,
    bus: Bus,
    conversation_id: String,
    holder: String,
    state: watch::Receiver<LeaseState>,
    held: Held,
}

impl Leases {
    /// Starts the relay's heartbeat (on the current tokio runtime); it ends with the last
    /// handle on the leases.
    pub fn new(store: Arc<dyn Store>, bus: Bus, node: String, ttl: Duration) -> Self {
        let held = Held::default();
        tokio::spawn(heartbeat(store.clone(), Arc::downgrade(&held), ttl));
        Self { store, bus, node, ttl, serial: AtomicU64::new(0), held }
    }

    /// A name for the next actor of this relay.
    pub fn next_holder(&self) -> String {
        format!("{}/{}", self.node, self.serial.fetch_add(1, Ordering::Relaxed))
    }

    fn ttl_ms(&self) -> i64 {
        self.ttl.as_millis() as i64
    }

    /// Takes the conversation's lease for `holder`. `None`: another relay holds it and `wait`
    /// is [`Wait::IfFree`].
    pub async fn acquire(&self, conversation_id: &str, holder: &str, wait: Wait) -> Result<Option<Lease>, StoreError> {
        let mut notices = self.bus.subscribe(LEASES);
        let mut delay = POLL_FIRST;
        let mut asked: Option<(String, Instant)> = None;
        let started = Instant::now();
        loop {
            let current = match self.store.acquire_lease(conversation_id, holder, &self.node, self.ttl_ms()).await? {
                LeaseOutcome::Acquired => break,
                LeaseOutcome::Held { holder, .. } => holder,
            };
            if wait == Wait::IfFree {
                return Ok(None);
            }
            let ask = !current.is_empty()
                && asked.as_ref().is_none_or(|(who, when)| *who != current || when.elapsed() >= ASK_AGAIN);
            if ask {
                tracing::debug!(conversation = %conversation_id, holder = %current, "asking for a conversation's lease");
                self.store.request_release(conversation_id, &current).await?;
                let request =
                    BusMessage::ReleaseLease { conversation_id: conversation_id.into(), holder: current.clone() };
                self.bus.publish(LEASES, request);
                asked = Some((current, Instant::now()));
            }
            let sleep = tokio::time::sleep(delay);
            tokio::pin!(sleep);
            loop {
                tokio::select! {
                    () = &mut sleep => break,
                    notice = notices.recv() => match notice {
                        Ok(BusMessage::LeaseFreed { conversation_id: freed }) if freed == conversation_id => break,
                        Ok(_) => continue,
                        Err(_) => break,
                    },
                }
            }
            delay = (delay * 2).min(POLL_MAX);
        }
        if started.elapsed() > Duration::from_millis(500) {
            tracing::info!(conversation = %conversation_id, waited = ?started.elapsed(), "took over a conversation's lease");
        }
        let (report, state) = watch::channel(LeaseState::Held);
        let holding = Holding { holder: holder.to_string(), renewed: Instant::now(), report };
        lock(&self.held).insert(conversation_id.to_string(), holding);
        Ok(Some(Lease {
            store: self.store.clone(),
            bus: self.bus.clone(),
            conversation_id: conversation_id.to_string(),
            holder: holder.to_string(),
            state,
            held: self.held.clone(),
        }))
    }
}

fn lock(held: &Held) -> std::sync::MutexGuard<'_, HashMap<String, Holding>> {
    held.lock().unwrap_or_else(|e| e.into_inner())
}

/// Renews every lease the relay holds every third of `ttl`, in one statement, and tells each
/// holder what became of its lease: wanted by another relay, or lost. A renewal that fails (the
/// store unreachable) is tried again at the next beat; a lease not renewed for `ttl` counts as
/// lost. Ends when the relay's leases are dropped.
async fn heartbeat(store: Arc<dyn Store>, held: Weak<Mutex<HashMap<String, Holding>>>, ttl: Duration) {
    let ttl_ms = ttl.as_millis() as i64;
    let mut ticks = tokio::time::interval(ttl / 3);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let Some(held) = held.upgrade() else { return };
        let leases: Vec<(String, String)> =
            lock(&held).iter().map(|(conversation, h)| (conversation.clone(), h.holder.clone())).collect();
        if leases.is_empty() {
            continue;
        }
        let pairs: Vec<(&str, &str)> = leases.iter().map(|(c, h)| (c.as_str(), h.as_str())).collect();
        let renewed = store.renew_leases(&pairs, ttl_ms).await;
        let mut held = lock(&held);
        let renewals = match renewed {
            Ok(renewals) => renewals,
            Err(error) => {
                tracing::warn!(%error, leases = leases.len(), "could not renew this relay's conversation leases");
                held.retain(|conversation, h| {
                    if h.renewed.elapsed() < ttl {
                        return true;
                    }
                    tracing::error!(conversation = %conversation, "a conversation's lease expired unrenewed");
                    let _ = h.report.send(LeaseState::Lost);
                    false
                });
                continue;
            }
        };
        for ((conversation, holder), renewal) in leases.iter().zip(renewals) {
            // Released (or taken again by a newer actor here) while the statement ran.
            let Some(h) = held.get_mut(conversation).filter(|h| h.holder == *holder) else { continue };
            let state = match renewal {
                Renewal::Kept { release_requested } => {
                    h.renewed = Instant::now();
                    if !release_requested {
                        continue;
                    }
                    LeaseState::ReleaseRequested
                }
                Renewal::Lost => LeaseState::Lost,
            };
            let _ = h.report.send(state);
            if state == LeaseState::Lost {
                held.remove(conversation);
            }
        }
    }
}

impl Lease {
    /// Resolves when the heartbeat learns the lease is wanted elsewhere or lost.
    pub async fn changed(&mut self) -> LeaseState {
        match self.state.wait_for(|state| *state != LeaseState::Held).await {
            Ok(state) => *state,
            // The heartbeat ended without reporting: it only does so after `Lost`.
            Err(_) => LeaseState::Lost,
        }
    }

    /// No longer renewed by the heartbeat.
    fn forget(&self) {
        let mut held = lock(&self.held);
        if held.get(&self.conversation_id).is_some_and(|h| h.holder == self.holder) {
            held.remove(&self.conversation_id);
        }
    }

    /// Gives the lease up and tells waiting relays.
    pub async fn release(self) {
        self.forget();
        if let Err(error) = self.store.release_lease(&self.conversation_id, &self.holder).await {
            // It expires after the TTL instead.
            tracing::warn!(conversation = %self.conversation_id, %error, "could not release a conversation's lease");
        }
        self.bus.publish(LEASES, BusMessage::LeaseFreed { conversation_id: self.conversation_id.clone() });
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.forget();
    }
}
