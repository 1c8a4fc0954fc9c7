//! The SQLite backend: one file, WAL mode, migrations embedded from `migrations/sqlite`.

mod append;
mod checkpoint;
mod claim;
mod lease;
mod prune;
#[cfg(test)]
pub(super) mod upgrade;

use std::{str::FromStr, time::Duration};

use async_trait::async_trait;
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous},
    Row, SqlitePool,
};

use super::{
    batch::Appender,
    columns::TextColumn,
    now_millis,
    rows::{self, CONVERSATION_COLUMNS},
    Appended, Backlog, Claim, Conversation, FollowUp, Handover, OnStored, OutboxRow, PendingEvent, PendingMessage,
    PruneBefore, Result, Store, StoreError,
};
use crate::connectors::ProviderKind;
use crate::event::{Channel, Event, EventBody, Phase};
use crate::identity::Identity;

/// Reads go through `pool`, writes through `writer`: SQLite lets one connection write at a
/// time, and connections of one pool taking turns at the write lock wait in SQLite's busy
/// handler (sleeps of milliseconds), so every write of this relay queues for the one writer
/// connection instead, and appends are grouped into one transaction per batch
/// ([`super::batch`]), written by the batcher's own connection while it holds the writer
/// connection ([`append`]). WAL mode lets the readers go on while it writes.
pub struct SqliteStore {
    /// Readers (and the dashboard's rare writes), [`READERS`] connections.
    pub(super) pool: SqlitePool,
    /// The one writer connection.
    pub(super) writer: SqlitePool,
    appender: Appender,
    /// Stops the WAL checkpoints ([`checkpoint`]) with the store.
    _checkpoints: tokio_util::sync::DropGuard,
}

/// Read connections. Each has its own worker thread in sqlx; reads are short (by key), so a
/// few are enough for two cores and many actors.
const READERS: u32 = 8;

impl SqliteStore {
    /// Writes an outbox job, due now; with a `key`, only if the conversation has no job with
    /// that key yet. The new job's id, or `None` when the key was taken.
    async fn insert_job(
        &self,
        conversation_id: &str,
        site: &str,
        provider: ProviderKind,
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
        .fetch_optional(&self.writer)
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
        migrate(options.clone()).await?;
        // No ping before each use (a round trip to the connection's worker thread): a file's
        // connection does not drop away like a server's.
        let pool = SqlitePoolOptions::new()
            .max_connections(READERS)
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await?;
        // Checkpoints run beside the writer, not inside its commits ([`checkpoint`]).
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await?;
        let appender = Appender::start_on_thread(
            append::EventWriter::open(options.get_filename(), writer.clone())?,
            "baton-appends",
        )
        .map_err(sqlx::Error::Io)?;
        let checkpoints = checkpoint::start(pool.clone());
        Ok(Self { pool, writer, appender, _checkpoints: checkpoints })
    }

    /// Gives a webhook event up: it will not be tried again (its claim ends).
    async fn fail_event(&self, provider: &str, event_id: &str, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET attempts = attempts + 1, failed_at = ?, last_error = ?, \
             claimed_by = NULL, claimed_until = NULL WHERE provider = ? AND event_id = ?",
        )
        .bind(now_millis())
        .bind(error)
        .bind(provider)
        .bind(event_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

/// Brings the schema up to date on a connection of its own, with foreign keys off: a migration
/// that rebuilds a table drops it while other tables refer to it. When a migration ran, every
/// foreign key is checked afterwards.
async fn migrate(options: SqliteConnectOptions) -> Result<()> {
    // A pool of one: every statement below runs on the same connection.
    let connection = SqlitePoolOptions::new().max_connections(1).connect_with(options.foreign_keys(false)).await?;
    let before = newest_migration(&connection).await;
    sqlx::migrate!("migrations/sqlite").run(&connection).await?;
    if before.is_some() && newest_migration(&connection).await != before {
        let broken: Vec<SqliteRow> = sqlx::query("PRAGMA foreign_key_check").fetch_all(&connection).await?;
        if let Some(row) = broken.first() {
            let table: String = row.try_get(0)?;
            return Err(StoreError::Corrupt(format!("{} rows refer to missing rows (first in {table})", broken.len())));
        }
    }
    connection.close().await;
    Ok(())
}

/// The newest migration applied (`None` on a new database).
async fn newest_migration(connection: &SqlitePool) -> Option<i64> {
    let newest = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(connection).await;
    newest.ok().flatten()
}

#[async_trait]
impl Store for SqliteStore {
    fn admin(&self) -> &dyn super::admin::AdminStore {
        self
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.writer).await?;
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
            .execute(&self.writer)
            .await?;
        Ok(Conversation::new(id, site, now))
    }

    async fn conversation_by_token(&self, site: &str, token_hash: &str) -> Result<Option<Conversation>> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE site = ? AND token_hash = ?");
        let row = sqlx::query(&sql).bind(site).bind(token_hash).fetch_optional(&self.pool).await?;
        row.as_ref().map(rows::conversation).transpose()
    }

