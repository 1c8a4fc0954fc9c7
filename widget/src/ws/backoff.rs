//! Reconnect delays: capped exponential backoff with full jitter.
//!
//! The n-th retry (0-based) waits a uniformly random time in `[0, min(cap, base * 2^n)]`
//! ("full jitter"), so a relay restart is not answered by every widget at the same instant.
//! [`Backoff::reset`] is called after a successful `welcome`.

/// Default first-retry ceiling, in milliseconds.
pub const BASE_MS: u32 = 500;
/// Default ceiling for any single delay, in milliseconds.
pub const CAP_MS: u32 = 30_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    base_ms: u32,
    cap_ms: u32,
    attempt: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(BASE_MS, CAP_MS)
    }
}

impl Backoff {
    pub fn new(base_ms: u32, cap_ms: u32) -> Self {
        Self { base_ms: base_ms.max(1), cap_ms: cap_ms.max(1), attempt: 0 }
    }

    /// How many delays were handed out since the last reset.
    #[cfg(test)]
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The upper bound of the next delay, without consuming it.
    pub fn ceiling(&self) -> u32 {
        let factor = 1u64 << self.attempt.min(31);
        (u64::from(self.base_ms) * factor).min(u64::from(self.cap_ms)) as u32
    }

    /// The next delay in milliseconds. `unit` is a random number in `[0, 1)`
    /// (`Math.random()` in the browser); values outside are clamped.
    pub fn next_delay(&mut self, unit: f64) -> u32 {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let unit = if unit.is_finite() { unit.clamp(0.0, 1.0) } else { 0.0 };
        ((f64::from(ceiling) * unit).round() as u32).min(ceiling)
    }

    /// Back to the first, shortest delay.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_until_the_cap() {
        let mut b = Backoff::default();
        let ceilings: Vec<u32> = (0..10)
            .map(|_| {
                let c = b.ceiling();
                b.next_delay(0.5);
                c
            })
            .collect();
        assert_eq!(ceilings, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
    }

    #[test]
    fn full_jitter_spans_zero_to_ceiling() {
        let mut b = Backoff::new(500, 30_000);
        assert_eq!(b.next_delay(0.0), 0);
        assert_eq!(b.next_delay(1.0), 1000);
        assert_eq!(b.next_delay(0.25), 500);
        assert_eq!(b.attempt(), 3);
    }

    #[test]
    fn never_exceeds_the_cap_even_after_many_attempts() {
        let mut b = Backoff::new(500, 30_000);
        for _ in 0..200 {
            assert!(b.next_delay(0.999_999) <= 30_000);
        }
        assert_eq!(b.ceiling(), 30_000);
    }

    #[test]
    fn odd_random_values_are_clamped() {
        let mut b = Backoff::new(500, 30_000);
        assert_eq!(b.next_delay(f64::NAN), 0);
        assert_eq!(b.next_delay(7.0), 1000);
        assert_eq!(b.next_delay(-3.0), 0);
    }

    #[test]
    fn reset_starts_over() {
        let mut b = Backoff::default();
        for _ in 0..5 {
            b.next_delay(0.5);
        }
        b.reset();
        assert_eq!(b.attempt(), 0);
        assert_eq!(b.ceiling(), BASE_MS);
    }
}
