//! Conversation id → actor handle, spawning actors on demand.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::{
    actor,
    lease::{Lease, Leases, Wait, LEASES},
    Command, ConversationError, Deps,
};
use crate::{
    pubsub::{Bus, BusMessage},
    state::Sites,
    store::StoreError,
};

/// Commands waiting for one conversation. Bounded so a flood from one socket pushes back on
/// that socket instead of growing memory; 64 is far above what a person types.
const COMMAND_BUFFER: usize = 64;
/// An actor with no command for this long exits, freeing its memory. One that has only
/// greeted (or identified) the visitor leaves as soon as nothing is queued (`actor::warms`).
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// An actor's commands. Boxed: the channel allocates its first block of 32 slots as it opens,
/// each slot as large as the largest command, and most actors wait with an empty channel
/// (a box is one small allocation per command, against 2.5 KiB per actor).
pub type Commands = mpsc::Receiver<Box<Command>>;
type CommandSender = mpsc::Sender<Box<Command>>;

/// A running actor, as the registry knows it.
struct Entry {
    sender: CommandSender,
    /// The actor's name as a lease holder (unique in this process).
    holder: Arc<str>,
    /// Another relay asked for the conversation.
    release: Arc<Notify>,
}

type Actors = Arc<Mutex<HashMap<String, Entry>>>;

pub struct Registry {
    // A std mutex: lookups and inserts only, never held across `.await`.
    actors: Actors,
    deps: Deps,
    sites: Sites,
    idle: Duration,
    /// With several relays: actors run only while holding their conversation's lease.
    leases: Option<Arc<Leases>>,
    serial: std::sync::atomic::AtomicU64,
}

impl Registry {
    pub fn new(deps: Deps, sites: Sites) -> Self {
        Self { actors: Arc::default(), deps, sites, idle: IDLE_TIMEOUT, leases: None, serial: Default::default() }
    }

    /// Actors exit after `idle` without a command (tests use a short one).
    pub fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    /// Several relays share the store: each actor first takes its conversation's lease.
    pub fn with_leases(mut self, leases: Leases) -> Self {
        self.leases = Some(Arc::new(leases));
        self
    }

    fn handle(&self, conversation_id: &str, site: &str, wait: Wait) -> Result<CommandSender, ConversationError> {
        let site = self.sites.get(site).ok_or_else(|| ConversationError::UnknownSite(site.to_string()))?;
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        // Idle actors remove their own entry (`Exit::idle_exit`); one that ended otherwise (its
        // conversation could not be loaded) leaves a closed sender, replaced here. Only this
        // conversation's entry is looked at: a lookup stays O(1) however many chats are live.
        if let Some(entry) = actors.get(conversation_id).filter(|entry| !entry.sender.is_closed()) {
            return Ok(entry.sender.clone());
        }
        let (sender, receiver) = mpsc::channel(COMMAND_BUFFER);
        let holder: Arc<str> = match &self.leases {
            Some(leases) => leases.next_holder().into(),
            None => self.serial.fetch_add(1, std::sync::atomic::Ordering::Relaxed).to_string().into(),
        };
        let release = Arc::new(Notify::new());
        let exit = Exit {
            actors: self.actors.clone(),
            id: conversation_id.to_string(),
            holder: holder.clone(),
            release: release.clone(),
            idle: self.idle,
            leases: self.leases.clone(),
            wait,
        };
        self.deps.shutdown.tracker.spawn(actor::run(
            conversation_id.to_string(),
            site,
            self.sites.clone(),
            self.deps.clone(),
            receiver,
            exit,
        ));
        actors.insert(conversation_id.to_string(), Entry { sender: sender.clone(), holder, release });
        Ok(sender)
    }

