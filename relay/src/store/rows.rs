//! Rows into the store's types, one mapping for every backend: both schemas use text, 64-bit
//! integers and booleans for these columns, so a SQLite row and a PostgreSQL row read alike.

use sqlx::{ColumnIndex, Decode, Row, Type};

use super::{
    columns::{self, TextColumn},
    Conversation, FollowUp, Handover, OutboxRow, PendingEvent, PendingMessage, Result, StoreError,
};
use crate::connectors::ProviderKind;
use crate::event::{stored, Event, EventBody};
use crate::identity::Identity;

/// The column types the store reads.
pub(super) trait Columns {
    fn text(&self, column: &str) -> sqlx::Result<String>;
    fn maybe_text(&self, column: &str) -> sqlx::Result<Option<String>>;
    fn int(&self, column: &str) -> sqlx::Result<i64>;
    fn maybe_int(&self, column: &str) -> sqlx::Result<Option<i64>>;
    fn flag(&self, column: &str) -> sqlx::Result<bool>;

    /// An enum kept by its name (`store::columns`); a name it does not have is an error.
    fn name<T: TextColumn>(&self, column: &str) -> sqlx::Result<T> {
        columns::parse(column, &self.text(column)?)
    }

    fn maybe_name<T: TextColumn>(&self, column: &str) -> sqlx::Result<Option<T>> {
        self.maybe_text(column)?.map(|name| columns::parse(column, &name)).transpose()
    }
}

impl<R> Columns for R
where
    R: Row,
    for<'a> &'a str: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    fn text(&self, column: &str) -> sqlx::Result<String> {
        self.try_get(column)
    }

    fn maybe_text(&self, column: &str) -> sqlx::Result<Option<String>> {
        self.try_get(column)
    }

    fn int(&self, column: &str) -> sqlx::Result<i64> {
        self.try_get(column)
    }

    fn maybe_int(&self, column: &str) -> sqlx::Result<Option<i64>> {
        self.try_get(column)
    }

    fn flag(&self, column: &str) -> sqlx::Result<bool> {
        self.try_get(column)
    }
}

/// A count or a number of tries as the trait gives it.
pub(super) fn count(n: i64) -> u32 {
    n.clamp(0, u32::MAX.into()) as u32
}

/// The columns [`conversation`] reads, in a backend's own spelling of `remote` aside.
pub(super) const CONVERSATION_COLUMNS: &str = "id, site, last_seq, visitor_email, visitor_name, \
     visitor_email_verified, visitor_user_id, visitor_user_id_verified, visitor_languages, state, phase, reason, agent_id, \
     waiting_since, handover_provider, summary, topic, rating, created_at, updated_at";

pub(super) fn conversation(row: &impl Columns) -> Result<Conversation> {
    Ok(Conversation {
        id: row.text("id")?,
        site: row.text("site")?,
        last_seq: row.int("last_seq")? as u64,
        visitor: Identity {
            email: row.maybe_text("visitor_email")?,
            email_verified: row.flag("visitor_email_verified")?,
            name: row.maybe_text("visitor_name")?,
            user_id: row.maybe_text("visitor_user_id")?,
            user_id_verified: row.flag("visitor_user_id_verified")?,
            languages: Identity::languages_from_column(&row.text("visitor_languages")?),
        },
        handover: Handover {
            state: row.text("state")?,
            phase: row.name("phase")?,
            reason: row.maybe_name("reason")?,
            agent_id: row.maybe_text("agent_id")?,
            waiting_since: row.maybe_int("waiting_since")?,
            provider: row.maybe_name("handover_provider")?,
        },
        summary: row.maybe_text("summary")?,
        topic: row.maybe_text("topic")?,
        rating: row.maybe_int("rating")?.map(|r| r.clamp(0, 255) as u8),
        created_at: row.int("created_at")?,
        updated_at: row.int("updated_at")?,
    })
}

/// An event from its `seq`, `at` and `body` (JSON text, [`stored::from_json`]) columns.
pub(super) fn event(row: &impl Columns) -> Result<Event> {
    let seq = row.int("seq")? as u64;
    let body = stored::from_json(&row.text("body")?).map_err(|e| StoreError::Corrupt(format!("event {seq}: {e}")))?;
    Ok(Event { seq, at: row.int("at")?, body })
}

