//! The task that owns one conversation: it receives commands, asks the [`State`] machine what
//! to do, and carries out the effects (store, bus, queue, bot). It exits when idle; the next
//! command starts a fresh one that reloads its state from the store.

use std::{sync::Arc, time::Duration};

use chrono::Utc;

use super::{
    draft::Drafts,
    lease::{Lease, LeaseState},
    machine::{Availability, Channel, Effect, Input, Phase, Reason, State, Text},
    recent::{Recent, HISTORY_EVENTS},
    registry::{Commands, Exit, Seat},
    signals::{self, Verdict},
    AgentAction, Command, ConversationError, Deps, HelpdeskEvent, VisitorAction,
};
use crate::{
    bot::{Ask, Turn},
    config::{CaptureWhen, HandoverConfig},
    connectors::{with_links, CloseReason, FileLink, Handover as HelpdeskHandover, Mode, ProviderKind},
    event::{self, Action, Author, EmailStep, EventBody, Message, PhaseChange, QuickReply, Role},
    identity::Identity,
    outbox::{Job, Outcome},
    pubsub::{BusMessage, INBOX},
    state::{Site, Sites},
    store::{now_millis, Appended, Conversation, FollowUp, Handover, OnStored},
    summary::{summarize_off_workers, SummaryInput},
    templates::{wait_wording, Vars},
    triggers::Trigger,
};

/// While the relay shuts down, an actor with nothing queued for this long exits.
const DRAIN_IDLE: Duration = Duration::from_millis(10);

struct Actor {
    id: String,
    site: Arc<Site>,
    /// All sites, to pick up this one's settings after a configuration reload.
    sites: Sites,
    deps: Deps,
    conversation: Conversation,
    state: State,
    /// The visitor message being handled (client id, text, files), for relaying it to a
    /// helpdesk.
    last_visitor: Option<(String, String, Vec<FileLink>)>,
    /// What the triggers made of the conversation so far.
    brain: Brain,
    /// The last events, read from the store the first time the bot or a summary needs them,
    /// then kept as this actor appends.
    recent: Option<Recent>,
}

/// The triggers' findings the machine does not keep: why (in words) a handover starts, and
/// what a person was offered for. In memory only: a restarted actor loses at most the wording.
#[derive(Default)]
struct Brain {
    /// The trigger of the latest visitor message (or the bot's "cannot answer").
    trigger: Option<Trigger>,
    /// A person was offered for this reason; the quick reply's request carries it.
    offered: Option<Reason>,
    /// The channel of the visitor's latest input, for a handover the bot starts.
    channel: Option<Channel>,
}

/// Runs the conversation's actor until it is idle, wanted by another relay or stopped.
///
/// Not an `async fn`: one keeps its arguments for as long as it runs, beside the actor built
/// from them. The block below keeps the exit it captures and a box that starting takes apart.
pub fn run(
    id: String,
    site: Arc<Site>,
    sites: Sites,
    deps: Deps,
    commands: Commands,
    exit: Exit,
) -> impl std::future::Future<Output = ()> + Send {
    let starting = Box::new(Starting { id, site, sites, deps, commands });
    async move {
        // Boxed, like the handling of each command and the end below: starting (the lease,
        // the load, redoing what a stop left undone) is a large future that runs once, while
        // an actor spends most of its life waiting for the next command. Inline, its space
        // would be kept all that time.
        let Some((mut actor, mut lease, mut commands)) = Box::pin(start(starting, &exit)).await else {
            return;
        };
        let end = actor.wait_and_handle(&mut lease, &mut commands, &exit).await;
        Box::pin(actor.finish(end, lease, commands, exit)).await;
    }
}

/// What an actor starts from.
struct Starting {
    id: String,
    site: Arc<Site>,
    sites: Sites,
    deps: Deps,
    commands: Commands,
}

/// Whether a command makes the conversation live, so that its actor stays for the next one
/// (`Exit::idle`). A greeting or an identification alone does not: most visitors who open the
/// widget never write, and an actor kept for each of them was most of an idle visitor's
/// memory. Such an actor leaves as soon as nothing is queued; the visitor's first message
/// starts a new one, which loads the conversation from the store (a read, well under a
/// millisecond on one node).
fn warms(command: &Command) -> bool {
    !matches!(command, Command::Greet | Command::Identify(_))
}

impl Actor {
    /// Handles commands as they come until the actor is idle, wanted elsewhere or stopped.
    async fn wait_and_handle(&mut self, lease: &mut Option<Lease>, commands: &mut Commands, exit: &Exit) -> End {
        let shutdown = self.deps.shutdown.token.clone();
        let mut warm = false;
        loop {
            // Shutting down: what is queued is still handled, then the actor leaves as when idle.
            let draining = shutdown.is_cancelled();
            let idle = match (draining, warm) {
                (true, _) => DRAIN_IDLE,
                (false, true) => exit.idle,
                (false, false) => Duration::ZERO,
            };
            let next = tokio::select! {
                next = tokio::time::timeout(idle, commands.recv()) => next,
                () = shutdown.cancelled(), if !draining => continue,
                () = exit.release.notified() => return End::Wanted,
                state = lease_changed(lease) => match state {
                    LeaseState::Lost => return End::Lost,
                    _ => return End::Wanted,
                },
            };
            match next {
                Ok(Some(command)) => {
                    warm |= warms(&command);
                    Box::pin(self.handle(*command)).await;
                }
                Ok(None) => return End::Closed,
                // Idle: leave only if no command is queued or on its way (else it is handled).
                Err(_) if exit.idle_exit(commands) => return End::Idle,
                Err(_) => {}
            }
        }
    }
}

