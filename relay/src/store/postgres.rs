//! The PostgreSQL backend, for several relays on one database: a pool per relay, statement
//! timeouts, migrations embedded from `migrations/postgres` (run under sqlx's advisory lock, so
//! relays starting together migrate once). Appends to one conversation are ordered by the row
//! lock of the UPDATE that bumps its `last_seq`; leases use the database's clock.

mod append;
mod claim;
mod lease;
mod prune;
#[cfg(test)]
mod upgrade;

use std::{str::FromStr, time::Duration};

use async_trait::async_trait;
use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    PgPool, Row,
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

/// How [`PostgresStore::mark_event`] gives a webhook event up (its claim ends).
const FAILED: &str =
    "attempts = attempts + 1, failed_at = $3, last_error = $4, claimed_by = NULL, claimed_until = NULL";

/// Connections per relay: the pool's, plus the batcher's own one ([`append::EventWriter`]).
/// Three relays stay far below PostgreSQL's default `max_connections` (100); `docs/deploy.md`
/// has the sizing.
pub const MAX_CONNECTIONS: u32 = 16;
/// Waiting for a free connection (or for the server to answer a new one) longer than this fails
/// the operation; callers retry or report, nothing hangs.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Any one statement running longer than this is cancelled by the server.
const STATEMENT_TIMEOUT: &str = "5s";
/// A transaction left idle this long (a relay stuck between statements) is ended by the server,
/// releasing its locks.
const IDLE_IN_TRANSACTION_TIMEOUT: &str = "30s";

pub struct PostgresStore {
    pub(super) pool: PgPool,
    /// Appends, grouped into one transaction per batch on one connection of `pool` at a time
    /// ([`super::batch`]): a commit (a WAL flush) per batch instead of per message.
    appender: Appender,
}

/// A schema of its own on the test server (`postgres://127.0.0.1:5432/test`, or
/// `BATON_TEST_POSTGRES`), for the unit tests of this backend; `url` works in it.
#[cfg(test)]
struct Scratch {
    admin: sqlx::PgConnection,
    schema: String,
    url: String,
}

#[cfg(test)]
impl Scratch {
    async fn new(purpose: &str) -> Self {
        use sqlx::{Connection, Executor};
        let server = std::env::var("BATON_TEST_POSTGRES").unwrap_or_else(|_| "postgres://127.0.0.1:5432/test".into());
        let schema = format!("baton_{purpose}_{:016x}", rand::random::<u64>());
        let mut admin =
            sqlx::PgConnection::connect(&server).await.unwrap_or_else(|e| panic!("PostgreSQL at {server}: {e}"));
        admin.execute(format!("CREATE SCHEMA {schema}").as_str()).await.unwrap();
        let separator = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{separator}options=-c%20search_path%3D{schema}");
        Self { admin, schema, url }
    }
}

