//! The task that owns one conversation: it receives commands, asks the [`State`] machine what
//! to do, and carries out the effects (store, bus, queue, bot). It exits when idle; the next
//! command starts a fresh one that reloads its state from the store.

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use shared::{Action, Author, EventBody, Message, Phase as WirePhase, PhaseChange, QuickReply, Role};
use tokio::sync::mpsc;

use super::{
    machine::{Availability, Channel, Effect, Input, Phase, Reason, State, Text},
    signals, AgentAction, Command, ConversationError, Deps, VisitorAction,
};
use crate::{
    bot::Turn,
    pubsub::{BusMessage, INBOX},
    state::Site,
    store::{now_millis, Appended, Conversation, FollowUp, Handover},
    summary::{summarize, SummaryInput},
    templates::{wait_wording, Vars},
};

/// An actor with no command for this long exits, freeing its memory.
const IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How many earlier turns the bot and the summary see.
const HISTORY_TURNS: u64 = 30;

struct Actor {
    id: String,
    site: Arc<Site>,
    deps: Deps,
    conversation: Conversation,
    state: State,
}

pub async fn run(id: String, site: Arc<Site>, deps: Deps, mut commands: mpsc::Receiver<Command>) {
    let conversation = match deps.store.conversation(&id).await {
        Ok(Some(conversation)) => conversation,
        outcome => {
            let error = match outcome {
                Err(error) => ConversationError::Store(error),
                _ => ConversationError::NotFound(id.clone()),
            };
            tracing::error!(conversation = %id, %error, "cannot load conversation");
            commands.close();
            while let Some(command) = commands.recv().await {
                fail(command, || ConversationError::NotFound(id.clone()));
            }
            return;
        }
    };
    let state = serde_json::from_str(&conversation.handover.state).unwrap_or_else(|error| {
        tracing::error!(conversation = %id, %error, "stored state unreadable; the bot takes over");
        State::default()
    });
    let mut actor = Actor { id, site, deps, conversation, state };
    loop {
        let Ok(Some(command)) = tokio::time::timeout(IDLE_TIMEOUT, commands.recv()).await else { break };
        actor.handle(command).await;
    }
    tracing::debug!(conversation = %actor.id, "conversation actor idle, exiting");
}

/// Answers a command that cannot be carried out.
fn fail(command: Command, error: impl Fn() -> ConversationError) {
    match command {
        Command::Visitor { stored, .. } => {
            if let Some(stored) = stored {
                let _ = stored.send(Err(error()));
            }
        }
        Command::Agent { reply, .. } => {
            let _ = reply.send(Err(error()));
        }
        Command::Greet | Command::Identify(_) => {}
    }
}

impl Actor {
    async fn handle(&mut self, command: Command) {
        match command {
            Command::Greet => {
                let result = self.apply(Input::Started).await;
                self.log(result);
            }
            Command::Identify(visitor) => {
                let result = self.deps.store.set_visitor(&self.id, &visitor).await;
                if result.is_ok() {
                    self.conversation.visitor.email = visitor.email.or(self.conversation.visitor.email.take());
                    self.conversation.visitor.name = visitor.name.or(self.conversation.visitor.name.take());
                    self.inbox_changed();
                }
                self.log(result.map_err(Into::into));
            }
            Command::Visitor { action, channel, stored, done } => {
                let result = self.visitor(action, channel, stored).await;
                self.log(result);
                if let Some(done) = done {
                    let last_seq = self.deps.store.conversation(&self.id).await.ok().flatten().map(|c| c.last_seq);
                    let _ = done.send(last_seq.unwrap_or_default());
                }
            }
            Command::Agent { agent, action, reply } => {
                let result = self.agent(agent, action).await;
                if let Err(error) = &result {
                    tracing::info!(conversation = %self.id, %error, "agent action refused or failed");
                }
                let _ = reply.send(result);
            }
        }
    }

    fn log(&self, result: Result<(), ConversationError>) {
        match result {
            Ok(()) => {}
            Err(ConversationError::Refused(refusal)) => {
                tracing::info!(conversation = %self.id, %refusal, "input refused")
            }
            Err(error) => tracing::error!(conversation = %self.id, %error, "conversation command failed"),
        }
    }

