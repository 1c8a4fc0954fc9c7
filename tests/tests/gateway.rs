//! The relay's widget gateway, driven over a real WebSocket against real SQLite.

use baton_tests::{
    widget_client::{hello_frame, WidgetClient},
    TestDb, TestRelay,
};
use shared::{close_code, ClientFrame, ErrorCode, EventBody, Role, ServerFrame};
use tokio_tungstenite::tungstenite::Message;

fn message_of(frame: &ServerFrame) -> Option<(u64, Role, &str)> {
    match frame {
        ServerFrame::Event(event) => match &event.body {
            EventBody::Message(m) => Some((event.seq, m.author.role, m.text.as_str())),
            _ => None,
        },
        _ => None,
    }
}

fn welcome_parts(frame: &ServerFrame) -> (String, String, bool) {
    match frame {
        ServerFrame::Welcome { conversation_id, resume_token, new_conversation, .. } => {
            (conversation_id.clone(), resume_token.clone(), *new_conversation)
        }
        other => panic!("not a welcome: {other:?}"),
    }
}

fn send(client_id: &str, text: &str) -> ClientFrame {
    ClientFrame::Send { client_id: client_id.into(), text: text.into(), attachments: vec![] }
}

/// Sends a question and returns (ack seq, bot answer frame), checking the order of what comes
/// back: ack and the stored visitor message, typing, then the bot's answer.
async fn ask(client: &mut WidgetClient, client_id: &str, text: &str) -> (u64, ServerFrame) {
    client.send(&send(client_id, text)).await;
    let (ack, before) = client.until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    let ServerFrame::Ack { client_id: acked, seq } = ack else { unreachable!() };
    assert_eq!(acked, client_id);
    let (answer, between) = client.until(|f| message_of(f).is_some_and(|(_, role, _)| role == Role::Bot)).await;
    let all: Vec<_> = before.iter().chain(between.iter()).collect();
    assert!(
        all.iter().any(|f| message_of(f) == Some((seq, Role::Visitor, text))),
        "the visitor's message is echoed as event {seq}: {all:?}"
    );
    assert!(all.iter().any(|f| matches!(f, ServerFrame::Typing { on: true, .. })), "typing shown: {all:?}");
    (seq, answer)
}

#[tokio::test]
async fn a_new_visitor_is_greeted_and_answered_from_the_help_articles() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (mut client, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let (_, token, is_new) = welcome_parts(&welcome);
    assert!(is_new);
    assert!(token.len() >= 40, "resume tokens are long random strings");

    let greeting = client.next().await;
    assert_eq!(message_of(&greeting).map(|(s, r, _)| (s, r)), Some((1, Role::Bot)));

    let (seq, answer) = ask(&mut client, "c-1", "How long does delivery take?").await;
    assert_eq!(seq, 2);
    let ServerFrame::Event(event) = &answer else { unreachable!() };
    assert_eq!(event.seq, 3);
    let EventBody::Message(m) = &event.body else { panic!("not a message: {event:?}") };
    assert!(m.text.contains("business days"), "{}", m.text);
    assert_eq!(m.source.as_ref().map(|s| s.url.as_str()), Some("/help/demo/shipping"));
}

#[tokio::test]
async fn a_returning_visitor_gets_exactly_what_they_missed() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (mut first, conversation, token) = WidgetClient::greeted(&relay.ws_url()).await;
    ask(&mut first, "c-1", "Do you accept PayPal?").await;
    drop(first);

    // A page reload: no sequence known, the whole history comes back in order.
    let (mut reload, welcome) = WidgetClient::hello(&relay.ws_url(), Some(&token), 0).await;
    let (same, _, is_new) = welcome_parts(&welcome);
    assert_eq!((same.as_str(), is_new), (conversation.as_str(), false));
    let seqs: Vec<u64> = [reload.next().await, reload.next().await, reload.next().await]
        .iter()
        .map(|f| message_of(f).expect("message").0)
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);

    // A reconnect that saw up to 2 gets 3 only, then live events.
    let (mut reconnect, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 2).await;
    assert_eq!(message_of(&reconnect.next().await).map(|m| m.0), Some(3));
    reconnect.send(&ClientFrame::Ping).await;
    assert_eq!(reconnect.next().await, ServerFrame::Pong, "nothing else was replayed");
}

#[tokio::test]
async fn an_unknown_or_forged_resume_token_starts_a_new_conversation() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (_client, welcome) = WidgetClient::hello(&relay.ws_url(), Some("forged-token"), 5).await;
    let (_, token, is_new) = welcome_parts(&welcome);
    assert!(is_new);
    assert_ne!(token, "forged-token");
}

