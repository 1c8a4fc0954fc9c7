//! What a batch writes, decided in Rust and shared by both backends, so each writes a batch in
//! a fixed number of statements whatever its size (one per step, the batch's columns bound as
//! one parameter each: arrays on PostgreSQL, a JSON array read with `json_each` on SQLite).
//! [`write`] runs the steps; a backend gives only its [`Statements`]:
//!
//! 1. [`Statements::stored`]: which (conversation, client id) pairs of the batch are stored
//!    already; [`Plan::new`] makes each item a duplicate of a stored event or of an earlier
//!    item of the batch, or new.
//! 2. [`Statements::number`]: each conversation's `last_seq` raised by its new events
//!    ([`Plan::counts`]) in one `UPDATE … RETURNING`; [`Plan::number`] gives each new event
//!    its number, the rows to insert and the outcome of every item.
//! 3. [`Statements::insert`]: the rows.
//! 4. [`Statements::handled`]: the pending marks of the messages handled, cleared.

use std::collections::{hash_map::Entry, HashMap};

use async_trait::async_trait;

use super::{Append, Handled, Written};
use crate::store::{columns::TextColumn, Result, StoreError};

/// A backend's statements for the steps of [`write`], run in the batch's transaction. Each
/// takes all of its step's rows at once.
#[async_trait]
pub trait Statements: Send {
    /// Of `keys` (conversation, client id), those stored already, with their events' numbers.
    async fn stored(&mut self, keys: &[(&str, &str)]) -> Result<Vec<(String, String, i64)>>;
    /// Adds each count to its conversation's `last_seq` (and sets `updated_at` to `at`); the
    /// new `last_seq` of each conversation that exists.
    async fn number(&mut self, counts: &[(&str, i64)], at: i64) -> Result<Vec<(String, i64)>>;
    /// Inserts the rows, stamped `at`, skipping any that conflicts with a stored one; how
    /// many were inserted.
    async fn insert(&mut self, rows: Rows<'_>, at: i64) -> Result<u64>;
    /// Clears the pending marks of these messages.
    async fn handled(&mut self, handled: &[Handled]) -> Result<()>;
}

/// Writes `batch` and `handled` through `statements` (in one transaction the caller commits),
/// at most one statement per step. A row that conflicted (written meanwhile by another relay)
/// is [`StoreError::NotWritten`]: the caller rolls back, no number is skipped.
pub async fn write(
    statements: &mut impl Statements,
    batch: &[Append],
    handled: &[Handled],
    at: i64,
) -> Result<Vec<Written>> {
    let mut written = Vec::new();
    if !batch.is_empty() {
        let keys: Vec<(&str, &str)> = keys(batch).collect();
        let stored = if keys.is_empty() { Vec::new() } else { statements.stored(&keys).await? };
        let plan = Plan::new(batch, &stored);
        let last = if plan.counts().is_empty() { Vec::new() } else { statements.number(plan.counts(), at).await? };
        let (rows, outcomes) = plan.number(batch, &last, at);
        let expected = rows.seqs.len() as u64;
        if expected > 0 {
            let inserted = statements.insert(rows, at).await?;
            if inserted != expected {
                return Err(StoreError::NotWritten(format!(
                    "{} of {expected} events conflict with rows written meanwhile",
                    expected.saturating_sub(inserted)
                )));
            }
        }
        written = outcomes;
    }
    if !handled.is_empty() {
        statements.handled(handled).await?;
    }
    Ok(written)
}

/// The (conversation, client id) of every item that has a client id.
fn keys(batch: &[Append]) -> impl Iterator<Item = (&str, &str)> {
    batch.iter().filter_map(|a| Some((a.conversation_id.as_str(), a.client_id.as_deref()?)))
}

/// What each item of a batch is, before the numbers are known.
struct Plan<'a> {
    items: Vec<Item>,
    /// New events per conversation, in the batch's order of conversations.
    counts: Vec<(&'a str, i64)>,
}

/// What an item of the batch is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// Its client id is stored already, as this event.
    Stored(u64),
    /// Its client id is the one of an earlier item of the batch (its index).
    SameAs(usize),
    New,
}