/// A pending visitor message: an event's columns plus `client_id`, `pending` and `followed`.
pub(super) fn pending_message(row: &impl Columns) -> Result<PendingMessage> {
    let event = event(row)?;
    let EventBody::Message(message) = event.body else {
        return Err(StoreError::Corrupt(format!("pending event {} is not a message", event.seq)));
    };
    Ok(PendingMessage {
        seq: event.seq,
        client_id: row.maybe_text("client_id")?.unwrap_or_default(),
        text: message.text,
        attachments: message.attachments,
        channel: row.name("pending")?,
        followed: row.flag("followed")?,
    })
}

pub(super) fn follow_up(row: &impl Columns) -> Result<FollowUp> {
    Ok(FollowUp {
        conversation_id: row.text("conversation_id")?,
        site: row.text("site")?,
        email: row.text("email")?,
        summary: row.text("summary")?,
        created_at: row.int("created_at")?,
    })
}

pub(super) fn outbox_row(row: &impl Columns) -> Result<OutboxRow> {
    Ok(OutboxRow {
        id: row.int("id")?,
        conversation_id: row.text("conversation_id")?,
        site: row.text("site")?,
        provider: row.name("provider")?,
        job: row.text("job")?,
        attempts: count(row.int("attempts")?),
        uncertain: row.flag("started")?,
    })
}

pub(super) fn pending_event(row: &impl Columns) -> Result<PendingEvent> {
    Ok(PendingEvent {
        provider: row.name("provider")?,
        event_id: row.text("event_id")?,
        site: row.maybe_text("site")?.unwrap_or_default(),
        event: row.text("event")?,
        attempts: count(row.int("attempts")?),
        not_before: row.int("not_before")?,
    })
}

/// An unprocessed event as [`super::Store::unprocessed_events`] lists it.
pub(super) fn unprocessed(row: &impl Columns) -> Result<(ProviderKind, String, String)> {
    Ok((row.name("provider")?, row.maybe_text("site")?.unwrap_or_default(), row.text("event")?))
}

/// Rows that could not be read: each one's key and why.
pub(super) type Unreadable<K> = Vec<(K, String)>;

/// The rows read, and apart those that could not be read.
pub(super) type Readable<T, K> = (Vec<T>, Unreadable<K>);

/// Reads each row with `read`. A row that cannot be read (it names a helpdesk this relay does
/// not know, its connector removed) comes back apart, as its `key` and why, for the backend to
/// give up: nothing can carry it out, and it must not hold back the rows behind it.
pub(super) fn readable<R, T, K>(
    found: &[R],
    read: impl Fn(&R) -> Result<T>,
    key: impl Fn(&R) -> sqlx::Result<K>,
) -> Result<Readable<T, K>> {
    let (mut read_rows, mut unreadable) = (Vec::with_capacity(found.len()), Vec::new());
    for row in found {
        match read(row) {
            Ok(value) => read_rows.push(value),
            Err(error) => {
                tracing::error!(%error, "a stored row cannot be read; it is given up");
                unreadable.push((key(row)?, error.to_string()));
            }
        }
    }
    Ok((read_rows, unreadable))
}

/// Claimed events (their columns plus `position`), oldest first.
pub(super) fn in_arrival_order<R: Columns>(found: &[R]) -> Result<Readable<PendingEvent, (String, String)>> {
    let read = |row: &R| Ok((row.maybe_int("position")?.unwrap_or_default(), pending_event(row)?));
    let key = |row: &R| Ok((row.text("provider")?, row.text("event_id")?));
    let (mut events, unreadable) = readable(found, read, key)?;
    events.sort_by_key(|(position, _)| *position);
    Ok((events.into_iter().map(|(_, event)| event).collect(), unreadable))
}

/// Claimed outbox jobs, oldest first.
pub(super) fn in_id_order<R: Columns>(found: &[R]) -> Result<Readable<OutboxRow, i64>> {
    let (mut jobs, unreadable) = readable(found, outbox_row, |row| row.int("id"))?;
    jobs.sort_by_key(|job| job.id);
    Ok((jobs, unreadable))
}
