//! The one mapping from the relay's own types ([`crate::event`]) to the wire protocol's
//! (`shared`). The gateway, the agent API and socket and the HTTP channel speak the protocol;
//! everything behind them (the conversation core, the store, the bus) speaks the relay's types.
//! Nothing of the protocol comes back into events (clients send frames, not events), so the
//! mapping goes one way. Attachments get their signed, expiring address here, as each event
//! is sent ([`crate::attachments::Attachments::wire`]).

use crate::attachments::Attachments;
use crate::event::{Action, Author, Event, EventBody, Message, Phase, PhaseChange, QuickReply, Role, Source};

pub fn email_step(step: crate::event::EmailStep) -> shared::EmailStep {
    match step {
        crate::event::EmailStep::BeforeHandover => shared::EmailStep::BeforeHandover,
        crate::event::EmailStep::Unavailable => shared::EmailStep::Unavailable,
    }
}

pub fn phase(phase: Phase) -> shared::Phase {
    match phase {
        Phase::Bot => shared::Phase::Bot,
        Phase::Waiting => shared::Phase::Waiting,
        Phase::Agent => shared::Phase::Agent,
        Phase::Ended => shared::Phase::Ended,
    }
}

pub fn event(event: Event, files: &Attachments) -> shared::ConversationEvent {
    shared::ConversationEvent { seq: event.seq, at: event.at, body: body(event.body, files) }
}

/// Every event of `events`, in order.
pub fn events(events: Vec<Event>, files: &Attachments) -> Vec<shared::ConversationEvent> {
    events.into_iter().map(|e| event(e, files)).collect()
}

pub fn body(body: EventBody, files: &Attachments) -> shared::EventBody {
    match body {
        EventBody::Message(m) => shared::EventBody::Message(message(m, files)),
        EventBody::Phase(PhaseChange { phase: p, agent_name, reason }) => {
            shared::EventBody::Phase(shared::PhaseChange {
                phase: phase(p),
                agent_name,
                reason: reason.map(|r| r.as_str().to_string()),
            })
        }
        EventBody::Rating { score } => shared::EventBody::Rating { score },
    }
}

fn message(m: Message, files: &Attachments) -> shared::Message {
    shared::Message {
        author: author(m.author),
        text: m.text,
        client_id: m.client_id,
        quick_replies: m.quick_replies.into_iter().map(quick_reply).collect(),
        source: m.source.map(|Source { title, url }| shared::Source { title, url }),
        draft_id: m.draft_id,
        attachments: m.attachments.into_iter().map(|a| files.wire(a)).collect(),
    }
}

pub fn author(author: Author) -> shared::Author {
    shared::Author { role: role(author.role), name: author.name }
}

pub fn role(role: Role) -> shared::Role {
    match role {
        Role::Visitor => shared::Role::Visitor,
        Role::Bot => shared::Role::Bot,
        Role::Agent => shared::Role::Agent,
        Role::System => shared::Role::System,
    }
}