/// The server named by `url` without credentials, for messages.
fn server(options: &PgConnectOptions) -> String {
    format!("{}:{}/{}", options.get_host(), options.get_port(), options.get_database().unwrap_or_default())
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://` or `postgresql://`, libpq's parameters,
    /// e.g. `?options=-c search_path=baton`) and brings its schema up to date.
    pub async fn open(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?.application_name("baton-relay").options([
            ("statement_timeout", STATEMENT_TIMEOUT),
            ("idle_in_transaction_session_timeout", IDLE_IN_TRANSACTION_TIMEOUT),
        ]);
        let target = server(&options);
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .idle_timeout(Duration::from_secs(600))
            // No round trip before each use: a connection the server dropped fails its next
            // statement, which the caller retries or reports, and is then closed by the pool.
            .test_before_acquire(false)
            .connect_with(options.clone())
            .await
            .map_err(|error| match error {
                sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::PoolTimedOut => {
                    StoreError::Unreachable { server: target, reason: error.to_string() }
                }
                other => StoreError::Database(other),
            })?;
        sqlx::migrate!("migrations/postgres").run(&pool).await?;
        // The batcher writes on a connection of its own (opened when first needed, again after
        // a failure), whose statements are planned once and by key ([`append::PLANNING`]).
        let writer = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .idle_timeout(None)
            .test_before_acquire(false)
            .connect_lazy_with(options.options(append::PLANNING));
        let appender = Appender::start(append::EventWriter { pool: writer });
        Ok(Self { pool, appender })
    }

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
             VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(conversation_id)
        .bind(site)
        .bind(provider)
        .bind(job)
        .bind(now)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id)
    }

    /// Sets one column of a conversation.
    async fn set_column(&self, conversation_id: &str, column: &str, value: &str) -> Result<()> {
        sqlx::query(&format!("UPDATE conversations SET {column} = $1 WHERE id = $2"))
            .bind(value)
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks an outbox job: `set` is the assignments (`$2` the error, if they name one).
    async fn mark_job(&self, id: i64, set: &str, error: Option<&str>) -> Result<()> {
        let query = format!("UPDATE outbox SET {set} WHERE id = $1");
        let query = sqlx::query(&query).bind(id);
        match error {
            Some(error) => query.bind(error),
            None => query,
        }
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Marks a webhook event: `set` is the assignments, `$3` a time and `$4` the error.
    async fn mark_event(&self, provider: &str, event_id: &str, set: &str, at: i64, error: &str) -> Result<()> {
        sqlx::query(&format!("UPDATE webhook_events SET {set} WHERE provider = $1 AND event_id = $2"))
            .bind(provider)
            .bind(event_id)
            .bind(at)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn admin(&self) -> &dyn super::admin::AdminStore {
        self
    }

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
            "SELECT COUNT(*), MIN(first_seen_at) FROM webhook_events WHERE processed_at IS NULL AND failed_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Backlog {
            outbox_pending: rows::count(outbox_pending),
            outbox_oldest,
            webhook_pending: rows::count(webhook_pending),
            webhook_oldest,
        })
    }

    async fn create_conversation(&self, site: &str, token_hash: &str) -> Result<Conversation> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = now_millis();
        sqlx::query(
            "INSERT INTO conversations (id, site, token_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(&id)
        .bind(site)
        .bind(token_hash)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(Conversation::new(id, site, now))
    }

    async fn conversation_by_token(&self, site: &str, token_hash: &str) -> Result<Option<Conversation>> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE site = $1 AND token_hash = $2");
        let row = sqlx::query(&sql).bind(site).bind(token_hash).fetch_optional(&self.pool).await?;
        row.as_ref().map(rows::conversation).transpose()
    }

    async fn conversation(&self, id: &str) -> Result<Option<Conversation>> {
        let sql = format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1");
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
            "SELECT e.seq, e.at, e.body::text AS body, e.client_id, e.pending, \
                    EXISTS (SELECT 1 FROM events l WHERE l.conversation_id = e.conversation_id AND l.seq > e.seq) \
                      AS followed \
             FROM events e WHERE e.conversation_id = $1 AND e.pending IS NOT NULL ORDER BY e.seq",
        )
        .bind(conversation_id)
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::pending_message).collect()
    }

    async fn conversations_with_pending(&self, limit: u32) -> Result<Vec<(String, String)>> {
        let found = sqlx::query(
            "SELECT DISTINCT c.id, c.site FROM events e JOIN conversations c ON c.id = e.conversation_id \
             WHERE e.pending IS NOT NULL LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(|r| Ok((r.try_get("id")?, r.try_get("site")?))).collect()
    }

    async fn events_after(&self, conversation_id: &str, after: u64, limit: u32) -> Result<Vec<Event>> {
        let found = sqlx::query(
            "SELECT seq, at, body::text AS body FROM events WHERE conversation_id = $1 AND seq > $2 \
             ORDER BY seq LIMIT $3",
        )
        .bind(conversation_id)
        .bind(after as i64)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::event).collect()
    }

    async fn set_visitor(&self, conversation_id: &str, visitor: &Identity) -> Result<()> {
        sqlx::query(
            "UPDATE conversations SET visitor_email = $1, visitor_email_verified = $2, visitor_name = $3, \
             visitor_user_id = $4, visitor_user_id_verified = $5, visitor_languages = $6 WHERE id = $7",
        )
        .bind(&visitor.email)
        .bind(visitor.email_verified)
        .bind(&visitor.name)
        .bind(&visitor.user_id)
        .bind(visitor.user_id_verified)
        .bind(visitor.languages.join(","))
        .bind(conversation_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn set_handover(&self, conversation_id: &str, handover: &Handover) -> Result<()> {
        let done = sqlx::query(
            "UPDATE conversations SET state = $1, phase = $2, reason = $3, agent_id = $4, waiting_since = $5, \
             handover_provider = $6 WHERE id = $7",
        )
        .bind(&handover.state)
        .bind(handover.phase)
        .bind(handover.reason)
        .bind(&handover.agent_id)
        .bind(handover.waiting_since)
        .bind(handover.provider)
        .bind(conversation_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(conversation_id.to_string()));
        }
        Ok(())
    }

    async fn set_summary(&self, conversation_id: &str, summary: &str) -> Result<()> {
        self.set_column(conversation_id, "summary", summary).await
    }

    async fn set_topic(&self, conversation_id: &str, topic: &str) -> Result<()> {
        self.set_column(conversation_id, "topic", topic).await
    }

    async fn set_rating(&self, conversation_id: &str, score: u8) -> Result<()> {
        sqlx::query("UPDATE conversations SET rating = $1 WHERE id = $2")
            .bind(i64::from(score))
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn conversations_in(&self, phases: &[Phase]) -> Result<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE phase = ANY($1) \
             ORDER BY waiting_since IS NULL, waiting_since, updated_at DESC LIMIT 500"
        );
        let names: Vec<&str> = phases.iter().map(|phase| phase.column_name()).collect();
        let found = sqlx::query(&sql).bind(names).fetch_all(&self.pool).await?;
        found.iter().map(rows::conversation).collect()
    }

    async fn handed_back(&self, limit: u32) -> Result<Vec<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE phase = 'bot' AND summary IS NOT NULL \
             ORDER BY updated_at DESC LIMIT $1"
        );
        let found = sqlx::query(&sql).bind(i64::from(limit)).fetch_all(&self.pool).await?;
        found.iter().map(rows::conversation).collect()
    }

    async fn add_follow_up(&self, follow_up: &FollowUp) -> Result<()> {
        sqlx::query(
            "INSERT INTO follow_ups (conversation_id, site, email, summary, created_at) VALUES ($1, $2, $3, $4, $5)",
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
        let found = sqlx::query(
            "SELECT conversation_id, site, email, summary, created_at FROM follow_ups ORDER BY id DESC LIMIT $1",
        )
        .bind(i64::from(limit))
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
        let (jobs, unreadable) = claim::jobs(&self.pool, claim, limit).await?;
        for (id, error) in unreadable {
            self.job_failed(id, &error).await?;
        }
        Ok(jobs)
    }

    async fn job_started(&self, id: i64) -> Result<()> {
        self.mark_job(id, "started = TRUE", None).await
    }

    async fn job_done(&self, id: i64) -> Result<()> {
        let set = "state = 'done', attempts = attempts + 1, last_error = NULL, started = FALSE, \
                   claimed_by = NULL, claimed_until = NULL";
        self.mark_job(id, set, None).await
    }

    async fn job_retry(&self, id: i64, not_before: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE outbox SET attempts = attempts + 1, not_before = $1, last_error = $2, started = FALSE, \
             claimed_by = NULL, claimed_until = NULL WHERE id = $3",
        )
        .bind(not_before)
        .bind(error)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn job_failed(&self, id: i64, error: &str) -> Result<()> {
        let set = "state = 'failed', attempts = attempts + 1, last_error = $2, started = FALSE, \
                   claimed_by = NULL, claimed_until = NULL";
        self.mark_job(id, set, Some(error)).await
    }

    async fn jobs_since(&self, conversation_id: &str, since: i64) -> Result<u32> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE conversation_id = $1 AND created_at >= $2")
                .bind(conversation_id)
                .bind(since)
                .fetch_one(&self.pool)
                .await?;
        Ok(rows::count(count))
    }

    async fn pending_jobs(&self, conversation_id: &str) -> Result<u32> {
        let count: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE conversation_id = $1 AND state = 'pending'")
                .bind(conversation_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(rows::count(count))
    }

    async fn set_remote(&self, conversation_id: &str, remote: &str) -> Result<()> {
        sqlx::query("UPDATE conversations SET remote = $1::json WHERE id = $2")
            .bind(remote)
            .bind(conversation_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn remote(&self, conversation_id: &str) -> Result<Option<String>> {
        let remote: Option<Option<String>> = sqlx::query_scalar("SELECT remote::text FROM conversations WHERE id = $1")
            .bind(conversation_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(remote.flatten())
    }

    async fn conversation_by_remote(
        &self,
        site: &str,
        provider: ProviderKind,
        remote_id: &str,
    ) -> Result<Option<Conversation>> {
        let sql = format!(
            "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE remote IS NOT NULL AND site = $1 \
             AND remote ->> 'provider' = $2 AND remote ->> 'conversation' = $3 ORDER BY updated_at DESC LIMIT 1"
        );
        let row = sqlx::query(&sql).bind(site).bind(provider).bind(remote_id).fetch_optional(&self.pool).await?;
        row.as_ref().map(rows::conversation).transpose()
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
            "INSERT INTO webhook_events (provider, event_id, first_seen_at, site, event, thread) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (provider, event_id) DO UPDATE SET deliveries = webhook_events.deliveries + 1 \
             RETURNING deliveries",
        )
        .bind(provider)
        .bind(event_id)
        .bind(now_millis())
        .bind(site)
        .bind(event)
        .bind(thread)
        .fetch_one(&self.pool)
        .await?;
        Ok(deliveries == 1)
    }

    async fn event_processed(&self, provider: ProviderKind, event_id: &str) -> Result<()> {
        sqlx::query(
            "UPDATE webhook_events SET processed_at = $1, claimed_by = NULL, claimed_until = NULL \
             WHERE provider = $2 AND event_id = $3",
        )
        .bind(now_millis())
        .bind(provider)
        .bind(event_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn unprocessed_events(&self, limit: u32) -> Result<Vec<(ProviderKind, String, String)>> {
        let found = sqlx::query(
            "SELECT provider, site, event FROM webhook_events WHERE processed_at IS NULL AND failed_at IS NULL \
             ORDER BY position LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::unprocessed).collect()
    }

    async fn pending_events(&self, limit: u32) -> Result<Vec<PendingEvent>> {
        let found = sqlx::query(
            "SELECT provider, event_id, site, event, attempts, not_before FROM webhook_events \
             WHERE processed_at IS NULL AND failed_at IS NULL ORDER BY position LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        found.iter().map(rows::pending_event).collect()
    }

    async fn claim_events(&self, claim: Claim<'_>, limit: u32) -> Result<Vec<PendingEvent>> {
        let (events, unreadable) = claim::events(&self.pool, claim, limit).await?;
        for ((provider, event_id), error) in unreadable {
            self.mark_event(&provider, &event_id, FAILED, now_millis(), &error).await?;
        }
        Ok(events)
    }

    async fn keep_claims(&self, by: &str, until: i64) -> Result<()> {
        claim::keep(&self.pool, by, until).await
    }

    async fn release_claims(&self) -> Result<()> {
        claim::release_all(&self.pool).await
    }

    async fn event_retry(&self, provider: ProviderKind, event_id: &str, not_before: i64, error: &str) -> Result<()> {
        let set = "attempts = attempts + 1, not_before = $3, last_error = $4, claimed_by = NULL, claimed_until = NULL";
        self.mark_event(provider.column_name(), event_id, set, not_before, error).await
    }

    async fn event_failed(&self, provider: ProviderKind, event_id: &str, error: &str) -> Result<()> {
        self.mark_event(provider.column_name(), event_id, FAILED, now_millis(), error).await
    }

    async fn webhook_deliveries(&self, provider: ProviderKind, event_id: &str) -> Result<u32> {
        let deliveries: Option<i64> =
            sqlx::query_scalar("SELECT deliveries FROM webhook_events WHERE provider = $1 AND event_id = $2")
                .bind(provider)
                .bind(event_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(rows::count(deliveries.unwrap_or(0)))
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

    async fn renew_leases(&self, leases: &[(&str, &str)], ttl_ms: i64) -> Result<Vec<super::Renewal>> {
        lease::renew(&self.pool, leases, ttl_ms).await
    }

    async fn request_release(&self, conversation_id: &str, holder: &str) -> Result<()> {
        lease::request_release(&self.pool, conversation_id, holder).await
    }

    async fn release_lease(&self, conversation_id: &str, holder: &str) -> Result<()> {
        lease::release(&self.pool, conversation_id, holder).await
    }
}
