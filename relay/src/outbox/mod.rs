//! The durable outbox: every call to a helpdesk is stored first (in the store, beside the
//! conversation) and carried out here, in order per conversation, retried with jittered
//! exponential backoff that honours the helpdesk's `Retry-After` / `X-RateLimit-Reset`. A
//! helpdesk that is slow or down delays calls; it never loses them. A restarted relay picks up
//! where it stopped, because the jobs are rows, not tasks. Every relay runs a worker: each
//! claims the jobs it carries out (`Store::claim_jobs`), so no job runs on two relays at once
//! and a dead relay's jobs are taken over once its claims lapse.

use std::{collections::HashMap, sync::Arc, time::Duration};

use futures_util::future::join_all;
use rand::Rng;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::{
    connectors::{CloseReason, FileLink, Handover, Provider, ProviderError, ProviderKind, RemoteThread},
    store::{now_millis, Claimer, OutboxRow, Store, StoreError},
};

/// One helpdesk call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Job {
    /// Create the conversation or ticket with the summary.
    Open { handover: Handover },
    /// A later visitor message, with the files it carries (absent in jobs written before
    /// files were passed on: their links are in the text).
    Forward {
        text: String,
        message_id: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        files: Vec<FileLink>,
    },
    /// The visitor cancelled or left.
    Close { reason: CloseReason },
    /// The visitor rated the chat (1 to 5) after the agent closed it: written where agents see
    /// it by helpdesks that take one ([`crate::connectors::Capabilities::rating`]), skipped by
    /// the others.
    Rate { score: u8 },
}

/// What became of a conversation's calls, for the conversation to tell the visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The handover reached the helpdesk.
    Delivered,
    /// The helpdesk is not answering; the handover waits in the outbox and will be delivered.
    Delayed,
    /// The helpdesk refused the handover for good (misconfiguration, rejected request).
    Undeliverable(String),
}

/// Jobs taken per round; each belongs to a different conversation, so they run concurrently.
const BATCH: u32 = 32;
/// The worker looks for due retries at least this often.
const TICK: Duration = Duration::from_millis(500);
/// Backoff: 1 s doubling to at most 5 minutes, each delay jittered down to half.
const BACKOFF_BASE: Duration = Duration::from_secs(1);
const BACKOFF_CAP: Duration = Duration::from_secs(300);
/// After this many failed tries of a handover the visitor is told it is delayed (once).
const DELAYED_AFTER: u32 = 2;
/// Storing an opened conversation's id: tries, and the first pause (doubling) between them.
const REMEMBER_TRIES: u32 = 5;
const REMEMBER_PAUSE: Duration = Duration::from_millis(100);

/// A store error while carrying out a job: retried like a helpdesk that is down.
fn store_unavailable(error: &StoreError) -> ProviderError {
    ProviderError::Unavailable(format!("store: {error}"))
}

/// The delay before try number `attempts + 1` (attempts already failed), with full jitter in
/// the upper half so retries of many conversations spread out.
pub fn backoff(attempts: u32, jitter: f64) -> Duration {
    let exponential = BACKOFF_BASE.saturating_mul(2u32.saturating_pow(attempts.min(20)));
    exponential.min(BACKOFF_CAP).mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

type ConnectorMap = HashMap<(String, ProviderKind), Arc<dyn Provider>>;

/// The connectors by site and kind. A site's current provider handles new handovers; a
/// conversation handed to an earlier provider finishes there, so a reload adds and replaces
/// connectors but never removes one.
#[derive(Clone, Default)]
pub struct Connectors(Arc<std::sync::RwLock<ConnectorMap>>);

impl Connectors {
    pub fn new(map: ConnectorMap) -> Self {
        Self(Arc::new(std::sync::RwLock::new(map)))
    }

    pub fn get(&self, site: &str, kind: ProviderKind) -> Option<Arc<dyn Provider>> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).get(&(site.to_string(), kind)).cloned()
    }

    /// Takes the connectors of a reloaded configuration (same site and kind: the new one).
    pub fn merge(&self, newer: &Connectors) {
        let newer = newer.0.read().unwrap_or_else(|e| e.into_inner()).clone();
        self.0.write().unwrap_or_else(|e| e.into_inner()).extend(newer);
    }
}

