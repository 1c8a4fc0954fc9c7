//! Group commit for appended events.
//!
//! Every append of a store goes through its [`Appender`], and so does the mark that a visitor
//! message was handled: callers (the conversation actors, many at once) queue their event or
//! mark and wait; one batcher task takes what is queued (up to [`MAX_BATCH`] at once), writes
//! it through the backend's [`Writer`] in ONE transaction of a fixed number of statements
//! whatever its size ([`plan`] decides what each item is, shared by both backends) and
//! answers each caller once that transaction has committed. A commit (and SQLite's write lock,
//! PostgreSQL's WAL flush) is paid once per batch instead of once per message, and appends no
//! longer compete for the database's write lock.
//!
//! Order: a conversation's appends are written in the order they were queued (the batch is
//! sorted by conversation with a stable sort), and one actor waits for each append before the
//! next, so its events keep its order. Failures: if the batch's transaction fails, nothing of it
//! was written and each item is tried again alone, so a bad item fails only itself. No caller
//! is answered before its item's transaction committed (or failed).

pub mod plan;

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};

use super::{Appended, OnStored, Result, StoreError};
use crate::event::{stored, Channel, Event, EventBody};

/// Appends written in one transaction at most. Large enough that a commit is paid for a few
/// hundred messages at full load, small enough that a batch's transaction stays short (a few
/// milliseconds) and a failing batch's item-by-item retry stays cheap.
pub const MAX_BATCH: usize = 256;
/// Appends queued for the batcher at most; callers beyond wait for room (backpressure instead
/// of unbounded memory when the database is slower than the callers).
const QUEUE: usize = 4 * MAX_BATCH;
/// New tries of an item whose row conflicted with one written meanwhile: the next try sees
/// the row that won. More than one only when relays keep racing on one conversation.
const CONFLICT_RETRIES: usize = 3;

/// An event to append, as the batcher hands it to a [`Writer`].
pub struct Append {
    pub conversation_id: String,
    /// The body as stored (serialised by the caller, off the batcher's task).
    pub json: String,
    pub client_id: Option<String>,
    /// Marks a visitor message whose effects are still to be carried out (the channel it came by).
    pub pending: Option<Channel>,
    /// The body itself, handed back in [`Appended::New`].
    body: EventBody,
    /// Told the outcome first, before `reply`.
    on_stored: Option<OnStored>,
    reply: oneshot::Sender<Result<Appended>>,
}

impl Append {
    fn new(
        conversation_id: &str,
        body: &EventBody,
        client_id: Option<&str>,
        pending: Option<Channel>,
        reply: oneshot::Sender<Result<Appended>>,
    ) -> Self {
        Self {
            conversation_id: conversation_id.to_owned(),
            json: stored::to_json(body),
            client_id: client_id.map(str::to_owned),
            pending,
            body: body.clone(),
            on_stored: None,
            reply,
        }
    }
}

/// A visitor message whose effects were carried out: its pending mark is cleared.
pub struct Handled {
    pub conversation_id: String,
    pub seq: u64,
    reply: oneshot::Sender<Result<()>>,
}

/// What callers queue for the batcher.
#[expect(clippy::large_enum_variant, reason = "moved once into the queue; a box would cost an allocation per append")]
enum Queued {
    Append(Append),
    Handled(Handled),
}

/// What became of one append of a committed batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Stored with this sequence number, at this time (ms since the epoch).
    New { seq: u64, at: i64 },
    /// The conversation has an event with the same client id already (`seq`); nothing written.
    Duplicate { seq: u64 },
    /// No such conversation; nothing written.
    NotFound,
}

/// A backend's way of writing a batch.
#[async_trait]
pub trait Writer: Send + 'static {
    /// Writes `batch` and clears the pending marks of `handled` in one transaction, committed
    /// before this returns, in the order given (each conversation's events get consecutive
    /// sequence numbers in that order), with one [`Written`] per item of `batch`. `Err`: the
    /// transaction failed and nothing of it was written.
    async fn write(&mut self, batch: &[Append], handled: &[Handled]) -> Result<Vec<Written>>;
}

/// The handle callers append through (cheap to clone). The batcher task ends, and its writer
/// with its connection, when the last handle is dropped.
#[derive(Clone)]
pub struct Appender {
    queue: mpsc::Sender<Queued>,
}