    async fn visitor(
        &mut self,
        action: VisitorAction,
        channel: Channel,
        mut stored: Option<super::Reply>,
    ) -> Result<(), ConversationError> {
        let now = now_millis();
        let input = match action {
            VisitorAction::Message { client_id, text } => {
                let body = EventBody::Message(message(Author::visitor(), &text, Some(client_id.clone())));
                let appended = match self.deps.store.append(&self.id, &body, Some(&client_id)).await {
                    Ok(appended) => appended,
                    Err(error) => {
                        if let Some(stored) = stored.take() {
                            let _ = stored.send(Err(ConversationError::Store(error)));
                        }
                        return Ok(());
                    }
                };
                let event = match appended {
                    Appended::Duplicate { seq } => {
                        if let Some(stored) = stored.take() {
                            let _ = stored.send(Ok(Some(seq)));
                        }
                        return Ok(());
                    }
                    Appended::New(event) => event,
                };
                if let Some(stored) = stored.take() {
                    let _ = stored.send(Ok(Some(event.seq)));
                }
                self.deps.bus.publish(&self.id, BusMessage::Event(event));
                self.inbox_changed();
                let signals = signals::classify(&text, &self.site.config.handover);
                Input::VisitorMessage { text, signals, channel, availability: self.availability(), now }
            }
            VisitorAction::RequestHandover => Input::RequestHandover {
                reason: Reason::ExplicitRequest,
                channel,
                availability: self.availability(),
                now,
            },
            VisitorAction::CancelHandover => Input::Cancel,
            VisitorAction::Rate { score } => Input::Rate { score },
        };
        let is_message = matches!(input, Input::VisitorMessage { .. });
        let result = self.apply(input).await;
        // Actions other than messages are answered once carried out (or refused).
        if let (false, Some(stored)) = (is_message, stored) {
            let _ = stored.send(result.as_ref().map(|()| None).map_err(|e| match e {
                ConversationError::Refused(refusal) => ConversationError::Refused(refusal.clone()),
                other => ConversationError::Failed(other.to_string()),
            }));
        }
        result
    }

    async fn agent(&mut self, agent: super::AgentRef, action: AgentAction) -> Result<Option<u64>, ConversationError> {
        match action {
            AgentAction::Accept => self.apply(Input::AgentAccept { agent }).await.map(|()| None),
            AgentAction::End => self.apply(Input::AgentEnd { agent_id: agent.id }).await.map(|()| None),
            AgentAction::Typing { on } => {
                self.state.handle(Input::AgentTyping { agent_id: agent.id.clone() })?;
                self.deps.bus.publish(&self.id, BusMessage::Typing { author: Author::agent(agent.name), on });
                Ok(None)
            }
            AgentAction::Message { text } => {
                self.state.handle(Input::AgentMessage { agent_id: agent.id.clone() })?;
                self.deps
                    .bus
                    .publish(&self.id, BusMessage::Typing { author: Author::agent(agent.name.clone()), on: false });
                let seq = self.post(EventBody::Message(message(Author::agent(agent.name), &text, None))).await?;
                Ok(seq)
            }
        }
    }

    /// Can a person take a handover now?
    fn availability(&self) -> Availability {
        if self.site.schedule.as_ref().is_some_and(|s| !s.is_open(Utc::now())) {
            Availability::OutsideOfficeHours
        } else if self.deps.presence.online() == 0 {
            Availability::NoAgentOnline
        } else {
            Availability::Available
        }
    }

