//! SQLite's [`Writer`] for the batcher: a batch is one `BEGIN IMMEDIATE` transaction on the
//! store's single writer connection.

use async_trait::async_trait;
use sqlx::SqlitePool;

use super::super::{
    batch::{Append, Writer, Written},
    now_millis, Result, StoreError,
};

pub(super) struct EventWriter {
    /// The store's writer pool (one connection).
    pub(super) writer: SqlitePool,
}

#[async_trait]
impl Writer for EventWriter {
    async fn write(&mut self, batch: &[Append]) -> Result<Vec<Written>> {
        // IMMEDIATE takes the write lock before the first read: the duplicate check below and
        // the sequence numbers are decided under it (another relay's process on the same
        // file waits, up to the busy timeout).
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let at = now_millis();
        let mut written = Vec::with_capacity(batch.len());
        for append in batch {
            if let Some(client_id) = &append.client_id {
                let existing: Option<i64> =
                    sqlx::query_scalar("SELECT seq FROM events WHERE conversation_id = ? AND client_id = ?")
                        .bind(&append.conversation_id)
                        .bind(client_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(seq) = existing {
                    written.push(Written::Duplicate { seq: seq as u64 });
                    continue;
                }
            }
            let seq: Option<i64> = sqlx::query_scalar(
                "UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? RETURNING last_seq",
            )
            .bind(at)
            .bind(&append.conversation_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(seq) = seq else {
                written.push(Written::NotFound);
                continue;
            };
            // Nothing conflicts under the write lock; if something did, the batch is undone
            // (no sequence number is skipped) and its items are tried again one by one.
            let inserted = sqlx::query(
                "INSERT INTO events (conversation_id, seq, at, body, client_id, pending) VALUES (?, ?, ?, ?, ?, ?) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(&append.conversation_id)
            .bind(seq)
            .bind(at)
            .bind(&append.json)
            .bind(&append.client_id)
            .bind(append.pending)
            .execute(&mut *tx)
            .await?;
            if inserted.rows_affected() != 1 {
                return Err(StoreError::NotWritten(format!(
                    "event {seq} of {} conflicts with a stored one",
                    append.conversation_id
                )));
            }
            written.push(Written::New { seq: seq as u64, at });
        }
        tx.commit().await?;
        Ok(written)
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
