//! A database written by an older relay comes up to date and reads back through the Store:
//! `upgrade_0020.sql` holds rows as a relay at schema 0020 wrote them (enums as free strings,
//! events in the wire format of protocol v1, i.e. event schema 1).

use std::borrow::Cow;

use sqlx::{migrate::Migrator, sqlite::SqliteConnectOptions, ConnectOptions, Connection, Executor};

use super::super::{Claim, PendingMessage, Phase, Store, StoreError};
use super::SqliteStore;
use crate::connectors::ProviderKind;
use crate::event::{stored::SCHEMA, Channel, EventBody, PhaseChange, Reason};

/// A claim on everything due, whenever.
const CLAIM: Claim<'static> = Claim { by: "upgrade", now: i64::MAX - 1, until: i64::MAX };

/// A database at schema `version` holding `rows`; its URL.
async fn database_at(dir: &tempfile::TempDir, version: i64, rows: &str) -> String {
    let url = format!("sqlite://{}/old.db", dir.path().display());
    let mut connection = SqliteConnectOptions::new()
        .filename(dir.path().join("old.db"))
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    let mut migrator: Migrator = sqlx::migrate!("migrations/sqlite");
    migrator.migrations = Cow::Owned(migrator.iter().filter(|m| m.version <= version).cloned().collect());
    migrator.run(&mut connection).await.unwrap();
    connection.execute(rows).await.unwrap();
    connection.close().await.unwrap();
    url
}

/// The events of `upgrade_0020.sql`: (conversation, seq, body as stored then).
pub(in crate::store) fn old_events() -> Vec<(String, u64, String)> {
    // Rows like `('c-bot', 1, 1001, '{"kind":...}', NULL, NULL),`.
    events_insert()
        .lines()
        .filter_map(|line| line.trim().strip_prefix("('"))
        .map(|row| {
            let (conversation, rest) = row.split_once("', ").unwrap();
            let seq = rest.split(',').next().unwrap().parse().unwrap();
            let body = &rest[rest.find("'{").unwrap() + 1..=rest.rfind("}'").unwrap()];
            (conversation.to_string(), seq, body.to_string())
        })
        .collect()
}

/// The statement of `upgrade_0020.sql` that inserts the events (plain SQL of any dialect).
pub(in crate::store) fn events_insert() -> &'static str {
    let rows = include_str!("upgrade_0020.sql");
    let start = rows.find("INSERT INTO events").expect("the old rows hold events");
    &rows[start..=start + rows[start..].find(");").unwrap() + 1]
}

/// Every event of [`old_events`] reads back from `store` (migrated) and reaches clients exactly
/// as the old relay sent it: the protocol's JSON of the new event is the old row.
pub(in crate::store) async fn old_events_read_back(store: &dyn Store) {
    let old = old_events();
    let files = crate::attachments::Attachments::from_config(&crate::config::Config::default()).expect("disk storage");
    assert_eq!(old.len(), 12, "every old event is checked");
    for (conversation, seq, body) in old {
        let mut found = store.events_after(&conversation, seq - 1, 1).await.unwrap();
        let event = found.pop().unwrap_or_else(|| panic!("{conversation}/{seq} reads"));
        let sent = serde_json::to_value(crate::wire::body(event.body, &files)).unwrap();
        assert_eq!(sent, serde_json::from_str::<serde_json::Value>(&body).unwrap(), "{conversation}/{seq}");
    }
    let waiting = store.events_after("c-waiting", 1, 1).await.unwrap().remove(0).body;
    let typed = PhaseChange { phase: Phase::Waiting, agent_name: None, reason: Some(Reason::ExplicitRequest) };
    assert_eq!(waiting, EventBody::Phase(typed), "read into the relay's own types");
}

async fn upgraded() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let url = database_at(&dir, 20, include_str!("upgrade_0020.sql")).await;
    let store = SqliteStore::open(&url).await.expect("the migrations run on old rows");
    (dir, store)
}

#[tokio::test]
async fn conversations_read_back_with_typed_handover_columns() {
    let (_dir, store) = upgraded().await;
    let waiting = store.conversation("c-waiting").await.unwrap().unwrap();
    assert_eq!(waiting.handover.phase, Phase::Waiting);
    assert_eq!(waiting.handover.reason, Some(Reason::ExplicitRequest));
    assert_eq!(waiting.handover.provider, Some(ProviderKind::Intercom));
    assert_eq!(waiting.handover.waiting_since, Some(2002));
    assert_eq!((waiting.visitor.email.as_deref(), waiting.visitor.email_verified), (Some("ada@example.com"), true));
    assert_eq!(waiting.topic.as_deref(), Some("billing"));
    let agent = store.conversation("c-agent").await.unwrap().unwrap();
    assert_eq!((agent.handover.phase, agent.handover.provider), (Phase::Agent, Some(ProviderKind::Builtin)));
    assert_eq!(agent.handover.agent_id.as_deref(), Some("alex"));
    let ids = |found: Vec<super::super::Conversation>| found.into_iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids(store.conversations_in(&[Phase::Waiting, Phase::Agent]).await.unwrap()), ["c-waiting", "c-agent"]);
    assert_eq!(ids(store.handed_back(10).await.unwrap()), ["c-ended"]);
    let ended = store.conversation("c-ended").await.unwrap().unwrap();
    assert_eq!((ended.rating, ended.handover.provider), (Some(5), Some(ProviderKind::ZendeskSupport)));
    assert_eq!(
        store.conversation_by_remote("demo", ProviderKind::Intercom, "363").await.unwrap().map(|c| c.id).as_deref(),
        Some("c-waiting")
    );
    assert_eq!(store.follow_ups(10).await.unwrap()[0].email, "bob@example.com");
}

