//! The `detail` objects of the `baton:event` events the widget emits:
//!
//! - `{type:"ready"}` once the widget is mounted and listening for commands;
//! - `{type:"open"}` / `{type:"close"}` when the panel opens or closes;
//! - `{type:"connection", status:"connecting"|"online"|"offline"}`, plus `error` (text) when the
//!   relay refused the widget for good;
//! - `{type:"message", history, message:{seq, role, name, text, at}}` for every message event
//!   applied for the first time on this page. `history` is true for events that were already
//!   stored when the connection was made (the backlog replayed on page load), false for live
//!   ones. A visitor's own message is emitted when the relay has stored it, not while pending.
//! - `{type:"phase", history, phase:"bot"|"waiting"|"agent"|"ended", agent_name}` when the
//!   conversation changes hands (handover to a person and back).

use shared::{Phase, Role};

use crate::{json::Obj, store::model::Stored};

pub fn role_str(role: Role) -> &'static str {
    match role {
        Role::Visitor => "visitor",
        Role::Bot => "bot",
        Role::Agent => "agent",
        Role::System => "system",
    }
}

pub fn phase_str(phase: Phase) -> &'static str {
    match phase {
        Phase::Bot => "bot",
        Phase::Waiting => "waiting",
        Phase::Agent => "agent",
        Phase::Ended => "ended",
    }
}

/// Each detail as JSON text (`crate::json::Obj`; the page gets it parsed by the browser).
pub fn phase(phase: Phase, agent_name: Option<&str>, history: bool) -> String {
    kind("phase").bool("history", history).str("phase", phase_str(phase)).opt_str("agent_name", agent_name).end()
}

pub fn ready() -> String {
    kind("ready").end()
}

pub fn open(open: bool) -> String {
    kind(if open { "open" } else { "close" }).end()
}

pub fn connection(status: &str, error: Option<&str>) -> String {
    kind("connection").str("status", status).some_str("error", error).end()
}

pub fn message(stored: &Stored, history: bool) -> String {
    let m = &stored.message;
    let message = Obj::new()
        .u64("seq", stored.seq)
        .str("role", role_str(m.author.role))
        .opt_str("name", m.author.name.as_deref())
        .str("text", &m.text)
        .i64("at", stored.at)
        .end();
    kind("message").bool("history", history).raw("message", &message).end()
}

fn kind(name: &str) -> Obj {
    Obj::new().str("type", name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};
    use shared::{Author, Message};

    fn parsed(text: String) -> Value {
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn shapes() {
        assert_eq!(ready(), r#"{"type":"ready"}"#);
        assert_eq!(
            parsed(phase(Phase::Agent, Some("Alex"), false)),
            json!({"type":"phase","history":false,"phase":"agent","agent_name":"Alex"})
        );
        assert_eq!(
            parsed(phase(Phase::Bot, None, true)),
            json!({"type":"phase","history":true,"phase":"bot","agent_name":null})
        );
        assert_eq!(parsed(open(true)), json!({"type":"open"}));
        assert_eq!(parsed(open(false)), json!({"type":"close"}));
        assert_eq!(parsed(connection("online", None)), json!({"type":"connection","status":"online"}));
        assert_eq!(
            parsed(connection("offline", Some("x"))),
            json!({"type":"connection","status":"offline","error":"x"})
        );
        let stored = Stored {
            seq: 3,
            at: 1_700_000_000_000,
            message: Message {
                author: Author::bot("Baton"),
                text: "Hi".into(),
                client_id: None,
                quick_replies: vec![],
                source: None,
                draft_id: None,
                attachments: Vec::new(),
            },
        };
        assert_eq!(
            parsed(message(&stored, false)),
            json!({"type":"message","history":false,"message":{
                "seq":3,"role":"bot","name":"Baton","text":"Hi","at":1_700_000_000_000_i64}})
        );
        let visitor = Stored {
            seq: 4,
            at: -1,
            message: Message {
                author: Author { role: Role::Visitor, name: None },
                text: "a \"b\"\n".into(),
                ..stored.message
            },
        };
        assert_eq!(
            parsed(message(&visitor, true)),
            json!({"type":"message","history":true,"message":{
                "seq":4,"role":"visitor","name":null,"text":"a \"b\"\n","at":-1}})
        );
    }
}
