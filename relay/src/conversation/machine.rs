//! Who may speak, decided without I/O: the single place that owns the handover rules.
//!
//! The machine takes what happened ([`Input`]) and returns what to do ([`Effect`]s); the actor
//! carries the effects out. Everything the machine needs from the outside world (is an agent
//! available? did the visitor's text ask for a person?) comes in with an input, so every
//! decision here is a pure function of state and input, tested exhaustively below.
//!
//! Availability is a second step: a request for a person only yields
//! [`Effect::CheckAvailability`], and the actor answers with [`Input::AvailabilityKnown`]. So a
//! helpdesk is asked only when a handover is actually being decided, never for a message the bot
//! answers (a slow helpdesk must not slow the bot).
//!
//! ```text
//!            request (available)          agent accepts
//!   Bot ─────────────────────────▶ Waiting ─────────────▶ Agent
//!    ▲ ▲  request (unavailable):      │ cancel                 │ agent ends
//!    │ └─ unavailable message ◀───────┘ (back to bot)          ▼
//!    └──────────── rating / next message ───────────────── Ended
//! ```
//!
//! A site may want the visitor's email before a person is fetched (email capture): then an
//! available person first yields [`Effect::AskEmail`] and the request waits in
//! [`State::email_before`] for the visitor's [`Input::Email`] or [`Input::SkipEmail`] (or any
//! other message, taken as skipping it), and only then moves to `Waiting`.
//!
//! Concurrency is resolved by order: the actor feeds inputs one at a time, so of "agent
//! accepts" and "visitor cancels" whichever arrives first wins and the other is refused with a
//! [`Refusal`]. Repeating an input that already took effect (the same agent accepting twice, a
//! second cancel) changes nothing and is not an error.

use serde::{Deserialize, Serialize};

/// An agent as the conversation knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentRef {
    pub id: String,
    pub name: String,
}

/// Why a handover started. Shown to the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The visitor asked for a person (button, quick reply or words).
    ExplicitRequest,
    /// The visitor is frustrated.
    Frustration,
    /// The bot could not answer.
    CannotAnswer,
    /// A guidance rule matched.
    Rule,
    /// A topic that always goes to a person.
    Topic,
}

impl Reason {
    pub const ALL: [Reason; 5] =
        [Reason::ExplicitRequest, Reason::Frustration, Reason::CannotAnswer, Reason::Rule, Reason::Topic];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::ExplicitRequest => "explicit_request",
            Reason::Frustration => "frustration",
            Reason::CannotAnswer => "cannot_answer",
            Reason::Rule => "rule",
            Reason::Topic => "topic",
        }
    }
}

/// The channel a visitor input came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The chat widget: streams live, supports handover.
    Widget,
    /// The plain HTTP channel: request/response, cannot carry a live chat.
    Http,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Widget, Channel::Http];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Widget => "widget",
            Channel::Http => "http",
        }
    }
}

/// Who owns the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// The bot answers.
    #[default]
    Bot,
    /// A person was requested; the bot is silent; nobody has accepted yet.
    Waiting { reason: Reason, since: i64 },
    /// An agent owns the conversation.
    Agent { agent: AgentRef },
    /// The agent ended the chat; the visitor may rate it. Any visitor input returns to the bot.
    Ended { agent: AgentRef },
}

/// The machine's whole state; persisted with the conversation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct State {
    #[serde(flatten)]
    pub phase: Phase,
    /// After "unavailable", the visitor was asked for an email to be contacted later.
    #[serde(default)]
    pub awaiting_email: bool,
    /// A person was requested for this reason and is available, and the visitor was asked for
    /// their email first: the handover starts once they give it or skip it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_before: Option<Reason>,
}

/// Can a person take a handover right now? Worked out by the actor from agent presence, office
/// hours and the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    Available,
    NoAgentOnline,
    OutsideOfficeHours,
    ProviderDown,
    /// The site's "helpdesk" is a link (a contact form): no handover, the visitor gets it.
    LinkOnly,
}

