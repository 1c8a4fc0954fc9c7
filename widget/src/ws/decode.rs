//! Reads the relay's frames into [`ServerFrame`] by hand, through [`crate::json::Value`].
//!
//! Why not `serde_json::from_str::<ServerFrame>`: serde's derived deserializer for an
//! internally tagged enum with a flattened body buffers everything through its generic
//! `Content` machinery, which costs ~30 KB of wasm, a fifth of the widget's size budget, and
//! `serde_json` itself is not in the wasm at all (the browser parses, `crate::json`). This
//! module accepts exactly what the derived implementation accepts for every valid frame (the
//! tests below compare the two on the golden frames of `relay/tests/protocol.rs` and more), and
//! the unit enums (`ErrorCode`, `Role`) still go through their derived impls, so a code added
//! to `shared` is understood without touching this file. The wire types are named through
//! `crate::shared` so that `fuzz/`, which compiles this file as a module, supplies them itself.

use crate::shared::{
    Action, Attachment, AttachmentLimits, Author, ConversationEvent, EmailCapture, EmailStep, ErrorCode, EventBody,
    Message, Phase, PhaseChange, QuickReply, Role, ServerFrame, Source, Theme,
};
use serde::de::{value::StrDeserializer, DeserializeOwned, IntoDeserializer};

use crate::json::{Object, Value};

/// Parses one text frame from the relay.
pub fn decode(text: &str) -> Result<ServerFrame, String> {
    frame(crate::json::parse(text)?)
}

fn object(value: Value, what: &str) -> Result<Object, String> {
    match value {
        Value::Object(o) => Ok(o),
        _ => Err(format!("{what}: expected an object")),
    }
}

fn field(o: &mut Object, key: &str) -> Result<Value, String> {
    o.remove(key).ok_or_else(|| format!("missing field `{key}`"))
}

fn string(o: &mut Object, key: &str) -> Result<String, String> {
    match field(o, key)? {
        Value::String(s) => Ok(s),
        _ => Err(format!("`{key}`: expected a string")),
    }
}

/// An optional string: absent or null is `None`.
fn opt_string(o: &mut Object, key: &str) -> Result<Option<String>, String> {
    match o.remove(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(format!("`{key}`: expected a string")),
    }
}

fn u64_field(o: &Object, key: &str) -> Result<u64, String> {
    o.get(key)
        .ok_or_else(|| format!("missing field `{key}`"))?
        .as_u64()
        .ok_or_else(|| format!("`{key}`: expected an unsigned integer"))
}

fn u8_field(o: &Object, key: &str) -> Result<u8, String> {
    u8::try_from(u64_field(o, key)?).map_err(|_| format!("`{key}`: out of range"))
}

fn u32_field(o: &Object, key: &str) -> Result<u32, String> {
    u32::try_from(u64_field(o, key)?).map_err(|_| format!("`{key}`: out of range"))
}

fn bool_field(o: &Object, key: &str) -> Result<bool, String> {
    o.get(key)
        .ok_or_else(|| format!("missing field `{key}`"))?
        .as_bool()
        .ok_or_else(|| format!("`{key}`: expected a boolean"))
}

/// A unit enum (`ErrorCode`, `Role`, `EmailStep`) through its own derived impl.
fn unit_enum<T: DeserializeOwned>(o: &mut Object, key: &str) -> Result<T, String> {
    let name = string(o, key)?;
    let name: StrDeserializer<'_, serde::de::value::Error> = name.as_str().into_deserializer();
    T::deserialize(name).map_err(|e| format!("`{key}`: {e}"))
}

