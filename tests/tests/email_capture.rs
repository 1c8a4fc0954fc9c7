//! Email capture and the visitor's summary over the real widget socket, with the built-in
//! inbox: the `email` frame checked (a malformed address gets `invalid_email` and the session
//! goes on), kept with the conversation and changeable; the prompt asked before a handover
//! holding it until the email or a skip; the unavailable step's prompt taking a follow-up; the
//! summary frame at the handover equal to what the agent gets. The helpdesks' side is in
//! `tests/tests/providers/specific.rs`.

use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    test_config,
    widget_client::{as_message, hello_frame, send_text, WidgetClient},
    TestDb, TestRelay,
};
use relay::config::{CaptureWhen, Config};
use shared::{ClientFrame, EmailCapture, EmailStep, ErrorCode, Phase, Role, ServerFrame};

/// The demo site asking for emails `when`.
fn asking_emails(db: &TestDb, when: CaptureWhen) -> Config {
    let mut config = test_config(db);
    let site = config.sites.get_mut("demo").expect("demo site");
    site.email_capture.when = Some(when);
    site.email_capture.consent = Some("We use your email only to answer this request.".into());
    config
}

/// A greeted visitor and their welcome.
async fn greeted(relay: &TestRelay) -> (WidgetClient, ServerFrame) {
    let (mut visitor, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await; // the greeting
    (visitor, welcome)
}

fn token_of(welcome: &ServerFrame) -> String {
    let ServerFrame::Welcome { resume_token, .. } = welcome else { panic!("not a welcome: {welcome:?}") };
    resume_token.clone()
}

fn is_phase(frame: &ServerFrame, phase: Phase) -> bool {
    matches!(frame, ServerFrame::Event(e) if matches!(&e.body, shared::EventBody::Phase(p) if p.phase == phase))
}

fn is_error(frame: &ServerFrame, code: ErrorCode) -> bool {
    matches!(frame, ServerFrame::Error { code: c, .. } if *c == code)
}

#[tokio::test]
async fn a_malformed_email_is_refused_with_its_reason_and_a_good_one_is_kept_and_can_be_changed() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(asking_emails(&db, CaptureWhen::BeforeHandover)).await;
    let (mut visitor, welcome) = greeted(&relay).await;
    let ServerFrame::Welcome { email_capture, email, .. } = &welcome else { unreachable!() };
    let consent = Some("We use your email only to answer this request.".to_string());
    assert_eq!(email_capture, &Some(EmailCapture { consent }), "the site's prompt and wording");
    assert_eq!(email, &None);

    let refused = [
        ("ada.example.com", "one @"),
        ("ada lovelace@example.com", "character"),
        ("ada@localhost", "domain"),
        ("", "empty"),
    ];
    for (bad, reason) in refused {
        visitor.send(&ClientFrame::Email { email: bad.into() }).await;
        let (error, _) = visitor.until(|f| matches!(f, ServerFrame::Error { .. })).await;
        let ServerFrame::Error { code, message, .. } = &error else { unreachable!() };
        assert_eq!(*code, ErrorCode::InvalidEmail, "{bad:?}: {error:?}");
        assert!(message.contains(reason), "{bad:?}: the reason is said: {message}");
    }
    visitor.send(&ClientFrame::Email { email: format!("{}@example.com", "a".repeat(300)) }).await;
    assert!(is_error(&visitor.next().await, ErrorCode::InvalidEmail));
    // A frame without its email is a bad frame, not a panic; the session goes on.
    visitor.send_raw(r#"{"type":"email","email":42}"#.into()).await;
    assert!(is_error(&visitor.next().await, ErrorCode::BadFrame));
    let nothing_changed = visitor.settle().await;
    assert!(nothing_changed.is_empty(), "{nothing_changed:?}");

    visitor.send(&ClientFrame::Email { email: " Ada@Example.COM ".into() }).await;
    assert_eq!(visitor.next().await, ServerFrame::EmailSaved { email: "Ada@example.com".into() });
    visitor.send(&ClientFrame::Email { email: "ada.lovelace@example.org".into() }).await;
    assert_eq!(visitor.next().await, ServerFrame::EmailSaved { email: "ada.lovelace@example.org".into() });

    // Kept with the conversation: a returning widget is told the email it gave last.
    drop(visitor);
    let (_, welcome) = WidgetClient::hello(&relay.ws_url(), Some(&token_of(&welcome)), 0).await;
    let ServerFrame::Welcome { email, .. } = welcome else { unreachable!() };
    assert_eq!(email.as_deref(), Some("ada.lovelace@example.org"));
}

#[tokio::test]
async fn the_prompt_before_a_handover_holds_it_until_the_email_or_a_skip_and_the_visitor_gets_the_summary() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(asking_emails(&db, CaptureWhen::BeforeHandover)).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, welcome) = greeted(&relay).await;
    let id = match &welcome {
        ServerFrame::Welcome { conversation_id, .. } => conversation_id.clone(),
        _ => unreachable!(),
    };
    visitor.send(&send_text("q1", "My order 40123 never arrived and I need it for Friday")).await;
    visitor.until_message(Role::Bot, "").await;

    visitor.send(&ClientFrame::RequestHandover).await;
    let (ask, before) = visitor.until(|f| matches!(f, ServerFrame::AskEmail { .. })).await;
    assert_eq!(ask, ServerFrame::AskEmail { step: EmailStep::BeforeHandover });
    let held = before.into_iter().chain(visitor.settle().await).collect::<Vec<_>>();
    assert!(
        !held.iter().any(|f| matches!(f, ServerFrame::Event(_) | ServerFrame::Queue { .. })),
        "nothing starts before the email or a skip: {held:?}"
    );

    // A reload while the prompt is open shows it again.
    drop(visitor);
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), Some(&token_of(&welcome)), 0).await;
    let (ask, _) = visitor.until(|f| matches!(f, ServerFrame::AskEmail { .. })).await;
    assert_eq!(ask, ServerFrame::AskEmail { step: EmailStep::BeforeHandover });

    visitor.send(&ClientFrame::Email { email: "grace@example.com".into() }).await;
    let frames = visitor
        .until_each(&[
            &|f| *f == ServerFrame::EmailSaved { email: "grace@example.com".into() },
            &|f| is_phase(f, Phase::Waiting),
            &|f| matches!(f, ServerFrame::Summary { .. }),
        ])
        .await;
    let Some(ServerFrame::Summary { text, link }) =
        frames.into_iter().find(|f| matches!(f, ServerFrame::Summary { .. }))
    else {
        unreachable!()
    };
    assert_eq!(link, None);
    assert!(text.contains("40123") && text.contains("grace@example.com (unverified)"), "{text}");

    // What the visitor reads is what the agent got, email and all.
    let agents = agent
        .until("the summary", |f| {
            f["type"] == "conversation"
                && f["conversation"]["id"] == id.as_str()
                && f["conversation"]["summary"].is_string()
        })
        .await;
    assert_eq!(agents["conversation"]["summary"].as_str(), Some(text.as_str()));
    assert_eq!(agents["conversation"]["visitor"]["email"], "grace@example.com");

    // A reload while waiting shows the summary again.
    drop(visitor);
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), Some(&token_of(&welcome)), 0).await;
    let (again, _) = visitor.until(|f| matches!(f, ServerFrame::Summary { .. })).await;
    assert_eq!(again, ServerFrame::Summary { text, link: None });

    // Another visitor skips the prompt: the handover goes on without an email.
    let (mut skipper, _) = greeted(&relay).await;
    skipper.send(&ClientFrame::RequestHandover).await;
    skipper.until(|f| matches!(f, ServerFrame::AskEmail { .. })).await;
    skipper.send(&ClientFrame::SkipEmail).await;
    let (summary, before) = skipper.until(|f| matches!(f, ServerFrame::Summary { .. })).await;
    assert!(before.iter().any(|f| is_phase(f, Phase::Waiting)), "{before:?}");
    assert!(matches!(&summary, ServerFrame::Summary { text, .. } if !text.contains('@')), "{summary:?}");
}

