//! `[sites.<key>.availability]`: how a helpdesk's availability answer is asked and kept (the
//! guard that applies it is `crate::availability`).

use serde::{Deserialize, Serialize};

/// `[sites.<key>.availability]`: how the helpdesk's availability answer is asked and kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AvailabilityPolicy {
    /// The longest a handover waits for the helpdesk's answer; later, it counts as down (and
    /// the visitor gets the unavailable message and may leave an email).
    pub deadline_ms: u64,
    /// How long "someone is available" is trusted.
    pub available_cache_seconds: u64,
    /// How long "nobody is available" is trusted.
    pub unavailable_cache_seconds: u64,
    /// How long a failed or late answer is trusted (the helpdesk is down) before asking again.
    pub error_cache_seconds: u64,
    /// Failures in a row that open the circuit breaker (at least 1).
    pub breaker_failures: u32,
    /// How long an open breaker stops all calls; then one trial call decides.
    pub breaker_cooldown_seconds: u64,
}

impl Default for AvailabilityPolicy {
    fn default() -> Self {
        Self {
            deadline_ms: 1500,
            available_cache_seconds: 30,
            unavailable_cache_seconds: 10,
            error_cache_seconds: 5,
            breaker_failures: 3,
            breaker_cooldown_seconds: 30,
        }
    }
}