fn frame(value: Value) -> Result<ServerFrame, String> {
    let mut o = object(value, "frame")?;
    let kind = string(&mut o, "type")?;
    Ok(match kind.as_str() {
        "welcome" => ServerFrame::Welcome {
            v: u32_field(&o, "v")?,
            conversation_id: string(&mut o, "conversation_id")?,
            resume_token: string(&mut o, "resume_token")?,
            last_seq: u64_field(&o, "last_seq")?,
            bot_name: string(&mut o, "bot_name")?,
            new_conversation: bool_field(&o, "new_conversation")?,
            handover_button: string(&mut o, "handover_button")?,
            language: opt_string(&mut o, "language")?,
            theme: match o.remove("theme") {
                None => Theme::default(),
                Some(v) => theme(v)?,
            },
            email_capture: match o.remove("email_capture") {
                None | Some(Value::Null) => None,
                Some(v) => Some(EmailCapture { consent: opt_string(&mut object(v, "email_capture")?, "consent")? }),
            },
            email: opt_string(&mut o, "email")?,
            transcript_email: o.get("transcript_email").and_then(Value::as_bool).unwrap_or_default(),
            attachments: match o.remove("attachments") {
                None | Some(Value::Null) => None,
                Some(v) => Some(limits(v)?),
            },
        },
        "texts" => ServerFrame::Texts {
            handover_button: string(&mut o, "handover_button")?,
            email_consent: opt_string(&mut o, "email_consent")?,
        },
        "ask_email" => ServerFrame::AskEmail { step: unit_enum::<EmailStep>(&mut o, "step")? },
        "email_saved" => ServerFrame::EmailSaved { email: string(&mut o, "email")? },
        "summary" => ServerFrame::Summary { text: string(&mut o, "text")?, link: opt_string(&mut o, "link")? },
        "queue" => {
            ServerFrame::Queue { position: u32_field(&o, "position")?, wait_seconds: u64_field(&o, "wait_seconds")? }
        }
        "event" => ServerFrame::Event(event(o)?),
        "ack" => ServerFrame::Ack { client_id: string(&mut o, "client_id")?, seq: u64_field(&o, "seq")? },
        "error" => ServerFrame::Error {
            code: unit_enum::<ErrorCode>(&mut o, "code")?,
            message: string(&mut o, "message")?,
            client_id: opt_string(&mut o, "client_id")?,
            retry_after: o.get("retry_after").and_then(Value::as_u64),
        },
        "typing" => ServerFrame::Typing { author: author(field(&mut o, "author")?)?, on: bool_field(&o, "on")? },
        "draft" => ServerFrame::Draft {
            draft_id: string(&mut o, "draft_id")?,
            author: author(field(&mut o, "author")?)?,
            text: string(&mut o, "text")?,
        },
        "pong" => ServerFrame::Pong,
        other => return Err(format!("unknown frame type `{other}`")),
    })
}

fn event(mut o: Object) -> Result<ConversationEvent, String> {
    let seq = u64_field(&o, "seq")?;
    let at = o
        .get("at")
        .ok_or_else(|| "missing field `at`".to_string())?
        .as_i64()
        .ok_or_else(|| "`at`: expected an integer".to_string())?;
    let kind = string(&mut o, "kind")?;
    let body = match kind.as_str() {
        "message" => EventBody::Message(message(o)?),
        "phase" => EventBody::Phase(PhaseChange {
            phase: unit_enum::<Phase>(&mut o, "phase")?,
            agent_name: opt_string(&mut o, "agent_name")?,
            reason: opt_string(&mut o, "reason")?,
        }),
        "rating" => EventBody::Rating { score: u8_field(&o, "score")? },
        other => return Err(format!("unknown event kind `{other}`")),
    };
    Ok(ConversationEvent { seq, at, body })
}

fn message(mut o: Object) -> Result<Message, String> {
    let quick_replies = match o.remove("quick_replies") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.into_iter().map(quick_reply).collect::<Result<_, _>>()?,
        Some(_) => return Err("`quick_replies`: expected an array".into()),
    };
    let source = match o.remove("source") {
        None | Some(Value::Null) => None,
        Some(v) => Some(source(v)?),
    };
    Ok(Message {
        author: author(field(&mut o, "author")?)?,
        text: string(&mut o, "text")?,
        client_id: opt_string(&mut o, "client_id")?,
        quick_replies,
        source,
        draft_id: opt_string(&mut o, "draft_id")?,
        attachments: match o.remove("attachments") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.into_iter().map(attachment).collect::<Result<_, _>>()?,
            Some(_) => return Err("`attachments`: expected an array".into()),
        },
    })
}