    /// Delivers `command` to the conversation's actor, starting one if needed. An actor that
    /// ended (it could not load its conversation) between lookup and send is replaced once.
    pub async fn send(&self, conversation_id: &str, site: &str, command: Command) -> Result<(), ConversationError> {
        let command = match self.handle(conversation_id, site, Wait::Patient)?.send(Box::new(command)).await {
            Ok(()) => return Ok(()),
            Err(mpsc::error::SendError(command)) => command,
        };
        self.handle(conversation_id, site, Wait::Patient)?.send(command).await.map_err(|_| ConversationError::Closed)
    }

    /// Starts the conversation's actor if it is not running (it redoes what a crash left
    /// undone as it starts). With several relays, only if no live relay holds it.
    pub fn wake(&self, conversation_id: &str, site: &str) -> Result<(), ConversationError> {
        self.handle(conversation_id, site, Wait::IfFree).map(drop)
    }

    /// Hands conversations over when other relays ask (a no-op task without leases): runs
    /// until `stop`.
    pub async fn answer_lease_requests(self: Arc<Self>, bus: Bus, stop: CancellationToken) {
        if self.leases.is_none() {
            return;
        }
        let mut requests = bus.subscribe(LEASES);
        loop {
            let message = tokio::select! {
                () = stop.cancelled() => return,
                message = requests.recv() => message,
            };
            match message {
                Ok(BusMessage::ReleaseLease { conversation_id, holder }) => {
                    let actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
                    if let Some(entry) = actors.get(&conversation_id).filter(|e| *e.holder == *holder) {
                        entry.release.notify_one();
                    }
                }
                Ok(_) => {}
                // Missed requests are asked again by the waiting relay, and seen in the store.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    }
}

/// What an actor's start found about its lease.
pub enum Seat {
    /// One relay: no lease needed.
    Single,
    Leased(Lease),
    /// Another relay has the conversation and nothing waits here: the actor is not needed.
    Elsewhere,
}

/// How an actor takes its lease, hears that another relay wants the conversation, and leaves
/// the registry without dropping a command.
pub struct Exit {
    actors: Actors,
    id: String,
    holder: Arc<str>,
    pub release: Arc<Notify>,
    pub idle: Duration,
    leases: Option<Arc<Leases>>,
    wait: Wait,
}

impl Exit {
    /// Takes the conversation's lease (waiting for it if a command waits).
    pub async fn seat(&self, commands: &Commands) -> Result<Seat, StoreError> {
        let Some(leases) = &self.leases else { return Ok(Seat::Single) };
        if let Some(lease) = leases.acquire(&self.id, &self.holder, self.wait).await? {
            return Ok(Seat::Leased(lease));
        }
        if self.idle_exit(commands) {
            return Ok(Seat::Elsewhere);
        }
        // A command arrived for it meanwhile: wait for the conversation after all.
        let lease = leases.acquire(&self.id, &self.holder, Wait::Patient).await?;
        Ok(lease.map_or(Seat::Elsewhere, Seat::Leased))
    }

    /// True if the actor may exit now: nothing is queued and nobody is sending. Every sender
    /// but the registry's own is a clone taken under the registry's lock for one send, so with
    /// the lock held, one sender and an empty channel mean no command can arrive any more; the
    /// entry is removed, and the next command starts a new actor.
    pub fn idle_exit(&self, commands: &Commands) -> bool {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        let Some(entry) = actors.get(&self.id).filter(|e| e.holder == self.holder) else {
            return commands.is_empty();
        };
        if entry.sender.strong_count() > 1 || !commands.is_empty() {
            return false;
        }
        actors.remove(&self.id);
        true
    }

    /// Leaves the registry at once: the next command starts a new actor (which waits for the
    /// lease this one still holds). Commands already sent to this one are still its to handle:
    /// its channel ends once their senders are done.
    pub fn retire(&self) {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        if actors.get(&self.id).is_some_and(|e| e.holder == self.holder) {
            actors.remove(&self.id);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::oneshot;

    use super::*;
    use crate::{
        config::Config,
        conversation::{AgentAction, AgentRef},
    };

    async fn registry(dir: &tempfile::TempDir, idle: Duration) -> (Arc<Registry>, String) {
        let config = Config { database_url: format!("sqlite://{}/r.db", dir.path().display()), ..Config::default() };
        let state = crate::build_state(config).await.unwrap();
        let deps = Deps {
            store: state.store.clone(),
            bus: state.bus.clone(),
            queue: state.queue.clone(),
            presence: state.presence.clone(),
            outbox: state.outbox.clone(),
            metrics: state.metrics.clone(),
            attachments: state.attachments.clone(),
            shutdown: state.shutdown.clone(),
        };
        let registry = Arc::new(Registry::new(deps, state.sites.clone()).with_idle_timeout(idle));
        (registry, state.store.create_conversation("demo", "h").await.unwrap().id)
    }

    /// An agent typing: refused while the conversation is with the bot, which
    /// proves it reached the actor; a command dropped unread leaves its reply unanswered.
    fn typing(agent: &str) -> (Command, oneshot::Receiver<Result<Option<u64>, ConversationError>>) {
        let (reply, answer) = oneshot::channel();
        let agent = AgentRef { id: agent.into(), name: "A".into() };
        (Command::Agent { agent, action: AgentAction::Typing { on: true }, reply }, answer)
    }

    /// `Sender::send` is "reserve a slot, then put the command in it": an actor that goes idle
    /// between the two (here the gap is widened) must still handle the command.
    #[tokio::test]
    async fn an_actor_going_idle_handles_a_command_whose_send_was_under_way() {
        let dir = tempfile::tempdir().unwrap();
        let (registry, conversation) = registry(&dir, Duration::from_millis(50)).await;
        let (command, answer) = typing("a1");
        registry.send(&conversation, "demo", command).await.unwrap();
        assert!(answer.await.is_ok(), "the actor runs");
        let sender = registry.handle(&conversation, "demo", Wait::Patient).unwrap();
        let slot = sender.reserve().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (command, answer) = typing("a1");
        slot.send(Box::new(command));
        let answered = tokio::time::timeout(Duration::from_secs(5), answer).await.expect("answered in time");
        assert!(answered.is_ok(), "the command was dropped by an actor that exited idle");
    }

    /// An actor that only greeted leaves at once (most visitors who open the widget never
    /// write); once the visitor has written, it stays until idle.
    #[tokio::test]
    async fn an_actor_that_only_greeted_leaves_at_once_and_one_in_a_conversation_stays() {
        let dir = tempfile::tempdir().unwrap();
        let (registry, conversation) = registry(&dir, IDLE_TIMEOUT).await;
        let running = || registry.actors.lock().unwrap().len();
        registry.send(&conversation, "demo", Command::Greet).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while running() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(running(), 0, "the actor that only greeted is still running");
        let greeting = registry.deps.store.events_after(&conversation, 0, 10).await.unwrap();
        assert_eq!(greeting.len(), 1, "the greeting was stored: {greeting:?}");

        let (stored, answer) = oneshot::channel();
        let action = crate::conversation::VisitorAction::Message {
            client_id: "c1".into(),
            text: "hello".into(),
            attachments: vec![],
        };
        let command = Command::Visitor {
            action,
            channel: crate::conversation::Channel::Widget,
            stored: Some(stored),
            done: None,
        };
        registry.send(&conversation, "demo", command).await.unwrap();
        assert_eq!(answer.await.unwrap().unwrap(), Some(2), "a new actor stores the message after the greeting");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(running(), 1, "the actor of a conversation the visitor wrote in left at once");
    }

    /// Many senders against an actor that exits at every pause: every command is answered.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn an_actor_going_idle_never_drops_a_command_sent_to_it() {
        let dir = tempfile::tempdir().unwrap();
        // Idle at once: every pause between two commands is an actor exiting.
        let (registry, conversation) = registry(&dir, Duration::ZERO).await;
        let (senders, per_sender) = (6, 400);
        let dropped = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..senders)
            .map(|n| {
                let (registry, conversation, dropped) = (registry.clone(), conversation.clone(), dropped.clone());
                tokio::spawn(async move {
                    for _ in 0..per_sender {
                        let (command, answer) = typing(&format!("a{n}"));
                        registry.send(&conversation, "demo", command).await.unwrap();
                        if answer.await.is_err() {
                            dropped.fetch_add(1, Ordering::Relaxed);
                        }
                        if n % 2 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let dropped = dropped.load(Ordering::Relaxed);
        println!("{} commands, {dropped} dropped by an exiting actor", senders * per_sender);
        assert_eq!(dropped, 0);
    }

    /// Two relays on one store, each with its own in-process bus (so only the store's request
    /// flag carries lease requests): a conversation moves between them command by command, and
    /// two agents accepting it at once on both have exactly one winner.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_relays_take_turns_with_a_conversation_and_one_accept_wins() {
        use crate::{
            agents::presence::agent,
            conversation::{machine::Channel, Refusal, VisitorAction},
            pubsub::Bus,
        };
        let dir = tempfile::tempdir().unwrap();
        let config = Config { database_url: format!("sqlite://{}/r.db", dir.path().display()), ..Config::default() };
        let state = crate::build_state(config).await.unwrap();
        let conversation = state.store.create_conversation("demo", "h").await.unwrap().id;
        let relay = |node: &str| {
            let bus = Bus::local();
            let deps = Deps {
                store: state.store.clone(),
                bus: bus.clone(),
                queue: state.queue.clone(),
                presence: state.presence.clone(),
                outbox: state.outbox.clone(),
                metrics: state.metrics.clone(),
                attachments: state.attachments.clone(),
                shutdown: state.shutdown.clone(),
            };
            let leases = Leases::new(state.store.clone(), bus.clone(), node.into(), Duration::from_millis(300));
            let registry = Arc::new(Registry::new(deps, state.sites.clone()).with_leases(leases));
            tokio::spawn(registry.clone().answer_lease_requests(bus, CancellationToken::new()));
            registry
        };
        let (a, b) = (relay("a"), relay("b"));
        let _online = state.presence.connect(&agent("sam", &["demo"]));

        let (stored, answer) = oneshot::channel();
        let action = VisitorAction::RequestHandover;
        let request = Command::Visitor { action, channel: Channel::Widget, stored: Some(stored), done: None };
        a.send(&conversation, "demo", request).await.unwrap();
        answer.await.unwrap().expect("the handover starts on relay a");

        let accept = |id: &str| {
            let (reply, answer) = oneshot::channel();
            let agent = AgentRef { id: id.into(), name: id.into() };
            (Command::Agent { agent, action: AgentAction::Accept, reply }, answer)
        };
        let ((on_a, sam), (on_b, kim)) = (accept("sam"), accept("kim"));
        let (sent_a, sent_b) = tokio::join!(a.send(&conversation, "demo", on_a), b.send(&conversation, "demo", on_b));
        sent_a.unwrap();
        sent_b.unwrap();
        let within = Duration::from_secs(10);
        let (sam, kim) = (
            tokio::time::timeout(within, sam).await.unwrap().unwrap(),
            tokio::time::timeout(within, kim).await.unwrap().unwrap(),
        );
        let winners = [&sam, &kim].iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "sam: {sam:?}, kim: {kim:?}");
        let loser = if sam.is_ok() { kim } else { sam };
        assert!(matches!(loser, Err(ConversationError::Refused(Refusal::TakenBy(_)))), "{loser:?}");

        // The conversation goes back and forth; every command is carried out once.
        let owner = state.store.conversation(&conversation).await.unwrap().unwrap().handover.agent_id.unwrap();
        for turn in 0..6 {
            let relay = if turn % 2 == 0 { &a } else { &b };
            let (command, answer) = typing(&owner);
            relay.send(&conversation, "demo", command).await.unwrap();
            let answered = tokio::time::timeout(within, answer).await.expect("answered in time").unwrap();
            assert!(answered.is_ok(), "turn {turn}: {answered:?}");
        }
    }
}