/// A leaked database does not leak sessions: the store keeps the SHA-256 of a resume token,
/// never the token, and the token still finds its conversation.
#[tokio::test]
async fn resume_tokens_are_stored_only_as_their_hashes() {
    use sha2::{Digest, Sha256};
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (_client, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let (id, token, _) = welcome_parts(&welcome);
    let (_again, welcome) = WidgetClient::hello(&relay.ws_url(), Some(&token), 0).await;
    assert_eq!(welcome_parts(&welcome).0, id, "the token finds its conversation");
    let file = db.url.strip_prefix("sqlite://").expect("a SQLite test database");
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        bytes.extend(std::fs::read(format!("{file}{suffix}")).unwrap_or_default());
    }
    let stored = String::from_utf8_lossy(&bytes);
    assert!(!stored.contains(&token), "the resume token is in the database file");
    assert!(stored.contains(&hex::encode(Sha256::digest(token.as_bytes()))), "its hash is not");
}

#[tokio::test]
async fn a_retried_message_is_stored_once_and_acked_each_time() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (mut client, _, token) = WidgetClient::greeted(&relay.ws_url()).await;
    let (seq, _) = ask(&mut client, "same-id", "How do I return an item?").await;

    // The retry arrives on a new connection, as after a network drop.
    let (mut retry, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 3).await;
    retry.send(&send("same-id", "How do I return an item?")).await;
    assert_eq!(retry.next().await, ServerFrame::Ack { client_id: "same-id".into(), seq });
    retry.send(&ClientFrame::Ping).await;
    assert_eq!(retry.next().await, ServerFrame::Pong, "no second copy and no second answer");

    let (mut reload, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 0).await;
    let mut visitor_messages = 0;
    for _ in 0..3 {
        if message_of(&reload.next().await).is_some_and(|m| m.1 == Role::Visitor) {
            visitor_messages += 1;
        }
    }
    reload.send(&ClientFrame::Ping).await;
    assert_eq!(reload.next().await, ServerFrame::Pong);
    assert_eq!(visitor_messages, 1);
}

#[tokio::test]
async fn every_tab_of_a_conversation_sees_every_message() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (mut tab1, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let (_, token, _) = welcome_parts(&welcome);
    tab1.next().await;
    let (mut tab2, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 1).await;
    ask(&mut tab1, "c-1", "What is the warranty period?").await;
    let (answer, _) = tab2.until(|f| message_of(f).is_some_and(|m| m.1 == Role::Bot)).await;
    assert_eq!(message_of(&answer).map(|m| m.0), Some(3));
}

async fn expect_error(client: &mut WidgetClient, code: ErrorCode) {
    match client.next().await {
        ServerFrame::Error { code: got, message, .. } => {
            assert_eq!(got, code, "{message}");
            assert!(!message.is_empty());
        }
        other => panic!("expected error {code:?}, got {other:?}"),
    }
}

#[tokio::test]
async fn bad_frames_get_error_frames_and_the_session_survives() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (mut client, _, token) = WidgetClient::greeted(&relay.ws_url()).await;

    client.send_raw("{not json".into()).await;
    expect_error(&mut client, ErrorCode::BadFrame).await;
    client.send_raw(r#"{"type":"launch_missiles"}"#.into()).await;
    expect_error(&mut client, ErrorCode::BadFrame).await;
    client.send_raw(format!(r#"{{"type":"send","client_id":"big","text":"{}"}}"#, "x".repeat(20_000))).await;
    expect_error(&mut client, ErrorCode::FrameTooLarge).await;
    client.send(&send("long", &"y".repeat(shared::MAX_MESSAGE_CHARS + 1))).await;
    expect_error(&mut client, ErrorCode::InvalidMessage).await;
    client.send(&send("blank", "   ")).await;
    expect_error(&mut client, ErrorCode::InvalidMessage).await;
    client.send(&send("", "hello")).await;
    expect_error(&mut client, ErrorCode::BadFrame).await;
    client.socket.send_binary_for_test().await;
    expect_error(&mut client, ErrorCode::BadFrame).await;

    // Still alive, and nothing bad was stored.
    let (seq, _) = ask(&mut client, "ok", "Do you ship to Norway?").await;
    assert_eq!(seq, 2);
    drop(client);
    let (mut reload, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 0).await;
    for expected in 1..=3 {
        assert_eq!(message_of(&reload.next().await).map(|m| m.0), Some(expected));
    }
}

trait SendBinary {
    async fn send_binary_for_test(&mut self);
}

impl SendBinary for baton_tests::widget_client::Socket {
    async fn send_binary_for_test(&mut self) {
        use futures_util::SinkExt;
        self.send(Message::Binary(vec![0, 1, 2].into())).await.expect("send binary");
    }
}

#[tokio::test]
async fn frames_before_hello_are_refused_until_hello() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let mut client = WidgetClient::connect(&relay.ws_url()).await;
    client.send(&send("early", "hi")).await;
    expect_error(&mut client, ErrorCode::NotReady).await;
    client.send(&hello_frame("demo", None, 0)).await;
    assert!(matches!(client.next().await, ServerFrame::Welcome { .. }));
}

/// A new socket saying `hello` is refused: an error frame with `error`, then a close with `close`.
async fn refused(relay: &TestRelay, hello: &ClientFrame, error: ErrorCode, close: u16) {
    let mut client = WidgetClient::connect(&relay.ws_url()).await;
    client.send(hello).await;
    expect_error(&mut client, error).await;
    client.expect_close(close).await;
}

#[tokio::test]
async fn a_wrong_protocol_version_is_refused_with_its_close_code() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let hello = ClientFrame::Hello {
        v: 99,
        site: "demo".into(),
        resume: None,
        last_seq: 0,
        visitor: None,
        languages: Vec::new(),
    };
    refused(&relay, &hello, ErrorCode::UnsupportedVersion, close_code::UNSUPPORTED_VERSION).await;
}

