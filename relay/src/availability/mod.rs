//! "Is anyone available?" asked of a helpdesk without letting it slow a chat down: only when a
//! handover is being decided (the conversation machine asks for it), and then through a
//! [`Guard`] that
//!
//! - remembers every answer: someone available, nobody, or a failure (a shorter time);
//! - lets one call fly at a time: concurrent askers wait for it and share its answer;
//! - gives the call a hard deadline, after which the helpdesk counts as down;
//! - stops calling after a run of failures (the circuit breaker opens) for a cool-down; the
//!   first asker after it makes one trial call (half-open), whose success closes it again.
//!
//! So a dead helpdesk costs a handover at most the deadline, once per failure memo, and nothing
//! at all while the breaker is open.

use std::{future::Future, sync::Mutex, time::Duration};

use tokio::time::{timeout_at, Instant};

pub use crate::config::AvailabilityPolicy;
use crate::connectors::ProviderError;

/// The asked-for answer, what it means for the next askers, and the breaker's count.
#[derive(Default)]
struct Memo {
    /// The last answer and until when it stands.
    last: Option<(Instant, Result<bool, ProviderError>)>,
    /// Failures in a row; from `breaker_failures` on, a failure stands for the cool-down.
    failures: u32,
}

/// Cache, single flight, deadline and circuit breaker around one helpdesk's availability call.
pub struct Guard {
    policy: AvailabilityPolicy,
    // A std mutex: read or written in one step, never held across `.await`.
    memo: Mutex<Memo>,
    /// Held for the duration of a call, so concurrent askers wait for it (single flight).
    /// An async mutex because it is held across the call's `.await`.
    flight: tokio::sync::Mutex<()>,
}

impl Guard {
    pub fn new(policy: AvailabilityPolicy) -> Self {
        Self { policy, memo: Mutex::new(Memo::default()), flight: tokio::sync::Mutex::new(()) }
    }

    /// The standing answer, or `call`'s, within the deadline whatever the helpdesk does.
    pub async fn ask<F, Fut>(&self, call: F) -> Result<bool, ProviderError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<bool, ProviderError>>,
    {
        if let Some(known) = self.standing() {
            return known;
        }
        let deadline = Instant::now() + Duration::from_millis(self.policy.deadline_ms.max(1));
        let late =
            || ProviderError::Unavailable(format!("no availability answer within {} ms", self.policy.deadline_ms));
        // Waiting for someone else's call counts against this asker's deadline too; the caller
        // records the outcome for everyone.
        let Ok(_flight) = timeout_at(deadline, self.flight.lock()).await else {
            return Err(late());
        };
        if let Some(known) = self.standing() {
            return known;
        }
        let outcome = timeout_at(deadline, call()).await.unwrap_or_else(|_| Err(late()));
        self.remember(&outcome);
        outcome
    }

    fn standing(&self) -> Option<Result<bool, ProviderError>> {
        let memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        memo.last.as_ref().filter(|(until, _)| Instant::now() < *until).map(|(_, answer)| answer.clone())
    }

    fn remember(&self, outcome: &Result<bool, ProviderError>) {
        let p = &self.policy;
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        let stands = match outcome {
            Ok(true) => Duration::from_secs(p.available_cache_seconds),
            Ok(false) => Duration::from_secs(p.unavailable_cache_seconds),
            Err(error) => {
                memo.failures = memo.failures.saturating_add(1);
                if memo.failures >= p.breaker_failures.max(1) {
                    tracing::warn!(failures = memo.failures, %error, cooldown_s = p.breaker_cooldown_seconds,
                        "helpdesk availability: circuit breaker open, no calls until the cool-down ends");
                    Duration::from_secs(p.breaker_cooldown_seconds)
                } else {
                    Duration::from_secs(p.error_cache_seconds)
                }
            }
        };
        if outcome.is_ok() {
            if memo.failures >= p.breaker_failures.max(1) {
                tracing::info!("helpdesk availability: answering again, circuit breaker closed");
            }
            memo.failures = 0;
        }
        memo.last = Some((Instant::now() + stands, outcome.clone()));
    }
}

#[cfg(test)]
mod tests;