/// What the actor's classifiers saw in a visitor message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signals {
    /// The message asks for a person (and why, if a trigger fired).
    pub handover: Option<Reason>,
    /// The message matches the site's cancel intent.
    pub cancel: bool,
    /// An email address found in the message.
    pub email: Option<String>,
    /// Offer a person instead of answering (a trigger that asks rather than hands over).
    pub offer: Option<Reason>,
}

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A new conversation opened.
    Started,
    /// The visitor wrote (already stored).
    VisitorMessage {
        text: String,
        signals: Signals,
        channel: Channel,
        now: i64,
    },
    /// The visitor pressed "Talk to a person", or the bot asked for one.
    RequestHandover {
        reason: Reason,
        channel: Channel,
        now: i64,
    },
    /// The actor's answer to [`Effect::CheckAvailability`]: whether a person can take it.
    AvailabilityKnown {
        reason: Reason,
        channel: Channel,
        availability: Availability,
        /// The site asks for the visitor's email before a handover and has none yet.
        ask_email: bool,
        now: i64,
    },
    /// The visitor gave (or changed) their email in the widget's prompt (checked already).
    Email {
        email: String,
        now: i64,
    },
    /// The visitor declined the email prompt (before a handover, or the unavailable step's).
    SkipEmail {
        now: i64,
    },
    /// The visitor pressed the cancel quick reply.
    Cancel,
    AgentAccept {
        agent: AgentRef,
    },
    AgentMessage {
        agent_id: String,
    },
    AgentTyping {
        agent_id: String,
    },
    AgentEnd {
        agent_id: String,
    },
    /// The helpdesk closed its side (an agent closed the conversation or ticket there).
    ClosedByHelpdesk,
    /// The helpdesk is not answering; the handover waits in the outbox.
    HandoverDelayed,
    /// The helpdesk refused the handover for good.
    HandoverFailed,
    /// The visitor rated the chat (1 to 5).
    Rate {
        score: u8,
    },
}

/// A configurable text the actor renders and posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Text {
    /// The handover node's "text message": a person is being fetched.
    HandoverStarted,
    /// The "unavailable message", which also asks for an email.
    Unavailable,
    /// The "unsupported channel message".
    UnsupportedChannel,
    /// The handover was cancelled; the bot is back.
    Cancelled,
    AgentJoined,
    AgentEnded,
    /// Thanks for the email; someone will reply.
    FollowUpSaved,
    /// Thanks for the rating.
    Rated,
    /// The bot is back after an agent chat.
    BotBack,
    /// The link to the site's contact form (Link provider).
    Link,
    /// The helpdesk is slow to take the handover; it is kept and will arrive.
    HandoverDelayed,
}

/// Something the actor must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Post the site's greeting as the bot.
    Greet,
    /// Ask the bot to answer `question` and post its answer.
    AskBot { question: String },
    /// Record and announce the new phase (a stored event).
    PhaseChanged,
    /// Post a configurable text, as the bot (`Text::*` while the bot speaks) or the system.
    Say { text: Text, cancel_button: bool },
    /// Hand the conversation to the people: summary, inbox, queue.
    StartHandover { reason: Reason },
    /// Offer the visitor a person (as the bot, with the "Talk to a person" quick reply).
    OfferHandover { reason: Reason },
    /// A handover is being decided: find out whether a person is available (office hours, the
    /// inbox or the helpdesk) and answer with [`Input::AvailabilityKnown`]. Always alone, and
    /// the state has not changed yet.
    CheckAvailability { reason: Reason, channel: Channel, now: i64 },
    /// Create the conversation or ticket in the site's helpdesk (through the outbox).
    OpenRemote,
    /// Pass the visitor's message on to the helpdesk (through the outbox).
    RelayToAgent,
    /// The handover request is withdrawn (cancelled, or ended before anyone joined).
    WithdrawHandover,
    /// The visitor left an email for a follow-up while no one was available.
    SaveFollowUp { email: String },
    /// Keep the visitor's email with the conversation (it is passed on with the handover).
    SaveEmail { email: String },
    /// Ask the visitor for their email before the handover (the widget's prompt).
    AskEmail,
    /// Ask the visitor to rate the chat.
    AskRating,
    /// Store the visitor's rating.
    SaveRating { score: u8 },
    /// Show the agent's typing indicator to the visitor.
    RelayAgentTyping,
}

/// Why an input was refused. The state did not change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("another agent ({0}) already owns this conversation")]
    TakenBy(String),
    #[error("the conversation is not waiting for an agent")]
    NotWaiting,
    #[error("this agent does not own the conversation")]
    NotOwner,
    #[error("an agent has already joined; the request can no longer be cancelled")]
    AgentAlreadyJoined,
    #[error("there is no ended chat to rate")]
    NothingToRate,
    #[error("a rating is a whole number from 1 to 5")]
    BadRating,
}

