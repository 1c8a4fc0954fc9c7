//! Who speaks next, decided without I/O.
//!
//! The machine takes what happened and returns what to do; the actor does it. The bot owns a
//! conversation until a handover (a later issue adds the handover phases here).

/// Who owns the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Phase {
    /// The bot answers every visitor message.
    #[default]
    Bot,
}

/// Something that happened to the conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// A new conversation opened.
    Started,
    /// The visitor wrote (already stored).
    VisitorMessage { text: String },
}

/// Something the actor must do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Post the site's greeting as the bot.
    Greet,
    /// Ask the bot to answer `question` and post its answer.
    AskBot { question: String },
}

#[derive(Debug, Clone, Default)]
pub struct Machine {
    pub phase: Phase,
}

impl Machine {
    pub fn handle(&mut self, input: Input) -> Vec<Effect> {
        match (self.phase, input) {
            (Phase::Bot, Input::Started) => vec![Effect::Greet],
            (Phase::Bot, Input::VisitorMessage { text }) => vec![Effect::AskBot { question: text }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bot_greets_and_answers_while_it_owns_the_conversation() {
        let mut m = Machine::default();
        assert_eq!(m.handle(Input::Started), vec![Effect::Greet]);
        assert_eq!(
            m.handle(Input::VisitorMessage { text: "hi".into() }),
            vec![Effect::AskBot {
                question: "hi".into()
            }]
        );
        assert_eq!(m.phase, Phase::Bot);
    }
}
