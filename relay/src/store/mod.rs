//! Durable storage of conversations and their events.
//!
//! [`Store`] speaks in domain operations; [`connect`] picks the backend from the URL scheme.
//! SQLite is the embedded default (the file is created on first run, migrations are embedded);
//! PostgreSQL (`postgres://` or `postgresql://`) lets several relays share one database. Both
//! backends pass the same behaviour suite (`tests/tests/store.rs`).

pub mod admin;
mod batch;
mod claim;
pub mod columns;
#[cfg(test)]
pub mod failing;
mod lease;
mod postgres;
mod rows;
mod sqlite;

use std::sync::Arc;

use crate::connectors::ProviderKind;
use crate::event::{Channel, Event, EventBody, Phase, Reason};
use crate::identity::Identity;
use async_trait::async_trait;

pub use claim::{Claim, Claimer};
pub use lease::{LeaseOutcome, Renewal};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("conversation {0} not found")]
    NotFound(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("unsupported database url {0:?} (expected sqlite://..., postgres://... or postgresql://...)")]
    UnsupportedUrl(String),
    /// The database server could not be reached (refused, timed out, TLS failed).
    #[error("the database at {server} is unreachable: {reason}")]
    Unreachable { server: String, reason: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// From the SQLite connection that writes appended events (`sqlite::append`).
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// The task that writes appended events has stopped (the relay is shutting down): the
    /// event may or may not have been stored.
    #[error("the store's writer has stopped; the event may not be stored")]
    WriterStopped,
    /// The database took the write but stored nothing (a conflicting row written at the same
    /// time by another relay, caught before commit; trying again resolves it).
    #[error("the event was not written: {0}")]
    NotWritten(String),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A stored conversation's header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    pub id: String,
    pub site: String,
    pub last_seq: u64,
    pub visitor: Identity,
    pub handover: Handover,
    pub summary: Option<String>,
    /// The topic the triggers found (a tag for agents).
    pub topic: Option<String>,
    pub rating: Option<u8>,
    pub created_at: i64,
    /// When the last event was stored.
    pub updated_at: i64,
}

impl Conversation {
    /// A conversation just created at `now`: nothing stored in it yet, with the bot.
    pub fn new(id: String, site: &str, now: i64) -> Self {
        Self {
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
        }
    }
}

/// The conversation's ownership state as the store keeps it. `state` is the conversation
/// machine's own serialised form; the other fields repeat parts of it for queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handover {
    pub state: String,
    pub phase: Phase,
    pub reason: Option<Reason>,
    pub agent_id: Option<String>,
    pub waiting_since: Option<i64>,
    /// The provider the current (or last) handover went to.
    pub provider: Option<ProviderKind>,
}

impl Default for Handover {
    fn default() -> Self {
        Self {
            state: r#"{"phase":"bot"}"#.into(),
            phase: Phase::Bot,
            reason: None,
            agent_id: None,
            waiting_since: None,
            provider: None,
        }
    }
}

/// A helpdesk call waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub conversation_id: String,
    pub site: String,
    pub provider: ProviderKind,
    /// The job, as the outbox serialised it.
    pub job: String,
    pub attempts: u32,
    /// A try was under way when the relay stopped: it may have reached the helpdesk.
    pub uncertain: bool,
}

/// An email a visitor left while nobody was available.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub conversation_id: String,
    pub site: String,
    pub email: String,
    pub summary: String,
    pub created_at: i64,
}

/// Which conversations retention may delete (times in ms since the epoch; `None`: never).
/// Conversations waiting for or with an agent, or with helpdesk calls pending, never are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneBefore {
    /// Nothing after the greeting, and no event since this time.
    pub empty: Option<i64>,
    /// No event since this time.
    pub idle: Option<i64>,
}

/// A visitor message stored but not yet handled (its effects not carried out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingMessage {
    pub seq: u64,
    pub client_id: String,
    pub text: String,
    /// The files it carries (their references, as stored with it).
    pub attachments: Vec<crate::event::Attachment>,
    /// The channel it came by, as given to [`Store::append_visitor`].
    pub channel: Channel,
    /// Another event was stored after it: its handling had begun (and written something).
    pub followed: bool,
}

