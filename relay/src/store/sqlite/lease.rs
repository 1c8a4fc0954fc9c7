//! Conversation leases for SQLite (one machine, so the relay's clock is the lease clock).

use sqlx::SqlitePool;

use super::super::{now_millis, LeaseOutcome, Renewal, Result};

pub(super) async fn acquire(
    pool: &SqlitePool,
    conversation_id: &str,
    holder: &str,
    node: &str,
    ttl_ms: i64,
) -> Result<LeaseOutcome> {
    let now = now_millis();
    let taken: Option<String> = sqlx::query_scalar(
        "INSERT INTO conversation_leases (conversation_id, holder, node, expires_at) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (conversation_id) DO UPDATE \
         SET holder = excluded.holder, node = excluded.node, expires_at = excluded.expires_at, release_requested = 0 \
         WHERE conversation_leases.expires_at <= ?5 OR conversation_leases.holder = excluded.holder \
         RETURNING holder",
    )
    .bind(conversation_id)
    .bind(holder)
    .bind(node)
    .bind(now + ttl_ms)
    .bind(now)
    .fetch_optional(pool)
    .await?;
    if taken.is_some() {
        return Ok(LeaseOutcome::Acquired);
    }
    let current: Option<(String, String)> =
        sqlx::query_as("SELECT holder, node FROM conversation_leases WHERE conversation_id = ?")
            .bind(conversation_id)
            .fetch_optional(pool)
            .await?;
    Ok(LeaseOutcome::held_by(current))
}

pub(super) async fn renew(pool: &SqlitePool, conversation_id: &str, holder: &str, ttl_ms: i64) -> Result<Renewal> {
    let requested: Option<bool> = sqlx::query_scalar(
        "UPDATE conversation_leases SET expires_at = ? WHERE conversation_id = ? AND holder = ? \
         RETURNING release_requested != 0",
    )
    .bind(now_millis() + ttl_ms)
    .bind(conversation_id)
    .bind(holder)
    .fetch_optional(pool)
    .await?;
    Ok(requested.map_or(Renewal::Lost, |release_requested| Renewal::Kept { release_requested }))
}

pub(super) async fn request_release(pool: &SqlitePool, conversation_id: &str, holder: &str) -> Result<()> {
    sqlx::query("UPDATE conversation_leases SET release_requested = 1 WHERE conversation_id = ? AND holder = ?")
        .bind(conversation_id)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}

pub(super) async fn release(pool: &SqlitePool, conversation_id: &str, holder: &str) -> Result<()> {
    sqlx::query("DELETE FROM conversation_leases WHERE conversation_id = ? AND holder = ?")
        .bind(conversation_id)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}