#[tokio::test]
async fn pending_visitor_messages_keep_their_channel() {
    let (_dir, store) = upgraded().await;
    let pending = store.pending_messages("c-waiting").await.unwrap();
    let expected = PendingMessage {
        seq: 1,
        client_id: "m-2".into(),
        text: "I want a person".into(),
        attachments: vec![],
        channel: Channel::Widget,
        followed: true,
    };
    assert_eq!(pending, [expected]);
    assert_eq!(store.pending_messages("c-agent").await.unwrap()[0].channel, Channel::Http);
}

#[tokio::test]
async fn events_read_back_and_numbering_goes_on() {
    let (_dir, store) = upgraded().await;
    let events = store.events_after("c-bot", 0, 10).await.unwrap();
    assert_eq!(events.iter().map(|e| (e.seq, e.at)).collect::<Vec<_>>(), [(1, 1001), (2, 1002), (3, 1003)]);
    for id in ["c-waiting", "c-agent", "c-ended"] {
        let conversation = store.conversation(id).await.unwrap().unwrap();
        let events = store.events_after(id, 0, 10).await.unwrap();
        assert_eq!(events.len() as u64, conversation.last_seq, "{id}: every event reads");
    }
}

#[tokio::test]
async fn events_are_rewritten_in_the_relays_schema_and_reach_clients_as_before() {
    let (_dir, store) = upgraded().await;
    let versions: Vec<(String, i64, Option<i64>)> =
        sqlx::query_as("SELECT conversation_id, seq, json_extract(body, '$.v') FROM events ORDER BY 1, 2")
            .fetch_all(&store.pool)
            .await
            .unwrap();
    assert_eq!(versions.len(), 12);
    for (conversation, seq, version) in versions {
        assert_eq!(version, Some(SCHEMA as i64), "{conversation}/{seq} is rewritten");
    }
    old_events_read_back(&store).await;
    // Appended after the upgrade: schema 2 as written by the relay.
    store.append("c-bot", &EventBody::Rating { score: 4 }, None).await.unwrap();
    let body: String = sqlx::query_scalar("SELECT body FROM events WHERE conversation_id = 'c-bot' AND seq = 4")
        .fetch_one(&store.pool)
        .await
        .unwrap();
    assert_eq!(body, r#"{"v":2,"kind":"rating","score":4}"#);
}

#[tokio::test]
async fn outbox_jobs_keep_their_state_and_ids_are_not_reused() {
    let (_dir, store) = upgraded().await;
    // Job 7 names a helpdesk this relay does not know: it is given up, not handed out.
    let due = store.claim_jobs(CLAIM, 10).await.unwrap();
    let heads: Vec<_> = due.iter().map(|j| (j.id, j.provider, j.attempts, j.uncertain)).collect();
    assert_eq!(heads, [(2, ProviderKind::Intercom, 2, true)]);
    assert_eq!(store.pending_jobs("c-waiting").await.unwrap(), 2);
    assert_eq!(store.pending_jobs("c-bot").await.unwrap(), 0, "the unknown helpdesk's job was given up");
    assert_eq!(store.pending_jobs("c-ended").await.unwrap(), 0);
    let next = store.enqueue("c-bot", "demo", ProviderKind::Intercom, "{}").await.unwrap();
    assert_eq!(next, 8, "job ids go on from the old sequence");
    let backlog = store.backlog().await.unwrap();
    assert_eq!((backlog.outbox_pending, backlog.outbox_oldest), (3, Some(2002)));
}

#[tokio::test]
async fn webhook_events_keep_their_progress() {
    let (_dir, store) = upgraded().await;
    let pending = store.claim_events(CLAIM, 10).await.unwrap();
    let found: Vec<_> = pending.iter().map(|e| (e.provider, e.event_id.as_str(), e.attempts, e.not_before)).collect();
    assert_eq!(found, [(ProviderKind::Intercom, "n-1", 1, 2500)], "the unknown helpdesk's event is given up");
    assert_eq!(store.webhook_deliveries(ProviderKind::Intercom, "n-1").await.unwrap(), 2);
    assert!(!store.record_event(ProviderKind::Intercom, "demo", "n-1", "t", "{}").await.unwrap(), "still a redelivery");
}

#[tokio::test]
async fn the_schema_refuses_names_it_does_not_know() {
    let (_dir, store) = upgraded().await;
    for statement in [
        "UPDATE conversations SET phase = 'lunch' WHERE id = 'c-bot'",
        "UPDATE conversations SET reason = 'boredom' WHERE id = 'c-bot'",
        "UPDATE conversations SET handover_provider = 'Zendesk Chat' WHERE id = 'c-bot'",
        "UPDATE outbox SET state = 'maybe' WHERE id = 2",
        "UPDATE webhook_events SET provider = '' WHERE event_id = 'n-1'",
    ] {
        let refused = sqlx::query(statement).execute(&store.pool).await.unwrap_err();
        assert!(refused.to_string().contains("CHECK constraint failed"), "{statement}: {refused}");
    }
    for &kind in ProviderKind::ALL {
        store.enqueue("c-bot", "demo", kind, "{}").await.expect("every helpdesk's name passes the check");
    }
    // A name the schema allows but this relay does not know is refused when read.
    sqlx::query("UPDATE conversations SET handover_provider = 'zendesk_chat' WHERE id = 'c-bot'")
        .execute(&store.pool)
        .await
        .unwrap();
    assert!(matches!(store.conversation("c-bot").await, Err(StoreError::Database(_))));
}
