//! One writer per conversation across relays: the actor of a conversation runs only while its
//! relay holds the conversation's lease in the store.
//!
//! An actor takes the lease as it starts ([`Leases::acquire`]); a heartbeat renews it every
//! third of the TTL. A relay that gets a command for a conversation another relay holds asks
//! for it ([`BusMessage::ReleaseLease`] on [`LEASES`], and a flag in the lease row the holder
//! sees when it renews, should the bus be down); the holder's actor finishes the commands it
//! has, gives the lease up ([`BusMessage::LeaseFreed`]) and exits; the asking relay's actor
//! then takes it and loads the conversation from the store, redoing what was left pending,
//! exactly as after a crash. A relay killed outright stops renewing: its leases expire after
//! the TTL and the next command takes them. Single-relay deployments have no [`Leases`] and
//! pay nothing for this.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
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
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Leases {
    pub fn new(store: Arc<dyn Store>, bus: Bus, node: String, ttl: Duration) -> Self {
        Self { store, bus, node, ttl, serial: AtomicU64::new(0) }
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
        let heartbeat = tokio::spawn(heartbeat(
            self.store.clone(),
            conversation_id.to_string(),
            holder.to_string(),
            self.ttl,
            report,
        ));
        Ok(Some(Lease {
            store: self.store.clone(),
            bus: self.bus.clone(),
            conversation_id: conversation_id.to_string(),
            holder: holder.to_string(),
            state,
            heartbeat,
        }))
    }
}

/// Renews the lease every third of `ttl` and reports what it found. A renewal that fails (the
/// store unreachable) is retried; once the lease would have expired, it counts as lost.
async fn heartbeat(
    store: Arc<dyn Store>,
    conversation_id: String,
    holder: String,
    ttl: Duration,
    report: watch::Sender<LeaseState>,
) {
    let ttl_ms = ttl.as_millis() as i64;
    let mut renewed = Instant::now();
    let mut ticks = tokio::time::interval(ttl / 3);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let state = match store.renew_lease(&conversation_id, &holder, ttl_ms).await {
            Ok(Renewal::Kept { release_requested }) => {
                renewed = Instant::now();
                if release_requested {
                    LeaseState::ReleaseRequested
                } else {
                    continue;
                }
            }
            Ok(Renewal::Lost) => LeaseState::Lost,
            Err(error) if renewed.elapsed() < ttl => {
                tracing::warn!(conversation = %conversation_id, %error, "could not renew a conversation's lease");
                continue;
            }
            Err(error) => {
                tracing::error!(conversation = %conversation_id, %error, "a conversation's lease expired unrenewed");
                LeaseState::Lost
            }
        };
        if report.send(state).is_err() || state == LeaseState::Lost {
            return;
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

    /// Gives the lease up and tells waiting relays.
    pub async fn release(self) {
        self.heartbeat.abort();
        if let Err(error) = self.store.release_lease(&self.conversation_id, &self.holder).await {
            // It expires after the TTL instead.
            tracing::warn!(conversation = %self.conversation_id, %error, "could not release a conversation's lease");
        }
        self.bus.publish(LEASES, BusMessage::LeaseFreed { conversation_id: self.conversation_id.clone() });
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
}
