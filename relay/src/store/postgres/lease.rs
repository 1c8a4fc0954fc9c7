//! Conversation leases for PostgreSQL: one row per conversation, taken and renewed by single
//! statements (an `INSERT ... ON CONFLICT DO UPDATE ... WHERE` locks the row, so two relays
//! racing for a free or expired lease cannot both win). Times are the database's clock, so
//! relays on machines whose clocks differ still agree on when a lease expired.

use sqlx::PgPool;

use super::super::{LeaseOutcome, Renewal, Result};

/// The database's clock in milliseconds since the Unix epoch (`clock_timestamp`: the time of
/// the statement, not of its transaction's start).
const NOW_MS: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT";

pub(super) async fn acquire(
    pool: &PgPool,
    conversation_id: &str,
    holder: &str,
    node: &str,
    ttl_ms: i64,
) -> Result<LeaseOutcome> {
    let taken: Option<String> = sqlx::query_scalar(&format!(
        "INSERT INTO conversation_leases AS l (conversation_id, holder, node, expires_at) \
         VALUES ($1, $2, $3, {NOW_MS} + $4) \
         ON CONFLICT (conversation_id) DO UPDATE \
         SET holder = excluded.holder, node = excluded.node, expires_at = excluded.expires_at, \
             release_requested = FALSE \
         WHERE l.expires_at <= {NOW_MS} OR l.holder = excluded.holder \
         RETURNING l.holder"
    ))
    .bind(conversation_id)
    .bind(holder)
    .bind(node)
    .bind(ttl_ms)
    .fetch_optional(pool)
    .await?;
    if taken.is_some() {
        return Ok(LeaseOutcome::Acquired);
    }
    let current: Option<(String, String)> =
        sqlx::query_as("SELECT holder, node FROM conversation_leases WHERE conversation_id = $1")
            .bind(conversation_id)
            .fetch_optional(pool)
            .await?;
    Ok(LeaseOutcome::held_by(current))
}

pub(super) async fn renew(pool: &PgPool, conversation_id: &str, holder: &str, ttl_ms: i64) -> Result<Renewal> {
    let requested: Option<bool> = sqlx::query_scalar(&format!(
        "UPDATE conversation_leases SET expires_at = {NOW_MS} + $1 WHERE conversation_id = $2 AND holder = $3 \
         RETURNING release_requested"
    ))
    .bind(ttl_ms)
    .bind(conversation_id)
    .bind(holder)
    .fetch_optional(pool)
    .await?;
    Ok(requested.map_or(Renewal::Lost, |release_requested| Renewal::Kept { release_requested }))
}

pub(super) async fn request_release(pool: &PgPool, conversation_id: &str, holder: &str) -> Result<()> {
    sqlx::query("UPDATE conversation_leases SET release_requested = TRUE WHERE conversation_id = $1 AND holder = $2")
        .bind(conversation_id)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn release(pool: &PgPool, conversation_id: &str, holder: &str) -> Result<()> {
    sqlx::query("DELETE FROM conversation_leases WHERE conversation_id = $1 AND holder = $2")
        .bind(conversation_id)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}