    async fn apply(&mut self, input: Input) -> Result<(), ConversationError> {
        for effect in self.state.handle(input)? {
            match effect {
                Effect::Greet => {
                    let greeting = self.site.config.greeting.clone();
                    self.post(EventBody::Message(message(self.bot_author(), &greeting, None))).await?;
                }
                Effect::AskBot { question } => self.ask_bot(&question).await?,
                Effect::PhaseChanged => self.phase_changed().await?,
                Effect::StartHandover { reason } => {
                    let turns = self.history().await?;
                    let summary = summarize(&SummaryInput {
                        turns: &turns,
                        reason: reason_name(reason),
                        email: self.conversation.visitor.email.as_deref(),
                    });
                    self.deps.store.set_summary(&self.id, &summary).await?;
                    self.conversation.summary = Some(summary);
                    self.inbox_changed();
                }
                // The built-in inbox needs nothing beyond the phase change; helpdesk
                // connectors close their ticket here.
                Effect::WithdrawHandover => {}
                Effect::Say { text, cancel_button } => self.say(text, cancel_button).await?,
                Effect::SaveFollowUp { email } => {
                    let visitor = shared::Visitor { email: Some(email.clone()), name: None };
                    self.deps.store.set_visitor(&self.id, &visitor).await?;
                    self.conversation.visitor.email = Some(email.clone());
                    let turns = self.history().await?;
                    let summary = summarize(&SummaryInput { turns: &turns, reason: "follow_up", email: Some(&email) });
                    let follow_up = FollowUp {
                        conversation_id: self.id.clone(),
                        site: self.site.key.clone(),
                        email,
                        summary,
                        created_at: now_millis(),
                    };
                    self.deps.store.add_follow_up(&follow_up).await?;
                    self.inbox_changed();
                }
                Effect::AskRating => {
                    let prompt = self.render("rating_prompt");
                    let mut m = message(Author::system(), &prompt, None);
                    m.quick_replies = (1..=5)
                        .map(|score| QuickReply {
                            title: format!("{score} ★"),
                            payload: String::new(),
                            action: Some(Action::Rate { score }),
                        })
                        .collect();
                    self.post(EventBody::Message(m)).await?;
                }
                Effect::SaveRating { score } => {
                    self.deps.store.set_rating(&self.id, score).await?;
                    self.conversation.rating = Some(score);
                    self.post(EventBody::Rating { score }).await?;
                }
                Effect::RelayAgentTyping => {}
            }
        }
        Ok(())
    }

    async fn ask_bot(&mut self, question: &str) -> Result<(), ConversationError> {
        let author = self.bot_author();
        self.deps.bus.publish(&self.id, BusMessage::Typing { author: author.clone(), on: true });
        let history = self.history().await?;
        let answer = self.site.bot.answer(question, &history).await;
        self.deps.bus.publish(&self.id, BusMessage::Typing { author: author.clone(), on: false });
        let mut reply = message(author, &answer.text, None);
        reply.source = answer.source;
        if answer.confidence <= 0.0 {
            // "Cannot answer": offer the person at once.
            reply.quick_replies.push(QuickReply {
                title: self.site.config.handover.request_button_text.clone(),
                payload: String::new(),
                action: Some(Action::RequestHandover),
            });
        }
        self.post(EventBody::Message(reply)).await?;
        Ok(())
    }