impl State {
    pub fn handle(&mut self, input: Input) -> Result<Vec<Effect>, Refusal> {
        use Effect::*;
        match input {
            Input::Started => match self.phase {
                Phase::Bot => Ok(vec![Greet]),
                _ => Ok(vec![]),
            },

            Input::VisitorMessage { text, signals, channel, now } => match &self.phase {
                Phase::Waiting { .. } if signals.cancel => Ok(self.cancel()),
                // While a person is fetched or talking, the bot stays silent; the person gets it.
                Phase::Waiting { .. } | Phase::Agent { .. } => Ok(vec![RelayToAgent]),
                Phase::Bot | Phase::Ended { .. } => {
                    if let Some(reason) = signals.handover {
                        return Ok(vec![CheckAvailability { reason, channel, now }]);
                    }
                    // Asked for an email before the handover: an email in the message gives
                    // it, a cancel phrase withdraws the request, anything else skips it.
                    if let Some(reason) = self.email_before.take() {
                        if signals.cancel {
                            return Ok(vec![Say { text: Text::Cancelled, cancel_button: false }]);
                        }
                        let mut effects: Vec<Effect> =
                            signals.email.map(|email| SaveEmail { email }).into_iter().collect();
                        effects.extend(self.request(reason, Channel::Widget, Availability::Available, now));
                        return Ok(effects);
                    }
                    let mut effects = self.back_to_bot();
                    // The unavailable step's answer: an email in it is the follow-up's; anything
                    // else moves on, and the prompt is not asked again (a reconnect included).
                    if std::mem::take(&mut self.awaiting_email) {
                        if let Some(email) = signals.email {
                            effects.extend([
                                SaveFollowUp { email },
                                Say { text: Text::FollowUpSaved, cancel_button: false },
                            ]);
                            return Ok(effects);
                        }
                    }
                    if let Some(reason) = signals.offer {
                        effects.push(OfferHandover { reason });
                        return Ok(effects);
                    }
                    effects.push(AskBot { question: text });
                    Ok(effects)
                }
            },

            Input::RequestHandover { reason, channel, now } => match &self.phase {
                Phase::Waiting { .. } | Phase::Agent { .. } => Ok(vec![]),
                Phase::Bot | Phase::Ended { .. } => Ok(vec![CheckAvailability { reason, channel, now }]),
            },

            Input::AvailabilityKnown { reason, channel, availability, ask_email, now } => match &self.phase {
                Phase::Waiting { .. } | Phase::Agent { .. } => Ok(vec![]),
                Phase::Bot | Phase::Ended { .. }
                    if ask_email && channel == Channel::Widget && availability == Availability::Available =>
                {
                    Ok(self.ask_email_first(reason))
                }
                Phase::Bot | Phase::Ended { .. } => Ok(self.request(reason, channel, availability, now)),
            },

            Input::Email { email, now } => match &self.phase {
                Phase::Bot if self.email_before.is_some() => {
                    let reason = self.email_before.take().unwrap_or(Reason::ExplicitRequest);
                    let mut effects = vec![SaveEmail { email }];
                    effects.extend(self.request(reason, Channel::Widget, Availability::Available, now));
                    Ok(effects)
                }
                // The unavailable step asked for an email to follow up with.
                Phase::Bot if self.awaiting_email => {
                    self.awaiting_email = false;
                    Ok(vec![SaveFollowUp { email }, Say { text: Text::FollowUpSaved, cancel_button: false }])
                }
                // Given or changed at any other time: kept, and passed on with the handover.
                _ => Ok(vec![SaveEmail { email }]),
            },

            Input::SkipEmail { now } => match self.email_before.take() {
                Some(reason) if self.phase == Phase::Bot => {
                    Ok(self.request(reason, Channel::Widget, Availability::Available, now))
                }
                // The unavailable step's prompt declined: not asked again.
                _ => {
                    self.awaiting_email = false;
                    Ok(vec![])
                }
            },

            Input::Cancel => match &self.phase {
                Phase::Waiting { .. } => Ok(self.cancel()),
                // Withdrawn while the email was asked for: nothing had started.
                Phase::Bot if self.email_before.take().is_some() => {
                    Ok(vec![Say { text: Text::Cancelled, cancel_button: false }])
                }
                Phase::Bot | Phase::Ended { .. } => Ok(vec![]),
                Phase::Agent { .. } => Err(Refusal::AgentAlreadyJoined),
            },

            Input::AgentAccept { agent } => match &self.phase {
                Phase::Waiting { .. } => {
                    self.phase = Phase::Agent { agent };
                    Ok(vec![PhaseChanged, Say { text: Text::AgentJoined, cancel_button: false }])
                }
                Phase::Agent { agent: owner } if owner.id == agent.id => Ok(vec![]),
                Phase::Agent { agent: owner } => Err(Refusal::TakenBy(owner.name.clone())),
                Phase::Bot | Phase::Ended { .. } => Err(Refusal::NotWaiting),
            },

            Input::AgentMessage { agent_id } => self.owner_check(&agent_id).map(|()| vec![]),
            Input::AgentTyping { agent_id } => self.owner_check(&agent_id).map(|()| vec![RelayAgentTyping]),

            Input::AgentEnd { agent_id } => match &self.phase {
                Phase::Agent { agent } if agent.id == agent_id => {
                    self.phase = Phase::Ended { agent: agent.clone() };
                    Ok(vec![PhaseChanged, Say { text: Text::AgentEnded, cancel_button: false }, AskRating])
                }
                Phase::Ended { agent } if agent.id == agent_id => Ok(vec![]),
                _ => Err(Refusal::NotOwner),
            },

            Input::ClosedByHelpdesk => match &self.phase {
                Phase::Waiting { .. } => {
                    self.phase = Phase::Bot;
                    Ok(vec![PhaseChanged, Say { text: Text::BotBack, cancel_button: false }])
                }
                Phase::Agent { agent } => {
                    self.phase = Phase::Ended { agent: agent.clone() };
                    Ok(vec![PhaseChanged, Say { text: Text::AgentEnded, cancel_button: false }, AskRating])
                }
                Phase::Bot | Phase::Ended { .. } => Ok(vec![]),
            },

            Input::HandoverDelayed => match &self.phase {
                Phase::Waiting { .. } => Ok(vec![Say { text: Text::HandoverDelayed, cancel_button: false }]),
                _ => Ok(vec![]),
            },

            Input::HandoverFailed => match &self.phase {
                Phase::Waiting { .. } => {
                    self.phase = Phase::Bot;
                    self.awaiting_email = true;
                    Ok(vec![PhaseChanged, Say { text: Text::Unavailable, cancel_button: false }])
                }
                _ => Ok(vec![]),
            },

            Input::Rate { score } => {
                if !(1..=5).contains(&score) {
                    return Err(Refusal::BadRating);
                }
                match &self.phase {
                    Phase::Ended { .. } => {
                        self.phase = Phase::Bot;
                        Ok(vec![SaveRating { score }, PhaseChanged, Say { text: Text::Rated, cancel_button: false }])
                    }
                    _ => Err(Refusal::NothingToRate),
                }
            }
        }
    }

