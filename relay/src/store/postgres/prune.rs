//! Retention's deletions for PostgreSQL, in small batches.

use sqlx::PgPool;

use super::super::{PruneBefore, Result};

/// Which conversations may go: with the bot (or ended), no helpdesk call pending, no visitor
/// message still to handle, and either nothing after the greeting since `$1` or nothing at all
/// since `$2`. Expects the conversation as `c`.
const PRUNABLE: &str = "c.phase IN ('bot', 'ended') \
     AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.conversation_id = c.id AND o.state = 'pending') \
     AND NOT EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = c.id AND e.pending IS NOT NULL) \
     AND ((c.last_seq <= 1 AND c.updated_at < $1) OR c.updated_at < $2)";

/// `None` as a time no row is older than.
fn cutoffs(before: PruneBefore) -> (i64, i64) {
    (before.empty.unwrap_or(i64::MIN), before.idle.unwrap_or(i64::MIN))
}

pub(super) async fn prunable_conversations(pool: &PgPool, before: PruneBefore, limit: u32) -> Result<Vec<String>> {
    let (empty, idle) = cutoffs(before);
    let sql = format!("SELECT c.id FROM conversations c WHERE {PRUNABLE} ORDER BY c.updated_at LIMIT $3");
    Ok(sqlx::query_scalar(&sql).bind(empty).bind(idle).bind(i64::from(limit)).fetch_all(pool).await?)
}

pub(super) async fn delete_conversations(pool: &PgPool, ids: &[String], before: PruneBefore) -> Result<u32> {
    let (empty, idle) = cutoffs(before);
    let mut tx = pool.begin().await?;
    // Lock the conversations first (in one order, so two pruning relays cannot deadlock): an
    // append, a handover or a new outbox job or follow-up needs that row (its UPDATE, or its
    // foreign key's share lock), so nothing can slip in between the check below and the
    // deletions; writers already under way are waited for, and the check, a later statement,
    // sees what they committed.
    let locked: Vec<String> =
        sqlx::query_scalar("SELECT id FROM conversations WHERE id = ANY($1) ORDER BY id FOR UPDATE")
            .bind(ids)
            .fetch_all(&mut *tx)
            .await?;
    let sql = format!("SELECT c.id FROM conversations c WHERE c.id = ANY($3) AND {PRUNABLE}");
    let prunable: Vec<String> =
        sqlx::query_scalar(&sql).bind(empty).bind(idle).bind(&locked).fetch_all(&mut *tx).await?;
    // Children first: foreign keys.
    for table in ["events", "follow_ups", "outbox"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE conversation_id = ANY($1)"))
            .bind(&prunable)
            .execute(&mut *tx)
            .await?;
    }
    let done = sqlx::query("DELETE FROM conversations WHERE id = ANY($1)").bind(&prunable).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(done.rows_affected() as u32)
}

pub(super) async fn webhook_events(pool: &PgPool, before: i64, limit: u32) -> Result<u32> {
    let done = sqlx::query(
        "DELETE FROM webhook_events WHERE (provider, event_id) IN (SELECT provider, event_id FROM webhook_events \
         WHERE processed_at IS NOT NULL AND processed_at < $1 LIMIT $2)",
    )
    .bind(before)
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() as u32)
}

pub(super) async fn outbox(pool: &PgPool, before: i64, limit: u32) -> Result<u32> {
    let done = sqlx::query(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 'done' AND created_at < $1 LIMIT $2)",
    )
    .bind(before)
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() as u32)
}
