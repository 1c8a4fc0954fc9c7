//! Conversation id → actor handle, spawning actors on demand.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::sync::mpsc;

use super::{actor, Command, ConversationError, Deps};
use crate::state::Sites;

/// Commands waiting for one conversation. Bounded so a flood from one socket pushes back on
/// that socket instead of growing memory; 64 is far above what a person types.
const COMMAND_BUFFER: usize = 64;
/// An actor with no command for this long exits, freeing its memory.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);

type Actors = Arc<Mutex<HashMap<String, mpsc::Sender<Command>>>>;

pub struct Registry {
    // A std mutex: lookups and inserts only, never held across `.await`.
    actors: Actors,
    deps: Deps,
    sites: Sites,
    idle: Duration,
}

impl Registry {
    pub fn new(deps: Deps, sites: Sites) -> Self {
        Self { actors: Arc::default(), deps, sites, idle: IDLE_TIMEOUT }
    }

    /// Actors exit after `idle` without a command (tests use a short one).
    pub fn with_idle_timeout(mut self, idle: Duration) -> Self {
        self.idle = idle;
        self
    }

    fn handle(&self, conversation_id: &str, site: &str) -> Result<mpsc::Sender<Command>, ConversationError> {
        let site = self.sites.get(site).ok_or_else(|| ConversationError::UnknownSite(site.to_string()))?;
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        // Idle actors remove their own entry (`Exit::idle_exit`); one that ended otherwise (its
        // conversation could not be loaded) leaves a closed sender, replaced here. Only this
        // conversation's entry is looked at: a lookup stays O(1) however many chats are live.
        if let Some(sender) = actors.get(conversation_id).filter(|sender| !sender.is_closed()) {
            return Ok(sender.clone());
        }
        let (sender, receiver) = mpsc::channel(COMMAND_BUFFER);
        let exit = Exit { actors: self.actors.clone(), id: conversation_id.to_string(), idle: self.idle };
        self.deps.shutdown.tracker.spawn(actor::run(
            conversation_id.to_string(),
            site,
            self.sites.clone(),
            self.deps.clone(),
            receiver,
            exit,
        ));
        actors.insert(conversation_id.to_string(), sender.clone());
        Ok(sender)
    }

    /// Delivers `command` to the conversation's actor, starting one if needed. An actor that
    /// ended (it could not load its conversation) between lookup and send is replaced once.
    pub async fn send(&self, conversation_id: &str, site: &str, command: Command) -> Result<(), ConversationError> {
        let command = match self.handle(conversation_id, site)?.send(command).await {
            Ok(()) => return Ok(()),
            Err(mpsc::error::SendError(command)) => command,
        };
        self.handle(conversation_id, site)?.send(command).await.map_err(|_| ConversationError::Closed)
    }

    /// Starts the conversation's actor if it is not running (it redoes what a crash left
    /// undone as it starts).
    pub fn wake(&self, conversation_id: &str, site: &str) -> Result<(), ConversationError> {
        self.handle(conversation_id, site).map(drop)
    }
}

/// How an idle actor leaves the registry without dropping a command.
pub struct Exit {
    actors: Actors,
    id: String,
    pub idle: Duration,
}

impl Exit {
    /// True if the actor may exit now: nothing is queued and nobody is sending. Every sender
    /// but the registry's own is a clone taken under the registry's lock for one send, so with
    /// the lock held, one sender and an empty channel mean no command can arrive any more; the
    /// entry is removed, and the next command starts a new actor.
    pub fn idle_exit(&self, commands: &mpsc::Receiver<Command>) -> bool {
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        let Some(sender) = actors.get(&self.id) else { return commands.is_empty() };
        if sender.strong_count() > 1 || !commands.is_empty() {
            return false;
        }
        actors.remove(&self.id);
        true
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
        let sender = registry.handle(&conversation, "demo").unwrap();
        let slot = sender.reserve().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (command, answer) = typing("a1");
        slot.send(command);
        let answered = tokio::time::timeout(Duration::from_secs(5), answer).await.expect("answered in time");
        assert!(answered.is_ok(), "the command was dropped by an actor that exited idle");
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
}
