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

#[cfg(test)]
mod tests {
    use shared::{Author, EventBody, Message};

    use super::super::super::{now_millis, Handover, Store};
    use super::super::SqliteStore;
    use super::*;

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        (dir, SqliteStore::open(&url).await.unwrap())
    }

    fn text(role: Author, text: &str) -> EventBody {
        EventBody::Message(Message {
            author: role,
            text: text.into(),
            client_id: None,
            source: None,
            quick_replies: Vec::new(),
            draft_id: None,
        })
    }

    /// Everything existing now counts as old.
    fn everything() -> PruneBefore {
        let later = now_millis() + 60_000;
        PruneBefore { empty: Some(later), idle: Some(later) }
    }

    #[tokio::test]
    async fn empty_and_idle_conversations_go_active_ones_stay() {
        let (_dir, store) = store().await;
        let empty = store.create_conversation("demo", "h1").await.unwrap().id;
        store.append(&empty, &text(Author::bot("Baton"), "Hi!"), None).await.unwrap();
        let chatted = store.create_conversation("demo", "h2").await.unwrap().id;
        store.append(&chatted, &text(Author::bot("Baton"), "Hi!"), None).await.unwrap();
        store.append(&chatted, &text(Author::visitor(), "Where is my order?"), Some("c1")).await.unwrap();
        let waiting = store.create_conversation("demo", "h3").await.unwrap().id;
        let handover = Handover { phase: "waiting".into(), ..Handover::default() };
        store.set_handover(&waiting, &handover).await.unwrap();
        let forwarding = store.create_conversation("demo", "h4").await.unwrap().id;
        store.append(&forwarding, &text(Author::visitor(), "hello"), Some("c1")).await.unwrap();
        store.enqueue(&forwarding, "demo", "intercom", "{}").await.unwrap();

        // Only the empty one is old enough to go as empty; idle pruning is off.
        let only_empty = PruneBefore { idle: None, ..everything() };
        assert_eq!(store.prunable_conversations(only_empty, 10).await.unwrap(), vec![empty.clone()]);
        // Idle: every conversation with the bot and no pending call.
        let mut ids = store.prunable_conversations(everything(), 10).await.unwrap();
        ids.sort();
        let mut expected = vec![empty.clone(), chatted.clone()];
        expected.sort();
        assert_eq!(ids, expected);

        // Asked to delete all four, only the prunable ones go, with their events.
        let all = vec![empty.clone(), chatted.clone(), waiting.clone(), forwarding.clone()];
        assert_eq!(store.delete_conversations(&all, everything()).await.unwrap(), 2);
        assert!(store.conversation(&empty).await.unwrap().is_none());
        assert!(store.conversation(&chatted).await.unwrap().is_none());
        assert!(store.events_after(&chatted, 0, 10).await.unwrap().is_empty());
        assert!(store.conversation(&waiting).await.unwrap().is_some());
        assert_eq!(store.events_after(&forwarding, 0, 10).await.unwrap().len(), 1);
        assert_eq!(store.pending_jobs(&forwarding).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_conversation_with_a_message_still_to_handle_is_kept() {
        let (_dir, store) = store().await;
        let unhandled = store.create_conversation("demo", "h1").await.unwrap().id;
        store.append_visitor(&unhandled, &text(Author::visitor(), "hello?"), "c1", "widget").await.unwrap();
        assert!(store.prunable_conversations(everything(), 10).await.unwrap().is_empty());
        assert_eq!(store.delete_conversations(&[unhandled.clone()], everything()).await.unwrap(), 0);
        assert!(store.conversation(&unhandled).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn recent_conversations_are_not_prunable() {
        let (_dir, store) = store().await;
        store.create_conversation("demo", "h1").await.unwrap();
        let an_hour_ago = now_millis() - 3_600_000;
        let before = PruneBefore { empty: Some(an_hour_ago), idle: Some(an_hour_ago) };
        assert!(store.prunable_conversations(before, 10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn processed_webhook_events_and_delivered_jobs_go_in_batches() {
        let (_dir, store) = store().await;
        for n in 0..5 {
            store.record_event("intercom", "demo", &format!("e{n}"), "{}").await.unwrap();
        }
        for n in 0..4 {
            store.event_processed("intercom", &format!("e{n}")).await.unwrap();
        }
        let later = now_millis() + 60_000;
        assert_eq!(store.prune_webhook_events(later, 3).await.unwrap(), 3);
        assert_eq!(store.prune_webhook_events(later, 3).await.unwrap(), 1);
        assert_eq!(store.prune_webhook_events(later, 3).await.unwrap(), 0);
        assert_eq!(store.unprocessed_events(10).await.unwrap().len(), 1, "unprocessed events are kept");

        let conversation = store.create_conversation("demo", "h").await.unwrap().id;
        let done = store.enqueue(&conversation, "demo", "intercom", "{}").await.unwrap();
        store.enqueue(&conversation, "demo", "intercom", "{}").await.unwrap();
        store.job_done(done).await.unwrap();
        assert_eq!(store.prune_outbox(now_millis() - 60_000, 10).await.unwrap(), 0, "too recent");
        assert_eq!(store.prune_outbox(later, 10).await.unwrap(), 1);
        assert_eq!(store.pending_jobs(&conversation).await.unwrap(), 1, "pending jobs are kept");
    }
}