impl Appender {
    /// Starts the batcher task writing through `writer` (on the current tokio runtime).
    pub fn start(writer: impl Writer) -> Self {
        let (queue, queued) = mpsc::channel(QUEUE);
        tokio::spawn(run(writer, queued));
        Self { queue }
    }

    /// Starts the batcher on a thread of its own, for a writer whose calls block (they run on
    /// that thread, beside the runtime's workers). The thread ends with the last handle.
    pub fn start_on_thread(writer: impl Writer, name: &str) -> std::io::Result<Self> {
        let (queue, queued) = mpsc::channel(QUEUE);
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::Builder::new().name(name.to_owned()).spawn(move || runtime.block_on(run(writer, queued)))?;
        Ok(Self { queue })
    }

    /// Appends an event with the conversation's next sequence number, once its batch is
    /// committed. With a `client_id` already stored for the conversation, nothing is written.
    /// `on_stored` is told the outcome by the batcher, before this call's task is woken.
    pub async fn append(
        &self,
        conversation_id: &str,
        body: &EventBody,
        client_id: Option<&str>,
        pending: Option<Channel>,
        on_stored: Option<OnStored>,
    ) -> Result<Appended> {
        let (reply, answer) = oneshot::channel();
        let append = Append { on_stored, ..Append::new(conversation_id, body, client_id, pending, reply) };
        self.queue.send(Queued::Append(append)).await.map_err(|_| StoreError::WriterStopped)?;
        // The batcher answers every item it took; no answer means it stopped (its runtime is
        // shutting down) and the item's fate is unknown to this caller.
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }

    /// Clears the pending mark of the visitor message `seq` (nothing if it has none), once its
    /// batch is committed.
    pub async fn handled(&self, conversation_id: &str, seq: u64) -> Result<()> {
        let (reply, answer) = oneshot::channel();
        let handled = Handled { conversation_id: conversation_id.to_owned(), seq, reply };
        self.queue.send(Queued::Handled(handled)).await.map_err(|_| StoreError::WriterStopped)?;
        answer.await.map_err(|_| StoreError::WriterStopped)?
    }
}

/// The batcher: takes what is queued, writes it, answers; until every [`Appender`] is gone.
async fn run(mut writer: impl Writer, mut queued: mpsc::Receiver<Queued>) {
    let mut taken = Vec::with_capacity(MAX_BATCH);
    let (mut batch, mut handled) = (Vec::with_capacity(MAX_BATCH), Vec::new());
    while queued.recv_many(&mut taken, MAX_BATCH).await > 0 {
        for item in taken.drain(..) {
            match item {
                Queued::Append(append) => batch.push(append),
                Queued::Handled(mark) => handled.push(mark),
            }
        }
        // Stable: a conversation's appends stay in the order they were queued. Grouped by
        // conversation, a backend locks each conversation's row once, in a fixed order.
        batch.sort_by(|a: &Append, b: &Append| a.conversation_id.cmp(&b.conversation_id));
        match writer.write(&batch, &handled).await {
            Ok(written) if written.len() == batch.len() => {
                for (append, written) in batch.drain(..).zip(written) {
                    answer(append, Ok(written));
                }
                for mark in handled.drain(..) {
                    let _ = mark.reply.send(Ok(()));
                }
            }
            outcome => {
                if batch.len() + handled.len() > 1 {
                    let why = outcome.as_ref().err().map_or("a result per item was missing".into(), |e| e.to_string());
                    tracing::warn!(items = batch.len(), error = %why, "a batch of appends failed; writing them one by one");
                }
                one_by_one(&mut writer, &mut batch, &mut handled, outcome).await;
            }
        }
    }
}

/// After a failed batch: each item in a transaction of its own, so only a bad one fails.
/// `outcome` is the batch's; a batch of one append was already its item's first try.
async fn one_by_one(
    writer: &mut impl Writer,
    batch: &mut Vec<Append>,
    handled: &mut Vec<Handled>,
    outcome: Result<Vec<Written>>,
) {
    let mut first = (batch.len() == 1 && handled.is_empty()).then_some(outcome);
    for mark in handled.drain(..) {
        let done = writer.write(&[], std::slice::from_ref(&mark)).await.map(drop);
        let _ = mark.reply.send(done);
    }
    for append in batch.drain(..) {
        let mut written = match first.take() {
            Some(outcome) => outcome,
            None => writer.write(std::slice::from_ref(&append), &[]).await,
        };
        // A row written meanwhile by another relay (the same client id): a new try sees it
        // and answers the duplicate.
        for _ in 0..CONFLICT_RETRIES {
            if !matches!(written, Err(StoreError::NotWritten(_))) {
                break;
            }
            written = writer.write(std::slice::from_ref(&append), &[]).await;
        }
        let written = written.and_then(|w| w.into_iter().next().ok_or_else(|| not_written(&append)));
        answer(append, written);
    }
}