#[tokio::test]
async fn an_unknown_site_is_refused_with_its_close_code() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    refused(&relay, &hello_frame("nope", None, 0), ErrorCode::UnknownSite, close_code::UNKNOWN_SITE).await;
}

#[tokio::test]
async fn a_site_restricted_to_origins_refuses_other_pages() {
    let db = TestDb::new();
    let mut config = baton_tests::test_config(&db);
    config.sites.get_mut("demo").unwrap().allowed_origins = vec!["https://shop.example".into()];
    let relay = TestRelay::start_with(config).await;
    refused(&relay, &hello_frame("demo", None, 0), ErrorCode::OriginNotAllowed, close_code::POLICY).await;
}

#[tokio::test]
async fn a_conversation_survives_a_relay_restart() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let addr = relay.addr;
    let (mut client, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let (conversation, token, _) = welcome_parts(&welcome);
    client.next().await;
    ask(&mut client, "c-1", "Which payment methods do you accept?").await;

    let config = relay.config.clone();
    relay.stop().await;
    client.expect_close(close_code::SERVICE_RESTART).await;

    let relay = TestRelay::start_on(addr, config).await;
    let (mut client, welcome) = WidgetClient::hello(&relay.ws_url(), Some(&token), 3).await;
    assert_eq!(welcome_parts(&welcome).0, conversation);
    let (seq, answer) = ask(&mut client, "c-2", "How do I track my order?").await;
    assert_eq!(seq, 4, "numbering continues after the restart");
    assert_eq!(message_of(&answer).map(|m| m.0), Some(5));
}

#[tokio::test]
async fn the_loader_widget_and_demo_page_are_served() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let http = reqwest::Client::new();
    let embed = http
        .get(format!("{}/embed.js", relay.http_url()))
        .header("Origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(embed.status(), 200);
    assert_eq!(embed.headers()["access-control-allow-origin"], "*");
    assert!(embed.headers()["content-type"].to_str().unwrap().contains("javascript"));

    let demo = http.get(relay.http_url()).send().await.unwrap();
    assert_eq!(demo.status(), 200);
    let csp = demo.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval'"), "{csp}");
    assert!(demo.text().await.unwrap().contains("embed.js"));

    let article = http.get(format!("{}/help/demo/shipping", relay.http_url())).send().await.unwrap();
    assert_eq!(article.status(), 200);
    assert!(article.text().await.unwrap().contains("<h2>Delivery times</h2>"));
    let missing = http.get(format!("{}/help/demo/nope", relay.http_url())).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    let health = http.get(format!("{}/healthz", relay.http_url())).send().await.unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn a_flood_of_messages_is_rate_limited_and_nothing_is_lost_that_was_acked() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (mut client, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    client.next().await; // greeting
    for i in 0..40 {
        client.send(&send(&format!("flood-{i}"), "Do you ship to Norway?")).await;
    }
    let (mut acked, mut limited) = (0, 0);
    while acked + limited < 40 {
        match client.next().await {
            ServerFrame::Ack { .. } => acked += 1,
            ServerFrame::Error { code: ErrorCode::RateLimited, client_id: Some(_), .. } => limited += 1,
            _ => {}
        }
    }
    assert!(limited > 0, "a burst of 40 is limited");
    assert!(acked >= 20, "the burst allowance is served: {acked}");
}