impl<'a> Plan<'a> {
    /// `stored`: the keys of [`keys`] the database holds, (conversation, client id, number).
    /// `batch` is sorted by conversation (each conversation's items adjacent).
    fn new(batch: &'a [Append], stored: &[(String, String, i64)]) -> Self {
        let stored: HashMap<(&str, &str), u64> =
            stored.iter().map(|(c, id, seq)| ((c.as_str(), id.as_str()), *seq as u64)).collect();
        let mut first: HashMap<(&str, &str), usize> = HashMap::new();
        let items: Vec<Item> = batch
            .iter()
            .enumerate()
            .map(|(i, append)| {
                let Some(client_id) = append.client_id.as_deref() else { return Item::New };
                let key = (append.conversation_id.as_str(), client_id);
                if let Some(&seq) = stored.get(&key) {
                    return Item::Stored(seq);
                }
                match first.entry(key) {
                    Entry::Occupied(earlier) => Item::SameAs(*earlier.get()),
                    Entry::Vacant(entry) => {
                        entry.insert(i);
                        Item::New
                    }
                }
            })
            .collect();
        let mut counts: Vec<(&str, i64)> = Vec::new();
        for (append, _) in batch.iter().zip(&items).filter(|(_, item)| **item == Item::New) {
            match counts.last_mut() {
                Some((id, n)) if *id == append.conversation_id => *n += 1,
                _ => counts.push((&append.conversation_id, 1)),
            }
        }
        Self { items, counts }
    }

    /// How many new events each conversation gets (each conversation once).
    fn counts(&self) -> &[(&'a str, i64)] {
        &self.counts
    }

    /// `last`: each conversation's `last_seq` after the counts were added (a conversation
    /// missing from it does not exist). The rows to insert, all stamped `at`, and one outcome
    /// per item of `batch`, in its order.
    fn number(self, batch: &'a [Append], last: &[(String, i64)], at: i64) -> (Rows<'a>, Vec<Written>) {
        let added: HashMap<&str, i64> = self.counts.iter().copied().collect();
        // Each conversation's next number: its new last_seq minus what this batch adds, plus 1.
        let mut next: HashMap<&str, i64> = last
            .iter()
            .map(|(id, last)| (id.as_str(), last - added.get(id.as_str()).copied().unwrap_or(0) + 1))
            .collect();
        let mut rows = Rows::default();
        let mut written: Vec<Written> = Vec::with_capacity(batch.len());
        for (append, item) in batch.iter().zip(&self.items) {
            let outcome = match *item {
                Item::Stored(seq) => Written::Duplicate { seq },
                // `earlier` < this item's index: already decided.
                Item::SameAs(earlier) => match written[earlier] {
                    Written::New { seq, .. } => Written::Duplicate { seq },
                    other => other,
                },
                Item::New => match next.get_mut(append.conversation_id.as_str()) {
                    Some(seq) => {
                        rows.push(append, *seq);
                        *seq += 1;
                        Written::New { seq: (*seq - 1) as u64, at }
                    }
                    None => Written::NotFound,
                },
            };
            written.push(outcome);
        }
        (rows, written)
    }
}

/// A batch numbered for a backend that writes it in one statement that fails as a whole
/// should any of its rows conflict: every client id is taken to be new (a repeat of a stored
/// one makes the statement fail, and the batch is then written step by step by [`write`]),
/// and each conversation's new events are numbered 1, 2, ... in [`Self::rows`]: offsets the
/// statement adds to the conversation's `last_seq` as it was before the batch.
pub struct AtOnce<'a> {
    /// New events per conversation (each conversation once), as [`Statements::number`] takes them.
    pub counts: Vec<(&'a str, i64)>,
    /// The rows to insert, their `seqs` the offsets.
    pub rows: Rows<'a>,
    /// Each item's outcome with the offsets as numbers.
    offsets: Vec<Written>,
}

impl<'a> AtOnce<'a> {
    pub fn new(batch: &'a [Append]) -> Self {
        let plan = Plan::new(batch, &[]);
        let counts = plan.counts().to_vec();
        // As if each conversation had had no events: its new last_seq is its count.
        let last: Vec<(String, i64)> = counts.iter().map(|(id, n)| (id.to_string(), *n)).collect();
        let (rows, offsets) = plan.number(batch, &last, 0);
        Self { counts, rows, offsets }
    }

