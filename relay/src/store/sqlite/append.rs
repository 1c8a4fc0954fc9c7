//! SQLite's [`Writer`] for the batcher: a batch is one `BEGIN IMMEDIATE` transaction of at most
//! four statements whatever its size ([`plan::write`]), each taking its step's rows as one JSON
//! array read with `json_each`.
//!
//! The batcher runs on a thread of its own ([`Appender::start_on_thread`]) and this writer's
//! connection is a plain `rusqlite` one that the thread calls directly: a batch costs no round
//! trip at all. Through sqlx each statement, and `BEGIN` and `COMMIT`, was a round trip to
//! sqlx-sqlite's worker thread, six per batch, each a chance to wait for a core on a busy
//! machine: the per-stage probe of docs/benchmarks.md put nearly all of the relay's part of an
//! ack's p99 in those batches. Both libraries link the same SQLite (`libsqlite3-sys`).
//!
//! Writes still queue in the relay, not in SQLite's busy handler: a batch is written while the
//! batcher holds the store's sqlx writer connection (the pool of one that the other, rarer
//! writes go through), so they take turns in the pool's queue in the order they came and never
//! meet at SQLite's write lock. Should another process hold the lock all the same, this
//! connection's busy handler ([`busy`]) tries again every [`BUSY_POLL`], not after SQLite's
//! sleeps of several milliseconds.
//!
//! [`Appender::start_on_thread`]: super::super::batch::Appender::start_on_thread

use std::{path::Path, time::Duration};

use async_trait::async_trait;
use rusqlite::{Connection, OpenFlags};
use sqlx::SqlitePool;

use super::super::{
    batch::{
        plan::{self, Rows, Statements},
        Append, Handled, Writer, Written,
    },
    now_millis, Result, StoreError,
};

/// How often a write waiting for the lock tries again.
const BUSY_POLL: Duration = Duration::from_micros(50);
/// How long it waits for the lock at most (as the sqlx connections' busy timeout).
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) struct EventWriter {
    connection: Connection,
    /// The store's sqlx writer pool (one connection), held while a batch is written.
    turn: SqlitePool,
}

impl EventWriter {
    /// Opens the writer's connection to the database file at `path` (created and migrated
    /// already), with the store's settings: WAL, `synchronous = NORMAL`, foreign keys on, no
    /// automatic checkpoint (`checkpoint` runs them beside the writers).
    pub(super) fn open(path: &Path, turn: SqlitePool) -> Result<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(path, flags)?;
        connection.busy_handler(Some(busy))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "NORMAL")?;
        connection.pragma_update(None, "foreign_keys", "ON")?;
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(Self { connection, turn })
    }
}

/// SQLite's busy handler: `true` tries again (after a short sleep), `false` gives up with
/// `SQLITE_BUSY`.
fn busy(attempt: i32) -> bool {
    std::thread::sleep(BUSY_POLL);
    (attempt as u128) < BUSY_TIMEOUT.as_micros() / BUSY_POLL.as_micros()
}

#[async_trait]
impl Writer for EventWriter {
    async fn write(&mut self, batch: &[Append], handled: &[Handled]) -> Result<Vec<Written>> {
        // IMMEDIATE takes the write lock before the first read: the duplicate check and the
        // sequence numbers are decided under it (another connection waits, up to the busy
        // timeout). Nothing conflicts under the lock; if something did, the batch is rolled
        // back and its items are tried again one by one.
        let _turn = self.turn.acquire().await?;
        self.connection.execute_batch("BEGIN IMMEDIATE")?;
        let written = plan::write(&mut Batch(&mut self.connection), batch, handled, now_millis()).await;
        let finish = if written.is_ok() { "COMMIT" } else { "ROLLBACK" };
        if let Err(error) = self.connection.execute_batch(finish) {
            // A failed COMMIT leaves the transaction open (SQLITE_BUSY): undone, nothing written.
            if !self.connection.is_autocommit() {
                let _ = self.connection.execute_batch("ROLLBACK");
            }
            return Err(error.into());
        }
        written
    }
}

/// A batch's transaction, on the writer's connection.
struct Batch<'c>(&'c mut Connection);

/// A JSON array of the rows given as tuples (each an array).
fn json_rows<T: serde::Serialize>(rows: impl Iterator<Item = T>) -> Result<String> {
    let rows: Vec<T> = rows.collect();
    serde_json::to_string(&rows).map_err(|e| StoreError::Corrupt(format!("a batch could not be encoded: {e}")))
}

