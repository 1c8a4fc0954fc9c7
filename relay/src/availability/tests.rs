//! The guard against a counting fake helpdesk, on real time with short settings.

use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

use super::*;

fn policy() -> AvailabilityPolicy {
    AvailabilityPolicy {
        deadline_ms: 200,
        available_cache_seconds: 30,
        unavailable_cache_seconds: 30,
        error_cache_seconds: 30,
        breaker_failures: 3,
        breaker_cooldown_seconds: 30,
    }
}

/// A fake helpdesk: counts calls, answers `answer` after `delay`.
#[derive(Clone)]
struct Desk {
    calls: Arc<AtomicUsize>,
}

impl Desk {
    fn new() -> Self {
        Self { calls: Arc::new(AtomicUsize::new(0)) }
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    async fn ask(
        &self,
        guard: &Guard,
        answer: Result<bool, ProviderError>,
        delay: Duration,
    ) -> Result<bool, ProviderError> {
        guard
            .ask(|| async {
                self.calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(delay).await;
                answer
            })
            .await
    }
}

fn down() -> Result<bool, ProviderError> {
    Err(ProviderError::Unavailable("503".into()))
}

#[tokio::test]
async fn both_answers_and_failures_are_remembered() {
    for answer in [Ok(true), Ok(false), down()] {
        let (guard, desk) = (Guard::new(policy()), Desk::new());
        assert_eq!(desk.ask(&guard, answer.clone(), Duration::ZERO).await, answer);
        assert_eq!(desk.ask(&guard, Ok(true), Duration::ZERO).await, answer, "the first answer stands");
        assert_eq!(desk.calls(), 1);
    }
}

#[tokio::test]
async fn a_failure_stands_for_less_time_than_an_answer() {
    let guard = Guard::new(AvailabilityPolicy { error_cache_seconds: 0, ..policy() });
    let desk = Desk::new();
    assert!(desk.ask(&guard, down(), Duration::ZERO).await.is_err());
    assert_eq!(desk.ask(&guard, Ok(true), Duration::ZERO).await, Ok(true), "asked again at once");
    assert_eq!(desk.ask(&guard, down(), Duration::ZERO).await, Ok(true), "the answer stands");
    assert_eq!(desk.calls(), 2);
}

#[tokio::test]
async fn a_helpdesk_that_never_answers_costs_the_deadline_once() {
    let (guard, desk) = (Guard::new(policy()), Desk::new());
    let started = std::time::Instant::now();
    let answer = desk.ask(&guard, Ok(true), Duration::from_secs(3600)).await;
    let took = started.elapsed();
    assert!(matches!(answer, Err(ProviderError::Unavailable(_))), "{answer:?}");
    assert!(took >= Duration::from_millis(200) && took < Duration::from_secs(2), "{took:?}");
    let started = std::time::Instant::now();
    assert!(desk.ask(&guard, Ok(true), Duration::from_secs(3600)).await.is_err());
    assert!(started.elapsed() < Duration::from_millis(100), "the failure stands: no second wait");
    assert_eq!(desk.calls(), 1);
}

#[tokio::test]
async fn concurrent_askers_share_one_call() {
    let guard = Arc::new(Guard::new(AvailabilityPolicy { deadline_ms: 5000, ..policy() }));
    let desk = Desk::new();
    let askers: Vec<_> = (0..20)
        .map(|_| {
            let (guard, desk) = (guard.clone(), desk.clone());
            tokio::spawn(async move { desk.ask(&guard, Ok(true), Duration::from_millis(100)).await })
        })
        .collect();
    for asker in askers {
        assert_eq!(asker.await.unwrap(), Ok(true));
    }
    assert_eq!(desk.calls(), 1);
}

/// A guard whose breaker three failures in a row have just opened (1 s cool-down).
async fn opened_breaker() -> (Guard, Desk) {
    let guard = Guard::new(AvailabilityPolicy { error_cache_seconds: 0, breaker_cooldown_seconds: 1, ..policy() });
    let desk = Desk::new();
    for _ in 0..3 {
        assert!(desk.ask(&guard, down(), Duration::ZERO).await.is_err());
    }
    assert_eq!(desk.calls(), 3, "failures are not remembered here: each one called");
    (guard, desk)
}

#[tokio::test]
async fn the_breaker_opens_after_failures_in_a_row_and_a_trial_call_closes_it() {
    let (guard, desk) = opened_breaker().await;
    // Open: the helpdesk is back, but nobody asks it during the cool-down.
    for _ in 0..5 {
        assert!(desk.ask(&guard, Ok(true), Duration::ZERO).await.is_err());
    }
    assert_eq!(desk.calls(), 3, "no call while the breaker is open");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Half-open: one trial call; its success closes the breaker.
    assert_eq!(desk.ask(&guard, Ok(true), Duration::ZERO).await, Ok(true));
    assert_eq!(desk.calls(), 4);
}

#[tokio::test]
async fn a_failed_trial_call_opens_the_breaker_again() {
    let (guard, desk) = opened_breaker().await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(desk.ask(&guard, down(), Duration::ZERO).await.is_err());
    assert!(desk.ask(&guard, Ok(true), Duration::ZERO).await.is_err(), "open again after the failed trial");
    assert_eq!(desk.calls(), 4);
}

#[tokio::test]
async fn an_answer_resets_the_failure_count() {
    let guard = Guard::new(AvailabilityPolicy { error_cache_seconds: 0, available_cache_seconds: 0, ..policy() });
    let desk = Desk::new();
    for answer in [down(), down(), Ok(true), down(), down()] {
        let _ = desk.ask(&guard, answer, Duration::ZERO).await;
    }
    assert_eq!(desk.ask(&guard, Ok(true), Duration::ZERO).await, Ok(true), "two failures in a row: still closed");
    assert_eq!(desk.calls(), 6);
}