#[tokio::test]
async fn when_nobody_is_available_the_prompt_takes_an_email_for_a_follow_up() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(asking_emails(&db, CaptureWhen::WhenUnavailable)).await;
    // No agent online: the built-in inbox is unavailable.
    let (mut visitor, _) = greeted(&relay).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(Role::Bot, "").await;
    let (ask, _) = visitor.until(|f| matches!(f, ServerFrame::AskEmail { .. })).await;
    assert_eq!(ask, ServerFrame::AskEmail { step: EmailStep::Unavailable });
    visitor.send(&ClientFrame::Email { email: "grace@example.com".into() }).await;
    let saved = |f: &ServerFrame| *f == ServerFrame::EmailSaved { email: "grace@example.com".into() };
    let thanks = |f: &ServerFrame| as_message(f).is_some_and(|m| m.text.contains("We will write to grace@example.com"));
    visitor.until_each(&[&saved, &thanks]).await;

    // The site asking never: no prompt, no capture in the welcome (the message still asks).
    let db = TestDb::new();
    let relay = TestRelay::start_with(asking_emails(&db, CaptureWhen::Never)).await;
    let (mut visitor, welcome) = greeted(&relay).await;
    assert!(matches!(welcome, ServerFrame::Welcome { email_capture: None, .. }), "{welcome:?}");
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(Role::Bot, "").await;
    let after = visitor.settle().await;
    assert!(!after.iter().any(|f| matches!(f, ServerFrame::AskEmail { .. })), "{after:?}");
}

