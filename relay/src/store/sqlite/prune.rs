//! Retention's deletions for SQLite, in small batches so no statement holds the write lock
//! for long.

use sqlx::SqlitePool;

use super::super::{PruneBefore, Result};

/// Which conversations may go: with the bot (or ended), no helpdesk call pending, and either
/// nothing after the greeting since `?1` or nothing at all since `?2`. Expects the
/// conversation as `c`.
const PRUNABLE: &str = "c.phase IN ('bot', 'ended') \
     AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.conversation_id = c.id AND o.state = 'pending') \
     AND NOT EXISTS (SELECT 1 FROM events e WHERE e.conversation_id = c.id AND e.pending IS NOT NULL) \
     AND ((c.last_seq <= 1 AND c.updated_at < ?1) OR c.updated_at < ?2)";

/// `None` as a time no row is older than.
fn cutoffs(before: PruneBefore) -> (i64, i64) {
    (before.empty.unwrap_or(i64::MIN), before.idle.unwrap_or(i64::MIN))
}

pub(super) async fn prunable_conversations(pool: &SqlitePool, before: PruneBefore, limit: u32) -> Result<Vec<String>> {
    let (empty, idle) = cutoffs(before);
    let sql = format!("SELECT c.id FROM conversations c WHERE {PRUNABLE} ORDER BY c.updated_at LIMIT ?3");
    Ok(sqlx::query_scalar(&sql).bind(empty).bind(idle).bind(limit).fetch_all(pool).await?)
}

pub(super) async fn delete_conversations(pool: &SqlitePool, ids: &[String], before: PruneBefore) -> Result<u32> {
    let (empty, idle) = cutoffs(before);
    let still = format!("EXISTS (SELECT 1 FROM conversations c WHERE c.id = ?3 AND {PRUNABLE})");
    let mut deleted = 0;
    let mut tx = pool.begin().await?;
    for id in ids {
        // Each statement checks again whether the conversation may go: the first one is a
        // write, so the check and the deletions happen under SQLite's write lock and nothing
        // (a visitor's message, a handover) can slip in between. Children first: foreign keys.
        for table in ["events", "follow_ups", "outbox"] {
            let sql = format!("DELETE FROM {table} WHERE conversation_id = ?3 AND {still}");
            sqlx::query(&sql).bind(empty).bind(idle).bind(id).execute(&mut *tx).await?;
        }
        let sql = format!("DELETE FROM conversations WHERE id = ?3 AND {still}");
        let done = sqlx::query(&sql).bind(empty).bind(idle).bind(id).execute(&mut *tx).await?;
        deleted += done.rows_affected() as u32;
    }
    tx.commit().await?;
    Ok(deleted)
}

pub(super) async fn webhook_events(pool: &SqlitePool, before: i64, limit: u32) -> Result<u32> {
    // Rows from before events were kept (no `event`) count as processed when first seen.
    let done = sqlx::query(
        "DELETE FROM webhook_events WHERE (provider, event_id) IN (SELECT provider, event_id FROM webhook_events \
         WHERE (processed_at IS NOT NULL AND processed_at < ?1) OR (event IS NULL AND first_seen_at < ?1) LIMIT ?2)",
    )
    .bind(before)
    .bind(limit)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() as u32)
}

pub(super) async fn outbox(pool: &SqlitePool, before: i64, limit: u32) -> Result<u32> {
    let done = sqlx::query(
        "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE state = 'done' AND created_at < ?1 LIMIT ?2)",
    )
    .bind(before)
    .bind(limit)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() as u32)
}