fn attachment(value: Value) -> Result<Attachment, String> {
    let mut o = object(value, "attachment")?;
    Ok(Attachment {
        size: u64_field(&o, "size")?,
        id: string(&mut o, "id")?,
        name: string(&mut o, "name")?,
        content_type: string(&mut o, "content_type")?,
        url: string(&mut o, "url")?,
    })
}

fn limits(value: Value) -> Result<AttachmentLimits, String> {
    let mut o = object(value, "attachments")?;
    let types = match o.remove("types") {
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|t| match t {
                Value::String(t) => Ok(t),
                _ => Err("`types`: expected strings".to_string()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("`types`: expected an array".into()),
    };
    Ok(AttachmentLimits { max_bytes: u64_field(&o, "max_bytes")?, types })
}

fn author(value: Value) -> Result<Author, String> {
    let mut o = object(value, "author")?;
    Ok(Author { role: unit_enum::<Role>(&mut o, "role")?, name: opt_string(&mut o, "name")? })
}

fn quick_reply(value: Value) -> Result<QuickReply, String> {
    let mut o = object(value, "quick reply")?;
    let payload = match o.remove("payload") {
        None => String::new(),
        Some(Value::String(s)) => s,
        Some(_) => return Err("`payload`: expected a string".into()),
    };
    let action = match o.remove("action") {
        None | Some(Value::Null) => None,
        Some(v) => Some(action(v)?),
    };
    Ok(QuickReply { title: string(&mut o, "title")?, payload, action })
}

fn action(value: Value) -> Result<Action, String> {
    let mut o = object(value, "action")?;
    let kind = string(&mut o, "type")?;
    Ok(match kind.as_str() {
        "request_handover" => Action::RequestHandover,
        "cancel_handover" => Action::CancelHandover,
        "rate" => Action::Rate { score: u8_field(&o, "score")? },
        "open_url" => Action::OpenUrl { url: string(&mut o, "url")? },
        other => return Err(format!("unknown action `{other}`")),
    })
}

fn theme(value: Value) -> Result<Theme, String> {
    let mut o = object(value, "theme")?;
    Ok(Theme {
        primary: opt_string(&mut o, "primary")?,
        position: opt_string(&mut o, "position")?,
        title: opt_string(&mut o, "title")?,
        avatar: opt_string(&mut o, "avatar")?,
        greeting: opt_string(&mut o, "greeting")?,
        scheme: opt_string(&mut o, "scheme")?,
    })
}

fn source(value: Value) -> Result<Source, String> {
    let mut o = object(value, "source")?;
    Ok(Source { title: string(&mut o, "title")?, url: string(&mut o, "url")? })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Both decoders agree: same frame for valid input, both fail for invalid input.
    fn same(v: serde_json::Value) {
        let text = v.to_string();
        let derived = serde_json::from_str::<ServerFrame>(&text);
        let ours = decode(&text);
        match (derived, ours) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{text}"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("disagree on {text}: derived {a:?}, ours {b:?}"),
        }
    }

    #[test]
    fn agrees_with_the_derived_deserializer_on_valid_frames() {
        for v in [
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 3, "bot_name": "Baton", "new_conversation": false,
                   "handover_button": "Talk to a person"}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 0, "bot_name": "Baton", "new_conversation": true,
                   "handover_button": "Mit einer Person sprechen", "language": "de",
                   "theme": {"primary": "#0a7", "position": "left", "title": "Hilfe",
                             "avatar": "https://cdn.example/a.png", "greeting": "Hallo!", "scheme": "dark",
                             "later": 1}}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 0, "bot_name": "Baton", "new_conversation": true,
                   "handover_button": "x", "language": null, "theme": {}}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 0, "bot_name": "Baton", "new_conversation": true, "handover_button": "x",
                   "attachments": {"types": ["image/png", "application/pdf"], "max_bytes": 10485760}}),
            json!({"type": "texts", "handover_button": "Parler à une personne"}),
            json!({"type": "queue", "position": 2, "wait_seconds": 360}),
            json!({"type": "event", "seq": 6, "at": 2, "kind": "phase", "phase": "waiting",
                   "reason": "explicit_request"}),
            json!({"type": "event", "seq": 7, "at": 3, "kind": "phase", "phase": "agent",
                   "agent_name": "Alex"}),
            json!({"type": "event", "seq": 8, "at": 3, "kind": "phase", "phase": "ended",
                   "agent_name": "Alex", "reason": null}),
            json!({"type": "event", "seq": 9, "at": 3, "kind": "phase", "phase": "bot"}),
            json!({"type": "event", "seq": 10, "at": 4, "kind": "rating", "score": 4}),
            json!({"type": "event", "seq": 11, "at": 5, "kind": "message",
                   "author": {"role": "system"}, "text": "How was your chat with Alex?",
                   "quick_replies": [{"title": "1 ★", "action": {"type": "rate", "score": 1}},
                                     {"title": "Cancel", "payload": "", "action": {"type": "cancel_handover"}},
                                     {"title": "Talk to a person", "action": {"type": "request_handover"}}]}),
            json!({"type": "event", "seq": 4, "at": 1_700_000_000_000_i64, "kind": "message",
                   "author": {"role": "visitor"}, "text": "where is my order?", "client_id": "c1"}),
            json!({"type": "event", "seq": 5, "at": 1, "kind": "message",
                   "author": {"role": "bot", "name": "Baton"}, "text": "We ship in 2 days.",
                   "quick_replies": [{"title": "Shipping", "payload": "How long does shipping take?"},
                                     {"title": "Talk to a person", "action": {"type": "request_handover"}}],
                   "source": {"title": "Shipping", "url": "/help/shipping"}}),
            json!({"type": "event", "seq": 6, "at": -5, "kind": "message",
                   "author": {"role": "agent", "name": "Ann"}, "text": "Hi, Ann here"}),
            json!({"type": "event", "seq": 7, "at": 9, "kind": "message",
                   "author": {"role": "system", "name": null}, "text": "Ann joined",
                   "client_id": null, "source": null, "extra": {"x": 1}}),
            json!({"type": "event", "seq": 8, "at": 1, "kind": "message", "author": {"role": "visitor"}, "text": "",
                   "attachments": [{"id": "a1", "name": "p.png", "content_type": "image/png", "size": 70,
                                    "url": "/attachments/a1?expires=9&sig=x"}]}),
            json!({"type": "ack", "client_id": "c1", "seq": 4}),
            json!({"type": "error", "code": "frame_too_large", "message": "too big"}),
            json!({"type": "error", "code": "rate_limited", "message": "slow", "client_id": "c9"}),
            json!({"type": "error", "code": "rate_limited", "message": "slow", "client_id": "c9", "retry_after": 3}),
            json!({"type": "error", "code": "rate_limited", "message": "later", "retry_after": null}),
            json!({"type": "error", "code": "origin_not_allowed", "message": "no"}),
            json!({"type": "typing", "author": {"role": "bot", "name": "Baton"}, "on": true}),
            json!({"type": "typing", "author": {"role": "agent"}, "on": false}),
            json!({"type": "pong"}),
            json!({"type": "pong", "unexpected": true}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 0, "bot_name": "Baton", "new_conversation": true, "handover_button": "x",
                   "email_capture": {"consent": "Only for this."}, "email": "ada@example.com"}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 0, "bot_name": "Baton", "new_conversation": true, "handover_button": "x",
                   "email_capture": {}, "email": null}),
            json!({"type": "texts", "handover_button": "x", "email_consent": "Nur dafür."}),
            json!({"type": "ask_email", "step": "before_handover"}),
            json!({"type": "ask_email", "step": "unavailable"}),
            json!({"type": "email_saved", "email": "ada@example.com"}),
            json!({"type": "summary", "text": "The visitor needs: \"a refund\"."}),
            json!({"type": "summary", "text": "s", "link": "https://shop.example/contact"}),
            json!({"type": "draft", "draft_id": "d1", "author": {"role": "bot", "name": "Baton"}, "text": "We ship"}),
            json!({"type": "draft", "draft_id": "d1", "author": {"role": "bot"}, "text": ""}),
            json!({"type": "event", "seq": 12, "at": 6, "kind": "message",
                   "author": {"role": "bot", "name": "Baton"}, "text": "We ship in 2 days.", "draft_id": "d1"}),
        ] {
            assert!(decode(&v.to_string()).is_ok(), "{v}");
            same(v);
        }
    }

    #[test]
    fn every_error_code_is_understood() {
        for code in [
            "bad_frame",
            "frame_too_large",
            "invalid_message",
            "unsupported_version",
            "unknown_site",
            "origin_not_allowed",
            "not_ready",
            "rate_limited",
            "not_allowed",
            "internal",
            "invalid_email",
        ] {
            let v = json!({"type": "error", "code": code, "message": "m"});
            assert!(decode(&v.to_string()).is_ok(), "{code}");
            same(v);
        }
    }

    #[test]
    fn rejects_what_the_derived_deserializer_rejects() {
        for v in [
            json!({"type": "launch_missiles"}),
            json!({"no_type": 1}),
            json!([1, 2]),
            json!({"type": "ack", "client_id": "c1"}),
            json!({"type": "ack", "client_id": 5, "seq": 1}),
            json!({"type": "ack", "client_id": "c", "seq": -1}),
            json!({"type": "ack", "client_id": "c", "seq": 1.5}),
            json!({"type": "welcome", "v": 1}),
            json!({"type": "event", "seq": 1, "at": 1, "kind": "reaction", "author": {"role": "bot"}, "text": "x"}),
            json!({"type": "event", "seq": 1, "at": 1, "kind": "message", "author": {"role": "robot"}, "text": "x"}),
            json!({"type": "event", "seq": 1, "kind": "message", "author": {"role": "bot"}, "text": "x"}),
            json!({"type": "event", "seq": 1, "at": 1, "kind": "message", "author": {"role": "bot"}, "text": "x",
                   "quick_replies": [{"payload": "t"}]}),
            json!({"type": "error", "code": "exploded", "message": "m"}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 3, "bot_name": "Baton", "new_conversation": false}),
            json!({"type": "queue", "position": -1, "wait_seconds": 3}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 3, "bot_name": "Baton", "new_conversation": false,
                   "handover_button": "x", "theme": {"primary": 5}}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 3, "bot_name": "Baton", "new_conversation": false,
                   "handover_button": "x", "theme": "dark"}),
            json!({"type": "texts"}),
            json!({"type": "ask_email", "step": "whenever"}),
            json!({"type": "ask_email"}),
            json!({"type": "email_saved"}),
            json!({"type": "summary", "link": "https://shop.example/contact"}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 3, "bot_name": "Baton", "new_conversation": false,
                   "handover_button": "x", "email_capture": {"consent": 5}}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 3, "bot_name": "Baton", "new_conversation": false,
                   "handover_button": "x", "attachments": {"types": "image/png", "max_bytes": 5}}),
            json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
                   "last_seq": 3, "bot_name": "Baton", "new_conversation": false,
                   "handover_button": "x", "attachments": {"types": ["image/png"]}}),
            json!({"type": "event", "seq": 1, "at": 1, "kind": "phase", "phase": "lunch"}),
            json!({"type": "event", "seq": 1, "at": 1, "kind": "rating", "score": 300}),
            json!({"type": "event", "seq": 1, "at": 1, "kind": "message", "author": {"role": "bot"}, "text": "x",
                   "quick_replies": [{"title": "t", "action": {"type": "dance"}}]}),
            json!({"type": "event", "seq": 1, "at": 1, "kind": "message", "author": {"role": "bot"}, "text": "x",
                   "quick_replies": [{"title": "t", "action": {"type": "rate"}}]}),
            json!({"type": "typing", "author": {"role": "bot"}}),
            json!({"type": "draft", "draft_id": "d1", "author": {"role": "bot"}}),
            json!({"type": "draft", "draft_id": 7, "author": {"role": "bot"}, "text": "x"}),
            json!({"type": "event", "seq": 1, "at": 1, "kind": "message", "author": {"role": "bot"}, "text": "x",
                   "draft_id": 3}),
        ] {
            assert!(decode(&v.to_string()).is_err(), "{v}");
            same(v);
        }
        assert!(decode("not json").is_err());
    }
}