fn quick_reply(reply: QuickReply) -> shared::QuickReply {
    let action = reply.action.map(|action| match action {
        Action::RequestHandover => shared::Action::RequestHandover,
        Action::CancelHandover => shared::Action::CancelHandover,
        Action::Rate { score } => shared::Action::Rate { score },
        Action::OpenUrl { url } => shared::Action::OpenUrl { url },
    });
    shared::QuickReply { title: reply.title, payload: reply.payload, action }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use serde_json::{json, Value};

    use super::*;
    use crate::event::{stored, Reason};

    /// Every `.rs` file under `relay/<dir>`: its path from there and its code, comments left out.
    fn sources(dir: &str) -> Vec<(String, String)> {
        fn walk(dir: &Path, found: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let source = std::fs::read_to_string(&path).unwrap();
                    let code = source.lines().map(|l| l.split("//").next().unwrap_or_default()).collect::<Vec<_>>();
                    found.push((path.display().to_string(), code.join("\n")));
                }
            }
        }
        let mut found = Vec::new();
        walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut found);
        assert!(found.len() > 5, "{dir}: too few sources found");
        found
    }

    /// The store reads and writes the relay's own types only; what it keeps cannot change with
    /// the protocol.
    #[test]
    fn the_store_names_nothing_of_the_protocol() {
        for (file, code) in sources("src/store") {
            assert!(!code.contains("shared::") && !code.contains("use shared"), "{file} uses the protocol's types");
        }
    }

    /// Events become the protocol's here and nowhere else: no other file names its event type.
    #[test]
    fn only_wire_makes_protocol_events() {
        for (file, code) in sources("src") {
            if !file.ends_with("src/wire.rs") {
                assert!(
                    !code.contains("ConversationEvent"),
                    "{file} names shared::ConversationEvent: map with wire::event"
                );
            }
        }
    }

    fn files() -> Attachments {
        Attachments::from_config(&crate::config::Config::default()).expect("disk storage")
    }

    /// `event` reaches clients as `expected` (the protocol's JSON of the event).
    fn check(event: Event, expected: Value) {
        let sent = serde_json::to_value(super::event(event, &files())).unwrap();
        assert_eq!(sent, expected);
    }

    #[test]
    fn every_kind_of_event_maps_to_the_protocol() {
        let (answer, mut expected) = stored::tests::answer();
        (expected["seq"], expected["at"]) = (3.into(), 1003.into());
        check(Event { seq: 3, at: 1003, body: EventBody::Message(answer) }, expected);
        let asked = Message { client_id: Some("m-1".into()), ..Message::new(Author::visitor(), "hi") };
        check(
            Event { seq: 1, at: 1, body: EventBody::Message(asked) },
            json!({"seq": 1, "at": 1, "kind": "message", "author": {"role": "visitor"}, "text": "hi", "client_id": "m-1"}),
        );
        for reason in Reason::ALL {
            let waiting = PhaseChange { phase: Phase::Waiting, agent_name: None, reason: Some(reason) };
            check(
                Event { seq: 2, at: 2, body: EventBody::Phase(waiting) },
                json!({"seq": 2, "at": 2, "kind": "phase", "phase": "waiting", "reason": reason.as_str()}),
            );
        }
        for p in Phase::ALL {
            let change = PhaseChange { phase: p, agent_name: Some("Sam".into()), reason: None };
            check(
                Event { seq: 4, at: 4, body: EventBody::Phase(change) },
                json!({"seq": 4, "at": 4, "kind": "phase", "phase": p.as_str(), "agent_name": "Sam"}),
            );
        }
        check(
            Event { seq: 5, at: 5, body: EventBody::Rating { score: 5 } },
            json!({"seq": 5, "at": 5, "kind": "rating", "score": 5}),
        );
    }

    #[test]
    fn every_role_maps_to_its_namesake() {
        for (author, expected) in [
            (Author::visitor(), shared::Author::visitor()),
            (Author::bot("Baton"), shared::Author::bot("Baton")),
            (Author::agent("Sam"), shared::Author::agent("Sam")),
            (Author::system(), shared::Author::system()),
        ] {
            assert_eq!(super::author(author), expected);
        }
    }

    /// Stored rows of schema 1 were the protocol v1 JSON of their event: read by the store and
    /// sent to clients, each comes out as it was stored (the round trip that matters: what
    /// clients saw of an event before the relay had its own schema, they still see).
    #[test]
    fn schema_1_rows_reach_clients_unchanged() {
        for row in [
            r#"{"kind":"message","author":{"role":"bot","name":"Baton"},"text":"Parcels take 3 days.","quick_replies":[{"title":"Talk to a person","action":{"type":"request_handover"}},{"title":"Thanks","payload":"thanks"}],"source":{"title":"Delivery","url":"/help/demo/delivery"},"draft_id":"d-1"}"#,
            r#"{"kind":"message","author":{"role":"visitor"},"text":"I want a person","client_id":"m-2"}"#,
            r#"{"kind":"phase","phase":"waiting","reason":"explicit_request"}"#,
            r#"{"kind":"phase","phase":"agent","agent_name":"Alex"}"#,
            r#"{"kind":"message","author":{"role":"agent","name":"Alex"},"text":"Looking into it"}"#,
            r#"{"kind":"message","author":{"role":"system"},"text":"How was it?","quick_replies":[{"title":"5","action":{"type":"rate","score":5}},{"title":"Form","action":{"type":"open_url","url":"https://example.com/contact"}},{"title":"Cancel","action":{"type":"cancel_handover"}}]}"#,
            r#"{"kind":"rating","score":5}"#,
            r#"{"kind":"phase","phase":"bot"}"#,
        ] {
            let stored = stored::from_json(row).unwrap_or_else(|e| panic!("{e}: {row}"));
            let sent = serde_json::to_value(body(stored, &files())).unwrap();
            assert_eq!(sent, serde_json::from_str::<Value>(row).unwrap());
        }
    }
}
