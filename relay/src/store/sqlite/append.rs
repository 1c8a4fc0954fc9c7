//! SQLite's [`Writer`] for the batcher: a batch is one `BEGIN IMMEDIATE` transaction on the
//! store's single writer connection, of at most four statements whatever its size
//! ([`plan::write`]), each taking its step's rows as one JSON array read with `json_each`.
//! Each statement is a round trip to sqlx's worker thread, so a batch costs a few hops instead
//! of three per message.

use async_trait::async_trait;
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::super::{
    batch::{
        plan::{self, Rows, Statements},
        Append, Handled, Writer, Written,
    },
    now_millis, Result, StoreError,
};

pub(super) struct EventWriter {
    /// The store's writer pool (one connection).
    pub(super) writer: SqlitePool,
}

#[async_trait]
impl Writer for EventWriter {
    async fn write(&mut self, batch: &[Append], handled: &[Handled]) -> Result<Vec<Written>> {
        // IMMEDIATE takes the write lock before the first read: the duplicate check and the
        // sequence numbers are decided under it (another relay's process on the same file
        // waits, up to the busy timeout). Nothing conflicts under the lock; if something did,
        // the batch is undone (dropped uncommitted) and its items are tried again one by one.
        let mut tx = Batch(self.writer.begin_with("BEGIN IMMEDIATE").await?);
        let written = plan::write(&mut tx, batch, handled, now_millis()).await?;
        tx.0.commit().await?;
        Ok(written)
    }
}

/// A batch's transaction.
struct Batch(Transaction<'static, Sqlite>);

/// A JSON array of the rows given as tuples (each an array).
fn json_rows<T: serde::Serialize>(rows: impl Iterator<Item = T>) -> Result<String> {
    let rows: Vec<T> = rows.collect();
    serde_json::to_string(&rows).map_err(|e| StoreError::Corrupt(format!("a batch could not be encoded: {e}")))
}

#[async_trait]
impl Statements for Batch {
    async fn stored(&mut self, keys: &[(&str, &str)]) -> Result<Vec<(String, String, i64)>> {
        let found = sqlx::query_as(
            "SELECT e.conversation_id, e.client_id, e.seq FROM json_each(?) k \
             JOIN events e ON e.conversation_id = k.value ->> 0 AND e.client_id = k.value ->> 1",
        )
        .bind(json_rows(keys.iter())?)
        .fetch_all(&mut *self.0)
        .await?;
        Ok(found)
    }

    async fn number(&mut self, counts: &[(&str, i64)], at: i64) -> Result<Vec<(String, i64)>> {
        let last = sqlx::query_as(
            "UPDATE conversations SET last_seq = last_seq + (v.value ->> 1), updated_at = ? \
             FROM json_each(?) v WHERE conversations.id = v.value ->> 0 \
             RETURNING conversations.id, conversations.last_seq",
        )
        .bind(at)
        .bind(json_rows(counts.iter())?)
        .fetch_all(&mut *self.0)
        .await?;
        Ok(last)
    }

    async fn insert(&mut self, rows: Rows<'_>, at: i64) -> Result<u64> {
        let columns = (0..rows.seqs.len())
            .map(|i| (rows.conversations[i], rows.seqs[i], rows.bodies[i], rows.client_ids[i], rows.pending[i]));
        // `WHERE true`: SQLite would read an ON CONFLICT right after the FROM as a join's.
        let inserted = sqlx::query(
            "INSERT INTO events (conversation_id, seq, at, body, client_id, pending) \
             SELECT r.value ->> 0, r.value ->> 1, ?, r.value ->> 2, r.value ->> 3, r.value ->> 4 \
             FROM json_each(?) r WHERE true ON CONFLICT DO NOTHING",
        )
        .bind(at)
        .bind(json_rows(columns)?)
        .execute(&mut *self.0)
        .await?;
        Ok(inserted.rows_affected())
    }

    async fn handled(&mut self, handled: &[Handled]) -> Result<()> {
        sqlx::query(
            "UPDATE events SET pending = NULL FROM json_each(?) h \
             WHERE events.conversation_id = h.value ->> 0 AND events.seq = h.value ->> 1",
        )
        .bind(json_rows(handled.iter().map(|h| (&h.conversation_id, h.seq)))?)
        .execute(&mut *self.0)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::batch::tests::poisoned_batch_in;

    #[tokio::test]
    async fn a_batch_with_a_refused_item_stores_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::SqliteStore::open(&format!("sqlite://{}/b.db", dir.path().display())).await.unwrap();
        sqlx::query(
            "CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.client_id = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned'); END",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        poisoned_batch_in(&store, EventWriter { writer: store.writer.clone() }).await;
    }
}
