//! Golden-JSON tests: they pin the wire format. A change that breaks one of these breaks
//! deployed widgets, so it needs a new protocol version, not an edited expectation.

use serde_json::{json, Value};
use shared::*;

/// Checks that `value` serialises to exactly `expected` and that `expected` parses back to `value`.
fn check<T>(value: T, expected: Value)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    assert_eq!(serde_json::to_value(&value).unwrap(), expected, "serialised form");
    assert_eq!(serde_json::from_value::<T>(expected).unwrap(), value, "parsed form");
}

#[test]
fn hello_new_visitor() {
    check(
        ClientFrame::Hello { v: 1, site: "demo".into(), resume: None, last_seq: 0, visitor: None, languages: vec![] },
        json!({"type": "hello", "v": 1, "site": "demo", "last_seq": 0}),
    );
}

#[test]
fn hello_resuming_with_visitor() {
    check(
        ClientFrame::Hello {
            v: 1,
            site: "demo".into(),
            resume: Some("tok".into()),
            last_seq: 7,
            visitor: Some(Visitor { email: Some("a@b.c".into()), ..Visitor::default() }),
            languages: vec!["de-at".into(), "de".into()],
        },
        json!({"type": "hello", "v": 1, "site": "demo", "resume": "tok", "last_seq": 7,
               "visitor": {"email": "a@b.c"}, "languages": ["de-at", "de"]}),
    );
}

#[test]
fn hello_without_last_seq_means_zero() {
    let frame: ClientFrame = serde_json::from_str(r#"{"type":"hello","v":1,"site":"demo"}"#).unwrap();
    assert_eq!(
        frame,
        ClientFrame::Hello { v: 1, site: "demo".into(), resume: None, last_seq: 0, visitor: None, languages: vec![] }
    );
}

#[test]
fn send_identify_ping() {
    check(
        ClientFrame::Send { client_id: "c1".into(), text: "hi".into(), attachments: vec![] },
        json!({"type": "send", "client_id": "c1", "text": "hi"}),
    );
    check(
        ClientFrame::Identify(Visitor { email: Some("a@b.c".into()), name: Some("Ada".into()), ..Visitor::default() }),
        json!({"type": "identify", "email": "a@b.c", "name": "Ada"}),
    );
    check(ClientFrame::Ping, json!({"type": "ping"}));
    // Files were added to protocol 1 without a version change: optional, and absent when none.
    check(
        ClientFrame::Send { client_id: "c2".into(), text: String::new(), attachments: vec!["a1".into()] },
        json!({"type": "send", "client_id": "c2", "text": "", "attachments": ["a1"]}),
    );
}

#[test]
fn message_with_attachments() {
    let photo = shared::Attachment {
        id: "a1".into(),
        name: "p.png".into(),
        content_type: "image/png".into(),
        size: 70,
        url: "/attachments/a1?expires=9&sig=s".into(),
    };
    check(
        ServerFrame::Event(ConversationEvent {
            seq: 5,
            at: 1,
            body: EventBody::Message(Message {
                author: Author::visitor(),
                text: String::new(),
                client_id: Some("c2".into()),
                quick_replies: vec![],
                source: None,
                draft_id: None,
                attachments: vec![photo],
            }),
        }),
        json!({"type": "event", "seq": 5, "at": 1, "kind": "message", "author": {"role": "visitor"}, "text": "",
               "client_id": "c2", "attachments": [{"id": "a1", "name": "p.png", "content_type": "image/png",
               "size": 70, "url": "/attachments/a1?expires=9&sig=s"}]}),
    );
}

#[test]
fn signed_identity() {
    // Added in v1 without a version change: both fields are optional, older relays ignore
    // unknown fields (no deny_unknown_fields), older widgets never send them.
    let signed = Visitor {
        email: Some("ada@example.com".into()),
        name: Some("Ada".into()),
        user_id: Some("42".into()),
        user_hash: Some("9f".into()),
    };
    check(
        ClientFrame::Identify(signed.clone()),
        json!({"type": "identify", "email": "ada@example.com", "name": "Ada", "user_id": "42", "user_hash": "9f"}),
    );
    check(
        ClientFrame::Hello {
            v: 1,
            site: "demo".into(),
            resume: None,
            last_seq: 0,
            visitor: Some(signed),
            languages: vec![],
        },
        json!({"type": "hello", "v": 1, "site": "demo", "last_seq": 0,
               "visitor": {"email": "ada@example.com", "name": "Ada", "user_id": "42", "user_hash": "9f"}}),
    );
}

#[test]
fn welcome() {
    check(
        ServerFrame::Welcome {
            v: 1,
            conversation_id: "cv".into(),
            resume_token: "tok".into(),
            last_seq: 3,
            bot_name: "Baton".into(),
            new_conversation: false,
            handover_button: "Talk to a person".into(),
            language: None,
            theme: Theme::default(),
            email_capture: None,
            email: None,
            transcript_email: false,
            attachments: None,
        },
        json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
               "last_seq": 3, "bot_name": "Baton", "new_conversation": false,
               "handover_button": "Talk to a person"}),
    );
}