#[async_trait]
impl Statements for Batch<'_> {
    async fn stored(&mut self, keys: &[(&str, &str)]) -> Result<Vec<(String, String, i64)>> {
        let mut statement = self.0.prepare_cached(
            "SELECT e.conversation_id, e.client_id, e.seq FROM json_each(?) k \
             JOIN events e ON e.conversation_id = k.value ->> 0 AND e.client_id = k.value ->> 1",
        )?;
        let found = statement
            .query_map([json_rows(keys.iter())?], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(found)
    }

    async fn number(&mut self, counts: &[(&str, i64)], at: i64) -> Result<Vec<(String, i64)>> {
        let mut statement = self.0.prepare_cached(
            "UPDATE conversations SET last_seq = last_seq + (v.value ->> 1), updated_at = ?1 \
             FROM json_each(?2) v WHERE conversations.id = v.value ->> 0 \
             RETURNING conversations.id, conversations.last_seq",
        )?;
        let last = statement
            .query_map(rusqlite::params![at, json_rows(counts.iter())?], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(last)
    }

    async fn insert(&mut self, rows: Rows<'_>, at: i64) -> Result<u64> {
        let columns = (0..rows.seqs.len())
            .map(|i| (rows.conversations[i], rows.seqs[i], rows.bodies[i], rows.client_ids[i], rows.pending[i]));
        // `WHERE true`: SQLite would read an ON CONFLICT right after the FROM as a join's.
        let mut statement = self.0.prepare_cached(
            "INSERT INTO events (conversation_id, seq, at, body, client_id, pending) \
             SELECT r.value ->> 0, r.value ->> 1, ?1, r.value ->> 2, r.value ->> 3, r.value ->> 4 \
             FROM json_each(?2) r WHERE true ON CONFLICT DO NOTHING",
        )?;
        let inserted = statement.execute(rusqlite::params![at, json_rows(columns)?])?;
        Ok(inserted as u64)
    }

    async fn handled(&mut self, handled: &[Handled]) -> Result<()> {
        let mut statement = self.0.prepare_cached(
            "UPDATE events SET pending = NULL FROM json_each(?) h \
             WHERE events.conversation_id = h.value ->> 0 AND events.seq = h.value ->> 1",
        )?;
        statement.execute([json_rows(handled.iter().map(|h| (&h.conversation_id, h.seq)))?])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::batch::tests::{batched, poisoned_batch_in, seqs};
    use crate::store::sqlite::SqliteStore;

    #[tokio::test]
    async fn a_batch_with_a_refused_item_stores_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.db");
        let store = SqliteStore::open(&format!("sqlite://{}", path.display())).await.unwrap();
        sqlx::query(
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.client_id = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        poisoned_batch_in(&store, EventWriter::open(&path, store.writer.clone()).unwrap()).await;
    }

    /// Appends `c1` to a new conversation from a thread of its own while `hold` keeps a write
    /// going for 100 ms: it waits for that write, then is stored.
    async fn append_beside(name: &str, hold: impl AsyncFnOnce(&SqliteStore, &Path)) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        let store = SqliteStore::open(&format!("sqlite://{}", path.display())).await.unwrap();
        let conversation = crate::store::Store::create_conversation(&store, "demo", "v").await.unwrap().id;
        let writer = EventWriter::open(&path, store.writer.clone()).unwrap();
        let (started, holding) = std::sync::mpsc::channel::<()>();
        let appending = std::thread::spawn(move || {
            holding.recv().expect("told to start");
            let begun = std::time::Instant::now();
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            let answers = runtime.block_on(batched(writer, &[(&conversation, "c1")]));
            (seqs(&answers), begun.elapsed())
        });
        hold(&store, &path).await;
        started.send(()).unwrap();
        let (seqs, waited) = tokio::task::spawn_blocking(move || appending.join().unwrap()).await.unwrap();
        assert_eq!(seqs, [Some(1)]);
        assert!(waited >= Duration::from_millis(90), "it waited for the other write: {waited:?}");
    }

    #[tokio::test]
    async fn an_append_takes_its_turn_after_a_write_of_the_store_in_progress() {
        // The store's writer connection taken for 100 ms, before its write took SQLite's lock:
        // the append waits for its turn in the relay, not at the lock.
        append_beside("turn.db", async |store, _| {
            let write = store.writer.acquire().await.unwrap();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(100)).await;
                drop(write);
            });
        })
        .await;
    }

    #[tokio::test]
    async fn an_append_waits_for_another_process_holding_the_write_lock() {
        append_beside("lock.db", async |_, path| {
            let other = Connection::open(path).unwrap();
            other.execute_batch("BEGIN IMMEDIATE").unwrap();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(100));
                other.execute_batch("COMMIT").unwrap();
            });
        })
        .await;
    }
}