fn not_written(append: &Append) -> StoreError {
    StoreError::NotWritten(format!("the writer gave no outcome for an event of {}", append.conversation_id))
}

/// Tells the caller (and first its `on_stored`); one that stopped waiting is not an error
/// (its event stays stored).
fn answer(append: Append, written: Result<Written>) {
    let Append { conversation_id, body, on_stored, reply, .. } = append;
    let appended = written.and_then(|written| match written {
        Written::New { seq, at } => Ok(Appended::New(Event { seq, at, body })),
        Written::Duplicate { seq } => Ok(Appended::Duplicate { seq }),
        Written::NotFound => Err(StoreError::NotFound(conversation_id)),
    });
    if let Some(on_stored) = on_stored {
        on_stored(&appended);
    }
    let _ = reply.send(appended);
}

#[cfg(test)]
pub(super) mod tests {
    //! The batcher's rules with an in-memory writer; `sqlite::append` and `postgres::append`
    //! run [`poisoned_batch`] against their databases.
    use std::collections::HashMap;

    use super::*;
    use crate::event::{Author, Message};
    use crate::store::Store;

    fn message(text: &str) -> EventBody {
        EventBody::Message(Message::new(Author::visitor(), text))
    }

    /// Queues `(conversation, client id)` appends before the batcher runs (so they make one
    /// batch), runs it until they are answered, and returns the answers in queueing order.
    pub async fn batched(writer: impl Writer, appends: &[(&str, &str)]) -> Vec<Result<Appended>> {
        let (queue, queued) = mpsc::channel(QUEUE);
        let mut answers = Vec::new();
        for (conversation, client_id) in appends {
            let (reply, answer) = oneshot::channel();
            let append = Append::new(conversation, &message(client_id), Some(client_id), None, reply);
            queue.try_send(Queued::Append(append)).expect("room in the queue");
            answers.push(answer);
        }
        drop(queue);
        run(writer, queued).await;
        let mut out = Vec::new();
        for answer in answers {
            out.push(answer.await.expect("every item is answered"));
        }
        out
    }

    /// The sequence numbers of the answers (`None` for an error or a duplicate).
    pub fn seqs(answers: &[Result<Appended>]) -> Vec<Option<u64>> {
        answers
            .iter()
            .map(|a| match a {
                Ok(Appended::New(event)) => Some(event.seq),
                _ => None,
            })
            .collect()
    }

    /// A batch with one item the database refuses (client id `poison`), one duplicate and one
    /// unknown conversation: the others are stored in order, each of those three fails (or is
    /// a duplicate) alone. `a` and `b` are conversations with nothing stored yet.
    pub async fn poisoned_batch(writer: impl Writer, a: &str, b: &str) {
        let answers = batched(
            writer,
            &[(a, "a1"), (b, "b1"), (a, "poison"), (a, "a2"), ("no-such-conversation", "x"), (b, "b1"), (a, "a3")],
        )
        .await;
        assert_eq!(seqs(&answers), vec![Some(1), Some(1), None, Some(2), None, None, Some(3)]);
        assert!(matches!(answers[2], Err(StoreError::Database(_) | StoreError::Sqlite(_))), "{:?}", answers[2]);
        assert!(matches!(answers[4], Err(StoreError::NotFound(_))), "{:?}", answers[4]);
        assert!(matches!(answers[5], Ok(Appended::Duplicate { seq: 1 })), "{:?}", answers[5]);
    }