/// The handle: stores a job and wakes the worker.
#[derive(Clone)]
pub struct Outbox {
    store: Arc<dyn Store>,
    claimer: Claimer,
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new(store: Arc<dyn Store>, claimer: Claimer) -> Self {
        Self { store, claimer, wake: Arc::new(Notify::new()) }
    }

    pub async fn push(
        &self,
        conversation_id: &str,
        site: &str,
        provider: ProviderKind,
        job: &Job,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(job).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        match job {
            // A visitor message handled again after a crash is forwarded once.
            Job::Forward { message_id, .. } => {
                let key = format!("forward:{message_id}");
                self.store.enqueue_once(conversation_id, site, provider, &json, &key).await?;
            }
            Job::Open { .. } | Job::Close { .. } | Job::Rate { .. } => {
                self.store.enqueue(conversation_id, site, provider, &json).await?;
            }
        }
        self.wake.notify_one();
        Ok(())
    }

    /// Runs until `stop`: takes due jobs, carries them out, reports outcomes to `report`.
    pub async fn run(
        self,
        connectors: Connectors,
        report: impl Fn(&str, &str, Outcome) + Send + Sync,
        stop: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(TICK) => {}
            }
            let jobs = match self.store.claim_jobs(self.claimer.claim(), BATCH).await {
                Ok(jobs) => jobs,
                Err(error) => {
                    tracing::error!(%error, "outbox: cannot read jobs");
                    continue;
                }
            };
            let more = jobs.len() == BATCH as usize;
            let work = join_all(jobs.into_iter().map(|row| self.carry_out(&connectors, row, &report)));
            self.claimer.keeping(self.store.as_ref(), work).await;
            if more {
                self.wake.notify_one();
            }
        }
    }

    async fn carry_out(&self, connectors: &Connectors, row: OutboxRow, report: &(impl Fn(&str, &str, Outcome) + Sync)) {
        let Ok(job) = serde_json::from_str::<Job>(&row.job) else {
            return self.give_up(&row, "unreadable job", report, false).await;
        };
        let is_open = matches!(job, Job::Open { .. });
        let Some(provider) = connectors.get(&row.site, row.provider) else {
            let why = format!("no {} connector configured for site {}", row.provider.name(), row.site);
            return self.give_up(&row, &why, report, is_open).await;
        };
        let result = match job {
            Job::Open { handover } => match provider.open(&handover).await {
                Ok(thread) => self.remember(&row, &thread).await,
                Err(error) => Err(error),
            },
            // A store that cannot say where the conversation is gets asked again later: only a
            // handover that truly never landed makes a forward or close pointless.
            Job::Forward { text, message_id, files } => match self.thread(&row).await {
                Ok(Some(thread)) => self.forward(&row, provider.as_ref(), &thread, (&text, &files), &message_id).await,
                Ok(None) => Err(ProviderError::Rejected("the handover never reached the helpdesk".into())),
                Err(error) => Err(store_unavailable(&error)),
            },
            Job::Close { reason } => match self.thread(&row).await {
                Ok(Some(thread)) => provider.close(&thread, reason).await,
                Ok(None) => Ok(()), // nothing was opened, so there is nothing to close
                Err(error) => Err(store_unavailable(&error)),
            },
            Job::Rate { score } if !provider.capabilities().rating => {
                tracing::info!(job = row.id, score, provider = row.provider.name(), "this helpdesk takes no rating");
                Ok(())
            }
            Job::Rate { score } => match self.thread(&row).await {
                Ok(Some(thread)) => provider.rate(&thread, score).await,
                Ok(None) => Ok(()), // the handover never landed: nobody there to tell
                Err(error) => Err(store_unavailable(&error)),
            },
        };
        match result {
            Ok(()) => {
                if let Err(error) = self.store.job_done(row.id).await {
                    tracing::error!(%error, "outbox: cannot mark a job done; it will run again");
                }
                if is_open {
                    report(&row.conversation_id, &row.site, Outcome::Delivered);
                }
            }
            Err(error) if error.is_retryable() => {
                let delay = match &error {
                    ProviderError::RateLimited { retry_after: Some(after) } => *after,
                    _ => backoff(row.attempts, rand::rng().random()),
                };
                tracing::warn!(job = row.id, conversation = %row.conversation_id, %error, ?delay, "helpdesk call failed; retrying");
                let not_before = now_millis() + delay.as_millis() as i64;
                if let Err(error) = self.store.job_retry(row.id, not_before, &error.to_string()).await {
                    tracing::error!(%error, "outbox: cannot reschedule a job");
                }
                if is_open && row.attempts + 1 == DELAYED_AFTER {
                    report(&row.conversation_id, &row.site, Outcome::Delayed);
                }
            }
            Err(error) => self.give_up(&row, &error.to_string(), report, is_open).await,
        }
    }

    async fn give_up(&self, row: &OutboxRow, why: &str, report: &(impl Fn(&str, &str, Outcome) + Sync), is_open: bool) {
        tracing::error!(job = row.id, conversation = %row.conversation_id, why, "helpdesk call given up");
        if let Err(error) = self.store.job_failed(row.id, why).await {
            tracing::error!(%error, "outbox: cannot mark a job failed");
        }
        if is_open {
            report(&row.conversation_id, &row.site, Outcome::Undeliverable(why.to_string()));
        }
    }

    /// Forwards a visitor message once: a try that was under way when the relay stopped may
    /// have landed, so the helpdesk is asked first where it can tell.
    async fn forward(
        &self,
        row: &OutboxRow,
        provider: &dyn Provider,
        thread: &RemoteThread,
        (text, files): (&str, &[FileLink]),
        message_id: &str,
    ) -> Result<(), ProviderError> {
        if row.uncertain && provider.has_forwarded(thread, text, message_id).await? == Some(true) {
            tracing::info!(job = row.id, conversation = %row.conversation_id, "a forward cut short by a stop had landed");
            return Ok(());
        }
        if let Err(error) = self.store.job_started(row.id).await {
            return Err(store_unavailable(&error));
        }
        match files.is_empty() {
            true => provider.forward(thread, text, message_id).await,
            false => provider.forward_files(thread, text, files, message_id).await,
        }
    }

    /// Where the conversation is on the helpdesk's side: `None` if the handover never landed.
    async fn thread(&self, row: &OutboxRow) -> Result<Option<RemoteThread>, StoreError> {
        let Some(json) = self.store.remote(&row.conversation_id).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_str(&json).ok())
    }

    /// Stores where the opened conversation is. The helpdesk already has it, so a store error
    /// is retried here a few times before the job is (so the helpdesk is not asked to open it
    /// twice unless the store stays down).
    async fn remember(&self, row: &OutboxRow, thread: &RemoteThread) -> Result<(), ProviderError> {
        let json = serde_json::to_string(thread).unwrap_or_default();
        let mut pause = REMEMBER_PAUSE;
        for attempt in 1..=REMEMBER_TRIES {
            match self.store.set_remote(&row.conversation_id, &json).await {
                Ok(()) => return Ok(()),
                Err(error) if attempt == REMEMBER_TRIES => {
                    tracing::error!(job = row.id, conversation = %row.conversation_id, %error,
                        "outbox: cannot store the helpdesk's conversation; the open will be retried");
                    return Err(store_unavailable(&error));
                }
                Err(error) => {
                    tracing::warn!(job = row.id, %error, "outbox: cannot store the helpdesk's conversation yet");
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
