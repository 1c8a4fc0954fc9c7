//! PostgreSQL's [`Writer`] for the batcher. A batch is first tried as ONE statement
//! ([`at_once`]: the conversations' numbers raised, the events inserted, the handled marks
//! cleared, by data-modifying `WITH` queries over arrays), which commits on its own: one round
//! trip and one commit, where the transaction below costs six round trips. Should any row
//! conflict (a client id stored already: a widget's retry; a row another relay wrote), that
//! statement fails as a whole, nothing of it is written, and the batch is written again as one
//! transaction of at most four statements ([`plan::write`]), which tells duplicates apart.

use async_trait::async_trait;
use sqlx::{PgPool, Postgres, Transaction};

use super::super::{
    batch::{
        plan::{self, AtOnce, Rows, Statements},
        Append, Handled, Writer, Written,
    },
    now_millis, Result, StoreError,
};

/// How the batcher's connection plans: each statement once, on first use (a generic plan),
/// instead of for every batch, and by index. Left to PostgreSQL (`plan_cache_mode = auto`), a
/// statement over arrays is planned anew on every run, as a custom plan for the array's length
/// always looks cheaper: a `perf` profile of three relays at 1,000 visitor messages/s had 28 %
/// of PostgreSQL's CPU in the planner, and planning the batch's statement took 0.5 ms of its
/// 1.2. Every statement here names its rows by key (`= ANY` of the batch's ids, which an index
/// serves; a join against `unnest` alone is planned as a scan of the whole table), and
/// `enable_seqscan = off` keeps a plan made while a table was still small or never analysed
/// (a new deployment's) from scanning it once it has grown: a plan is made once per connection
/// and kept until the table's statistics change.
pub(super) const PLANNING: [(&str, &str); 2] = [("plan_cache_mode", "force_generic_plan"), ("enable_seqscan", "off")];

/// The batcher's writer: a pool of one connection, its own ([`PLANNING`]).
pub(super) struct EventWriter {
    pub(super) pool: PgPool,
}

#[async_trait]
impl Writer for EventWriter {
    async fn write(&mut self, batch: &[Append], handled: &[Handled]) -> Result<Vec<Written>> {
        let at = now_millis();
        match at_once(&self.pool, batch, handled, at).await {
            Err(StoreError::Database(error)) if is_conflict(&error) => {}
            written => return written,
        }
        let mut tx = Batch(self.pool.begin().await?);
        let written = plan::write(&mut tx, batch, handled, at).await?;
        tx.0.commit().await?;
        Ok(written)
    }
}

/// A unique key's violation: some row of the batch is stored already.
fn is_conflict(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|e| e.is_unique_violation())
}

/// [`at_once`]'s statement: the conversations' numbers raised, the events inserted, the handled
/// marks cleared; `$1`/`$2` the conversations and their counts, `$3` the time, `$4`..`$8` the
/// rows, `$9`/`$10` the handled marks.
const AT_ONCE: &str = "WITH v AS (SELECT * FROM unnest($1::text[], $2::bigint[]) AS v(id, n)), \
     u AS (UPDATE conversations c SET last_seq = c.last_seq + v.n, updated_at = $3 FROM v \
           WHERE c.id = ANY($1::text[]) AND c.id = v.id \
           RETURNING c.id, c.last_seq - v.n AS before), \
     h AS (UPDATE events e SET pending = NULL \
           FROM unnest($9::text[], $10::bigint[]) AS h(conversation_id, seq) \
           WHERE e.conversation_id = ANY($9::text[]) AND e.pending IS NOT NULL \
             AND e.conversation_id = h.conversation_id AND e.seq = h.seq), \
     i AS (INSERT INTO events (conversation_id, seq, at, body, client_id, pending) \
           SELECT r.conversation_id, u.before + r.nth, $3, r.body::json, r.client_id, r.pending \
           FROM unnest($4::text[], $5::bigint[], $6::text[], $7::text[], $8::text[]) \
             AS r(conversation_id, nth, body, client_id, pending) \
           JOIN u ON u.id = r.conversation_id) \
     SELECT id, before FROM u";

/// The batch in one statement, taking every client id for new ([`AtOnce`]). Each
/// conversation's `last_seq` before the batch comes back; a missing conversation's rows are not
/// inserted (the `JOIN`).
async fn at_once(pool: &PgPool, batch: &[Append], handled: &[Handled], at: i64) -> Result<Vec<Written>> {
    let plan = AtOnce::new(batch);
    let (ids, counts): (Vec<&str>, Vec<i64>) = plan.counts.iter().copied().unzip();
    let before: Vec<(String, i64)> = sqlx::query_as(AT_ONCE)
        .bind(ids)
        .bind(counts)
        .bind(at)
        .bind(&plan.rows.conversations)
        .bind(&plan.rows.seqs)
        .bind(&plan.rows.bodies)
        .bind(&plan.rows.client_ids)
        .bind(&plan.rows.pending)
        .bind(handled.iter().map(|h| h.conversation_id.as_str()).collect::<Vec<_>>())
        .bind(handled.iter().map(|h| h.seq as i64).collect::<Vec<_>>())
        .fetch_all(pool)
        .await?;
    Ok(plan.outcomes(batch, &before, at))
}

