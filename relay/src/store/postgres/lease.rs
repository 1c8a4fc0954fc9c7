//! Conversation leases for PostgreSQL: one row per conversation, taken and renewed by single
//! statements (an `INSERT ... ON CONFLICT DO UPDATE ... WHERE` locks the row, so two relays
//! racing for a free or expired lease cannot both win). Times are the database's clock, so
//! relays on machines whose clocks differ still agree on when a lease expired.

use sqlx::PgPool;

use super::super::{lease::renewals, LeaseOutcome, Renewal, Result};

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

/// Every lease of `leases` its holder still has, extended in one statement.
pub(super) async fn renew(pool: &PgPool, leases: &[(&str, &str)], ttl_ms: i64) -> Result<Vec<Renewal>> {
    if leases.is_empty() {
        return Ok(Vec::new());
    }
    let (conversations, holders): (Vec<&str>, Vec<&str>) = leases.iter().copied().unzip();
    let kept: Vec<(String, String, bool)> = sqlx::query_as(&format!(
        "UPDATE conversation_leases l SET expires_at = {NOW_MS} + $3 \
         FROM unnest($1::text[], $2::text[]) AS r(conversation_id, holder) \
         WHERE l.conversation_id = r.conversation_id AND l.holder = r.holder \
         RETURNING l.conversation_id, l.holder, l.release_requested"
    ))
    .bind(conversations)
    .bind(holders)
    .bind(ttl_ms)
    .fetch_all(pool)
    .await?;
    Ok(renewals(leases, kept))
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