/// The frames a widget on a fresh relay of a site that asks for emails gets at `hello`, for a
/// returning visitor with nothing open: no prompt, no summary.
#[tokio::test]
async fn a_returning_visitor_with_nothing_open_is_not_asked() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(asking_emails(&db, CaptureWhen::BeforeHandover)).await;
    let (visitor, welcome) = greeted(&relay).await;
    drop(visitor);
    let mut visitor = WidgetClient::connect(&relay.ws_url()).await;
    visitor.send(&hello_frame("demo", Some(&token_of(&welcome)), 0)).await;
    let frames = visitor.settle().await;
    assert!(
        !frames.iter().any(|f| matches!(f, ServerFrame::AskEmail { .. } | ServerFrame::Summary { .. })),
        "{frames:?}"
    );
}

/// The unavailable step's prompt, answered with an email, declined, or passed over by writing
/// something else, is not asked again when the widget comes back (a reload, a reconnect); one
/// left open is.
#[tokio::test]
async fn the_unavailable_prompt_answered_or_declined_is_not_asked_again_after_a_reconnect() {
    let db = TestDb::new();
    let relay = TestRelay::start_with(asking_emails(&db, CaptureWhen::WhenUnavailable)).await;
    let asked = |f: &ServerFrame| *f == ServerFrame::AskEmail { step: EmailStep::Unavailable };
    let answers = [
        Some(ClientFrame::SkipEmail),
        Some(ClientFrame::Email { email: "grace@example.com".into() }),
        Some(send_text("m1", "ok, and what about returns?")),
        None,
    ];
    for answer in answers {
        let (mut visitor, welcome) = greeted(&relay).await;
        visitor.send(&ClientFrame::RequestHandover).await;
        visitor.until(asked).await;
        if let Some(answer) = &answer {
            visitor.send(answer).await;
            if matches!(answer, ClientFrame::Send { .. }) {
                visitor.until_message(Role::Bot, "").await;
            }
        }
        // A rating refused by the conversation's actor: the answer before it was carried out.
        visitor.send(&ClientFrame::Rate { score: 3 }).await;
        visitor.until(|f| is_error(f, ErrorCode::NotAllowed)).await;
        drop(visitor);

        for _ in 0..2 {
            let mut back = WidgetClient::connect(&relay.ws_url()).await;
            back.send(&hello_frame("demo", Some(&token_of(&welcome)), 0)).await;
            let frames = back.settle().await;
            assert!(matches!(frames.first(), Some(ServerFrame::Welcome { new_conversation: false, .. })), "{frames:?}");
            let again = frames.iter().any(asked);
            assert_eq!(again, answer.is_none(), "after {answer:?}: {frames:?}");
        }
    }
}

/// A site whose helpdesk is a contact form offers the visitor's summary with the form's link;
/// a widget that comes back (a page reload) is offered it again, and a new visitor is not.
#[tokio::test]
async fn a_link_sites_summary_is_offered_again_after_a_reload() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    baton_tests::helpdesks::configure(
        config.sites.get_mut("demo").expect("demo site"),
        r#"
        [provider]
        kind = "link"
        url = "https://shop.example/contact"
        label = "Open the contact form"
        message = "Our team answers through our contact form."
        "#,
    );
    let relay = TestRelay::start_with(config).await;
    let (mut visitor, welcome) = greeted(&relay).await;
    visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    let (summary, _) = visitor.until(|f| matches!(f, ServerFrame::Summary { .. })).await;
    let ServerFrame::Summary { text, link } = &summary else { unreachable!() };
    assert!(text.contains("40123"), "{text}");
    assert_eq!(link.as_deref(), Some("https://shop.example/contact"));
    visitor.until_message(Role::Bot, "contact form").await;
    drop(visitor);

    let mut back = WidgetClient::connect(&relay.ws_url()).await;
    back.send(&hello_frame("demo", Some(&token_of(&welcome)), 0)).await;
    let frames = back.settle().await;
    assert!(frames.contains(&summary), "the summary again, with its link: {frames:?}");
    let (mut other, _) = greeted(&relay).await;
    let frames = other.settle().await;
    assert!(!frames.iter().any(|f| matches!(f, ServerFrame::Summary { .. })), "{frames:?}");
}
