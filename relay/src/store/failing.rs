//! A store for tests that fails on demand: SQLite underneath, and any operation named in
//! [`FailingStore::fail`] answers a database error until [`FailingStore::heal`].

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;

use crate::connectors::ProviderKind;
use crate::event::{Event, EventBody};

use super::{
    Appended, Backlog, Claim, Conversation, FollowUp, Handover, OutboxRow, PendingEvent, PendingMessage, PruneBefore,
    Result, Store, StoreError,
};

pub struct FailingStore {
    inner: Arc<dyn Store>,
    failing: Mutex<HashSet<&'static str>>,
}

impl FailingStore {
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner, failing: Mutex::default() }
    }

    /// From now on `operation` (a [`Store`] method's name) fails.
    pub fn fail(&self, operation: &'static str) {
        self.failing.lock().unwrap().insert(operation);
    }

    /// Every operation works again.
    pub fn heal(&self) {
        self.failing.lock().unwrap().clear();
    }

    fn check(&self, operation: &'static str) -> Result<()> {
        if self.failing.lock().unwrap().contains(operation) {
            return Err(StoreError::Database(sqlx::Error::PoolTimedOut));
        }
        Ok(())
    }
}

macro_rules! delegate {
    ($( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        #[async_trait]
        impl Store for FailingStore {
            fn admin(&self) -> &dyn super::admin::AdminStore {
                self.inner.admin()
            }

            $(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                    self.check(stringify!($name))?;
                    self.inner.$name($($arg),*).await
                }
            )*
        }
    };
}

delegate! {
    fn ping(&self) -> ();
    fn backlog(&self) -> Backlog;
    fn create_conversation(&self, site: &str, token_hash: &str) -> Conversation;
    fn conversation_by_token(&self, site: &str, token_hash: &str) -> Option<Conversation>;
    fn conversation(&self, id: &str) -> Option<Conversation>;
    fn append(&self, conversation_id: &str, body: &EventBody, client_id: Option<&str>) -> Appended;
    fn append_visitor(&self, conversation_id: &str, body: &EventBody, client_id: &str, channel: crate::event::Channel) -> Appended;
    fn message_handled(&self, conversation_id: &str, seq: u64) -> ();
    fn pending_messages(&self, conversation_id: &str) -> Vec<PendingMessage>;
    fn conversations_with_pending(&self, limit: u32) -> Vec<(String, String)>;
    fn events_after(&self, conversation_id: &str, after: u64, limit: u32) -> Vec<Event>;
    fn set_visitor(&self, conversation_id: &str, visitor: &crate::identity::Identity) -> ();
    fn set_handover(&self, conversation_id: &str, handover: &Handover) -> ();
    fn set_summary(&self, conversation_id: &str, summary: &str) -> ();
    fn set_topic(&self, conversation_id: &str, topic: &str) -> ();
    fn set_rating(&self, conversation_id: &str, score: u8) -> ();
    fn conversations_in(&self, phases: &[crate::event::Phase]) -> Vec<Conversation>;
    fn handed_back(&self, limit: u32) -> Vec<Conversation>;
    fn add_follow_up(&self, follow_up: &FollowUp) -> ();
    fn follow_ups(&self, limit: u32) -> Vec<FollowUp>;
    fn enqueue(&self, conversation_id: &str, site: &str, provider: ProviderKind, job: &str) -> i64;
    fn enqueue_once(&self, conversation_id: &str, site: &str, provider: ProviderKind, job: &str, key: &str) -> bool;
    fn claim_jobs(&self, claim: Claim<'_>, limit: u32) -> Vec<OutboxRow>;
    fn job_started(&self, id: i64) -> ();
    fn job_done(&self, id: i64) -> ();
    fn job_retry(&self, id: i64, not_before: i64, error: &str) -> ();
    fn job_failed(&self, id: i64, error: &str) -> ();
    fn jobs_since(&self, conversation_id: &str, since: i64) -> u32;
    fn pending_jobs(&self, conversation_id: &str) -> u32;
    fn set_remote(&self, conversation_id: &str, remote: &str) -> ();
    fn remote(&self, conversation_id: &str) -> Option<String>;
    fn conversation_by_remote(&self, site: &str, provider: ProviderKind, remote_id: &str) -> Option<Conversation>;
    fn record_event(&self, provider: ProviderKind, site: &str, event_id: &str, thread: &str, event: &str) -> bool;
    fn event_processed(&self, provider: ProviderKind, event_id: &str) -> ();
    fn unprocessed_events(&self, limit: u32) -> Vec<(ProviderKind, String, String)>;
    fn pending_events(&self, limit: u32) -> Vec<PendingEvent>;
    fn claim_events(&self, claim: Claim<'_>, limit: u32) -> Vec<PendingEvent>;
    fn event_retry(&self, provider: ProviderKind, event_id: &str, not_before: i64, error: &str) -> ();
    fn event_failed(&self, provider: ProviderKind, event_id: &str, error: &str) -> ();
    fn webhook_deliveries(&self, provider: ProviderKind, event_id: &str) -> u32;
    fn keep_claims(&self, by: &str, until: i64) -> ();
    fn release_claims(&self) -> ();
    fn prunable_conversations(&self, before: PruneBefore, limit: u32) -> Vec<String>;
    fn delete_conversations(&self, ids: &[String], before: PruneBefore) -> u32;
    fn prune_webhook_events(&self, before: i64, limit: u32) -> u32;
    fn prune_outbox(&self, before: i64, limit: u32) -> u32;
    fn acquire_lease(&self, conversation_id: &str, holder: &str, node: &str, ttl_ms: i64) -> super::LeaseOutcome;
    fn renew_leases(&self, leases: &[(&str, &str)], ttl_ms: i64) -> Vec<super::Renewal>;
    fn request_release(&self, conversation_id: &str, holder: &str) -> ();
    fn release_lease(&self, conversation_id: &str, holder: &str) -> ();
}
