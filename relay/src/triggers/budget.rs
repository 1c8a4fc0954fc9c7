//! Where per-message text analysis runs: on tokio's blocking threads, never on the async
//! workers that serve sockets, HTTP and `/healthz`, and only a few at a time.
//!
//! Every analysis has a bounded cost (the caps in [`super::text`], [`super::frustration`],
//! [`crate::summary`] and [`crate::bot::knowledge`]), but a bounded cost times a flood of
//! visitors is still a flood. Semaphores are the budget: a flood queues for them (first come,
//! first served) instead of taking every core. There are two queues, by [`Weight`]: a light
//! analysis (an ordinary chat message) never waits behind heavy ones (messages of thousands of
//! words, summaries), so a flood of the longest messages delays only other long messages, and
//! a light queue holds only work that is cheap by construction.

use std::sync::LazyLock;

use tokio::sync::Semaphore;

/// Work up to this many bytes of folded text is light: a chat message of a few hundred words.
pub const LIGHT_BYTES: usize = 2048;

/// Which queue an analysis waits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weight {
    Light,
    Heavy,
}

impl Weight {
    /// The weight of work that reads `bytes` bytes of folded text.
    pub fn of(bytes: usize) -> Self {
        if bytes <= LIGHT_BYTES {
            Self::Light
        } else {
            Self::Heavy
        }
    }
}

static LIGHT: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(permits()));
static HEAVY: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(permits()));

/// Per queue, one analysis at a time per core, minus one core for the async workers (at
/// least one).
pub fn permits() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().saturating_sub(1)).max(1)
}

/// Runs `work` on a blocking thread once its queue allows, and returns its result. A panic
/// in `work` is resumed in the caller, as if it had run there.
pub async fn run<T: Send + 'static>(weight: Weight, work: impl FnOnce() -> T + Send + 'static) -> T {
    let queue = match weight {
        Weight::Light => &LIGHT,
        Weight::Heavy => &HEAVY,
    };
    // The semaphores are never closed.
    let Ok(_permit) = queue.acquire().await else { return std::future::pending().await };
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        // Cancelled: the runtime is shutting down, and this task with it.
        Err(_) => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn work_runs_off_the_async_worker_and_returns_its_value() {
        let caller = std::thread::current().id();
        let (value, thread) = run(Weight::Light, || (6 * 7, std::thread::current().id())).await;
        assert_eq!(value, 42);
        assert_ne!(thread, caller);
        assert!(permits() >= 1);
        assert_eq!(run(Weight::Heavy, || 1).await, 1);
    }

    #[tokio::test]
    async fn light_work_does_not_wait_behind_heavy_work() {
        // Every heavy permit taken (by a flood, say): light work still runs.
        let _held = HEAVY.acquire_many(permits() as u32).await.unwrap();
        let light = tokio::time::timeout(std::time::Duration::from_secs(10), run(Weight::Light, || 1)).await;
        assert_eq!(light.ok(), Some(1));
        assert_eq!((Weight::of(100), Weight::of(LIGHT_BYTES + 1)), (Weight::Light, Weight::Heavy));
    }
}
