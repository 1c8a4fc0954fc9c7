//! Claims for PostgreSQL: each claim is one UPDATE over a `FOR UPDATE SKIP LOCKED` selection, so
//! relays claiming at once skip each other's rows instead of waiting or taking them twice. The
//! selection checks state, due time and claim on the row itself, so a row another relay marked
//! or claimed meanwhile is re-checked (and left out) when its lock is taken.

use sqlx::PgPool;

use super::super::{
    rows::{self, Unreadable},
    Claim, OutboxRow, PendingEvent, Result,
};

pub(super) async fn jobs(pool: &PgPool, claim: Claim<'_>, limit: u32) -> Result<(Vec<OutboxRow>, Unreadable<i64>)> {
    // The head of each conversation's line, and only if it is due: a job waiting for its retry
    // (or claimed) holds back the jobs behind it, which keeps per-conversation order.
    let found = claiming(
        pool,
        claim,
        limit,
        "UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN ( \
           SELECT id FROM outbox \
           WHERE id IN (SELECT MIN(id) FROM outbox WHERE state = 'pending' GROUP BY conversation_id) \
             AND state = 'pending' AND not_before <= $3 AND (claimed_until IS NULL OR claimed_until <= $3) \
           ORDER BY not_before, id LIMIT $4 FOR UPDATE SKIP LOCKED) \
         RETURNING id, conversation_id, site, provider, job, attempts, started",
    )
    .await?;
    rows::in_id_order(&found)
}

pub(super) async fn events(
    pool: &PgPool,
    claim: Claim<'_>,
    limit: u32,
) -> Result<(Vec<PendingEvent>, Unreadable<(String, String)>)> {
    let found = claiming(
        pool,
        claim,
        limit,
        "UPDATE webhook_events SET claimed_by = $1, claimed_until = $2 WHERE (provider, event_id) IN ( \
           SELECT provider, event_id FROM webhook_events \
           WHERE position IN (SELECT MIN(position) FROM webhook_events \
                              WHERE processed_at IS NULL AND failed_at IS NULL GROUP BY provider, site, thread) \
             AND processed_at IS NULL AND failed_at IS NULL \
             AND not_before <= $3 AND (claimed_until IS NULL OR claimed_until <= $3) \
           ORDER BY position LIMIT $4 FOR UPDATE SKIP LOCKED) \
         RETURNING provider, event_id, site, event, attempts, not_before, position",
    )
    .await?;
    rows::in_arrival_order(&found)
}

/// Runs a claiming statement: `1` the claimer, `2` the claim's end, `3` now, `4` the limit.
async fn claiming(pool: &PgPool, claim: Claim<'_>, limit: u32, sql: &str) -> Result<Vec<sqlx::postgres::PgRow>> {
    Ok(sqlx::query(sql).bind(claim.by).bind(claim.until).bind(claim.now).bind(i64::from(limit)).fetch_all(pool).await?)
}

pub(super) async fn keep(pool: &PgPool, by: &str, until: i64) -> Result<()> {
    let mut tx = pool.begin().await?;
    for table in ["outbox", "webhook_events"] {
        sqlx::query(&format!("UPDATE {table} SET claimed_until = $1 WHERE claimed_by = $2"))
            .bind(until)
            .bind(by)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(super) async fn release_all(pool: &PgPool) -> Result<()> {
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