/// A batch's transaction.
struct Batch(Transaction<'static, Postgres>);

#[async_trait]
impl Statements for Batch {
    async fn stored(&mut self, keys: &[(&str, &str)]) -> Result<Vec<(String, String, i64)>> {
        let (conversations, client_ids): (Vec<&str>, Vec<&str>) = keys.iter().copied().unzip();
        let found = sqlx::query_as(
            "SELECT e.conversation_id, e.client_id, e.seq FROM events e \
             JOIN unnest($1::text[], $2::text[]) AS k(conversation_id, client_id) \
               ON e.conversation_id = k.conversation_id AND e.client_id = k.client_id \
             WHERE e.conversation_id = ANY($1::text[]) AND e.client_id = ANY($2::text[])",
        )
        .bind(conversations)
        .bind(client_ids)
        .fetch_all(&mut *self.0)
        .await?;
        Ok(found)
    }

    /// One UPDATE that locks each conversation's row (the batch is sorted by conversation, so
    /// relays lock rows in one order).
    async fn number(&mut self, counts: &[(&str, i64)], at: i64) -> Result<Vec<(String, i64)>> {
        let (ids, counts): (Vec<&str>, Vec<i64>) = counts.iter().copied().unzip();
        let last = sqlx::query_as(
            "UPDATE conversations c SET last_seq = c.last_seq + v.n, updated_at = $3 \
             FROM unnest($1::text[], $2::bigint[]) AS v(id, n) WHERE c.id = ANY($1::text[]) AND c.id = v.id \
             RETURNING c.id, c.last_seq",
        )
        .bind(ids)
        .bind(counts)
        .bind(at)
        .fetch_all(&mut *self.0)
        .await?;
        Ok(last)
    }

    /// ON CONFLICT DO NOTHING: a row another relay wrote meanwhile is not an error of the
    /// statement; it shows as fewer rows inserted, which undoes the batch.
    async fn insert(&mut self, rows: Rows<'_>, at: i64) -> Result<u64> {
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
        .execute(&mut *self.0)
        .await?;
        Ok(inserted.rows_affected())
    }

    async fn handled(&mut self, handled: &[Handled]) -> Result<()> {
        sqlx::query(
            "UPDATE events e SET pending = NULL FROM unnest($1::text[], $2::bigint[]) AS h(conversation_id, seq) \
             WHERE e.conversation_id = ANY($1::text[]) AND e.pending IS NOT NULL \
               AND e.conversation_id = h.conversation_id AND e.seq = h.seq",
        )
        .bind(handled.iter().map(|h| h.conversation_id.as_str()).collect::<Vec<_>>())
        .bind(handled.iter().map(|h| h.seq as i64).collect::<Vec<_>>())
        .execute(&mut *self.0)
        .await?;
        Ok(())
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

    /// The batcher's connection plans the batch's statement once, without the values, and
    /// that plan reaches every row by index, on tables as a new deployment has them (empty,
    /// never analysed), where a plan left to the defaults scans `conversations` whole.
    #[tokio::test]
    async fn the_batch_statement_is_planned_once_and_reaches_rows_by_index() {
        use sqlx::{postgres::PgConnectOptions, Connection};
        use std::str::FromStr;

        let Scratch { mut admin, schema, url } = Scratch::new("plan").await;
        let store = PostgresStore::open(&url).await.unwrap();
        let plan_of = |planning: &'static [(&'static str, &'static str)]| {
            let url = url.clone();
            async move {
                let options = PgConnectOptions::from_str(&url).unwrap().options(planning.iter().copied());
                let mut connection = sqlx::PgConnection::connect_with(&options).await.unwrap();
                connection.execute(format!("PREPARE batch AS {AT_ONCE}").as_str()).await.unwrap();
                let lines: Vec<String> = sqlx::query_scalar(
                    "EXPLAIN EXECUTE batch('{c}', '{1}', 0, '{c}', '{1}', '{\"{}\"}', '{x}', '{widget}', '{c}', '{1}')",
                )
                .fetch_all(&mut connection)
                .await
                .unwrap();
                lines.join("\n")
            }
        };
        let plan = plan_of(&PLANNING).await;
        assert!(plan.contains("$1") && plan.contains("$9"), "a generic plan, made without the values:\n{plan}");
        assert!(!plan.contains("Seq Scan"), "every row by index:\n{plan}");
        assert!(plan.contains("conversations_pkey") && plan.contains("events_pending"), "{plan}");
        let generic_by_default = plan_of(&[("plan_cache_mode", "force_generic_plan")]).await;
        assert!(generic_by_default.contains("Seq Scan on conversations"), "the setting matters:\n{generic_by_default}");
        store.pool.close().await;
        admin.execute(format!("DROP SCHEMA {schema} CASCADE").as_str()).await.unwrap();
    }
}
