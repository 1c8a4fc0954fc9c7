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

use serde_json::{json, Value};
use shared::{Phase, Role};

use crate::store::model::Stored;

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

pub fn phase(phase: Phase, agent_name: Option<&str>, history: bool) -> Value {
    json!({
        "type": "phase",
        "history": history,
        "phase": phase_str(phase),
        "agent_name": agent_name,
    })
}

pub fn ready() -> Value {
    json!({ "type": "ready" })
}

pub fn open(open: bool) -> Value {
    json!({ "type": if open { "open" } else { "close" } })
}

pub fn connection(status: &str, error: Option<&str>) -> Value {
    match error {
        Some(error) => json!({ "type": "connection", "status": status, "error": error }),
        None => json!({ "type": "connection", "status": status }),
    }
}

pub fn message(stored: &Stored, history: bool) -> Value {
    let m = &stored.message;
    json!({
        "type": "message",
        "history": history,
        "message": {
            "seq": stored.seq,
            "role": role_str(m.author.role),
            "name": m.author.name,
            "text": m.text,
            "at": stored.at,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::{Author, Message};

    #[test]
    fn shapes() {
        assert_eq!(ready().to_string(), r#"{"type":"ready"}"#);
        assert_eq!(
            phase(Phase::Agent, Some("Alex"), false),
            json!({"type":"phase","history":false,"phase":"agent","agent_name":"Alex"})
        );
        assert_eq!(open(true), json!({"type":"open"}));
        assert_eq!(open(false), json!({"type":"close"}));
        assert_eq!(connection("online", None), json!({"type":"connection","status":"online"}));
        assert_eq!(connection("offline", Some("x")), json!({"type":"connection","status":"offline","error":"x"}));
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
            },
        };
        assert_eq!(
            message(&stored, false),
            json!({"type":"message","history":false,"message":{
                "seq":3,"role":"bot","name":"Baton","text":"Hi","at":1_700_000_000_000_i64}})
        );
    }
}