/// A stored webhook event not processed yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingEvent {
    pub provider: ProviderKind,
    pub event_id: String,
    pub site: String,
    /// The event as the webhook layer serialised it.
    pub event: String,
    /// Failed tries so far.
    pub attempts: u32,
    /// Not to be tried before this time (ms since the epoch).
    pub not_before: i64,
}

/// What waits to be carried out, for the metrics (times in ms since the epoch).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Backlog {
    /// Outbox jobs pending (due or waiting for their retry).
    pub outbox_pending: u32,
    /// When the oldest pending outbox job was written.
    pub outbox_oldest: Option<i64>,
    /// Webhook events stored, neither applied nor given up.
    pub webhook_pending: u32,
    /// When the oldest of those first arrived.
    pub webhook_oldest: Option<i64>,
}

/// Told of a visitor message's fate once the transaction holding it committed (or failed),
/// before the caller of [`Store::append_visitor_then`] is answered: the widget's `ack` can
/// leave then, without waiting for the caller's task to run.
pub type OnStored = Box<dyn FnOnce(&Result<Appended>) + Send + Sync>;

/// The outcome of appending an event.
#[derive(Debug, Clone, PartialEq)]
#[expect(clippy::large_enum_variant, reason = "a short-lived answer, moved once")]
pub enum Appended {
    /// The event was stored with the next sequence number.
    New(Event),
    /// An event with the same client id was stored earlier as `seq`; nothing was written.
    Duplicate { seq: u64 },
}

impl Appended {
    /// The sequence number of the event stored, or stored before.
    pub fn seq(&self) -> u64 {
        match self {
            Appended::New(event) => event.seq,
            Appended::Duplicate { seq } => *seq,
        }
    }
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// The owner dashboard's accounts, sessions, settings and audit log, in the same database.
    fn admin(&self) -> &dyn admin::AdminStore;
    /// A round trip to the database (readiness).
    async fn ping(&self) -> Result<()>;
    /// The outbox's and the webhook events' backlog.
    async fn backlog(&self) -> Result<Backlog>;
    async fn create_conversation(&self, site: &str, token_hash: &str) -> Result<Conversation>;
    async fn conversation_by_token(&self, site: &str, token_hash: &str) -> Result<Option<Conversation>>;
    async fn conversation(&self, id: &str) -> Result<Option<Conversation>>;
    /// Appends an event with the conversation's next sequence number. With a `client_id` that
    /// is already stored for this conversation, nothing is written.
    async fn append(&self, conversation_id: &str, body: &EventBody, client_id: Option<&str>) -> Result<Appended>;
    /// Appends a visitor message as [`Store::append`] does, marked pending (with the `channel`
    /// it came by) until [`Store::message_handled`]: stored and acknowledged before its effects,
    /// so a crash in between leaves a mark to redo them.
    async fn append_visitor(
        &self,
        conversation_id: &str,
        body: &EventBody,
        client_id: &str,
        channel: Channel,
    ) -> Result<Appended>;
    /// [`Store::append_visitor`], telling `on_stored` the outcome as soon as it is known
    /// (with the group commit, by the batcher itself, once the batch committed).
    async fn append_visitor_then(
        &self,
        conversation_id: &str,
        body: &EventBody,
        client_id: &str,
        channel: Channel,
        on_stored: OnStored,
    ) -> Result<Appended> {
        let appended = self.append_visitor(conversation_id, body, client_id, channel).await;
        on_stored(&appended);
        appended
    }
    /// The visitor message `seq`'s effects were carried out. Its mark is cleared in the group
    /// commit of the appends queued beside it (`batch`), once that is committed.
    async fn message_handled(&self, conversation_id: &str, seq: u64) -> Result<()>;
    /// The conversation's visitor messages still pending, oldest first.
    async fn pending_messages(&self, conversation_id: &str) -> Result<Vec<PendingMessage>>;
    /// Conversations with a pending visitor message: (id, site), at most `limit`.
    async fn conversations_with_pending(&self, limit: u32) -> Result<Vec<(String, String)>>;
    /// Events with `seq > after`, oldest first, at most `limit`.
    async fn events_after(&self, conversation_id: &str, after: u64, limit: u32) -> Result<Vec<Event>>;
    /// Replaces what is known about the visitor (the actor merges claims, [`Identity::merge`]).
    async fn set_visitor(&self, conversation_id: &str, visitor: &Identity) -> Result<()>;
    async fn set_handover(&self, conversation_id: &str, handover: &Handover) -> Result<()>;
    async fn set_summary(&self, conversation_id: &str, summary: &str) -> Result<()>;
    /// Tags the conversation with the topic the triggers found.
    async fn set_topic(&self, conversation_id: &str, topic: &str) -> Result<()>;
    async fn set_rating(&self, conversation_id: &str, score: u8) -> Result<()>;
    /// Conversations in any of `phases`, oldest waiting first, then most recently active.
    async fn conversations_in(&self, phases: &[Phase]) -> Result<Vec<Conversation>>;
    /// Conversations that were handed over and are back with the bot, most recent first.
    async fn handed_back(&self, limit: u32) -> Result<Vec<Conversation>>;
    async fn add_follow_up(&self, follow_up: &FollowUp) -> Result<()>;
    /// The newest follow-ups first, at most `limit`.
    async fn follow_ups(&self, limit: u32) -> Result<Vec<FollowUp>>;

