//! The relay's own vocabulary of what happens in a conversation, as it is stored: the events
//! ([`Event`], in [`stored`] with their versioned JSON form), who owns the conversation
//! ([`Phase`]), why a handover started ([`Reason`]) and the channel a visitor wrote by
//! ([`Channel`]). These are the relay's types, not the wire protocol's: `crate::wire` maps them
//! to `shared`, so the protocol can change without touching stored data.

pub mod stored;

use serde::{Deserialize, Serialize};

/// Defined with the machine, which decides on them and imports nothing of the relay.
pub use crate::conversation::machine::{Channel, Reason};
pub use stored::{Action, Attachment, Author, Event, EventBody, Message, PhaseChange, QuickReply, Role, Source};

/// Why the visitor is asked for their email (`email_capture`): before a handover, or for a
/// follow-up when nobody is available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStep {
    BeforeHandover,
    Unavailable,
}

/// Who owns the conversation, without the details the machine keeps with each phase.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// The bot answers.
    #[default]
    Bot,
    /// A person was requested and nobody has joined yet.
    Waiting,
    /// An agent is chatting.
    Agent,
    /// The agent ended the chat; the visitor may rate it.
    Ended,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Bot, Phase::Waiting, Phase::Agent, Phase::Ended];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Bot => "bot",
            Phase::Waiting => "waiting",
            Phase::Agent => "agent",
            Phase::Ended => "ended",
        }
    }

    /// The phase named `name` (`bot`, `waiting`, `agent`, `ended`).
    pub fn named(name: &str) -> Option<Phase> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phases_are_found_by_name() {
        for phase in Phase::ALL {
            assert_eq!(Phase::named(phase.as_str()), Some(phase));
        }
        assert_eq!(Phase::named("lunch"), None);
    }
}