/// Added in v1 without a version change: optional, so older widgets ignore them and older
/// relays never send them; a `language` frame to an older relay is refused as `bad_frame`,
/// which the widget only logs.
#[test]
fn welcome_with_a_site_language_and_theme_and_the_language_exchange() {
    check(
        ServerFrame::Welcome {
            v: 1,
            conversation_id: "cv".into(),
            resume_token: "tok".into(),
            last_seq: 0,
            bot_name: "Baton".into(),
            new_conversation: true,
            handover_button: "Mit einer Person sprechen".into(),
            language: Some("de".into()),
            theme: Theme {
                primary: Some("#0a7".into()),
                position: Some("left".into()),
                scheme: Some("dark".into()),
                ..Theme::default()
            },
            email_capture: None,
            email: None,
            transcript_email: false,
            attachments: None,
        },
        json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
               "last_seq": 0, "bot_name": "Baton", "new_conversation": true,
               "handover_button": "Mit einer Person sprechen", "language": "de",
               "theme": {"primary": "#0a7", "position": "left", "scheme": "dark"}}),
    );
    check(
        ClientFrame::Language { languages: vec!["fr".into(), "en".into()] },
        json!({"type": "language", "languages": ["fr", "en"]}),
    );
    check(
        ServerFrame::Texts { handover_button: "Parler à une personne".into(), email_consent: None },
        json!({"type": "texts", "handover_button": "Parler à une personne"}),
    );
}

#[test]
fn visitor_message_event() {
    check(
        ServerFrame::Event(ConversationEvent {
            seq: 4,
            at: 1_700_000_000_000,
            body: EventBody::Message(Message {
                author: Author::visitor(),
                text: "where is my order?".into(),
                client_id: Some("c1".into()),
                quick_replies: vec![],
                source: None,
                draft_id: None,
                attachments: vec![],
            }),
        }),
        json!({"type": "event", "seq": 4, "at": 1_700_000_000_000_i64, "kind": "message",
               "author": {"role": "visitor"}, "text": "where is my order?", "client_id": "c1"}),
    );
}

#[test]
fn bot_message_event_with_source_and_quick_reply() {
    check(
        ServerFrame::Event(ConversationEvent {
            seq: 5,
            at: 1,
            body: EventBody::Message(Message {
                author: Author::bot("Baton"),
                text: "We ship in 2 days.".into(),
                client_id: None,
                quick_replies: vec![
                    QuickReply {
                        title: "Shipping".into(),
                        payload: "How long does shipping take?".into(),
                        action: None,
                    },
                    QuickReply {
                        title: "Talk to a person".into(),
                        payload: String::new(),
                        action: Some(Action::RequestHandover),
                    },
                ],
                source: Some(Source { title: "Shipping".into(), url: "/help/shipping".into() }),
                draft_id: None,
                attachments: vec![],
            }),
        }),
        json!({"type": "event", "seq": 5, "at": 1, "kind": "message",
               "author": {"role": "bot", "name": "Baton"}, "text": "We ship in 2 days.",
               "quick_replies": [{"title": "Shipping", "payload": "How long does shipping take?"},
                                 {"title": "Talk to a person", "action": {"type": "request_handover"}}],
               "source": {"title": "Shipping", "url": "/help/shipping"}}),
    );
}