    /// Leaving `Ended` for the bot, as the first step of handling a visitor input.
    fn back_to_bot(&mut self) -> Vec<Effect> {
        if matches!(self.phase, Phase::Ended { .. }) {
            self.phase = Phase::Bot;
            vec![Effect::PhaseChanged, Effect::Say { text: Text::BotBack, cancel_button: false }]
        } else {
            vec![]
        }
    }

    /// A person is available but the site wants the visitor's email first: ask, and keep the
    /// request until it is given or skipped. Leaving `Ended` is announced now.
    fn ask_email_first(&mut self, reason: Reason) -> Vec<Effect> {
        let mut effects = Vec::new();
        if matches!(self.phase, Phase::Ended { .. }) {
            self.phase = Phase::Bot;
            effects.push(Effect::PhaseChanged);
        }
        self.awaiting_email = false;
        self.email_before = Some(reason);
        effects.push(Effect::AskEmail);
        effects
    }

    /// A request for a person from `Bot` or `Ended`. Leaving `Ended` is part of the same
    /// change, so it is announced once.
    fn request(&mut self, reason: Reason, channel: Channel, availability: Availability, now: i64) -> Vec<Effect> {
        self.email_before = None;
        let was_ended = matches!(self.phase, Phase::Ended { .. });
        let refusal = match (channel, availability) {
            (_, Availability::LinkOnly) => Some(Text::Link),
            (Channel::Http, _) => Some(Text::UnsupportedChannel),
            (Channel::Widget, Availability::Available) => None,
            (Channel::Widget, _) => Some(Text::Unavailable),
        };
        let mut effects = Vec::new();
        if let Some(text) = refusal {
            self.awaiting_email = text == Text::Unavailable;
            if was_ended {
                self.phase = Phase::Bot;
                effects.push(Effect::PhaseChanged);
            }
            effects.push(Effect::Say { text, cancel_button: false });
            return effects;
        }
        self.awaiting_email = false;
        self.phase = Phase::Waiting { reason, since: now };
        vec![
            Effect::PhaseChanged,
            Effect::StartHandover { reason },
            Effect::OpenRemote,
            Effect::Say { text: Text::HandoverStarted, cancel_button: true },
        ]
    }

    fn cancel(&mut self) -> Vec<Effect> {
        self.phase = Phase::Bot;
        vec![
            Effect::PhaseChanged,
            Effect::WithdrawHandover,
            Effect::Say { text: Text::Cancelled, cancel_button: false },
        ]
    }

    fn owner_check(&self, agent_id: &str) -> Result<(), Refusal> {
        match &self.phase {
            Phase::Agent { agent } if agent.id == agent_id => Ok(()),
            _ => Err(Refusal::NotOwner),
        }
    }
}

#[cfg(test)]
mod tests;
