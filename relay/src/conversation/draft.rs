//! Shows a streamed bot answer while it is written: each time the text grows, the whole text so
//! far goes on the bus as a draft (not stored), at most every [`INTERVAL`], so a model that
//! writes a token every few milliseconds does not flood slow sockets. The stored message that
//! ends the answer carries the draft's id and replaces it; a draft that ends in no message (the
//! bot hands over instead) is withdrawn with an empty text.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::event::Author;

use crate::pubsub::{Bus, BusMessage};

/// How often a growing draft is sent: about twenty updates a second reads as smooth typing.
pub const INTERVAL: Duration = Duration::from_millis(50);

pub struct Drafts {
    bus: Bus,
    conversation_id: String,
    author: Author,
    draft_id: String,
    /// When the last draft went out (`None`: none yet). A `std` lock: held for a comparison
    /// and a non-blocking publish, never across an await.
    last: Mutex<Option<Instant>>,
}

impl Drafts {
    pub fn new(bus: Bus, conversation_id: &str, author: Author) -> Self {
        Self {
            bus,
            conversation_id: conversation_id.to_string(),
            author,
            draft_id: uuid::Uuid::new_v4().to_string(),
            last: Mutex::new(None),
        }
    }

    /// The answer so far; sent unless one went out less than [`INTERVAL`] ago. The skipped
    /// text is not lost: the next draft or the final message carries it.
    pub fn push(&self, text: &str) {
        let Ok(mut last) = self.last.lock() else { return };
        if last.is_some_and(|at| at.elapsed() < INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        self.publish(text);
    }

    /// The draft's id if one was shown, for the message that replaces it.
    pub fn shown(&self) -> Option<String> {
        self.last.lock().ok().and_then(|last| last.map(|_| self.draft_id.clone()))
    }

    /// Takes a shown draft away (the answer is not posted).
    pub fn withdraw(&self) {
        if self.shown().is_some() {
            self.publish("");
        }
    }

    fn publish(&self, text: &str) {
        let message =
            BusMessage::Draft { draft_id: self.draft_id.clone(), author: self.author.clone(), text: text.to_string() };
        self.bus.publish(&self.conversation_id, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn drafts_are_throttled_and_withdrawn() {
        let bus = Bus::local();
        let mut rx = bus.subscribe("c");
        let drafts = Drafts::new(bus, "c", Author::bot("Baton"));
        assert_eq!(drafts.shown(), None);
        drafts.withdraw();
        drafts.push("We");
        drafts.push("We ship");
        let id = drafts.shown().expect("shown");
        assert!(
            matches!(rx.try_recv(), Ok(BusMessage::Draft { text, draft_id, .. }) if text == "We" && draft_id == id)
        );
        assert!(rx.try_recv().is_err(), "the second push came too soon");
        std::thread::sleep(INTERVAL);
        drafts.push("We ship in 2 days");
        assert!(matches!(rx.try_recv(), Ok(BusMessage::Draft { text, .. }) if text == "We ship in 2 days"));
        drafts.withdraw();
        assert!(matches!(rx.try_recv(), Ok(BusMessage::Draft { text, .. }) if text.is_empty()));
    }
}