#[test]
fn ack_error_typing_pong() {
    check(ServerFrame::Ack { client_id: "c1".into(), seq: 4 }, json!({"type": "ack", "client_id": "c1", "seq": 4}));
    check(
        ServerFrame::Error {
            code: ErrorCode::FrameTooLarge,
            message: "too big".into(),
            client_id: None,
            retry_after: None,
        },
        json!({"type": "error", "code": "frame_too_large", "message": "too big"}),
    );
    check(
        ServerFrame::Error {
            code: ErrorCode::RateLimited,
            message: "too many messages from your address; retry in 2 s".into(),
            client_id: Some("c7".into()),
            retry_after: Some(2),
        },
        json!({"type": "error", "code": "rate_limited", "message": "too many messages from your address; retry in 2 s",
               "client_id": "c7", "retry_after": 2}),
    );
    check(
        ServerFrame::Typing { author: Author::bot("Baton"), on: true },
        json!({"type": "typing", "author": {"role": "bot", "name": "Baton"}, "on": true}),
    );
    check(ServerFrame::Pong, json!({"type": "pong"}));
}

#[test]
fn unknown_frame_type_is_an_error_not_a_panic() {
    assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"launch_missiles"}"#).is_err());
    assert!(serde_json::from_str::<ClientFrame>("not json").is_err());
}

/// Email capture and the visitor's summary, added in v1 without a version change: every field
/// optional, the frames new. An older relay answers `email` or `skip_email` with `bad_frame`
/// (the widget shows the email as not saved); an older widget ignores frames it does not know.
#[test]
fn email_capture_and_summary_frames() {
    check(
        ServerFrame::Welcome {
            v: 1,
            conversation_id: "cv".into(),
            resume_token: "tok".into(),
            last_seq: 2,
            bot_name: "Baton".into(),
            new_conversation: false,
            handover_button: "Talk to a person".into(),
            language: None,
            theme: Theme::default(),
            email_capture: Some(EmailCapture { consent: Some("Only for this request.".into()) }),
            email: Some("ada@example.com".into()),
            transcript_email: true,
            attachments: Some(AttachmentLimits { types: vec!["image/png".into()], max_bytes: 1024 }),
        },
        json!({"type": "welcome", "v": 1, "conversation_id": "cv", "resume_token": "tok",
               "last_seq": 2, "bot_name": "Baton", "new_conversation": false,
               "handover_button": "Talk to a person",
               "email_capture": {"consent": "Only for this request."}, "email": "ada@example.com",
               "transcript_email": true, "attachments": {"types": ["image/png"], "max_bytes": 1024}}),
    );
    check(
        ServerFrame::Texts {
            handover_button: "Mit einer Person sprechen".into(),
            email_consent: Some("Nur dafür.".into()),
        },
        json!({"type": "texts", "handover_button": "Mit einer Person sprechen", "email_consent": "Nur dafür."}),
    );
    check(
        ServerFrame::AskEmail { step: EmailStep::BeforeHandover },
        json!({"type": "ask_email", "step": "before_handover"}),
    );
    check(ServerFrame::AskEmail { step: EmailStep::Unavailable }, json!({"type": "ask_email", "step": "unavailable"}));
    check(ClientFrame::Email { email: "ada@example.com".into() }, json!({"type": "email", "email": "ada@example.com"}));
    check(ClientFrame::SkipEmail, json!({"type": "skip_email"}));
    check(
        ServerFrame::EmailSaved { email: "ada@example.com".into() },
        json!({"type": "email_saved", "email": "ada@example.com"}),
    );
    check(
        ServerFrame::Error {
            code: ErrorCode::InvalidEmail,
            message: "an email has one @ between a name and a domain".into(),
            client_id: None,
            retry_after: None,
        },
        json!({"type": "error", "code": "invalid_email", "message": "an email has one @ between a name and a domain"}),
    );
    check(
        ServerFrame::Summary { text: "The visitor needs: \"a refund\".".into(), link: None },
        json!({"type": "summary", "text": "The visitor needs: \"a refund\"."}),
    );
    check(
        ServerFrame::Summary {
            text: "The visitor needs help.".into(),
            link: Some("https://shop.example/contact".into()),
        },
        json!({"type": "summary", "text": "The visitor needs help.", "link": "https://shop.example/contact"}),
    );
}