    // The outbox: helpdesk calls, in order per conversation.
    async fn enqueue(&self, conversation_id: &str, site: &str, provider: ProviderKind, job: &str) -> Result<i64>;
    /// Per conversation, its oldest pending job, if that one is due at `now`; at most `limit`.
    /// Like [`Store::enqueue`], but at most once per conversation and `key`: false (nothing
    /// written) when a job with that key exists.
    async fn enqueue_once(
        &self,
        conversation_id: &str,
        site: &str,
        provider: ProviderKind,
        job: &str,
        key: &str,
    ) -> Result<bool>;
    /// Claims, per conversation, its oldest pending job if that one is due at `claim.now` and
    /// nobody's claim on it lasts beyond then; at most `limit`, in id order. Atomic: relays
    /// claiming at once never get the same job, and a conversation's next job is claimable only
    /// once the one before it is done or failed (per-conversation order across relays).
    async fn claim_jobs(&self, claim: Claim<'_>, limit: u32) -> Result<Vec<OutboxRow>>;
    /// A try of the job begins (cleared by done, retry and failed).
    async fn job_started(&self, id: i64) -> Result<()>;
    /// The job is done (its claim ends).
    async fn job_done(&self, id: i64) -> Result<()>;
    /// Keeps the job pending, to be tried again from `not_before` (its claim ends).
    async fn job_retry(&self, id: i64, not_before: i64, error: &str) -> Result<()>;
    /// Gives up on the job; later jobs of the conversation go on (its claim ends).
    async fn job_failed(&self, id: i64, error: &str) -> Result<()>;
    /// How many jobs (in any state) were written for a conversation from `since` (ms) on.
    async fn jobs_since(&self, conversation_id: &str, since: i64) -> Result<u32>;
    /// How many jobs are pending for a conversation.
    async fn pending_jobs(&self, conversation_id: &str) -> Result<u32>;
    /// The conversation on the helpdesk's side, as JSON.
    async fn set_remote(&self, conversation_id: &str, remote: &str) -> Result<()>;
    async fn remote(&self, conversation_id: &str) -> Result<Option<String>>;
    /// The conversation of `site` handed to `provider` as its conversation `remote_id`. Scoped
    /// by site: a webhook verified with one site's secret never reaches another site's chat.
    async fn conversation_by_remote(
        &self,
        site: &str,
        provider: ProviderKind,
        remote_id: &str,
    ) -> Result<Option<Conversation>>;
    // Webhook de-duplication: helpdesks deliver at least once.
    /// Stores a verified webhook event about the helpdesk's conversation `thread` for
    /// processing; false when the same (provider, event id) was stored before (a redelivery),
    /// in which case nothing is stored.
    async fn record_event(
        &self,
        provider: ProviderKind,
        site: &str,
        event_id: &str,
        thread: &str,
        event: &str,
    ) -> Result<bool>;
    /// The event was applied (its claim ends).
    async fn event_processed(&self, provider: ProviderKind, event_id: &str) -> Result<()>;
    /// Stored events not yet processed (nor given up), oldest first: (provider, site, event).
    async fn unprocessed_events(&self, limit: u32) -> Result<Vec<(ProviderKind, String, String)>>;
    /// Stored events not yet processed nor given up, in arrival order, at most `limit`.
    async fn pending_events(&self, limit: u32) -> Result<Vec<PendingEvent>>;
    /// Claims, per line (provider, site, helpdesk conversation), its oldest pending event if
    /// that one is due at `claim.now` and nobody's claim on it lasts beyond then; at most
    /// `limit`, in arrival order. Atomic like [`Store::claim_jobs`]: a line's events are applied
    /// one after the other, whichever relays apply them.
    async fn claim_events(&self, claim: Claim<'_>, limit: u32) -> Result<Vec<PendingEvent>>;
    /// The event could not be applied yet: try again from `not_before` (its claim ends).
    async fn event_retry(&self, provider: ProviderKind, event_id: &str, not_before: i64, error: &str) -> Result<()>;
    /// The event could not be applied and will not be tried again (its claim ends).
    async fn event_failed(&self, provider: ProviderKind, event_id: &str, error: &str) -> Result<()>;
    /// Extends every claim `by` holds (jobs and events) to `until`.
    async fn keep_claims(&self, by: &str, until: i64) -> Result<()>;
    /// Ends every claim: for a relay alone on its database, at start (whoever claimed is gone).
    async fn release_claims(&self) -> Result<()>;
    /// How many deliveries of the event arrived (0: never seen).
    async fn webhook_deliveries(&self, provider: ProviderKind, event_id: &str) -> Result<u32>;

    // Retention: deletions in small batches.
    /// Ids of at most `limit` conversations [`PruneBefore`] allows deleting.
    async fn prunable_conversations(&self, before: PruneBefore, limit: u32) -> Result<Vec<String>>;
    /// Deletes those of `ids` that `before` still allows (checked again, in the same
    /// transaction), with their events, follow-ups and outbox rows; returns how many.
    async fn delete_conversations(&self, ids: &[String], before: PruneBefore) -> Result<u32>;
    /// Forgets at most `limit` webhook events processed before `before`.
    async fn prune_webhook_events(&self, before: i64, limit: u32) -> Result<u32>;
    /// Deletes at most `limit` delivered outbox jobs written before `before`.
    async fn prune_outbox(&self, before: i64, limit: u32) -> Result<u32>;

    // Conversation leases (several relays): the actor of a conversation runs where its lease is.
    /// Takes the conversation's lease for `holder` (an actor of relay `node`) until `ttl` from
    /// now, if nobody holds it, its holder let it expire, or `holder` has it already.
    async fn acquire_lease(&self, conversation_id: &str, holder: &str, node: &str, ttl_ms: i64)
        -> Result<LeaseOutcome>;
    /// Extends each `(conversation, holder)` lease to `ttl` from now where that holder still
    /// has it, in one statement (a relay renews all its leases at once): one [`Renewal`] per
    /// lease, in the order given.
    async fn renew_leases(&self, leases: &[(&str, &str)], ttl_ms: i64) -> Result<Vec<Renewal>>;
    /// Asks `holder` to give the lease up (it learns so when it renews).
    async fn request_release(&self, conversation_id: &str, holder: &str) -> Result<()>;
    /// Gives `holder`'s lease up (nothing if it no longer has it).
    async fn release_lease(&self, conversation_id: &str, holder: &str) -> Result<()>;
}

/// Opens the store named by `url` and brings its schema up to date.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::open(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(url.to_string()))
    }
}

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or_default()
}
