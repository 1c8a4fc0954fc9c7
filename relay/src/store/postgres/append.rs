//! PostgreSQL's [`Writer`] for the batcher: a batch is one transaction of three statements
//! whatever its size (the duplicates, the sequence numbers, the events), each taking the
//! batch's columns as arrays, so a batch of 256 costs three round trips and one commit.

use std::collections::{hash_map::Entry, HashMap};

use async_trait::async_trait;
use sqlx::PgPool;

use super::super::{
    batch::{Append, Writer, Written},
    columns::TextColumn,
    now_millis, Result, StoreError,
};

pub(super) struct EventWriter {
    pub(super) pool: PgPool,
}

#[async_trait]
impl Writer for EventWriter {
    async fn write(&mut self, batch: &[Append]) -> Result<Vec<Written>> {
        let mut tx = self.pool.begin().await?;
        let at = now_millis();

        // 1. Client ids stored before (a resend): those items are duplicates.
        let keyed: Vec<&Append> = batch.iter().filter(|a| a.client_id.is_some()).collect();
        let stored: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT e.conversation_id, e.client_id, e.seq FROM events e \
             JOIN unnest($1::text[], $2::text[]) AS k(conversation_id, client_id) \
               ON e.conversation_id = k.conversation_id AND e.client_id = k.client_id",
        )
        .bind(keyed.iter().map(|a| a.conversation_id.as_str()).collect::<Vec<_>>())
        .bind(keyed.iter().map(|a| a.client_id.as_deref().unwrap_or_default()).collect::<Vec<_>>())
        .fetch_all(&mut *tx)
        .await?;
        let stored: HashMap<(&str, &str), u64> =
            stored.iter().map(|(c, id, seq)| ((c.as_str(), id.as_str()), *seq as u64)).collect();

        // 2. What each item is: a duplicate of a stored event or of an earlier item, or new.
        let mut first: HashMap<(&str, &str), usize> = HashMap::new();
        let plans: Vec<Plan> = batch
            .iter()
            .enumerate()
            .map(|(i, append)| {
                let Some(client_id) = append.client_id.as_deref() else { return Plan::New };
                let key = (append.conversation_id.as_str(), client_id);
                if let Some(&seq) = stored.get(&key) {
                    return Plan::Stored(seq);
                }
                match first.entry(key) {
                    Entry::Occupied(earlier) => Plan::SameAs(*earlier.get()),
                    Entry::Vacant(entry) => {
                        entry.insert(i);
                        Plan::New
                    }
                }
            })
            .collect();
        // How many new events each conversation gets (the batch is sorted by conversation: its
        // items are adjacent), then their numbers, in one UPDATE that locks each one's row.
        let mut counts: Vec<(&str, i64)> = Vec::new();
        for (append, _) in batch.iter().zip(&plans).filter(|(_, plan)| matches!(plan, Plan::New)) {
            match counts.last_mut() {
                Some((id, n)) if *id == append.conversation_id => *n += 1,
                _ => counts.push((&append.conversation_id, 1)),
            }
        }
        let last: Vec<(String, i64)> = sqlx::query_as(
            "UPDATE conversations c SET last_seq = c.last_seq + v.n, updated_at = $3 \
             FROM unnest($1::text[], $2::bigint[]) AS v(id, n) WHERE c.id = v.id RETURNING c.id, c.last_seq",
        )
        .bind(counts.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(counts.iter().map(|(_, n)| *n).collect::<Vec<_>>())
        .bind(at)
        .fetch_all(&mut *tx)
        .await?;
        // Each conversation's next number: its new last_seq minus what this batch adds, plus 1.
        let added: HashMap<&str, i64> = counts.iter().copied().collect();
        let mut next: HashMap<&str, i64> = last
            .iter()
            .map(|(id, last)| (id.as_str(), last - added.get(id.as_str()).copied().unwrap_or(0) + 1))
            .collect();

        // 3. The events. ON CONFLICT DO NOTHING: a row another relay wrote meanwhile is not an
        // error of the statement; it shows as fewer rows inserted, which undoes the batch.
        let mut rows = Rows::default();
        let mut written: Vec<Written> = Vec::with_capacity(batch.len());
        for (append, plan) in batch.iter().zip(&plans) {
            let outcome = match *plan {
                Plan::Stored(seq) => Written::Duplicate { seq },
                // `earlier` < this item's index: already decided.
                Plan::SameAs(earlier) => match written[earlier] {
                    Written::New { seq, .. } => Written::Duplicate { seq },
                    other => other,
                },
                Plan::New => match next.get_mut(append.conversation_id.as_str()) {
                    Some(seq) => {
                        rows.push(append, *seq);
                        *seq += 1;
                        Written::New { seq: (*seq - 1) as u64, at }
                    }
                    None => Written::NotFound,
                },
            };
            written.push(outcome);
        }
        let expected = rows.seqs.len() as u64;
        let inserted = sqlx::query(
            "INSERT INTO events (conversation_id, seq, at, body, client_id, pending) \
             SELECT conversation_id, seq, $3, body::json, client_id, pending \
             FROM unnest($1::text[], $2::bigint[], $4::text[], $5::text[], $6::text[]) \
               AS r(conversation_id, seq, body, client_id, pending) \
             ON CONFLICT DO NOTHING",
        )
        .bind(rows.conversations)
        .bind(rows.seqs)
        .bind(at)
        .bind(rows.bodies)
        .bind(rows.client_ids)
        .bind(rows.pending)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() != expected {
            return Err(StoreError::NotWritten(format!(
                "{} of {expected} events conflict with rows written meanwhile",
                expected - inserted.rows_affected()
            )));
        }
        tx.commit().await?;
        Ok(written)
    }
}

/// What an item of the batch is.
enum Plan {
    /// Its client id is stored already, as this event.
    Stored(u64),
    /// Its client id is the one of an earlier item of the batch (its index).
    SameAs(usize),
    New,
}

/// The events to insert, column by column.
#[derive(Default)]
struct Rows<'a> {
    conversations: Vec<&'a str>,
    seqs: Vec<i64>,
    bodies: Vec<&'a str>,
    client_ids: Vec<Option<&'a str>>,
    pending: Vec<Option<&'static str>>,
}

impl<'a> Rows<'a> {
    fn push(&mut self, append: &'a Append, seq: i64) {
        self.conversations.push(&append.conversation_id);
        self.seqs.push(seq);
        self.bodies.push(&append.json);
        self.client_ids.push(append.client_id.as_deref());
        self.pending.push(append.pending.map(TextColumn::column_name));
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Executor;

    use super::*;
    use crate::store::{batch::tests::poisoned_batch_in, postgres::Scratch, PostgresStore};

    #[tokio::test]
    async fn a_batch_with_a_refused_item_stores_the_others() {
        let Scratch { mut admin, schema, url } = Scratch::new("batch").await;
        let store = PostgresStore::open(&url).await.unwrap();
        store
            .pool
            .execute(
                "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.client_id = 'poison' THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$; \
                 CREATE TRIGGER poison BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION poison();",
            )
            .await
            .unwrap();
        poisoned_batch_in(&store, EventWriter { pool: store.pool.clone() }).await;
        store.pool.close().await;
        admin.execute(format!("DROP SCHEMA {schema} CASCADE").as_str()).await.unwrap();
    }
}
