//! The background pruning `[retention]` asks for: conversations in which nobody wrote after
//! the greeting, conversations idle for long, processed webhook events and delivered outbox
//! jobs. It deletes in small batches with a pause between them, so visitors' writes are never
//! held up for long. A conversation waiting for or with an agent, with helpdesk calls pending,
//! or shown by an open widget socket is never deleted.
//!
//! Attachments go with them: uploads never sent in a message, and the files of conversations
//! deleted here.
//!
//! The same task sweeps the rate limiters' per-address state.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::{
    config::RetentionConfig,
    limits::SWEEP_INTERVAL,
    state::AppState,
    store::{now_millis, PruneBefore, StoreError},
};

/// Between two batches: room for the visitors' own writes.
const BATCH_PAUSE: Duration = Duration::from_millis(50);
/// At most this many batches of one kind per pass; the rest waits for the next pass.
const MAX_BATCHES: u32 = 100;

/// What one pass deleted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub conversations: u32,
    pub webhook_events: u32,
    pub outbox_jobs: u32,
    /// Uploads never sent (`[attachments] unsent`) and files of deleted conversations.
    pub attachments: u32,
}

/// Prunes every `interval` (and sweeps the limiters every minute) until `stop`.
pub async fn run(state: AppState, stop: CancellationToken) {
    let settings = state.config.retention.clone();
    let interval = settings.interval.max(Duration::from_millis(100));
    let mut prune = tokio::time::interval(interval);
    let mut sweep = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = sweep.tick() => state.limits.sweep(),
            _ = prune.tick() => match prune_once(&state, &settings, now_millis(), &stop).await {
                Ok(pruned) if pruned != Pruned::default() => tracing::info!(?pruned, "retention pruned"),
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "retention pass failed; retrying next time"),
            },
        }
    }
}

/// One pass as of `now` (ms since the epoch).
pub async fn prune_once(
    state: &AppState,
    settings: &RetentionConfig,
    now: i64,
    stop: &CancellationToken,
) -> Result<Pruned, StoreError> {
    // Zero: keep forever.
    let ago = |age: Duration| {
        (!age.is_zero()).then(|| now.saturating_sub(i64::try_from(age.as_millis()).unwrap_or(i64::MAX)))
    };
    let before = PruneBefore { empty: ago(settings.empty_conversations), idle: ago(settings.idle_conversations) };
    let batch = settings.batch.max(1);
    let store = &state.store;
    let mut pruned = Pruned::default();
    if before != PruneBefore::default() {
        for _ in 0..MAX_BATCHES {
            let candidates = store.prunable_conversations(before, batch).await?;
            let full = candidates.len() == batch as usize;
            // A visitor looking at the widget may still write: leave theirs.
            let ids: Vec<String> =
                candidates.into_iter().filter(|id| !state.limits.connections().is_watched(id)).collect();
            let deleted = store.delete_conversations(&ids, before).await?;
            pruned.conversations += deleted;
            // Watched ones stay prunable; stop rather than find them again and again.
            if !full || deleted == 0 || pause(stop).await {
                break;
            }
        }
    }
    if let Some(cutoff) = ago(settings.webhook_events) {
        pruned.webhook_events = batches(stop, batch, || store.prune_webhook_events(cutoff, batch)).await?;
    }
    if let Some(cutoff) = ago(settings.outbox) {
        pruned.outbox_jobs = batches(stop, batch, || store.prune_outbox(cutoff, batch)).await?;
    }
    // Files go after their conversations; a storage that cannot be read now is tried next pass.
    match state.attachments.prune(store.as_ref(), now).await {
        Ok(deleted) => pruned.attachments = deleted,
        Err(crate::attachments::PruneError::Store(error)) => return Err(error),
        Err(error) => tracing::warn!(%error, "attachments not pruned; retrying next time"),
    }
    Ok(pruned)
}

/// Runs `delete` until it deletes less than a batch (or the pass's budget is spent).
async fn batches<F, Fut>(stop: &CancellationToken, batch: u32, mut delete: F) -> Result<u32, StoreError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<u32, StoreError>>,
{
    let mut total = 0;
    for _ in 0..MAX_BATCHES {
        let deleted = delete().await?;
        total += deleted;
        if deleted < batch || pause(stop).await {
            break;
        }
    }
    Ok(total)
}

/// Waits between batches; true when the relay is stopping.
async fn pause(stop: &CancellationToken) -> bool {
    tokio::select! {
        () = stop.cancelled() => true,
        () = tokio::time::sleep(BATCH_PAUSE) => false,
    }
}
