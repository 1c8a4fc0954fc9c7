//! The task that owns one conversation: it receives commands, asks the [`Machine`] what to do,
//! and carries out the effects (store, bus, bot). It exits when idle; the next command starts a
//! fresh one that reloads its state from the store.

use std::{sync::Arc, time::Duration};

use shared::{Author, EventBody, Message, Role};
use tokio::sync::mpsc;

use super::{
    machine::{Effect, Input, Machine},
    Command, ConversationError,
};
use crate::{
    bot::Turn,
    pubsub::{Bus, BusMessage},
    state::Site,
    store::{Appended, Store},
};

/// An actor with no command for this long exits, freeing its memory.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How many earlier turns the bot sees.
const HISTORY_TURNS: u64 = 20;

pub struct Actor {
    id: String,
    site: Arc<Site>,
    store: Arc<dyn Store>,
    bus: Bus,
    commands: mpsc::Receiver<Command>,
    machine: Machine,
}

pub fn spawn(actor: Actor) {
    tokio::spawn(actor.run());
}

impl Actor {
    pub fn new(
        id: String,
        site: Arc<Site>,
        store: Arc<dyn Store>,
        bus: Bus,
        commands: mpsc::Receiver<Command>,
    ) -> Self {
        Self {
            id,
            site,
            store,
            bus,
            commands,
            machine: Machine::default(),
        }
    }

    async fn run(mut self) {
        loop {
            let command = match tokio::time::timeout(IDLE_TIMEOUT, self.commands.recv()).await {
                Ok(Some(command)) => command,
                Ok(None) | Err(_) => break,
            };
            if let Err(error) = self.handle(command).await {
                tracing::error!(conversation = %self.id, %error, "conversation command failed");
            }
        }
        tracing::debug!(conversation = %self.id, "conversation actor idle, exiting");
    }

    async fn handle(&mut self, command: Command) -> Result<(), ConversationError> {
        match command {
            Command::Greet => self.apply(Input::Started).await,
            Command::Identify(visitor) => Ok(self.store.set_visitor(&self.id, &visitor).await?),
            Command::VisitorMessage {
                client_id,
                text,
                reply,
            } => {
                let body = message(Author::visitor(), &text, Some(client_id.clone()));
                match self.store.append(&self.id, &body, Some(&client_id)).await {
                    Ok(Appended::Duplicate { seq }) => {
                        let _ = reply.send(Ok(seq));
                        Ok(())
                    }
                    Ok(Appended::New(event)) => {
                        let _ = reply.send(Ok(event.seq));
                        self.bus.publish(&self.id, BusMessage::Event(event));
                        self.apply(Input::VisitorMessage { text }).await
                    }
                    Err(error) => {
                        let _ = reply.send(Err(ConversationError::Store(error)));
                        Ok(())
                    }
                }
            }
        }
    }

    async fn apply(&mut self, input: Input) -> Result<(), ConversationError> {
        for effect in self.machine.handle(input) {
            match effect {
                Effect::Greet => {
                    let greeting = self.site.config.greeting.clone();
                    self.post(message(self.bot_author(), &greeting, None))
                        .await?;
                }
                Effect::AskBot { question } => {
                    let author = self.bot_author();
                    self.bus.publish(
                        &self.id,
                        BusMessage::Typing {
                            author: author.clone(),
                            on: true,
                        },
                    );
                    let history = self.history().await?;
                    let answer = self.site.bot.answer(&question, &history).await;
                    self.bus.publish(
                        &self.id,
                        BusMessage::Typing {
                            author: author.clone(),
                            on: false,
                        },
                    );
                    let EventBody::Message(mut reply) = message(author, &answer.text, None);
                    reply.source = answer.source;
                    self.post(EventBody::Message(reply)).await?;
                }
            }
        }
        Ok(())
    }

    fn bot_author(&self) -> Author {
        Author::bot(self.site.config.bot_name.clone())
    }

    /// Stores an event and tells every watcher.
    async fn post(&self, body: EventBody) -> Result<(), ConversationError> {
        if let Appended::New(event) = self.store.append(&self.id, &body, None).await? {
            self.bus.publish(&self.id, BusMessage::Event(event));
        }
        Ok(())
    }

    /// The last turns before (and including) the newest visitor message.
    async fn history(&self) -> Result<Vec<Turn>, ConversationError> {
        let last_seq = self
            .store
            .conversation(&self.id)
            .await?
            .map(|c| c.last_seq)
            .unwrap_or_default();
        let events = self
            .store
            .events_after(
                &self.id,
                last_seq.saturating_sub(HISTORY_TURNS),
                HISTORY_TURNS as u32,
            )
            .await?;
        Ok(events
            .into_iter()
            .map(|event| match event.body {
                EventBody::Message(m) => Turn {
                    role: m.author.role,
                    text: m.text,
                },
            })
            .filter(|turn| turn.role != Role::System)
            .collect())
    }
}

fn message(author: Author, text: &str, client_id: Option<String>) -> EventBody {
    EventBody::Message(Message {
        author,
        text: text.to_string(),
        client_id,
        quick_replies: vec![],
        source: None,
    })
}
