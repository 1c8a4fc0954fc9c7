//! The SQLite backend: one file, WAL mode, migrations embedded from `migrations/sqlite`.

mod lease;
mod prune;

use std::{str::FromStr, time::Duration};

use async_trait::async_trait;
use shared::{ConversationEvent, EventBody};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Row, SqlitePool,
};

use super::{
    now_millis, Appended, Backlog, Conversation, FollowUp, Handover, OutboxRow, PendingEvent, PendingMessage,
    PruneBefore, Result, Store, StoreError,
};
use crate::identity::Identity;

pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Writes an outbox job, due now; with a `key`, only if the conversation has no job with
    /// that key yet. The new job's id, or `None` when the key was taken.
    async fn insert_job(
        &self,
        conversation_id: &str,
        site: &str,
        provider: &str,
        job: &str,
        key: Option<&str>,
    ) -> Result<Option<i64>> {
        let now = now_millis();
        let id = sqlx::query_scalar(
            "INSERT INTO outbox (conversation_id, site, provider, job, not_before, created_at, dedupe_key) \
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(conversation_id)
        .bind(site)
        .bind(provider)
        .bind(job)
        .bind(now)
        .bind(now)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }

    /// Opens (creating if missing, with its parent folder) the database at `url`.
    pub async fn open(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        if let Some(parent) = options.get_filename().parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
            }
        }
        let pool = SqlitePoolOptions::new().max_connections(8).connect_with(options).await?;
        sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// Appends an event with the next sequence number; `pending` marks a visitor message whose
    /// effects are still to be carried out.
    async fn insert_event(
        &self,
        conversation_id: &str,
        body: &EventBody,
        client_id: Option<&str>,
        pending: Option<&str>,
    ) -> Result<Appended> {
        let body_json = serde_json::to_string(body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.pool.begin().await?;
        // Write first: the UPDATE takes SQLite's write lock (waiting up to the busy timeout)
        // before anything is read, so the transaction never has to upgrade a read snapshot.
        let at = now_millis();
        let seq: Option<i64> = sqlx::query_scalar(
            "UPDATE conversations SET last_seq = last_seq + 1, updated_at = ? WHERE id = ? RETURNING last_seq",
        )
        .bind(at)
        .bind(conversation_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(seq) = seq else {
            return Err(StoreError::NotFound(conversation_id.to_string()));
        };
        if let Some(client_id) = client_id {
            let existing: Option<i64> =
                sqlx::query_scalar("SELECT seq FROM events WHERE conversation_id = ? AND client_id = ?")
                    .bind(conversation_id)
                    .bind(client_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some(existing) = existing {
                tx.rollback().await?;
                return Ok(Appended::Duplicate { seq: existing as u64 });
            }
        }
        sqlx::query(
            "INSERT INTO events (conversation_id, seq, at, body, client_id, pending) VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(conversation_id)
        .bind(seq)
        .bind(at)
        .bind(&body_json)
        .bind(client_id)
        .bind(pending)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Appended::New(ConversationEvent { seq: seq as u64, at, body: body.clone() }))
    }
}

fn conversation_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Conversation> {
    Ok(Conversation {
        id: row.try_get("id")?,
        site: row.try_get("site")?,
        last_seq: row.try_get::<i64, _>("last_seq")? as u64,
        visitor: Identity {
            email: row.try_get("visitor_email")?,
            email_verified: row.try_get("visitor_email_verified")?,
            name: row.try_get("visitor_name")?,
            user_id: row.try_get("visitor_user_id")?,
            user_id_verified: row.try_get("visitor_user_id_verified")?,
        },
        handover: Handover {
            state: row.try_get("state")?,
            phase: row.try_get("phase")?,
            reason: row.try_get("reason")?,
            agent_id: row.try_get("agent_id")?,
            waiting_since: row.try_get("waiting_since")?,
            provider: row.try_get("handover_provider")?,
        },
        summary: row.try_get("summary")?,
        topic: row.try_get("topic")?,
        rating: row.try_get::<Option<i64>, _>("rating")?.map(|r| r.clamp(0, 255) as u8),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn event_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<ConversationEvent> {
    let body: String = row.try_get("body")?;
    Ok(ConversationEvent {
        seq: row.try_get::<i64, _>("seq")? as u64,
        at: row.try_get("at")?,
        body: serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

const CONVERSATION_COLUMNS: &str = "id, site, last_seq, visitor_email, visitor_name, visitor_email_verified, \
                                    visitor_user_id, visitor_user_id_verified, state, phase, reason, agent_id, waiting_since, handover_provider, summary, topic, rating, created_at, \
                                    updated_at";

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn backlog(&self) -> Result<Backlog> {
        let (outbox_pending, outbox_oldest): (i64, Option<i64>) =
            sqlx::query_as("SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending'")
                .fetch_one(&self.pool)
                .await?;
        let (webhook_pending, webhook_oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(first_seen_at) FROM webhook_events \
             WHERE event IS NOT NULL AND processed_at IS NULL AND failed_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Backlog {
            outbox_pending: outbox_pending as u32,
            outbox_oldest,
            webhook_pending: webhook_pending as u32,
            webhook_oldest,
        })
    }

    async fn create_conversation(&self, site: &str, token_hash: &str) -> Result<Conversation> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_millis();
        sqlx::query("INSERT INTO conversations (id, site, token_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
            .bind(&id)
            .bind(site)
            .bind(token_hash)
            .bind(now)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(Conversation {
            id,
            site: site.to_string(),
            last_seq: 0,
            visitor: Identity::default(),
            handover: Handover::default(),
            summary: None,
            topic: None,
            rating: None,
            created_at: now,
            updated_at: now,
        })
    }

    async fn conversation_by_token(&self, site: &str, token_hash: &str) -> Result<Option<Conversation>> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE site = ? AND token_hash = ?");
        let row = sqlx::query(&sql).bind(site).bind(token_hash).fetch_optional(&self.pool).await?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    async fn conversation(&self, id: &str) -> Result<Option<Conversation>> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    async fn append(&self, conversation_id: &str, body: &EventBody, client_id: Option<&str>) -> Result<Appended> {
        self.insert_event(conversation_id, body, client_id, None).await
    }

    async fn append_visitor(
        &self,
        conversation_id: &str,
        body: &EventBody,
        client_id: &str,
        channel: &str,
    ) -> Result<Appended> {
        self.insert_event(conversation_id, body, Some(client_id), Some(channel)).await
    }

    async fn message_handled(&self, conversation_id: &str, seq: u64) -> Result<()> {
        sqlx::query("UPDATE events SET pending = NULL WHERE conversation_id = ? AND seq = ?")
            .bind(conversation_id)
            .bind(seq as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn pending_messages(&self, conversation_id: &str) -> Result<Vec<PendingMessage>> {
        let rows = sqlx::query(
            "SELECT e.seq, e.at, e.body, e.client_id, e.pending, \
                    EXISTS (SELECT 1 FROM events l WHERE l.conversation_id = e.conversation_id AND l.seq > e.seq) \
                      AS followed \
             FROM events e WHERE e.conversation_id = ? AND e.pending IS NOT NULL ORDER BY e.seq",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let event = event_from_row(row)?;
                let EventBody::Message(message) = event.body else {
                    return Err(StoreError::Corrupt(format!("pending event {} is not a message", event.seq)));
                };
                Ok(PendingMessage {
                    seq: event.seq,
                    client_id: row.try_get::<Option<String>, _>("client_id")?.unwrap_or_default(),
                    text: message.text,
                    channel: row.try_get("pending")?,
                    followed: row.try_get("followed")?,
                })
            })
            .collect()
    }

    async fn conversations_with_pending(&self, limit: u32) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT DISTINCT c.id, c.site FROM events e JOIN conversations c ON c.id = e.conversation_id \
             WHERE e.pending IS NOT NULL LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("site")?))).collect()
    }

    async fn events_after(&self, conversation_id: &str, after: u64, limit: u32) -> Result<Vec<ConversationEvent>> {
        let rows =
            sqlx::query("SELECT seq, at, body FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?")
                .bind(conversation_id)
                .bind(after as i64)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(event_from_row).collect()
    }

    async fn set_visitor(&self, conversation_id: &str, visitor: &Identity) -> Result<()> {
        sqlx::query(
            "UPDATE conversations SET visitor_email = ?, visitor_email_verified = ?, visitor_name = ?, \
             visitor_user_id = ?, visitor_user_id_verified = ? WHERE id = ?",
        )
        .bind(&visitor.email)
        .bind(visitor.email_verified)
        .bind(&visitor.name)
        .bind(&visitor.user_id)
        .bind(visitor.user_id_verified)
        .bind(conversation_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_handover(&self, conversation_id: &str, handover: &Handover) -> Result<()> {
        let done = sqlx::query(
            "UPDATE conversations SET state = ?, phase = ?, reason = ?, agent_id = ?, waiting_since = ?, \
             handover_provider = ? WHERE id = ?",
        )
        .bind(&handover.state)
        .bind(&handover.phase)
        .bind(&handover.reason)
        .bind(&handover.agent_id)
        .bind(handover.waiting_since)
        .bind(&handover.provider)
        .bind(conversation_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(conversation_id.to_string()));
        }
        Ok(())
    }

    async fn set_summary(&self, conversation_id: &str, summary: &str) -> Result<()> {
        sqlx::query("UPDATE conversations SET summary = ? WHERE id = ?")
            .bind(summary)
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_topic(&self, conversation_id: &str, topic: &str) -> Result<()> {
        sqlx::query("UPDATE conversations SET topic = ? WHERE id = ?")
            .bind(topic)
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn set_rating(&self, conversation_id: &str, score: u8) -> Result<()> {
        sqlx::query("UPDATE conversations SET rating = ? WHERE id = ?")
            .bind(i64::from(score))
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn conversations_in(&self, phases: &[&str]) -> Result<Vec<Conversation>> {
        let placeholders = vec!["?"; phases.len()].join(", ");
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE phase IN ({placeholders}) \
             ORDER BY waiting_since IS NULL, waiting_since, updated_at DESC LIMIT 500"
        );
        let mut query = sqlx::query(&sql);
        for phase in phases {
            query = query.bind(*phase);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter().map(conversation_from_row).collect()
    }

    async fn handed_back(&self, limit: u32) -> Result<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE phase = 'bot' AND summary IS NOT NULL \
             ORDER BY updated_at DESC LIMIT ?"
        );
        let rows = sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(conversation_from_row).collect()
    }

    async fn add_follow_up(&self, follow_up: &FollowUp) -> Result<()> {
        sqlx::query(
            "INSERT INTO follow_ups (conversation_id, site, email, summary, created_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&follow_up.conversation_id)
        .bind(&follow_up.site)
        .bind(&follow_up.email)
        .bind(&follow_up.summary)
        .bind(follow_up.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn follow_ups(&self, limit: u32) -> Result<Vec<FollowUp>> {
        let rows = sqlx::query(
            "SELECT conversation_id, site, email, summary, created_at FROM follow_ups ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(FollowUp {
                    conversation_id: row.try_get("conversation_id")?,
                    site: row.try_get("site")?,
                    email: row.try_get("email")?,
                    summary: row.try_get("summary")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn enqueue(&self, conversation_id: &str, site: &str, provider: &str, job: &str) -> Result<i64> {
        let id = self.insert_job(conversation_id, site, provider, job, None).await?;
        // Without a key nothing can conflict: the insert always returns its id.
        id.ok_or_else(|| StoreError::Corrupt("an outbox insert returned no id".into()))
    }

    async fn enqueue_once(
        &self,
        conversation_id: &str,
        site: &str,
        provider: &str,
        job: &str,
        key: &str,
    ) -> Result<bool> {
        Ok(self.insert_job(conversation_id, site, provider, job, Some(key)).await?.is_some())
    }

    async fn due_jobs(&self, now: i64, limit: u32) -> Result<Vec<OutboxRow>> {
        // The head of each conversation's line, and only if it is due: a job waiting for its
        // retry holds back the jobs behind it, which keeps per-conversation order.
        let rows = sqlx::query(
            "SELECT o.id, o.conversation_id, o.site, o.provider, o.job, o.attempts, o.started FROM outbox o \
             JOIN (SELECT MIN(id) AS id FROM outbox WHERE state = 'pending' GROUP BY conversation_id) head \
               ON head.id = o.id \
             WHERE o.not_before <= ? ORDER BY o.not_before, o.id LIMIT ?",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OutboxRow {
                    id: row.try_get("id")?,
                    conversation_id: row.try_get("conversation_id")?,
                    site: row.try_get("site")?,
                    provider: row.try_get("provider")?,
                    job: row.try_get("job")?,
                    attempts: row.try_get::<i64, _>("attempts")?.clamp(0, u32::MAX.into()) as u32,
                    uncertain: row.try_get("started")?,
                })
            })
            .collect()
    }

    async fn job_started(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE outbox SET started = 1 WHERE id = ?").bind(id).execute(&self.pool).await?;
        Ok(())
    }

    async fn job_done(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'done', attempts = attempts + 1, last_error = NULL, started = 0 WHERE id = ?",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn job_retry(&self, id: i64, not_before: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ?, started = 0 WHERE id = ?",
        )
        .bind(not_before)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn job_failed(&self, id: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, started = 0 WHERE id = ?",
        )
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn jobs_since(&self, conversation_id: &str, since: i64) -> Result<u32> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE conversation_id = ? AND created_at >= ?")
                .bind(conversation_id)
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
        Ok(count.clamp(0, u32::MAX.into()) as u32)
    }

    async fn pending_jobs(&self, conversation_id: &str) -> Result<u32> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE conversation_id = ? AND state = 'pending'")
                .bind(conversation_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(count.clamp(0, u32::MAX.into()) as u32)
    }

    async fn set_remote(&self, conversation_id: &str, remote: &str) -> Result<()> {
        sqlx::query("UPDATE conversations SET remote = ? WHERE id = ?")
            .bind(remote)
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn conversation_by_remote(
        &self,
        site: &str,
        provider: &str,
        remote_id: &str,
    ) -> Result<Option<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE site = ? AND json_extract(remote, '$.provider') = ? \
             AND json_extract(remote, '$.conversation') = ? ORDER BY updated_at DESC LIMIT 1"
        );
        let row = sqlx::query(&sql).bind(site).bind(provider).bind(remote_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(conversation_from_row).transpose()
    }

    async fn remote(&self, conversation_id: &str) -> Result<Option<String>> {
        let remote: Option<Option<String>> = sqlx::query_scalar("SELECT remote FROM conversations WHERE id = ?")
            .bind(conversation_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(remote.flatten())
    }

    async fn record_event(&self, provider: &str, site: &str, event_id: &str, event: &str) -> Result<bool> {
        let deliveries: i64 = sqlx::query_scalar(
            "INSERT INTO webhook_events (provider, event_id, first_seen_at, site, event, position) \
             VALUES (?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM webhook_events)) \
             ON CONFLICT (provider, event_id) DO UPDATE SET deliveries = deliveries + 1 RETURNING deliveries",
        )
        .bind(provider)
        .bind(event_id)
        .bind(super::now_millis())
        .bind(site)
        .bind(event)
        .fetch_one(&self.pool)
        .await?;
        Ok(deliveries == 1)
    }

    async fn event_processed(&self, provider: &str, event_id: &str) -> Result<()> {
        sqlx::query("UPDATE webhook_events SET processed_at = ? WHERE provider = ? AND event_id = ?")
            .bind(super::now_millis())
            .bind(provider)
            .bind(event_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn unprocessed_events(&self, limit: u32) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT provider, site, event FROM webhook_events \
             WHERE event IS NOT NULL AND processed_at IS NULL AND failed_at IS NULL \
             ORDER BY position, first_seen_at LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("provider")?, r.try_get("site")?, r.try_get("event")?))).collect()
    }

    async fn pending_events(&self, limit: u32) -> Result<Vec<PendingEvent>> {
        let rows = sqlx::query(
            "SELECT provider, event_id, site, event, attempts, not_before FROM webhook_events \
             WHERE event IS NOT NULL AND processed_at IS NULL AND failed_at IS NULL \
             ORDER BY position, first_seen_at LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PendingEvent {
                    provider: r.try_get("provider")?,
                    event_id: r.try_get("event_id")?,
                    site: r.try_get::<Option<String>, _>("site")?.unwrap_or_default(),
                    event: r.try_get("event")?,
                    attempts: r.try_get::<i64, _>("attempts")?.clamp(0, u32::MAX.into()) as u32,
                    not_before: r.try_get("not_before")?,
                })
            })
            .collect()
    }

    async fn event_retry(&self, provider: &str, event_id: &str, not_before: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET attempts = attempts + 1, not_before = ?, last_error = ? \
             WHERE provider = ? AND event_id = ?",
        )
        .bind(not_before)
        .bind(error)
        .bind(provider)
        .bind(event_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn event_failed(&self, provider: &str, event_id: &str, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET attempts = attempts + 1, failed_at = ?, last_error = ? \
             WHERE provider = ? AND event_id = ?",
        )
        .bind(now_millis())
        .bind(error)
        .bind(provider)
        .bind(event_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn webhook_deliveries(&self, provider: &str, event_id: &str) -> Result<u32> {
        let deliveries: Option<i64> =
            sqlx::query_scalar("SELECT deliveries FROM webhook_events WHERE provider = ? AND event_id = ?")
                .bind(provider)
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(deliveries.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32)
    }

    async fn prunable_conversations(&self, before: PruneBefore, limit: u32) -> Result<Vec<String>> {
        prune::prunable_conversations(&self.pool, before, limit).await
    }

    async fn delete_conversations(&self, ids: &[String], before: PruneBefore) -> Result<u32> {
        prune::delete_conversations(&self.pool, ids, before).await
    }

    async fn prune_webhook_events(&self, before: i64, limit: u32) -> Result<u32> {
        prune::webhook_events(&self.pool, before, limit).await
    }

    async fn prune_outbox(&self, before: i64, limit: u32) -> Result<u32> {
        prune::outbox(&self.pool, before, limit).await
    }

    async fn acquire_lease(
        &self,
        conversation_id: &str,
        holder: &str,
        node: &str,
        ttl_ms: i64,
    ) -> Result<super::LeaseOutcome> {
        lease::acquire(&self.pool, conversation_id, holder, node, ttl_ms).await
    }

    async fn renew_lease(&self, conversation_id: &str, holder: &str, ttl_ms: i64) -> Result<super::Renewal> {
        lease::renew(&self.pool, conversation_id, holder, ttl_ms).await
    }

    async fn request_release(&self, conversation_id: &str, holder: &str) -> Result<()> {
        lease::request_release(&self.pool, conversation_id, holder).await
    }

    async fn release_lease(&self, conversation_id: &str, holder: &str) -> Result<()> {
        lease::release(&self.pool, conversation_id, holder).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{Author, Message};

    fn text(author: Author, text: &str) -> EventBody {
        EventBody::Message(Message {
            author,
            text: text.into(),
            client_id: None,
            quick_replies: vec![],
            source: None,
            draft_id: None,
        })
    }

    async fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/baton.db", dir.path().display());
        let store = SqliteStore::open(&url).await.unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn sequence_numbers_are_consecutive_and_survive_reopen() {
        let (dir, store) = store().await;
        let conv = store.create_conversation("demo", "h1").await.unwrap();
        for i in 1..=3 {
            let Appended::New(ev) = store.append(&conv.id, &text(Author::visitor(), "hi"), None).await.unwrap() else {
                panic!("expected a new event");
            };
            assert_eq!(ev.seq, i);
        }
        drop(store);
        let url = format!("sqlite://{}/nested/baton.db", dir.path().display());
        let store = SqliteStore::open(&url).await.unwrap();
        let found = store.conversation_by_token("demo", "h1").await.unwrap().unwrap();
        assert_eq!(found.last_seq, 3);
        let events = store.events_after(&conv.id, 1, 100).await.unwrap();
        assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![2, 3]);
    }

    #[tokio::test]
    async fn a_retried_client_id_is_stored_once() {
        let (_dir, store) = store().await;
        let conv = store.create_conversation("demo", "h").await.unwrap();
        let first = store.append(&conv.id, &text(Author::visitor(), "a"), Some("c1")).await.unwrap();
        let again = store.append(&conv.id, &text(Author::visitor(), "a"), Some("c1")).await.unwrap();
        assert!(matches!(first, Appended::New(ref e) if e.seq == 1));
        assert_eq!(again, Appended::Duplicate { seq: 1 });
        let next = store.append(&conv.id, &text(Author::bot("B"), "b"), None).await.unwrap();
        assert!(matches!(next, Appended::New(ref e) if e.seq == 2), "no gap after a duplicate");
    }

    #[tokio::test]
    async fn tokens_are_scoped_to_their_site_and_unknown_ids_fail() {
        let (_dir, store) = store().await;
        store.create_conversation("demo", "h").await.unwrap();
        assert!(store.conversation_by_token("other", "h").await.unwrap().is_none());
        let err = store.append("nope", &text(Author::visitor(), "x"), None).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)));
    }

    #[tokio::test]
    async fn handover_state_is_kept_and_queryable() {
        let (_dir, store) = store().await;
        let waiting = store.create_conversation("demo", "h1").await.unwrap();
        let bot = store.create_conversation("demo", "h2").await.unwrap();
        let handover = Handover {
            state: r#"{"phase":"waiting","reason":"explicit_request","since":7}"#.into(),
            phase: "waiting".into(),
            reason: Some("explicit_request".into()),
            agent_id: None,
            waiting_since: Some(7),
            provider: Some("builtin".into()),
        };
        store.set_handover(&waiting.id, &handover).await.unwrap();
        store.set_summary(&waiting.id, "needs a refund").await.unwrap();
        let found = store.conversations_in(&["waiting", "agent"]).await.unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, waiting.id);
        assert_eq!(found[0].handover, handover);
        assert_eq!(found[0].summary.as_deref(), Some("needs a refund"));
        assert_eq!(store.conversations_in(&["bot"]).await.unwrap()[0].id, bot.id);
        assert!(matches!(store.set_handover("nope", &handover).await, Err(StoreError::NotFound(_))));
    }

    #[tokio::test]
    async fn follow_ups_are_listed_newest_first() {
        let (_dir, store) = store().await;
        let conv = store.create_conversation("demo", "h").await.unwrap();
        for email in ["a@x.io", "b@x.io"] {
            let follow_up = FollowUp {
                conversation_id: conv.id.clone(),
                site: "demo".into(),
                email: email.into(),
                summary: "s".into(),
                created_at: 1,
            };
            store.add_follow_up(&follow_up).await.unwrap();
        }
        let emails: Vec<_> = store.follow_ups(10).await.unwrap().into_iter().map(|f| f.email).collect();
        assert_eq!(emails, vec!["b@x.io", "a@x.io"]);
    }

    #[tokio::test]
    async fn the_outbox_hands_out_one_job_per_conversation_in_order() {
        let (_dir, store) = store().await;
        let a = store.create_conversation("demo", "ha").await.unwrap();
        let b = store.create_conversation("demo", "hb").await.unwrap();
        let a1 = store.enqueue(&a.id, "demo", "intercom", "a1").await.unwrap();
        let a2 = store.enqueue(&a.id, "demo", "intercom", "a2").await.unwrap();
        let b1 = store.enqueue(&b.id, "demo", "intercom", "b1").await.unwrap();
        let now = now_millis() + 1;
        let jobs: Vec<_> = store.due_jobs(now, 10).await.unwrap().into_iter().map(|j| j.job).collect();
        assert_eq!(jobs, vec!["a1", "b1"], "only the head of each conversation's line");
        // a1 waits for a retry: a2 stays behind it; b goes on.
        store.job_retry(a1, now + 60_000, "503").await.unwrap();
        store.job_done(b1).await.unwrap();
        assert!(store.due_jobs(now, 10).await.unwrap().is_empty());
        let later: Vec<_> = store.due_jobs(now + 60_000, 10).await.unwrap();
        assert_eq!((later.len(), later[0].id, later[0].attempts), (1, a1, 1));
        store.job_done(a1).await.unwrap();
        assert_eq!(store.due_jobs(now, 10).await.unwrap()[0].id, a2);
        store.job_failed(a2, "400").await.unwrap();
        assert_eq!(store.pending_jobs(&a.id).await.unwrap(), 0);
        let remote = r#"{"provider":"intercom","conversation":"363"}"#;
        store.set_remote(&a.id, remote).await.unwrap();
        assert_eq!(store.remote(&a.id).await.unwrap().as_deref(), Some(remote));
        assert_eq!(
            store.conversation_by_remote("demo", "intercom", "363").await.unwrap().map(|c| c.id),
            Some(a.id.clone())
        );
        assert!(store.conversation_by_remote("demo", "zendesk_support", "363").await.unwrap().is_none());
        // Another site's webhook naming the same helpdesk id finds nothing.
        assert!(store.conversation_by_remote("other", "intercom", "363").await.unwrap().is_none());
        assert_eq!(store.remote(&b.id).await.unwrap(), None);
    }

    #[tokio::test]
    async fn visitor_identity_is_stored_with_its_verification() {
        let (_dir, store) = store().await;
        let conv = store.create_conversation("demo", "h").await.unwrap();
        assert_eq!(conv.visitor, Identity::default());
        let identity = Identity {
            email: Some("a@b.c".into()),
            email_verified: false,
            name: Some("Ada".into()),
            user_id: Some("42".into()),
            user_id_verified: true,
        };
        store.set_visitor(&conv.id, &identity).await.unwrap();
        assert_eq!(store.conversation(&conv.id).await.unwrap().unwrap().visitor, identity);
    }

    #[tokio::test]
    async fn webhook_events_are_first_once() {
        let (_dir, store) = store().await;
        assert_eq!(store.webhook_deliveries("intercom", "notif_1").await.unwrap(), 0);
        assert!(store.record_event("intercom", "demo", "notif_1", "{}").await.unwrap());
        assert!(!store.record_event("intercom", "demo", "notif_1", "{}").await.unwrap());
        assert!(store.record_event("zendesk_support", "demo", "notif_1", "{}").await.unwrap(), "ids are per provider");
        assert_eq!(store.webhook_deliveries("intercom", "notif_1").await.unwrap(), 2);
    }

    #[tokio::test]
    async fn webhook_events_wait_until_processed() {
        let (_dir, store) = store().await;
        assert!(store.record_event("intercom", "demo", "n1", "{}").await.unwrap());
        assert!(!store.record_event("intercom", "demo", "n1", "{}").await.unwrap(), "a redelivery");
        assert!(store.record_event("intercom", "demo", "n2", "{}").await.unwrap());
        store.event_processed("intercom", "n1").await.unwrap();
        let pending = store.unprocessed_events(10).await.unwrap();
        assert_eq!(pending, vec![("intercom".to_string(), "demo".to_string(), "{}".to_string())]);
    }

    #[tokio::test]
    async fn a_visitor_message_stays_pending_until_handled() {
        let (_dir, store) = store().await;
        let c = store.create_conversation("demo", "h").await.unwrap();
        let Appended::New(event) =
            store.append_visitor(&c.id, &text(Author::visitor(), "hi"), "m1", "widget").await.unwrap()
        else {
            panic!("stored")
        };
        let pending = store.pending_messages(&c.id).await.unwrap();
        assert_eq!(
            pending,
            vec![PendingMessage {
                seq: event.seq,
                client_id: "m1".into(),
                text: "hi".into(),
                channel: "widget".into(),
                followed: false
            }]
        );
        assert_eq!(store.conversations_with_pending(10).await.unwrap(), vec![(c.id.clone(), "demo".to_string())]);
        // The retry is a duplicate; the mark stays until the effects are carried out.
        let retry = store.append_visitor(&c.id, &text(Author::visitor(), "hi"), "m1", "widget").await.unwrap();
        assert_eq!(retry, Appended::Duplicate { seq: event.seq });
        store.append(&c.id, &text(Author::bot("Baton"), "hello"), None).await.unwrap();
        assert!(store.pending_messages(&c.id).await.unwrap()[0].followed, "an answer was stored after it");
        store.message_handled(&c.id, event.seq).await.unwrap();
        assert!(store.pending_messages(&c.id).await.unwrap().is_empty());
        assert!(store.conversations_with_pending(10).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn webhook_events_are_retried_in_arrival_order_and_kept_when_given_up() {
        let (_dir, store) = store().await;
        for id in ["n1", "n2", "n3"] {
            store.record_event("intercom", "demo", id, "{}").await.unwrap();
        }
        store.event_retry("intercom", "n1", 42, "unknown conversation").await.unwrap();
        store.event_failed("intercom", "n2", "gave up").await.unwrap();
        let pending = store.pending_events(10).await.unwrap();
        let ids: Vec<&str> = pending.iter().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["n1", "n3"], "arrival order, the failed one left out");
        assert_eq!((pending[0].attempts, pending[0].not_before), (1, 42));
        assert_eq!(store.unprocessed_events(10).await.unwrap().len(), 2);
        assert_eq!(store.webhook_deliveries("intercom", "n2").await.unwrap(), 1, "kept, not deleted");
    }
}
