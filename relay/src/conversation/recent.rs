//! The conversation's last events as the bot and the summary read them, kept by its actor.
//!
//! The actor is the only writer of its conversation's events (one actor per conversation, on
//! one relay at a time), so once it has read the last [`HISTORY_EVENTS`] from the store it
//! knows every later one: it appends them itself. Each visitor message used to read them twice
//! (two reads and 60 stored events decoded per message); now they are read once per actor.

use std::collections::VecDeque;

use crate::{
    bot::Turn,
    event::{Action, Attachment, Event, EventBody, Role},
};

/// How many of the last events the bot and the summary see (system messages and other events
/// among them are left out of the turns).
pub const HISTORY_EVENTS: usize = 30;

/// The last [`HISTORY_EVENTS`] events: each one's turn, or `None` for an event that is not one.
pub struct Recent {
    events: VecDeque<Option<Turn>>,
}

impl Recent {
    /// From the conversation's last stored events, oldest first.
    pub fn new(events: Vec<Event>) -> Self {
        let mut recent = Self { events: VecDeque::with_capacity(HISTORY_EVENTS + 1) };
        for event in &events {
            recent.push(event);
        }
        recent
    }

    /// An event was stored after the others.
    pub fn push(&mut self, event: &Event) {
        self.events.push_back(turn(event));
        if self.events.len() > HISTORY_EVENTS {
            self.events.pop_front();
        }
    }

    /// The turns, oldest first.
    pub fn turns(&self) -> Vec<Turn> {
        self.events.iter().flatten().cloned().collect()
    }
}

/// A message other than a system one, as a turn.
fn turn(event: &Event) -> Option<Turn> {
    match &event.body {
        EventBody::Message(m) if m.author.role != Role::System => {
            // A bot answer without a source that offers a person is a "cannot answer".
            let unanswered = m.author.role == Role::Bot
                && m.source.is_none()
                && m.quick_replies.iter().any(|q| q.action == Some(Action::RequestHandover));
            Some(Turn { role: m.author.role, text: read_as(&m.text, &m.attachments), unanswered })
        }
        _ => None,
    }
}

/// A message as the bot, the triggers and the summary read it: its text, or for a message of
/// files only their names (so a photo sent alone is not an empty question).
pub fn read_as(text: &str, attachments: &[Attachment]) -> String {
    match text.trim().is_empty() && !attachments.is_empty() {
        true => attachments.iter().map(|a| a.name.as_str()).collect::<Vec<_>>().join(", "),
        false => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Author, Message, PhaseChange};

    fn event(seq: u64, body: EventBody) -> Event {
        Event { seq, at: 0, body }
    }

    #[test]
    fn the_last_events_are_kept_and_only_messages_are_turns() {
        let mut recent = Recent::new(vec![
            event(1, EventBody::Message(Message::new(Author::system(), "joined"))),
            event(2, EventBody::Message(Message::new(Author::visitor(), "hello"))),
        ]);
        assert_eq!(recent.turns().iter().map(|t| t.text.as_str()).collect::<Vec<_>>(), ["hello"]);
        for seq in 3..=40 {
            let body = if seq % 10 == 0 {
                EventBody::Phase(PhaseChange { phase: crate::event::Phase::Bot, agent_name: None, reason: None })
            } else {
                EventBody::Message(Message::new(Author::bot("B"), format!("m{seq}")))
            };
            recent.push(&event(seq, body));
        }
        let turns = recent.turns();
        // Events 11..=40 are kept; 20, 30 and 40 are not messages.
        assert_eq!(turns.len(), 27);
        assert_eq!((turns[0].text.as_str(), turns[26].text.as_str()), ("m11", "m39"));
    }

    #[test]
    fn a_message_of_files_only_reads_as_their_names() {
        let file =
            |name: &str| Attachment { id: name.into(), name: name.into(), content_type: "image/png".into(), size: 3 };
        let files = vec![file("broken.png"), file("receipt.png")];
        let recent = Recent::new(vec![
            event(
                1,
                EventBody::Message(Message { attachments: files.clone(), ..Message::new(Author::visitor(), " ") }),
            ),
            event(2, EventBody::Message(Message { attachments: files, ..Message::new(Author::visitor(), "See this") })),
        ]);
        let texts: Vec<String> = recent.turns().into_iter().map(|t| t.text).collect();
        assert_eq!(texts, ["broken.png, receipt.png", "See this"]);
        assert_eq!(read_as("", &[]), "");
    }
}