    /// Persists the machine's state, records the change as an event, moves the queue.
    async fn phase_changed(&mut self) -> Result<(), ConversationError> {
        let (phase, agent, reason, since) = match &self.state.phase {
            Phase::Bot => (WirePhase::Bot, None, None, None),
            Phase::Waiting { reason, since } => (WirePhase::Waiting, None, Some(*reason), Some(*since)),
            Phase::Agent { agent } => (WirePhase::Agent, Some(agent.clone()), None, None),
            Phase::Ended { agent } => (WirePhase::Ended, Some(agent.clone()), None, None),
        };
        let handover = Handover {
            state: serde_json::to_string(&self.state).unwrap_or_else(|_| r#"{"phase":"bot"}"#.into()),
            phase: phase_name(phase).to_string(),
            reason: reason.map(|r| reason_name(r).to_string()),
            agent_id: agent.as_ref().map(|a| a.id.clone()),
            waiting_since: since,
        };
        self.deps.store.set_handover(&self.id, &handover).await?;
        self.conversation.handover = handover;
        let change = PhaseChange {
            phase,
            agent_name: agent.map(|a| a.name),
            reason: reason.map(|r| reason_name(r).to_string()),
        };
        self.post(EventBody::Phase(change)).await?;
        // After the event, so a visitor learns the phase before the place in line.
        match since {
            Some(since) => {
                let handling = (self.site.config.handover.average_handling_minutes * 60.0).max(0.0) as u64;
                self.deps.queue.join(&self.site.key, &self.id, since, handling);
            }
            None => self.deps.queue.leave(&self.site.key, &self.id),
        }

        Ok(())
    }

    async fn say(&mut self, text: Text, cancel_button: bool) -> Result<(), ConversationError> {
        let (setting, author) = match text {
            Text::HandoverStarted => ("text_message", self.bot_author()),
            Text::Unavailable => ("unavailable_message", self.bot_author()),
            Text::UnsupportedChannel => ("unsupported_channel_message", self.bot_author()),
            Text::Cancelled => ("cancelled_message", self.bot_author()),
            Text::AgentJoined => ("agent_joined_message", Author::system()),
            Text::AgentEnded => ("agent_ended_message", Author::system()),
            Text::FollowUpSaved => ("follow_up_saved_message", self.bot_author()),
            Text::Rated => ("rated_message", self.bot_author()),
            Text::BotBack => ("bot_back_message", self.bot_author()),
        };
        let rendered = self.render(setting);
        let mut m = message(author, &rendered, None);
        if cancel_button {
            m.quick_replies.push(QuickReply {
                title: self.site.config.handover.quick_reply_text.clone(),
                payload: String::new(),
                action: Some(Action::CancelHandover),
            });
        }
        self.post(EventBody::Message(m)).await?;
        Ok(())
    }

    fn render(&self, setting: &str) -> String {
        let place = self.deps.queue.place(&self.site.key, &self.id);
        let agent_name = match &self.state.phase {
            Phase::Agent { agent } | Phase::Ended { agent } => Some(agent.name.clone()),
            Phase::Bot | Phase::Waiting { .. } => None,
        };
        let vars = Vars {
            visitor_name: self.conversation.visitor.name.clone(),
            visitor_email: self.conversation.visitor.email.clone(),
            queue_position: place.map_or(0, |p| p.position as usize),
            wait_estimate: wait_wording(place.map_or(0, |p| p.wait_seconds)),
            agent_name,
        };
        self.site.templates.render(setting, &vars)
    }

    fn bot_author(&self) -> Author {
        Author::bot(self.site.config.bot_name.clone())
    }

    fn inbox_changed(&self) {
        self.deps.bus.publish(INBOX, BusMessage::InboxChanged { conversation_id: self.id.clone() });
    }

    /// Stores an event and tells every watcher. Returns its sequence number.
    async fn post(&self, body: EventBody) -> Result<Option<u64>, ConversationError> {
        match self.deps.store.append(&self.id, &body, None).await? {
            Appended::New(event) => {
                let seq = event.seq;
                self.deps.bus.publish(&self.id, BusMessage::Event(event));
                self.inbox_changed();
                Ok(Some(seq))
            }
            Appended::Duplicate { .. } => Ok(None),
        }
    }

    /// The last turns of the conversation, oldest first, without system messages.
    async fn history(&self) -> Result<Vec<Turn>, ConversationError> {
        let last_seq = self.deps.store.conversation(&self.id).await?.map(|c| c.last_seq).unwrap_or_default();
        let events = self
            .deps
            .store
            .events_after(&self.id, last_seq.saturating_sub(HISTORY_TURNS), HISTORY_TURNS as u32)
            .await?;
        Ok(events
            .into_iter()
            .filter_map(|event| match event.body {
                EventBody::Message(m) if m.author.role != Role::System => {
                    Some(Turn { role: m.author.role, text: m.text })
                }
                _ => None,
            })
            .collect())
    }
}

pub fn phase_name(phase: WirePhase) -> &'static str {
    match phase {
        WirePhase::Bot => "bot",
        WirePhase::Waiting => "waiting",
        WirePhase::Agent => "agent",
        WirePhase::Ended => "ended",
    }
}

pub fn reason_name(reason: Reason) -> &'static str {
    match reason {
        Reason::ExplicitRequest => "explicit_request",
        Reason::Frustration => "frustration",
        Reason::CannotAnswer => "cannot_answer",
        Reason::Rule => "rule",
        Reason::Topic => "topic",
    }
}

fn message(author: Author, text: &str, client_id: Option<String>) -> Message {
    Message { author, text: text.to_string(), client_id, quick_replies: vec![], source: None }
}