/// Takes the conversation's lease (with several relays), loads the conversation and carries
/// out what a stop left undone. `None` when the actor is not needed or cannot serve (every
/// command sent to it is then answered with the reason).
async fn start(starting: Box<Starting>, exit: &Exit) -> Option<(Actor, Option<Lease>, Commands)> {
    let Starting { id, site, sites, deps, commands } = *starting;
    let lease = match exit.seat(&commands).await {
        Ok(Seat::Single) => None,
        Ok(Seat::Leased(lease)) => Some(lease),
        Ok(Seat::Elsewhere) => return None,
        Err(error) => {
            let message = error.to_string();
            refuse_all(&id, exit, commands, || ConversationError::Failed(message.clone())).await;
            return None;
        }
    };
    let conversation = match deps.store.conversation(&id).await {
        Ok(Some(conversation)) => conversation,
        outcome => {
            let message = outcome.err().map(|error| error.to_string());
            refuse_all(&id, exit, commands, || match &message {
                Some(message) => ConversationError::Failed(message.clone()),
                None => ConversationError::NotFound(id.clone()),
            })
            .await;
            if let Some(lease) = lease {
                lease.release().await;
            }
            return None;
        }
    };
    let state = serde_json::from_str(&conversation.handover.state).unwrap_or_else(|error| {
        tracing::error!(conversation = %id, %error, "stored state unreadable; the bot takes over");
        State::default()
    });
    let mut actor =
        Actor { id, site, sites, deps, conversation, state, last_visitor: None, brain: Brain::default(), recent: None };
    Box::pin(actor.redo_pending()).await;
    Box::pin(actor.resume_handover()).await;
    Some((actor, lease, commands))
}

/// Why an actor's loop ended.
enum End {
    Idle,
    Closed,
    /// Another relay asked for the conversation.
    Wanted,
    Lost,
}

/// Resolves when the lease (if there is one) is wanted elsewhere or lost.
async fn lease_changed(lease: &mut Option<Lease>) -> LeaseState {
    match lease {
        Some(lease) => lease.changed().await,
        None => std::future::pending().await,
    }
}

/// The actor cannot serve: it leaves the registry and answers every command sent to it.
async fn refuse_all(id: &str, exit: &Exit, mut commands: Commands, error: impl Fn() -> ConversationError) {
    tracing::error!(conversation = %id, error = %error(), "cannot serve the conversation");
    exit.retire();
    commands.close();
    while let Some(command) = commands.recv().await {
        fail(*command, &error);
    }
}

/// Answers a command that cannot be carried out.
fn fail(command: Command, error: impl Fn() -> ConversationError) {
    match command {
        Command::Visitor { stored, .. } => {
            if let Some(stored) = stored {
                let _ = stored.send(Err(error()));
            }
        }
        Command::Agent { reply, .. } | Command::Helpdesk { done: reply, .. } => {
            let _ = reply.send(Err(error()));
        }
        Command::Greet | Command::Identify(_) | Command::Outbox(_) | Command::Notice { .. } => {}
    }
}

impl Actor {
    /// The loop ended: hands over or refuses what is left, then gives the lease up.
    async fn finish(mut self, end: End, mut lease: Option<Lease>, mut commands: Commands, exit: Exit) {
        match end {
            End::Idle | End::Closed => tracing::debug!(conversation = %self.id, "conversation actor idle, exiting"),
            End::Wanted => {
                // Another relay asked for the conversation: what was sent here is still handled
                // here, in order; what comes next starts an actor that waits for the lease.
                exit.retire();
                while let Some(command) = commands.recv().await {
                    Box::pin(self.handle(*command)).await;
                }
                tracing::debug!(conversation = %self.id, "handing the conversation to another relay");
            }
            End::Lost => {
                // Another relay may be writing already: stop now. Refused commands are retried by
                // their senders (a widget resends, a webhook event stays pending).
                tracing::error!(conversation = %self.id, "lost the conversation's lease; stopping its actor");
                drop(lease.take());
                return refuse_all(&self.id, &exit, commands, || ConversationError::Closed).await;
            }
        }
        if let Some(lease) = lease {
            lease.release().await;
        }
    }

