//! Claiming work rows, so the outbox and webhook workers run on every relay at once: a relay
//! claims due rows in one atomic statement (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one
//! `UPDATE ... RETURNING` under its write lock), keeps its claims alive while it works on them,
//! and ends each claim when it marks the row done, rescheduled or failed. Two relays never hold
//! the same row; a relay that dies stops keeping its claims, and they lapse after the hold.

use std::{future::Future, time::Duration};

use super::{now_millis, Store};

/// A claim on rows: by which relay, at what time (rows due then, and not claimed by anyone
/// beyond it, are taken), and until when unless kept ([`Store::keep_claims`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim<'a> {
    pub by: &'a str,
    pub now: i64,
    pub until: i64,
}

/// A relay's name on its claims and how long a claim lasts unless kept.
#[derive(Debug, Clone)]
pub struct Claimer {
    node: String,
    hold: Duration,
}

impl Claimer {
    pub fn new(node: impl Into<String>, hold: Duration) -> Self {
        Self { node: node.into(), hold: hold.max(Duration::from_millis(30)) }
    }

    pub fn node(&self) -> &str {
        &self.node
    }

    /// A claim made now, lasting the hold.
    pub fn claim(&self) -> Claim<'_> {
        let now = now_millis();
        Claim { by: &self.node, now, until: now + self.hold.as_millis() as i64 }
    }

    /// Runs `work` while keeping this relay's claims alive (renewed every third of the hold), so
    /// work that takes longer than the hold (a slow helpdesk, a conversation's lease to wait
    /// for) is not taken over by another relay while it runs.
    pub async fn keeping<F: Future>(&self, store: &dyn Store, work: F) -> F::Output {
        let keep = async {
            let mut tick = tokio::time::interval(self.hold / 3);
            tick.tick().await; // the first tick is at once: the claim is fresh
            loop {
                tick.tick().await;
                if let Err(error) = store.keep_claims(&self.node, self.claim().until).await {
                    tracing::warn!(%error, "cannot keep this relay's claims; another relay may take them over");
                }
            }
        };
        tokio::select! {
            output = work => output,
            never = keep => never,
        }
    }
}
