//! A PostgreSQL database written by an older relay comes up to date and reads back through the
//! Store: migrated to 0003, it gets the events of SQLite's `upgrade_0020.sql` (event schema 1,
//! the wire format of protocol v1), then [`PostgresStore::open`] runs the rest. Needs the
//! test server (`postgres://127.0.0.1:5432/test`, or `BATON_TEST_POSTGRES`), as
//! `tests/tests/store.rs` does; the test works in a schema of its own.

use std::borrow::Cow;

use sqlx::{migrate::Migrator, Connection, Executor, PgConnection};

use super::super::sqlite::upgrade::{events_insert, old_events_read_back};
use super::{PostgresStore, Scratch};
use crate::event::stored::SCHEMA;

/// The conversations the old events belong to (only what the schema requires).
const CONVERSATIONS: &str =
    "INSERT INTO conversations (id, site, token_hash, created_at, updated_at, last_seq) VALUES \
    ('c-bot', 'demo', 'h-bot', 1000, 1003, 3), ('c-waiting', 'demo', 'h-waiting', 2000, 2002, 2), \
    ('c-agent', 'shop', 'h-agent', 3000, 3003, 3), ('c-ended', 'demo', 'h-ended', 4000, 4004, 4)";

#[tokio::test]
async fn events_are_rewritten_in_the_relays_schema_and_reach_clients_as_before() {
    let Scratch { mut admin, schema, url } = Scratch::new("upgrade").await;

    let mut old = PgConnection::connect(&url).await.unwrap();
    let mut migrator: Migrator = sqlx::migrate!("migrations/postgres");
    migrator.migrations = Cow::Owned(migrator.iter().filter(|m| m.version <= 3).cloned().collect());
    migrator.run(&mut old).await.unwrap();
    old.execute(CONVERSATIONS).await.unwrap();
    old.execute(events_insert()).await.unwrap();
    old.close().await.unwrap();

    let store = PostgresStore::open(&url).await.expect("the migrations run on old rows");
    let versions: Vec<Option<i64>> =
        sqlx::query_scalar("SELECT (body ->> 'v')::bigint FROM events").fetch_all(&store.pool).await.unwrap();
    assert_eq!(versions, vec![Some(SCHEMA as i64); 12], "every event is rewritten");
    old_events_read_back(&store).await;

    store.pool.close().await;
    admin.execute(format!("DROP SCHEMA {schema} CASCADE").as_str()).await.unwrap();
}
