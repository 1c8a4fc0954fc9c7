//! Conversation leases for SQLite (one machine, so the relay's clock is the lease clock).

use sqlx::SqlitePool;

use super::super::{lease::renewals, now_millis, LeaseOutcome, Renewal, Result, StoreError};

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

/// Every lease of `leases` its holder still has, extended in one statement (the pairs as one
/// JSON array, read with `json_each`).
pub(super) async fn renew(pool: &SqlitePool, leases: &[(&str, &str)], ttl_ms: i64) -> Result<Vec<Renewal>> {
    if leases.is_empty() {
        return Ok(Vec::new());
    }
    let pairs =
        serde_json::to_string(leases).map_err(|e| StoreError::Corrupt(format!("leases could not be encoded: {e}")))?;
    let kept: Vec<(String, String, bool)> = sqlx::query_as(
        "UPDATE conversation_leases SET expires_at = ? FROM json_each(?) r \
         WHERE conversation_leases.conversation_id = r.value ->> 0 AND conversation_leases.holder = r.value ->> 1 \
         RETURNING conversation_leases.conversation_id, conversation_leases.holder, release_requested != 0",
    )
    .bind(now_millis() + ttl_ms)
    .bind(pairs)
    .fetch_all(pool)
    .await?;
    Ok(renewals(leases, kept))
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