    async fn handle(&mut self, command: Command) {
        if let Some(site) = self.sites.get(&self.site.key) {
            self.site = site;
        }
        match command {
            Command::Greet => {
                let result = self.apply(Input::Started).await;
                self.log(result);
            }
            Command::Identify(claim) => {
                let result = self.record_visitor(claim).await;
                self.log(result);
            }
            Command::Visitor { action, channel, stored, done } => {
                let result = self.visitor(action, channel, stored).await;
                self.log(result);
                if let Some(done) = done {
                    let last_seq = self.deps.store.conversation(&self.id).await.ok().flatten().map(|c| c.last_seq);
                    let _ = done.send(last_seq.unwrap_or_default());
                }
            }
            Command::Helpdesk { event, key, done } => {
                let result = self.helpdesk(event, &key).await;
                if let Err(error) = &result {
                    tracing::info!(conversation = %self.id, %error, "helpdesk event refused or failed");
                }
                let _ = done.send(result.map(|()| None));
            }
            Command::Notice { text } => {
                let result = self.post(EventBody::Message(Message::new(Author::system(), &text))).await;
                self.log(result.map(drop));
            }
            Command::Outbox(outcome) => {
                let input = match outcome {
                    Outcome::Delivered => return,
                    Outcome::Delayed => Input::HandoverDelayed,
                    Outcome::Undeliverable(why) => {
                        tracing::error!(conversation = %self.id, why, "the handover could not be delivered");
                        Input::HandoverFailed
                    }
                };
                let result = self.apply(input).await;
                self.log(result);
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

    /// Visitor messages stored (and acknowledged) before a crash whose effects were not carried
    /// out: handled now, before any new command.
    async fn redo_pending(&mut self) {
        let pending = match self.deps.store.pending_messages(&self.id).await {
            Ok(pending) => pending,
            Err(error) => return tracing::error!(conversation = %self.id, %error, "cannot read pending messages"),
        };
        for message in pending {
            let action = VisitorAction::Message {
                client_id: message.client_id,
                text: message.text,
                attachments: message.attachments,
            };
            let result = self.visitor(action, message.channel, None).await;
            self.log(result);
        }
    }

    /// A handover to a helpdesk whose phase was stored but whose `open` was not written before a
    /// stop (the effects after the phase change were cut off): carried out now, so the
    /// conversation does not wait for a helpdesk that never heard of it.
    async fn resume_handover(&mut self) {
        let Phase::Waiting { reason, since } = self.state.phase else { return };
        let kind = self.site.provider.kind();
        if kind == ProviderKind::Builtin || kind == ProviderKind::Link {
            return;
        }
        match self.deps.store.jobs_since(&self.id, since).await {
            Ok(0) => {}
            Ok(_) => return,
            Err(error) => return tracing::error!(conversation = %self.id, %error, "cannot read the outbox"),
        }
        tracing::warn!(conversation = %self.id, "a stop cut a handover short; handing over now");
        let effects = vec![
            Effect::StartHandover { reason },
            Effect::OpenRemote,
            Effect::Say { text: Text::HandoverStarted, cancel_button: true },
        ];
        let result = self.carry_out(effects).await;
        self.log(result);
    }

    /// Whether the stored visitor message `seq` (its retry just arrived, or the actor just
    /// started) still waits for its effects. One whose handling had begun (something was
    /// stored after it) is not redone, so the bot does not answer twice; its mark is cleared.
    async fn left_undone(&mut self, seq: u64) -> Result<bool, ConversationError> {
        let pending = self.deps.store.pending_messages(&self.id).await?;
        match pending.into_iter().find(|m| m.seq == seq) {
            None => Ok(false),
            Some(message) if message.followed => {
                tracing::warn!(conversation = %self.id, seq, "a visitor message was partly handled before a stop");
                self.deps.store.message_handled(&self.id, seq).await?;
                Ok(false)
            }
            Some(_) => {
                tracing::info!(conversation = %self.id, seq, "handling a visitor message a stop left undone");
                Ok(true)
            }
        }
    }

    async fn visitor(
        &mut self,
        action: VisitorAction,
        channel: Channel,
        mut stored: Option<super::Reply>,
    ) -> Result<(), ConversationError> {
        let now = now_millis();
        self.brain.channel = Some(channel);
        // The visitor message whose effects this carries out, marked handled once they are.
        let mut handled = None;
        let input = match action {
            VisitorAction::Message { client_id, text, attachments } => {
                // Forwarded to a helpdesk with each file's address for helpdesks.
                let files = self.deps.attachments.file_links(&attachments);
                // A message of files only is read by the bot and the triggers as their names.
                let read_as = super::recent::read_as(&text, &attachments);
                let body = EventBody::Message(Message {
                    client_id: Some(client_id.clone()),
                    attachments,
                    ..Message::new(Author::visitor(), &text)
                });
                // The store's batcher answers the sender (the widget's `ack`) as soon as the
                // message is committed, without a hop through this task.
                let appended = match stored.take() {
                    Some(reply) => {
                        let on_stored: OnStored = Box::new(move |appended| {
                            let _ = reply.send(match appended {
                                Ok(appended) => Ok(Some(appended.seq())),
                                Err(error) => Err(ConversationError::Failed(format!("storage failed: {error}"))),
                            });
                        });
                        self.deps.store.append_visitor_then(&self.id, &body, &client_id, channel, on_stored).await
                    }
                    None => self.deps.store.append_visitor(&self.id, &body, &client_id, channel).await,
                };
                let Ok(appended) = appended else {
                    // The sender was told; the kept history is read again next time.
                    self.recent = None;
                    return Ok(());
                };
                let seq = match appended {
                    Appended::Duplicate { seq } => {
                        if !self.left_undone(seq).await? {
                            return Ok(());
                        }
                        seq
                    }
                    Appended::New(event) => {
                        let seq = event.seq;
                        self.publish(event);
                        seq
                    }
                };
                handled = Some(seq);
                self.last_visitor = Some((client_id.clone(), text.clone(), files));
                // The turns before this message (the history already holds it, last).
                let mut earlier = self.history().await.unwrap_or_default();
                if earlier.last().is_some_and(|t| t.role == Role::Visitor && t.text == read_as) {
                    earlier.pop();
                }
                let (signals, verdict) =
                    signals::classify_off_workers(self.site.clone(), read_as.clone(), earlier).await;
                self.note(verdict).await?;
                Input::VisitorMessage { text: read_as, signals, channel, now }
            }
            VisitorAction::RequestHandover => Input::RequestHandover {
                // The button under an offer made for frustration keeps that reason.
                reason: self.brain.offered.take().unwrap_or(Reason::ExplicitRequest),
                channel,
                now,
            },
            VisitorAction::CancelHandover => Input::Cancel,
            VisitorAction::Rate { score } => Input::Rate { score },
            VisitorAction::Email { email } => Input::Email { email, now },
            VisitorAction::SkipEmail => Input::SkipEmail { now },
        };
        let is_message = matches!(input, Input::VisitorMessage { .. });
        let result = self.apply(input).await;
        // A store failure may have left effects undone: the mark stays, for the next start.
        if let (Some(seq), false) = (handled, matches!(result, Err(ConversationError::Store(_)))) {
            self.deps.store.message_handled(&self.id, seq).await?;
        }
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
            AgentAction::Message { text, attachments } => self.agent_says(agent, &text, attachments, None).await,
        }
    }

    /// An agent's message; `key` (a helpdesk event) stores it once however often it comes.
    async fn agent_says(
        &mut self,
        agent: super::AgentRef,
        text: &str,
        attachments: Vec<event::Attachment>,
        key: Option<&str>,
    ) -> Result<Option<u64>, ConversationError> {
        self.state.handle(Input::AgentMessage { agent_id: agent.id.clone() })?;
        self.deps.bus.publish(&self.id, BusMessage::Typing { author: Author::agent(agent.name.clone()), on: false });
        let message = Message { attachments, ..Message::new(Author::agent(agent.name), text) };
        self.post_once(EventBody::Message(message), key).await
    }

    /// Can a person take a handover now? A link site never hands over; otherwise office hours
    /// first, then the provider (agents online in the inbox, or the helpdesk's answer, which
    /// `SiteProvider` caches and bounds by a deadline and a circuit breaker).
    async fn availability(&self) -> Availability {
        if self.site.provider.kind() == ProviderKind::Link {
            return Availability::LinkOnly;
        }
        if self.site.schedule.as_ref().is_some_and(|s| !s.is_open(Utc::now())) {
            return Availability::OutsideOfficeHours;
        }
        match self.site.provider.available().await {
            Ok(true) => Availability::Available,
            Ok(false) => Availability::NoAgentOnline,
            Err(error) => {
                tracing::warn!(site = %self.site.key, %error, "helpdesk availability check failed");
                Availability::ProviderDown
            }
        }
    }

    /// The provider the current handover went to, if it is a helpdesk Baton must call.
    fn handed_to_helpdesk(&self) -> Option<ProviderKind> {
        let kind = self.conversation.handover.provider?;
        (kind != ProviderKind::Builtin && kind != ProviderKind::Link).then_some(kind)
    }

    /// Queues a helpdesk call for this conversation.
    async fn call(&self, kind: ProviderKind, job: Job) -> Result<(), ConversationError> {
        Ok(self.deps.outbox.push(&self.id, &self.site.key, kind, &job).await?)
    }

    /// A verified event from the helpdesk, turned into the machine's inputs. `key` names the
    /// event, so one delivered again after a crash is not shown twice.
    async fn helpdesk(&mut self, event: HelpdeskEvent, key: &str) -> Result<(), ConversationError> {
        match event {
            HelpdeskEvent::AgentJoined { agent } => self.apply(Input::AgentAccept { agent }).await,
            HelpdeskEvent::AgentTyping { on } => match &self.state.phase {
                Phase::Agent { agent } => self.agent(agent.clone(), AgentAction::Typing { on }).await.map(drop),
                _ => Ok(()),
            },
            HelpdeskEvent::Closed => self.apply(Input::ClosedByHelpdesk).await,
            HelpdeskEvent::AgentMessage { agent, text, attachments } => {
                // Helpdesks without "joined" events: the first reply is the agent joining.
                if matches!(self.state.phase, Phase::Waiting { .. }) {
                    self.apply(Input::AgentAccept { agent: agent.clone() }).await?;
                }
                self.agent_says(agent, &text, attachments, Some(key)).await.map(drop)
            }
        }
    }

    async fn apply(&mut self, input: Input) -> Result<(), ConversationError> {
        let before = self.state.clone();
        let effects = self.state.handle(input)?;
        // A change without a phase change (an email asked for before the handover, the
        // unavailable step's): stored too, so a reconnect or a restarted actor knows it.
        if self.state != before && !effects.contains(&Effect::PhaseChanged) {
            self.save_state().await?;
        }
        self.carry_out(effects).await
    }

    /// Stores the machine's state as it is, the phase unchanged.
    async fn save_state(&mut self) -> Result<(), ConversationError> {
        let mut handover = self.conversation.handover.clone();
        handover.state = serde_json::to_string(&self.state).unwrap_or_else(|_| r#"{"phase":"bot"}"#.into());
        self.deps.store.set_handover(&self.id, &handover).await?;
        self.conversation.handover = handover;
        Ok(())
    }

    async fn carry_out(&mut self, effects: Vec<Effect>) -> Result<(), ConversationError> {
        // An input that carrying out an effect produced (the bot could not answer and the site
        // hands over instead), applied once this one is done.
        let mut next_input = None;
        for effect in effects {
            match effect {
                Effect::Greet => {
                    let greeting = self.site.config.greeting.clone();
                    self.post(EventBody::Message(Message::new(self.bot_author(), &greeting))).await?;
                }
                Effect::AskBot { question } => next_input = self.ask_bot(&question).await?,
                Effect::OfferHandover { reason } => self.offer(reason).await?,
                // The only place the helpdesk is asked: a handover is being decided.
                Effect::CheckAvailability { reason, channel, now } => {
                    let availability = self.availability().await;
                    let ask_email = self.site.email_capture() == CaptureWhen::BeforeHandover
                        && self.conversation.visitor.email.is_none();
                    next_input = Some(Input::AvailabilityKnown { reason, channel, availability, ask_email, now });
                }
                Effect::AskEmail => {
                    self.deps.bus.publish(&self.id, BusMessage::AskEmail { step: EmailStep::BeforeHandover });
                }
                Effect::SaveEmail { email } => self.save_email(email).await?,
                Effect::PhaseChanged => self.phase_changed().await?,
                Effect::StartHandover { reason } => {
                    let turns = self.history().await?;
                    let trigger = self.brain.trigger.take().filter(|t| t.reason == reason);
                    let (summary, facts) = summarize_off_workers(&SummaryInput {
                        turns: &turns,
                        trigger: trigger.as_ref().map_or(default_trigger(reason), |t| t.detail.as_str()),
                        topic: self.conversation.topic.as_deref(),
                        email: self.conversation.visitor.email.as_deref(),
                        email_verified: self.conversation.visitor.email_verified,
                        use_typed_email: self.site.config.summary.use_typed_email,
                    })
                    .await;
                    // Written by the model when the site has one, if it kept every fact.
                    let summary = match self.site.bot.write_summary(&summary, &turns).await {
                        Some(written) if crate::summary::keeps_facts(&written, &facts) => written,
                        Some(_) => {
                            tracing::info!(conversation = %self.id, "the model's summary dropped a fact; extractive kept");
                            summary
                        }
                        None => summary,
                    };
                    self.deps.store.set_summary(&self.id, &summary).await?;
                    // The visitor sees what was passed on, and may copy it.
                    self.deps.bus.publish(&self.id, BusMessage::Summary { text: summary.clone(), link: None });
                    self.conversation.summary = Some(summary);
                    self.inbox_changed();
                }
                Effect::WithdrawHandover => {
                    if let Some(kind) = self.handed_to_helpdesk() {
                        self.call(kind, Job::Close { reason: CloseReason::Cancelled }).await?;
                    }
                }
                Effect::OpenRemote => self.open_remote().await?,
                Effect::RelayToAgent => {
                    if let (Some(kind), Some((client_id, text, files))) =
                        (self.handed_to_helpdesk(), self.last_visitor.clone())
                    {
                        self.call(kind, Job::Forward { text, message_id: client_id, files }).await?;
                    }
                }
                Effect::Say { text, cancel_button } => self.say(text, cancel_button).await?,
                Effect::SaveFollowUp { email } => {
                    // Typed by the visitor: unverified (unless it is the email the site signed).
                    let mut visitor = self.conversation.visitor.clone();
                    visitor.merge(Identity::unverified(Some(email.as_str()), None));
                    self.deps.store.set_visitor(&self.id, &visitor).await?;
                    self.conversation.visitor = visitor;
                    let turns = self.history().await?;
                    let (summary, _) = summarize_off_workers(&SummaryInput {
                        turns: &turns,
                        trigger: "nobody was available and the visitor left an email for a follow-up",
                        topic: self.conversation.topic.as_deref(),
                        email: Some(&email),
                        email_verified: self.conversation.visitor.email_verified,
                        use_typed_email: self.site.config.summary.use_typed_email,
                    })
                    .await;
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
                    let mut m = Message::new(Author::system(), &prompt);
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
                    // The helpdesk the chat was with hears of it too (after its close).
                    if let Some(kind) = self.handed_to_helpdesk() {
                        self.call(kind, Job::Rate { score }).await?;
                    }
                }
                Effect::RelayAgentTyping => {}
            }
        }
        if let Some(input) = next_input {
            return Box::pin(self.apply(input)).await;
        }
        Ok(())
    }

    /// Hands the conversation to the site's current provider: nothing to call for the built-in
    /// inbox; a queued `open` (with the summary) for a helpdesk. The provider is recorded, so
    /// the conversation finishes there even if the site switches.
    async fn open_remote(&mut self) -> Result<(), ConversationError> {
        let kind = self.site.provider.kind();
        self.conversation.handover.provider = Some(kind);
        self.deps.store.set_handover(&self.id, &self.conversation.handover).await?;
        if kind == ProviderKind::Builtin || kind == ProviderKind::Link {
            return Ok(());
        }
        let turns = self.history().await?;
        let mut summary = self.conversation.summary.clone().unwrap_or_default();
        let mut files = self.files_sent().await?;
        if !self.site.provider.get().capabilities().files {
            summary = with_links(&summary, &files);
            files.clear();
        }
        let handover = HelpdeskHandover {
            conversation_id: self.id.clone(),
            site: self.site.key.clone(),
            visitor: self.conversation.visitor.clone(),
            summary,
            reason: self.conversation.handover.reason.map(|r| r.as_str().to_string()).unwrap_or_default(),
            visitor_messages: HelpdeskHandover::visitor_lines(&turns),
            given_email_is_contact: self.site.config.email_capture.use_as_contact,
            files,
        };
        self.call(kind, Job::Open { handover }).await
    }

    /// The files of the visitor's recent messages (the newest [`shared::MAX_ATTACHMENTS`]), as
    /// a helpdesk gets them with the handover.
    async fn files_sent(&self) -> Result<Vec<FileLink>, ConversationError> {
        let last_seq = self.deps.store.conversation(&self.id).await?.map(|c| c.last_seq).unwrap_or_default();
        let after = last_seq.saturating_sub(HISTORY_EVENTS as u64);
        let events = self.deps.store.events_after(&self.id, after, HISTORY_EVENTS as u32).await?;
        let sent: Vec<event::Attachment> = events
            .into_iter()
            .filter_map(|e| match e.body {
                EventBody::Message(m) if m.author.role == Role::Visitor => Some(m.attachments),
                _ => None,
            })
            .flatten()
            .collect();
        let newest = &sent[sent.len().saturating_sub(shared::MAX_ATTACHMENTS)..];
        Ok(self.deps.attachments.file_links(newest))
    }

    /// The visitor gave or changed their email in the widget's prompt: typed, so unverified
    /// (unless it is the email the site signed), kept with the conversation and passed on with
    /// the handover. A person already fetched through a helpdesk is told of a change there.
    async fn save_email(&mut self, email: String) -> Result<(), ConversationError> {
        self.record_visitor(Identity::unverified(Some(email.as_str()), None)).await
    }

    /// Applies a claim about the visitor ([`Identity::merge`]: a signed email is not replaced
    /// by an unsigned one) and keeps it. When the email changed: a person already fetched
    /// through a helpdesk is told there (the next handover carries it anyway), and a handover
    /// waiting for the email prompt goes on with it.
    async fn record_visitor(&mut self, claim: Identity) -> Result<(), ConversationError> {
        let mut visitor = self.conversation.visitor.clone();
        visitor.merge(claim);
        let changed = visitor.email != self.conversation.visitor.email;
        self.deps.store.set_visitor(&self.id, &visitor).await?;
        self.conversation.visitor = visitor;
        self.inbox_changed();
        let email = self.conversation.visitor.email.clone().filter(|_| changed);
        let Some(email) = email.and_then(|e| shared::email::check(&e).ok()) else { return Ok(()) };
        if self.state.email_before.is_some() {
            return Box::pin(self.apply(Input::Email { email, now: now_millis() })).await;
        }
        let fetched = matches!(self.state.phase, Phase::Waiting { .. } | Phase::Agent { .. });
        if let (true, Some(kind)) = (fetched, self.handed_to_helpdesk()) {
            let mark = if self.conversation.visitor.email_verified { "" } else { " (not verified)" };
            let text = format!("The visitor's email is now {email}{mark}");
            let message_id = format!("email-{}", now_millis());
            self.call(kind, Job::Forward { text, message_id, files: vec![] }).await?;
        }
        Ok(())
    }

    /// Asks the bot and posts its answer. Below the site's confidence threshold the answer is
    /// a "cannot answer" with the "Talk to a person" button, or, with
    /// `auto_handover_when_unanswered`, no answer at all: the returned input hands over.
    async fn ask_bot(&mut self, question: &str) -> Result<Option<Input>, ConversationError> {
        let author = self.bot_author();
        self.deps.bus.publish(&self.id, BusMessage::Typing { author: author.clone(), on: true });
        let history = self.history().await?;
        let drafts = Drafts::new(self.deps.bus.clone(), &self.id, author.clone());
        let ask = Ask { conversation_id: &self.id, question, history: &history };
        let asked = std::time::Instant::now();
        let answer = self.site.bot.answer_streaming(ask, &|text| drafts.push(text)).await;
        self.deps.metrics.bot_answered(asked.elapsed());
        self.deps.bus.publish(&self.id, BusMessage::Typing { author: author.clone(), on: false });
        let settings = &self.site.config.triggers.cannot_answer;
        let cannot_answer = answer.source.is_none()
            && (answer.confidence <= 0.0 || settings.enabled && answer.confidence < settings.min_confidence);
        let auto_handover = cannot_answer && settings.enabled && settings.auto_handover_when_unanswered;
        if auto_handover || answer.handover {
            let (reason, detail) = if answer.handover {
                (Reason::Rule, "the site's bot asked for a person".to_string())
            } else {
                (Reason::CannotAnswer, format!("the bot could not answer (confidence {:.2})", answer.confidence))
            };
            // What the site's own bot said with its request is still worth reading.
            if answer.handover && !answer.text.trim().is_empty() {
                let mut reply = Message::new(author, &answer.text);
                reply.draft_id = drafts.shown();
                self.post(EventBody::Message(reply)).await?;
            } else {
                drafts.withdraw();
            }
            self.brain.trigger = Some(Trigger { reason, detail });
            return Ok(Some(Input::RequestHandover {
                reason,
                channel: self.brain.channel.unwrap_or(Channel::Widget),
                now: now_millis(),
            }));
        }
        let mut reply = Message::new(author, &answer.text);
        reply.source = answer.source;
        reply.quick_replies = answer.quick_replies;
        reply.draft_id = drafts.shown();
        if cannot_answer {
            // "Cannot answer": offer the person at once.
            reply.quick_replies.push(self.request_button());
        }
        self.post(EventBody::Message(reply)).await?;
        Ok(None)
    }

    /// Offers a person (a trigger set to offer rather than hand over).
    async fn offer(&mut self, reason: Reason) -> Result<(), ConversationError> {
        self.brain.offered = Some(reason);
        let mut m = Message::new(self.bot_author(), &self.site.config.triggers.frustration.offer_message);
        m.quick_replies.push(self.request_button());
        self.post(EventBody::Message(m)).await?;
        Ok(())
    }

    fn request_button(&self) -> QuickReply {
        QuickReply {
            title: self.site.config.handover.request_button_text(&self.conversation.visitor.languages).to_string(),
            payload: String::new(),
            action: Some(Action::RequestHandover),
        }
    }

    /// Keeps what the triggers found: the trigger for the summary, the topic as a tag.
    async fn note(&mut self, verdict: Verdict) -> Result<(), ConversationError> {
        self.brain.offered = None;
        self.brain.trigger = verdict.handover.or(verdict.offer);
        if let Some(topic) = verdict.topic.filter(|t| self.conversation.topic.as_ref() != Some(t)) {
            self.deps.store.set_topic(&self.id, &topic).await?;
            self.conversation.topic = Some(topic);
            self.inbox_changed();
        }
        Ok(())
    }

    /// Persists the machine's state, records the change as an event, moves the queue.
    async fn phase_changed(&mut self) -> Result<(), ConversationError> {
        let (phase, agent, reason, since) = match &self.state.phase {
            Phase::Bot => (event::Phase::Bot, None, None, None),
            Phase::Waiting { reason, since } => (event::Phase::Waiting, None, Some(*reason), Some(*since)),
            Phase::Agent { agent } => (event::Phase::Agent, Some(agent.clone()), None, None),
            Phase::Ended { agent } => (event::Phase::Ended, Some(agent.clone()), None, None),
        };
        let handover = Handover {
            state: serde_json::to_string(&self.state).unwrap_or_else(|_| r#"{"phase":"bot"}"#.into()),
            phase,
            reason,
            agent_id: agent.as_ref().map(|a| a.id.clone()),
            waiting_since: since,
            // Kept across phases: a cancel closes the conversation where it was opened.
            provider: self.conversation.handover.provider,
        };
        self.deps.store.set_handover(&self.id, &handover).await?;
        // A handover starting goes to the site's provider; later phases finish where it went.
        let provider = match (&handover.provider, phase) {
            (Some(provider), phase) if phase != event::Phase::Waiting => *provider,
            _ => self.site.provider.kind(),
        };
        self.deps.metrics.phase_entered(phase.as_str(), reason.map(Reason::as_str), provider.name());
        self.conversation.handover = handover;
        let change = PhaseChange { phase, agent_name: agent.map(|a| a.name), reason };
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
            // A ticket is answered later, by email and here: say so instead of a wait estimate.
            Text::HandoverStarted if self.site.provider.get().capabilities().mode == Mode::Ticket => {
                ("ticket_message", self.bot_author())
            }
            Text::HandoverStarted => ("text_message", self.bot_author()),
            Text::Unavailable => ("unavailable_message", self.bot_author()),
            Text::UnsupportedChannel => ("unsupported_channel_message", self.bot_author()),
            Text::Cancelled => ("cancelled_message", self.bot_author()),
            Text::AgentJoined => ("agent_joined_message", Author::system()),
            Text::AgentEnded => ("agent_ended_message", Author::system()),
            Text::FollowUpSaved => ("follow_up_saved_message", self.bot_author()),
            Text::Rated => ("rated_message", self.bot_author()),
            Text::BotBack => ("bot_back_message", self.bot_author()),
            Text::HandoverDelayed => ("delayed_message", Author::system()),
            Text::Link => return self.offer_link().await,
        };
        let rendered = self.render(setting);
        let mut m = Message::new(author, &rendered);
        if cancel_button {
            m.quick_replies.push(QuickReply {
                title: self.site.config.handover.quick_reply_text(&self.conversation.visitor.languages).to_string(),
                payload: String::new(),
                action: Some(Action::CancelHandover),
            });
        }
        self.post(EventBody::Message(m)).await?;
        // Nobody is available: the widget's prompt takes the email the message asks for.
        if text == Text::Unavailable && self.site.email_capture() != CaptureWhen::Never {
            self.deps.bus.publish(&self.id, BusMessage::AskEmail { step: EmailStep::Unavailable });
        }
        Ok(())
    }

    /// A site whose helpdesk is a link: its message and a button that opens the link.
    async fn offer_link(&mut self) -> Result<(), ConversationError> {
        // Owned: reading the history below needs the actor mutably.
        let Some(link) = self.site.provider.get().link().cloned() else {
            return Ok(());
        };
        // Nothing is passed on to a form: the visitor gets the summary to paste into it.
        let turns = self.history().await?;
        let trigger = self.brain.trigger.as_ref().map_or(default_trigger(Reason::ExplicitRequest), |t| &t.detail);
        let (summary, _) = summarize_off_workers(&SummaryInput {
            turns: &turns,
            trigger,
            topic: self.conversation.topic.as_deref(),
            email: self.conversation.visitor.email.as_deref(),
            email_verified: self.conversation.visitor.email_verified,
            use_typed_email: self.site.config.summary.use_typed_email,
        })
        .await;
        // Kept, so a widget that comes back (a reload) is offered it again.
        self.deps.store.set_summary(&self.id, &summary).await?;
        self.conversation.summary = Some(summary.clone());
        self.deps.bus.publish(&self.id, BusMessage::Summary { text: summary, link: Some(link.url.clone()) });
        let mut m = Message::new(self.bot_author(), &link.message);
        m.quick_replies.push(QuickReply {
            title: link.label.clone(),
            payload: String::new(),
            action: Some(Action::OpenUrl { url: link.url.clone() }),
        });
        self.post(EventBody::Message(m)).await?;
        Ok(())
    }

    fn render(&self, setting: &str) -> String {
        let place = self.deps.queue.place(&self.site.key, &self.id);
        let agent_name = match &self.state.phase {
            Phase::Agent { agent } | Phase::Ended { agent } => Some(agent.name.clone()),
            Phase::Bot | Phase::Waiting { .. } => None,
        };
        let visitor = &self.conversation.visitor;
        // A ticket's answer is emailed only to an email the site signed: connectors make no
        // one else's address the requester (`Handover::contact_email`), so do not promise it.
        // (Or, where the site lets it, to the email the visitor gave.)
        let contact = visitor.email_verified || self.site.config.email_capture.use_as_contact;
        let emailed = setting != "ticket_message" || contact;
        let vars = Vars {
            visitor_name: visitor.name.clone(),
            visitor_email: visitor.email.clone().filter(|_| emailed),
            queue_position: place.map_or(0, |p| p.position as usize),
            wait_estimate: wait_wording(place.map_or(0, |p| p.wait_seconds), &visitor.languages),
            agent_name,
        };
        let language = self.site.config.handover.language_for(&visitor.languages);
        let builtin = HandoverConfig::builtin_language(&visitor.languages);
        self.site.templates.render_in(language, builtin, setting, &vars)
    }

    fn bot_author(&self) -> Author {
        Author::bot(self.site.config.bot_name.clone())
    }

    fn inbox_changed(&self) {
        self.deps.bus.publish(INBOX, BusMessage::InboxChanged { conversation_id: self.id.clone() });
    }

    /// Tells every watcher of a stored event; counts it if it is a message.
    fn publish(&mut self, event: event::Event) {
        if let EventBody::Message(message) = &event.body {
            self.deps.metrics.message_stored(message.author.role);
        }
        if let Some(recent) = &mut self.recent {
            recent.push(&event);
        }
        self.deps.bus.publish(&self.id, BusMessage::Event(Box::new(event)));
        self.inbox_changed();
    }

    /// Stores an event and tells every watcher. Returns its sequence number.
    async fn post(&mut self, body: EventBody) -> Result<Option<u64>, ConversationError> {
        self.post_once(body, None).await
    }

    /// [`Self::post`], at most once per `key` (nothing is stored or told the second time).
    async fn post_once(&mut self, body: EventBody, key: Option<&str>) -> Result<Option<u64>, ConversationError> {
        let appended = self.deps.store.append(&self.id, &body, key).await;
        // A failed append may still have been stored (a writer that stopped before answering):
        // the kept history is read again from the store next time.
        match appended.inspect_err(|_| self.recent = None)? {
            Appended::New(event) => {
                let seq = event.seq;
                self.publish(event);
                Ok(Some(seq))
            }
            Appended::Duplicate { .. } => Ok(None),
        }
    }

    /// The last turns of the conversation, oldest first, without system messages.
    async fn history(&mut self) -> Result<Vec<Turn>, ConversationError> {
        if let Some(recent) = &self.recent {
            return Ok(recent.turns());
        }
        let last_seq = self.deps.store.conversation(&self.id).await?.map(|c| c.last_seq).unwrap_or_default();
        let after = last_seq.saturating_sub(HISTORY_EVENTS as u64);
        let events = self.deps.store.events_after(&self.id, after, HISTORY_EVENTS as u32).await?;
        let recent = self.recent.insert(Recent::new(events));
        Ok(recent.turns())
    }
}

/// The trigger in words when no finer wording was kept (the button, a restarted actor).
fn default_trigger(reason: Reason) -> &'static str {
    match reason {
        Reason::ExplicitRequest => "the visitor asked for a person",
        Reason::Frustration => "the visitor seems frustrated",
        Reason::CannotAnswer => "the bot could not answer",
        Reason::Rule => "a guidance rule matched",
        Reason::Topic => "the topic is always handled by a person",
    }
}
