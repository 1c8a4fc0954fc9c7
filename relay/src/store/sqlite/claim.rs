//! Claims for SQLite: each claim is one `UPDATE ... RETURNING`, which runs under SQLite's write
//! lock, so relays (processes) sharing the file never claim the same row.

use sqlx::SqlitePool;

use super::super::{
    rows::{self, Unreadable},
    Claim, OutboxRow, PendingEvent, Result,
};

pub(super) async fn jobs(pool: &SqlitePool, claim: Claim<'_>, limit: u32) -> Result<(Vec<OutboxRow>, Unreadable<i64>)> {
    // The head of each conversation's line, and only if it is due: a job waiting for its retry
    // (or claimed) holds back the jobs behind it, which keeps per-conversation order.
    let found = claiming(
        pool,
        claim,
        limit,
        "UPDATE outbox SET claimed_by = ?1, claimed_until = ?2 WHERE id IN ( \
           SELECT o.id FROM outbox o \
           JOIN (SELECT MIN(id) AS id FROM outbox WHERE state = 'pending' GROUP BY conversation_id) head \
             ON head.id = o.id \
           WHERE o.not_before <= ?3 AND (o.claimed_until IS NULL OR o.claimed_until <= ?3) \
           ORDER BY o.not_before, o.id LIMIT ?4) \
         RETURNING id, conversation_id, site, provider, job, attempts, started",
    )
    .await?;
    rows::in_id_order(&found)
}

pub(super) async fn events(
    pool: &SqlitePool,
    claim: Claim<'_>,
    limit: u32,
) -> Result<(Vec<PendingEvent>, Unreadable<(String, String)>)> {
    let found = claiming(
        pool,
        claim,
        limit,
        "UPDATE webhook_events SET claimed_by = ?1, claimed_until = ?2 WHERE (provider, event_id) IN ( \
           SELECT w.provider, w.event_id FROM webhook_events w \
           JOIN (SELECT MIN(position) AS position FROM webhook_events \
                 WHERE event IS NOT NULL AND processed_at IS NULL AND failed_at IS NULL \
                 GROUP BY provider, site, thread) head ON head.position = w.position \
           WHERE w.not_before <= ?3 AND (w.claimed_until IS NULL OR w.claimed_until <= ?3) \
           ORDER BY w.position LIMIT ?4) \
         RETURNING provider, event_id, site, event, attempts, not_before, position",
    )
    .await?;
    rows::in_arrival_order(&found)
}

/// Runs a claiming statement: `1` the claimer, `2` the claim's end, `3` now, `4` the limit.
async fn claiming(pool: &SqlitePool, claim: Claim<'_>, limit: u32, sql: &str) -> Result<Vec<sqlx::sqlite::SqliteRow>> {
    Ok(sqlx::query(sql).bind(claim.by).bind(claim.until).bind(claim.now).bind(limit).fetch_all(pool).await?)
}

pub(super) async fn keep(pool: &SqlitePool, by: &str, until: i64) -> Result<()> {
    let mut tx = pool.begin().await?;
    for table in ["outbox", "webhook_events"] {
        sqlx::query(&format!("UPDATE {table} SET claimed_until = ?1 WHERE claimed_by = ?2"))
            .bind(until)
            .bind(by)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn release_all(pool: &SqlitePool) -> Result<()> {
    let mut tx = pool.begin().await?;
    for table in ["outbox", "webhook_events"] {
        sqlx::query(&format!(
            "UPDATE {table} SET claimed_by = NULL, claimed_until = NULL WHERE claimed_by IS NOT NULL"
        ))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