#[test]
fn handover_frames() {
    check(ClientFrame::RequestHandover, json!({"type": "request_handover"}));
    check(ClientFrame::CancelHandover, json!({"type": "cancel_handover"}));
    check(ClientFrame::Rate { score: 5 }, json!({"type": "rate", "score": 5}));
    check(ClientFrame::Typing { on: true }, json!({"type": "typing", "on": true}));
    check(
        ServerFrame::Queue { position: 2, wait_seconds: 360 },
        json!({"type": "queue", "position": 2, "wait_seconds": 360}),
    );
}

#[test]
fn phase_and_rating_events() {
    check(
        ServerFrame::Event(ConversationEvent {
            seq: 6,
            at: 2,
            body: EventBody::Phase(PhaseChange {
                phase: Phase::Waiting,
                agent_name: None,
                reason: Some("explicit_request".into()),
            }),
        }),
        json!({"type": "event", "seq": 6, "at": 2, "kind": "phase", "phase": "waiting", "reason": "explicit_request"}),
    );
    check(
        ServerFrame::Event(ConversationEvent {
            seq: 7,
            at: 3,
            body: EventBody::Phase(PhaseChange { phase: Phase::Agent, agent_name: Some("Alex".into()), reason: None }),
        }),
        json!({"type": "event", "seq": 7, "at": 3, "kind": "phase", "phase": "agent", "agent_name": "Alex"}),
    );
    check(
        ServerFrame::Event(ConversationEvent { seq: 8, at: 4, body: EventBody::Rating { score: 4 } }),
        json!({"type": "event", "seq": 8, "at": 4, "kind": "rating", "score": 4}),
    );
    check(
        QuickReply {
            title: "Contact us".into(),
            payload: String::new(),
            action: Some(Action::OpenUrl { url: "https://shop.example/contact".into() }),
        },
        json!({"title": "Contact us", "action": {"type": "open_url", "url": "https://shop.example/contact"}}),
    );
    check(
        QuickReply { title: "★★★★★".into(), payload: String::new(), action: Some(Action::Rate { score: 5 }) },
        json!({"title": "★★★★★", "action": {"type": "rate", "score": 5}}),
    );
}

#[test]
fn streamed_answer_draft_then_final_message() {
    check(
        ServerFrame::Draft { draft_id: "d1".into(), author: Author::bot("Baton"), text: "We ship".into() },
        json!({"type": "draft", "draft_id": "d1", "author": {"role": "bot", "name": "Baton"}, "text": "We ship"}),
    );
    check(
        ServerFrame::Event(ConversationEvent {
            seq: 9,
            at: 5,
            body: EventBody::Message(Message {
                author: Author::bot("Baton"),
                text: "We ship in 2 days.".into(),
                client_id: None,
                quick_replies: vec![],
                source: Some(Source { title: "Shipping".into(), url: "/help/demo/shipping".into() }),
                draft_id: Some("d1".into()),
                attachments: vec![],
            }),
        }),
        json!({"type": "event", "seq": 9, "at": 5, "kind": "message",
               "author": {"role": "bot", "name": "Baton"}, "text": "We ship in 2 days.",
               "source": {"title": "Shipping", "url": "/help/demo/shipping"}, "draft_id": "d1"}),
    );
}

/// `shared` depends on serde only, so the widget builds it for wasm32 with nothing else.
#[test]
fn shared_depends_on_serde_only() {
    let manifest = include_str!("../../shared/Cargo.toml");
    let section = manifest.split("[dependencies]").nth(1).expect("a [dependencies] table");
    let section = section.split("\n[").next().unwrap_or_default();
    let names: Vec<&str> =
        section.lines().filter_map(|line| line.split(['.', '=', ' ']).next()).filter(|name| !name.is_empty()).collect();
    assert_eq!(names, ["serde"]);
    assert!(!manifest.contains("[dev-dependencies]"), "no test-only dependencies either");
}