    /// [`poisoned_batch`] through `store`'s own writer, once `refuse_poison` (SQL) made its
    /// database refuse client id `poison`; then what the store holds is checked too.
    pub async fn poisoned_batch_in(store: &dyn Store, writer: impl Writer) {
        let a = store.create_conversation("demo", "a").await.unwrap().id;
        let b = store.create_conversation("demo", "b").await.unwrap().id;
        poisoned_batch(writer, &a, &b).await;
        let stored = store.events_after(&a, 0, 10).await.unwrap();
        assert_eq!(stored.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
        assert_eq!(store.conversation(&a).await.unwrap().unwrap().last_seq, 3, "no number skipped");
        assert_eq!(store.conversation(&b).await.unwrap().unwrap().last_seq, 1);
    }

    /// Conversations in memory; a batch holding client id `poison` fails as a whole, and so
    /// does one marking a message of conversation `poison` handled.
    #[derive(Default)]
    struct Memory {
        last_seq: HashMap<String, u64>,
        stored: HashMap<(String, String), u64>,
        handled: Vec<(String, u64)>,
    }

    #[async_trait]
    impl Writer for Memory {
        async fn write(&mut self, batch: &[Append], handled: &[Handled]) -> Result<Vec<Written>> {
            if batch.iter().any(|a| a.client_id.as_deref() == Some("poison"))
                || handled.iter().any(|h| h.conversation_id == "poison")
            {
                return Err(StoreError::Database(sqlx::Error::Protocol("poisoned".into())));
            }
            self.handled.extend(handled.iter().map(|h| (h.conversation_id.clone(), h.seq)));
            let (mut last_seq, mut stored) = (self.last_seq.clone(), self.stored.clone());
            let mut written = Vec::new();
            for append in batch {
                let key = (append.conversation_id.clone(), append.client_id.clone().unwrap_or_default());
                written.push(match (stored.get(&key), last_seq.get_mut(&append.conversation_id)) {
                    (Some(&seq), _) => Written::Duplicate { seq },
                    (None, None) => Written::NotFound,
                    (None, Some(seq)) => {
                        *seq += 1;
                        stored.insert(key, *seq);
                        Written::New { seq: *seq, at: 0 }
                    }
                });
            }
            (self.last_seq, self.stored) = (last_seq, stored);
            Ok(written)
        }
    }

    fn memory(conversations: &[&str]) -> Memory {
        Memory { last_seq: conversations.iter().map(|c| (c.to_string(), 0)).collect(), ..Memory::default() }
    }

    #[tokio::test]
    async fn a_failing_item_fails_alone_and_the_rest_of_its_batch_is_stored() {
        poisoned_batch(memory(&["a", "b"]), "a", "b").await;
    }

    #[tokio::test]
    async fn a_batch_is_one_write_and_keeps_each_conversations_order() {
        struct Spy(Memory, std::sync::Arc<std::sync::Mutex<Vec<usize>>>);
        #[async_trait]
        impl Writer for Spy {
            async fn write(&mut self, batch: &[Append], handled: &[Handled]) -> Result<Vec<Written>> {
                self.1.lock().unwrap().push(batch.len());
                self.0.write(batch, handled).await
            }
        }
        let sizes = std::sync::Arc::default();
        let appends: Vec<(String, String)> =
            (0..300).map(|n| (["b", "a", "c"][n % 3].to_string(), format!("m{n}"))).collect();
        let refs: Vec<(&str, &str)> = appends.iter().map(|(c, m)| (c.as_str(), m.as_str())).collect();
        let answers = batched(Spy(memory(&["a", "b", "c"]), std::sync::Arc::clone(&sizes)), &refs).await;
        assert_eq!(*sizes.lock().unwrap(), vec![MAX_BATCH, 300 - MAX_BATCH], "full batches, nothing retried");
        // Each conversation's messages got 1, 2, 3, ... in the order they were queued.
        let seqs = seqs(&answers);
        assert_eq!(seqs.iter().take(6).copied().collect::<Vec<_>>(), [1, 1, 1, 2, 2, 2].map(Some));
        assert_eq!(seqs[299], Some(100));
    }

    #[tokio::test]
    async fn a_row_another_relay_wrote_meanwhile_is_answered_as_the_duplicate_it_is() {
        /// Its first write meets the row the other relay just wrote (client id `c1` as 1).
        struct Racing(Memory, bool);
        #[async_trait]
        impl Writer for Racing {
            async fn write(&mut self, batch: &[Append], handled: &[Handled]) -> Result<Vec<Written>> {
                if !self.1 {
                    self.1 = true;
                    self.0.write(batch, handled).await?;
                    return Err(StoreError::NotWritten("conflict".into()));
                }
                self.0.write(batch, handled).await
            }
        }
        let answers = batched(Racing(memory(&["a"]), false), &[("a", "c1")]).await;
        assert!(matches!(answers[0], Ok(Appended::Duplicate { seq: 1 })), "{:?}", answers[0]);
    }

    #[tokio::test]
    async fn handled_marks_are_written_with_the_appends_queued_beside_them_and_fail_alone() {
        /// Records what each write held: (appends, marks).
        struct Spy(Memory, std::sync::Arc<std::sync::Mutex<Vec<(usize, usize)>>>);
        #[async_trait]
        impl Writer for Spy {
            async fn write(&mut self, batch: &[Append], handled: &[Handled]) -> Result<Vec<Written>> {
                self.1.lock().unwrap().push((batch.len(), handled.len()));
                self.0.write(batch, handled).await
            }
        }
        let writes = std::sync::Arc::default();
        let (queue, queued) = mpsc::channel(QUEUE);
        let appender = Appender { queue };
        let batcher = tokio::spawn(run(Spy(memory(&["a", "b"]), std::sync::Arc::clone(&writes)), queued));
        let (one, two, three) = (message("one"), message("two"), message("three"));
        // Queued together before the batcher runs: one write.
        let (first, mark, second) = tokio::join!(
            appender.append("a", &one, Some("a1"), Some(Channel::Widget), None),
            appender.handled("b", 4),
            appender.append("b", &two, Some("b1"), None, None),
        );
        assert!(matches!(first, Ok(Appended::New(Event { seq: 1, .. }))), "{first:?}");
        assert!(matches!(second, Ok(Appended::New(Event { seq: 1, .. }))), "{second:?}");
        mark.unwrap();
        assert_eq!(*writes.lock().unwrap(), [(2, 1)]);
        // A mark the database refuses fails alone; the append beside it is stored.
        let (refused, stored) =
            tokio::join!(appender.handled("poison", 1), appender.append("a", &three, Some("a2"), None, None));
        assert!(matches!(refused, Err(StoreError::Database(_))), "{refused:?}");
        assert!(matches!(stored, Ok(Appended::New(Event { seq: 2, .. }))), "{stored:?}");
        assert_eq!(writes.lock().unwrap()[1..], [(1, 1), (0, 1), (1, 0)]);
        drop(appender);
        batcher.await.unwrap();
    }

    #[tokio::test]
    async fn on_stored_is_told_the_outcome_before_the_caller_is_answered() {
        let (queue, queued) = mpsc::channel(QUEUE);
        let appender = Appender { queue };
        let batcher = tokio::spawn(run(memory(&["a"]), queued));
        let (told, heard) = oneshot::channel();
        let on_stored: OnStored = Box::new(move |appended| {
            let _ = told.send(appended.as_ref().map(Appended::seq).map_err(|e| e.to_string()));
        });
        let mut heard = std::pin::pin!(heard);
        let appended = appender.append("a", &message("one"), Some("a1"), None, Some(on_stored)).await.unwrap();
        // Already told when the caller hears.
        assert_eq!(futures_util::FutureExt::now_or_never(heard.as_mut()), Some(Ok(Ok(1))));
        assert_eq!(appended.seq(), 1);
        // A failure is told too.
        let (told, heard) = oneshot::channel();
        let on_stored: OnStored = Box::new(move |appended| {
            let _ = told.send(appended.as_ref().map(Appended::seq).map_err(|e| e.to_string()));
        });
        let refused = appender.append("gone", &message("two"), None, None, Some(on_stored)).await;
        assert!(matches!(refused, Err(StoreError::NotFound(_))), "{refused:?}");
        assert!(heard.await.unwrap().is_err_and(|e| e.contains("gone")));
        drop(appender);
        batcher.await.unwrap();
    }

    #[tokio::test]
    async fn a_stopped_writer_is_named_to_the_caller() {
        let (queue, queued) = mpsc::channel(1);
        drop(queued);
        let appender = Appender { queue };
        let refused = appender.append("a", &message("hi"), None, None, None).await;
        assert!(matches!(refused, Err(StoreError::WriterStopped)), "{refused:?}");
    }
}
