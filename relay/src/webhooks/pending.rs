//! Stored webhook events, applied after the helpdesk got its 200: in arrival order per helpdesk
//! conversation, each marked processed only once its conversation applied it. One that cannot
//! be applied yet (the webhook overtook the outbox storing the helpdesk's id, the store is
//! busy) stays pending and is tried again with backoff, holding back the later events of its
//! helpdesk conversation; after [`MAX_ATTEMPTS`] it is recorded as failed, with an error in the
//! log. Events left pending by a stop are picked up when the relay starts.

use std::{sync::Arc, time::Duration};

use rand::Rng;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::{deliver, InboundError};
use crate::{
    connectors::InboundEvent,
    outbox::backoff,
    state::AppState,
    store::{now_millis, PendingEvent},
};

/// Tries of one event before it is given up (with the outbox's backoff, about eight minutes).
pub const MAX_ATTEMPTS: u32 = 10;
/// Events (each the head of its line) claimed per round.
const BATCH: u32 = 256;
/// The worker looks for due retries at least this often.
const TICK: Duration = Duration::from_millis(250);

/// Wakes the worker when an event was stored.
#[derive(Clone, Default)]
pub struct PendingEvents {
    wake: Arc<Notify>,
}

impl PendingEvents {
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// What to do with an event that could not be applied, after `attempts` earlier failures.
pub fn next_try(attempts: u32, error: &InboundError, jitter: f64) -> Option<Duration> {
    (error.is_retryable() && attempts + 1 < MAX_ATTEMPTS).then(|| backoff(attempts, jitter))
}

/// Runs until `stop`: applies due events, at once when woken, else every [`TICK`].
pub async fn run(state: AppState, stop: CancellationToken) {
    let wake = state.webhook_events.wake.clone();
    loop {
        let more = tokio::select! {
            _ = stop.cancelled() => return,
            more = round(&state, &stop) => more,
        };
        if more {
            continue;
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = wake.notified() => {}
            _ = tokio::time::sleep(TICK) => {}
        }
    }
}

/// One pass: claims the due head of each helpdesk conversation's line and applies them, in
/// arrival order; true if any was applied (the next event of its line may be due now). Every
/// relay runs this; claims keep two relays off one event and one line, so a line's events are
/// applied one after the other, in order, wherever they are applied.
async fn round(state: &AppState, stop: &CancellationToken) -> bool {
    let claimed = match state.store.claim_events(state.claimer.claim(), BATCH).await {
        Ok(claimed) => claimed,
        Err(error) => {
            tracing::error!(%error, "cannot claim pending webhook events");
            return false;
        }
    };
    state.claimer.keeping(state.store.as_ref(), apply(state, stop, claimed)).await
}

async fn apply(state: &AppState, stop: &CancellationToken, claimed: Vec<PendingEvent>) -> bool {
    let mut progressed = false;
    for row in claimed {
        if stop.is_cancelled() {
            // Left claimed: the next start (alone) or another relay (once the claim lapses) applies it.
            return false;
        }
        let provider = row.provider;
        let Ok(event) = serde_json::from_str::<InboundEvent>(&row.event) else {
            give_up(state, &row, "unreadable stored event").await;
            continue;
        };
        match deliver(state, &row.site, provider, event).await {
            Ok(()) => {
                progressed = true;
                if let Err(error) = state.store.event_processed(row.provider, &row.event_id).await {
                    tracing::error!(provider = row.provider.name(), event = %row.event_id, %error,
                        "cannot mark a webhook event processed; it will be applied again (once)");
                }
            }
            Err(error) => match next_try(row.attempts, &error, jitter()) {
                Some(delay) => {
                    tracing::warn!(provider = row.provider.name(), site = %row.site, event = %row.event_id,
                        attempt = row.attempts + 1, %error, ?delay, "webhook event not applied yet; retrying");
                    let not_before = now_millis() + delay.as_millis() as i64;
                    if let Err(error) =
                        state.store.event_retry(row.provider, &row.event_id, not_before, &error.to_string()).await
                    {
                        tracing::error!(%error, "cannot reschedule a webhook event");
                    }
                }
                None => give_up(state, &row, &error.to_string()).await,
            },
        }
    }
    progressed
}

fn jitter() -> f64 {
    rand::rng().random()
}

async fn give_up(state: &AppState, row: &PendingEvent, why: &str) {
    tracing::error!(provider = row.provider.name(), site = %row.site, event = %row.event_id, attempts = row.attempts + 1,
        why, "webhook event given up; it is kept as failed");
    if let Err(error) = state.store.event_failed(row.provider, &row.event_id, why).await {
        tracing::error!(%error, "cannot mark a webhook event failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::{ConversationError, Refusal};

    fn unknown() -> InboundError {
        InboundError::UnknownConversation { provider: "intercom", remote_id: "363".into() }
    }

    #[test]
    fn an_event_for_a_conversation_not_known_yet_is_retried_with_backoff_then_given_up() {
        assert_eq!(next_try(0, &unknown(), 1.0), Some(Duration::from_secs(1)));
        assert_eq!(next_try(3, &unknown(), 1.0), Some(Duration::from_secs(8)));
        assert_eq!(next_try(MAX_ATTEMPTS - 2, &unknown(), 1.0), Some(backoff(MAX_ATTEMPTS - 2, 1.0)));
        assert_eq!(next_try(MAX_ATTEMPTS - 1, &unknown(), 1.0), None, "bounded");
    }

    #[test]
    fn a_refusal_is_final() {
        let refused = InboundError::Conversation(ConversationError::Refused(Refusal::NotOwner));
        assert_eq!(next_try(0, &refused, 1.0), None);
        let busy = InboundError::Conversation(ConversationError::Closed);
        assert!(next_try(0, &busy, 1.0).is_some());
    }
}
