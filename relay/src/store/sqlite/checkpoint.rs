//! WAL checkpoints off the commit path.
//!
//! SQLite's automatic checkpoint runs inside the commit that takes the WAL past 1,000 pages, on
//! the connection that committed: here the batcher's one writer, so that batch and every append
//! queued behind it waited for the pages to be copied and for two fsyncs (the WAL's, the
//! database file's: 4-16 ms on this machine's disk), about once a second at 1,000 messages per
//! second: the ack's p99. The writer connection has the automatic checkpoint off
//! (`wal_autocheckpoint = 0`) and this task checkpoints on a reader connection instead, every
//! [`EVERY`], in PASSIVE mode: it copies what no reader still needs and never waits for (nor
//! holds up) the writer or the readers. Commits stay as durable as before (`synchronous =
//! NORMAL` in WAL mode: a commit is written to the WAL, not fsynced: it survives the relay's
//! crash; a power loss or kernel crash can lose what was committed since the last checkpoint's
//! fsync, at most [`EVERY`] ago while checkpoints keep up).
//!
//! A passive checkpoint cannot start the WAL over while the writer never pauses; should the WAL
//! grow past [`MAX_WAL_PAGES`] all the same (a writer busy without a break for a long while), a
//! RESTART checkpoint waits for the writer once and starts it over.

use std::time::Duration;

use sqlx::SqlitePool;
use tokio_util::sync::{CancellationToken, DropGuard};

/// How often the WAL is checkpointed.
pub(super) const EVERY: Duration = Duration::from_millis(250);
/// Pages in the WAL (4 KiB each) past which a checkpoint waits for the writer to start the WAL
/// over (64 MiB).
const MAX_WAL_PAGES: i64 = 16_384;

/// Starts checkpointing the database of `pool`; it stops when the guard is dropped.
pub(super) fn start(pool: SqlitePool) -> DropGuard {
    let stop = CancellationToken::new();
    tokio::spawn(stop.clone().run_until_cancelled_owned(run(pool)));
    stop.drop_guard()
}

async fn run(pool: SqlitePool) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match checkpoint(&pool, "PASSIVE").await {
            Ok(pages) if pages > MAX_WAL_PAGES => {
                tracing::info!(pages, "the WAL grew large; waiting for the writer to start it over");
                if let Err(error) = checkpoint(&pool, "RESTART").await {
                    tracing::warn!(%error, "a WAL checkpoint failed");
                }
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "a WAL checkpoint failed"),
        }
    }
}

/// One checkpoint; the pages the WAL held.
async fn checkpoint(pool: &SqlitePool, mode: &str) -> sqlx::Result<i64> {
    // (busy, pages in the WAL, pages copied to the database file)
    let (_, pages, _): (i64, i64, i64) =
        sqlx::query_as(&format!("PRAGMA wal_checkpoint({mode})")).fetch_one(pool).await?;
    Ok(pages)
}