    async fn conversation(&self, id: &str) -> Result<Option<Conversation>> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?");
        let row = sqlx::query(&sql).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(rows::conversation).transpose()
    }

    async fn append(&self, conversation_id: &str, body: &EventBody, client_id: Option<&str>) -> Result<Appended> {
        self.appender.append(conversation_id, body, client_id, None, None).await
    }

    async fn append_visitor(
        &self,
        conversation_id: &str,
        body: &EventBody,
        client_id: &str,
        channel: Channel,
    ) -> Result<Appended> {
        self.appender.append(conversation_id, body, Some(client_id), Some(channel), None).await
    }

    async fn append_visitor_then(
        &self,
        conversation_id: &str,
        body: &EventBody,
        client_id: &str,
        channel: Channel,
        on_stored: OnStored,
    ) -> Result<Appended> {
        self.appender.append(conversation_id, body, Some(client_id), Some(channel), Some(on_stored)).await
    }

    async fn message_handled(&self, conversation_id: &str, seq: u64) -> Result<()> {
        self.appender.handled(conversation_id, seq).await
    }

    async fn pending_messages(&self, conversation_id: &str) -> Result<Vec<PendingMessage>> {
        let found = sqlx::query(
            "SELECT e.seq, e.at, e.body, e.client_id, e.pending, \
                    EXISTS (SELECT 1 FROM events l WHERE l.conversation_id = e.conversation_id AND l.seq > e.seq) \
                      AS followed \
             FROM events e WHERE e.conversation_id = ? AND e.pending IS NOT NULL ORDER BY e.seq",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::pending_message).collect()
    }

    async fn conversations_with_pending(&self, limit: u32) -> Result<Vec<(String, String)>> {
        let found = sqlx::query(
            "SELECT DISTINCT c.id, c.site FROM events e JOIN conversations c ON c.id = e.conversation_id \
             WHERE e.pending IS NOT NULL LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(|r| Ok((r.try_get("id")?, r.try_get("site")?))).collect()
    }

    async fn events_after(&self, conversation_id: &str, after: u64, limit: u32) -> Result<Vec<Event>> {
        let found =
            sqlx::query("SELECT seq, at, body FROM events WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?")
                .bind(conversation_id)
                .bind(after as i64)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
        found.iter().map(rows::event).collect()
    }

    async fn set_visitor(&self, conversation_id: &str, visitor: &Identity) -> Result<()> {
        sqlx::query(
            "UPDATE conversations SET visitor_email = ?, visitor_email_verified = ?, visitor_name = ?, \
             visitor_user_id = ?, visitor_user_id_verified = ?, visitor_languages = ? WHERE id = ?",
        )
        .bind(&visitor.email)
        .bind(visitor.email_verified)
        .bind(&visitor.name)
        .bind(&visitor.user_id)
        .bind(visitor.user_id_verified)
        .bind(visitor.languages.join(","))
        .bind(conversation_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn set_handover(&self, conversation_id: &str, handover: &Handover) -> Result<()> {
        let done = sqlx::query(
            "UPDATE conversations SET state = ?, phase = ?, reason = ?, agent_id = ?, waiting_since = ?, \
             handover_provider = ? WHERE id = ?",
        )
        .bind(&handover.state)
        .bind(handover.phase)
        .bind(handover.reason)
        .bind(&handover.agent_id)
        .bind(handover.waiting_since)
        .bind(handover.provider)
        .bind(conversation_id)
        .execute(&self.writer)
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
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn set_topic(&self, conversation_id: &str, topic: &str) -> Result<()> {
        sqlx::query("UPDATE conversations SET topic = ? WHERE id = ?")
            .bind(topic)
            .bind(conversation_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn set_rating(&self, conversation_id: &str, score: u8) -> Result<()> {
        sqlx::query("UPDATE conversations SET rating = ? WHERE id = ?")
            .bind(i64::from(score))
            .bind(conversation_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn conversations_in(&self, phases: &[Phase]) -> Result<Vec<Conversation>> {
        let placeholders = vec!["?"; phases.len()].join(", ");
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE phase IN ({placeholders}) \
             ORDER BY waiting_since IS NULL, waiting_since, updated_at DESC LIMIT 500"
        );
        let mut query = sqlx::query(&sql);
        for phase in phases {
            query = query.bind(phase);
        }
        let found = query.fetch_all(&self.pool).await?;
        found.iter().map(rows::conversation).collect()
    }

    async fn handed_back(&self, limit: u32) -> Result<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE phase = ? AND summary IS NOT NULL \
             ORDER BY updated_at DESC LIMIT ?"
        );
        let found = sqlx::query(&sql).bind(Phase::Bot).bind(limit).fetch_all(&self.pool).await?;
        found.iter().map(rows::conversation).collect()
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
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn follow_ups(&self, limit: u32) -> Result<Vec<FollowUp>> {
        let found = sqlx::query(
            "SELECT conversation_id, site, email, summary, created_at FROM follow_ups ORDER BY id DESC LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::follow_up).collect()
    }

    async fn enqueue(&self, conversation_id: &str, site: &str, provider: ProviderKind, job: &str) -> Result<i64> {
        let id = self.insert_job(conversation_id, site, provider, job, None).await?;
        // Without a key nothing can conflict: the insert always returns its id.
        id.ok_or_else(|| StoreError::Corrupt("an outbox insert returned no id".into()))
    }

    async fn enqueue_once(
        &self,
        conversation_id: &str,
        site: &str,
        provider: ProviderKind,
        job: &str,
        key: &str,
    ) -> Result<bool> {
        Ok(self.insert_job(conversation_id, site, provider, job, Some(key)).await?.is_some())
    }

    async fn claim_jobs(&self, claim: Claim<'_>, limit: u32) -> Result<Vec<OutboxRow>> {
        let (jobs, unreadable) = claim::jobs(&self.writer, claim, limit).await?;
        for (id, error) in unreadable {
            self.job_failed(id, &error).await?;
        }
        Ok(jobs)
    }

    async fn job_started(&self, id: i64) -> Result<()> {
        sqlx::query("UPDATE outbox SET started = 1 WHERE id = ?").bind(id).execute(&self.writer).await?;
        Ok(())
    }

    async fn job_done(&self, id: i64) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'done', attempts = attempts + 1, last_error = NULL, started = 0, \
             claimed_by = NULL, claimed_until = NULL WHERE id = ?",
        )
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn job_retry(&self, id: i64, not_before: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, not_before = ?, last_error = ?, started = 0, \
             claimed_by = NULL, claimed_until = NULL WHERE id = ?",
        )
        .bind(not_before)
        .bind(error)
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn job_failed(&self, id: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, started = 0, \
             claimed_by = NULL, claimed_until = NULL WHERE id = ?",
        )
        .bind(error)
        .bind(id)
        .execute(&self.writer)
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
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn conversation_by_remote(
        &self,
        site: &str,
        provider: ProviderKind,
        remote_id: &str,
    ) -> Result<Option<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE site = ? AND json_extract(remote, '$.provider') = ? \
             AND json_extract(remote, '$.conversation') = ? ORDER BY updated_at DESC LIMIT 1"
        );
        let row = sqlx::query(&sql).bind(site).bind(provider).bind(remote_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(rows::conversation).transpose()
    }

    async fn remote(&self, conversation_id: &str) -> Result<Option<String>> {
        let remote: Option<Option<String>> = sqlx::query_scalar("SELECT remote FROM conversations WHERE id = ?")
            .bind(conversation_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(remote.flatten())
    }

    async fn record_event(
        &self,
        provider: ProviderKind,
        site: &str,
        event_id: &str,
        thread: &str,
        event: &str,
    ) -> Result<bool> {
        let deliveries: i64 = sqlx::query_scalar(
            "INSERT INTO webhook_events (provider, event_id, first_seen_at, site, event, thread, position) \
             VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM webhook_events)) \
             ON CONFLICT (provider, event_id) DO UPDATE SET deliveries = deliveries + 1 RETURNING deliveries",
        )
        .bind(provider)
        .bind(event_id)
        .bind(super::now_millis())
        .bind(site)
        .bind(event)
        .bind(thread)
        .fetch_one(&self.writer)
        .await?;
        Ok(deliveries == 1)
    }

    async fn event_processed(&self, provider: ProviderKind, event_id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET processed_at = ?, claimed_by = NULL, claimed_until = NULL \
             WHERE provider = ? AND event_id = ?",
        )
        .bind(super::now_millis())
        .bind(provider)
        .bind(event_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn unprocessed_events(&self, limit: u32) -> Result<Vec<(ProviderKind, String, String)>> {
        let found = sqlx::query(
            "SELECT provider, site, event FROM webhook_events \
             WHERE event IS NOT NULL AND processed_at IS NULL AND failed_at IS NULL \
             ORDER BY position, first_seen_at LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::unprocessed).collect()
    }

    async fn pending_events(&self, limit: u32) -> Result<Vec<PendingEvent>> {
        let found = sqlx::query(
            "SELECT provider, event_id, site, event, attempts, not_before FROM webhook_events \
             WHERE event IS NOT NULL AND processed_at IS NULL AND failed_at IS NULL \
             ORDER BY position, first_seen_at LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::pending_event).collect()
    }

    async fn claim_events(&self, claim: Claim<'_>, limit: u32) -> Result<Vec<PendingEvent>> {
        let (events, unreadable) = claim::events(&self.writer, claim, limit).await?;
        for ((provider, event_id), error) in unreadable {
            self.fail_event(&provider, &event_id, &error).await?;
        }
        Ok(events)
    }

    async fn keep_claims(&self, by: &str, until: i64) -> Result<()> {
        claim::keep(&self.writer, by, until).await
    }

    async fn release_claims(&self) -> Result<()> {
        claim::release_all(&self.writer).await
    }

    async fn event_retry(&self, provider: ProviderKind, event_id: &str, not_before: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET attempts = attempts + 1, not_before = ?, last_error = ?, \
             claimed_by = NULL, claimed_until = NULL WHERE provider = ? AND event_id = ?",
        )
        .bind(not_before)
        .bind(error)
        .bind(provider)
        .bind(event_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn event_failed(&self, provider: ProviderKind, event_id: &str, error: &str) -> Result<()> {
        self.fail_event(provider.column_name(), event_id, error).await
    }

    async fn webhook_deliveries(&self, provider: ProviderKind, event_id: &str) -> Result<u32> {
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
        prune::delete_conversations(&self.writer, ids, before).await
    }

    async fn prune_webhook_events(&self, before: i64, limit: u32) -> Result<u32> {
        prune::webhook_events(&self.writer, before, limit).await
    }

    async fn prune_outbox(&self, before: i64, limit: u32) -> Result<u32> {
        prune::outbox(&self.writer, before, limit).await
    }

    async fn acquire_lease(
        &self,
        conversation_id: &str,
        holder: &str,
        node: &str,
        ttl_ms: i64,
    ) -> Result<super::LeaseOutcome> {
        lease::acquire(&self.writer, conversation_id, holder, node, ttl_ms).await
    }

    async fn renew_leases(&self, leases: &[(&str, &str)], ttl_ms: i64) -> Result<Vec<super::Renewal>> {
        lease::renew(&self.writer, leases, ttl_ms).await
    }

    async fn request_release(&self, conversation_id: &str, holder: &str) -> Result<()> {
        lease::request_release(&self.writer, conversation_id, holder).await
    }

    async fn release_lease(&self, conversation_id: &str, holder: &str) -> Result<()> {
        lease::release(&self.writer, conversation_id, holder).await
    }
}

#[cfg(test)]
mod tests {
    //! The behaviour every backend shares is tested in `tests/tests/store.rs`; here only what is
    //! SQLite's own.
    use super::*;

    #[tokio::test]
    async fn the_file_and_its_folder_are_created_on_first_open() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/nested/baton.db", dir.path().display());
        let store = SqliteStore::open(&url).await.unwrap();
        store.create_conversation("demo", "h").await.unwrap();
        drop(store);
        assert!(dir.path().join("nested/baton.db").exists());
        let store = SqliteStore::open(&url).await.unwrap();
        assert!(store.conversation_by_token("demo", "h").await.unwrap().is_some(), "kept");
    }
}