    /// Each item's outcome, given each existing conversation's `last_seq` before the batch
    /// (`before`; a conversation missing from it does not exist: its items are not found).
    pub fn outcomes(self, batch: &[Append], before: &[(String, i64)], at: i64) -> Vec<Written> {
        let before: HashMap<&str, i64> = before.iter().map(|(id, seq)| (id.as_str(), *seq)).collect();
        batch
            .iter()
            .zip(self.offsets)
            .map(|(append, offset)| match (offset, before.get(append.conversation_id.as_str())) {
                (Written::New { seq, .. }, Some(&base)) => Written::New { seq: base as u64 + seq, at },
                (Written::Duplicate { seq }, Some(&base)) => Written::Duplicate { seq: base as u64 + seq },
                (Written::NotFound, _) | (_, None) => Written::NotFound,
            })
            .collect()
    }
}

/// The events to insert, column by column.
#[derive(Debug, Default, PartialEq)]
pub struct Rows<'a> {
    pub conversations: Vec<&'a str>,
    pub seqs: Vec<i64>,
    /// The bodies as stored (JSON text).
    pub bodies: Vec<&'a str>,
    pub client_ids: Vec<Option<&'a str>>,
    /// The channel's column name of a pending visitor message.
    pub pending: Vec<Option<&'static str>>,
}

impl<'a> Rows<'a> {
    fn push(&mut self, append: &'a Append, seq: i64) {
        self.conversations.push(&append.conversation_id);
        self.seqs.push(seq);
        self.bodies.push(&append.json);
        self.client_ids.push(append.client_id.as_deref());
        self.pending.push(append.pending.map(TextColumn::column_name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Author, Channel, EventBody, Message};

    fn append(conversation: &str, client_id: Option<&str>) -> Append {
        let body = EventBody::Message(Message::new(Author::visitor(), "hi"));
        let (reply, _) = tokio::sync::oneshot::channel();
        Append::new(conversation, &body, client_id, client_id.map(|_| Channel::Widget), reply)
    }

    #[test]
    fn stored_and_repeated_client_ids_are_duplicates_and_the_rest_is_numbered_after_the_last() {
        // Sorted by conversation, as the batcher hands it over.
        let batch = [
            append("a", Some("a1")),
            append("a", Some("a2")),
            append("a", None),
            append("a", Some("a1")),
            append("b", Some("b1")),
            append("gone", Some("g1")),
        ];
        let keys: Vec<_> = keys(&batch).collect();
        assert_eq!(keys, [("a", "a1"), ("a", "a2"), ("a", "a1"), ("b", "b1"), ("gone", "g1")]);
        let plan = Plan::new(&batch, &[("a".into(), "a2".into(), 7)]);
        assert_eq!(plan.counts(), [("a", 2), ("b", 1), ("gone", 1)]);
        // `a` had 9 events and now 11; `b` 0, now 1; `gone` does not exist.
        let (rows, written) = plan.number(&batch, &[("b".into(), 1), ("a".into(), 11)], 42);
        assert_eq!(
            written,
            [
                Written::New { seq: 10, at: 42 },
                Written::Duplicate { seq: 7 },
                Written::New { seq: 11, at: 42 },
                Written::Duplicate { seq: 10 },
                Written::New { seq: 1, at: 42 },
                Written::NotFound,
            ]
        );
        assert_eq!(rows.conversations, ["a", "a", "b"]);
        assert_eq!(rows.seqs, [10, 11, 1]);
        assert_eq!(rows.client_ids, [Some("a1"), None, Some("b1")]);
        assert_eq!(rows.pending, [Some("widget"), None, Some("widget")]);
        assert_eq!(rows.bodies[0], batch[0].json);
    }

    #[test]
    fn at_once_numbers_from_each_conversations_last_seq_before_the_batch() {
        let batch = [
            append("a", Some("a1")),
            append("a", None),
            append("a", Some("a1")),
            append("b", Some("b1")),
            append("gone", Some("g1")),
        ];
        let at_once = AtOnce::new(&batch);
        assert_eq!(at_once.counts, [("a", 2), ("b", 1), ("gone", 1)]);
        assert_eq!(at_once.rows.conversations, ["a", "a", "b", "gone"]);
        assert_eq!(at_once.rows.seqs, [1, 2, 1, 1], "offsets");
        // `a` had 9 events, `b` none; `gone` does not exist.
        let written = at_once.outcomes(&batch, &[("b".into(), 0), ("a".into(), 9)], 42);
        assert_eq!(
            written,
            [
                Written::New { seq: 10, at: 42 },
                Written::New { seq: 11, at: 42 },
                Written::Duplicate { seq: 10 },
                Written::New { seq: 1, at: 42 },
                Written::NotFound,
            ]
        );
    }

    #[test]
    fn a_repeat_of_an_item_of_a_missing_conversation_is_not_found_too() {
        let batch = [append("gone", Some("x")), append("gone", Some("x"))];
        let plan = Plan::new(&batch, &[]);
        let (rows, written) = plan.number(&batch, &[], 1);
        assert!(rows.seqs.is_empty());
        assert_eq!(written, [Written::NotFound, Written::NotFound]);
    }
}
