//! The LLM and the external (Rasa) bots end to end: the real relay, a protocol-level widget and
//! local servers that speak the OpenAI streaming and the Rasa REST wire formats.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{extract::State, routing::post, Json, Router};
use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    llm::TOKENS,
    test_config,
    widget_client::{send_text, WidgetClient},
    TestDb, TestRelay,
};
use relay::config::{BotConfig, Config, LlmConfig, RasaConfig};
use serde_json::{json, Value};
use shared::{Action, ClientFrame, EventBody, Message, Phase, Role, ServerFrame};

/// Serves `app` on a free local port; returns its base address.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// An OpenAI-compatible endpoint that streams [`TOKENS`] slowly enough for drafts to show.
async fn llm_endpoint() -> String {
    baton_tests::llm::streaming_endpoint(Duration::from_millis(70)).await
}

/// A Rasa REST channel: buttons for most messages, a handover request for "refund by cheque"
/// (a case the site's bot itself decides a person handles).
async fn rasa_endpoint() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let webhook = |State(seen): State<Arc<Mutex<Vec<Value>>>>, Json(body): Json<Value>| async move {
        let sender = body["sender"].clone();
        let text = body["message"].as_str().unwrap_or_default().to_string();
        seen.lock().unwrap().push(body);
        Json(if text.contains("cheque") {
            json!([{"recipient_id": sender, "text": "Let me get a colleague."},
                   {"recipient_id": sender, "custom": {"handover": true}}])
        } else if text == "/track_order" {
            json!([{"recipient_id": sender, "text": "Your order ships tomorrow."}])
        } else {
            json!([{"recipient_id": sender, "text": "What can I do for you?",
                    "buttons": [{"title": "Track my order", "payload": "/track_order"},
                                {"title": "Returns", "payload": "/returns"}]}])
        })
    };
    let app = Router::new().route("/webhooks/rest/webhook", post(webhook)).with_state(seen.clone());
    (serve(app).await + "/webhooks/rest/webhook", seen)
}

/// A relay whose sites' bot is the Rasa channel [`rasa_endpoint`] serves, and what that was sent.
async fn rasa_relay(db: &TestDb) -> (TestRelay, Arc<Mutex<Vec<Value>>>) {
    let (url, seen) = rasa_endpoint().await;
    let relay = TestRelay::start_with(with_bot(db, BotConfig::Rasa(RasaConfig { url, ..RasaConfig::default() }))).await;
    (relay, seen)
}

fn with_bot(db: &TestDb, bot: BotConfig) -> Config {
    let mut config = test_config(db);
    for site in config.sites.values_mut() {
        site.bot = bot.clone();
    }
    config
}

/// Says hello, reads the greeting, sends `text`; returns the widget and the conversation id.
async fn ask(relay: &TestRelay, text: &str) -> (WidgetClient, String) {
    let (mut widget, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let ServerFrame::Welcome { conversation_id, .. } = welcome else { panic!("no welcome") };
    widget.next().await; // greeting
    widget.send(&send_text("q1", text)).await;
    (widget, conversation_id)
}

fn bot_message(frame: &ServerFrame) -> Option<&Message> {
    match frame {
        ServerFrame::Event(e) => match &e.body {
            EventBody::Message(m) if m.author.role == Role::Bot => Some(m),
            _ => None,
        },
        _ => None,
    }
}

#[tokio::test]
async fn an_llm_answer_streams_as_drafts_then_the_stored_message_replaces_them() {
    let db = TestDb::new();
    let base_url = llm_endpoint().await;
    let relay =
        TestRelay::start_with(with_bot(&db, BotConfig::Llm(LlmConfig { base_url, ..LlmConfig::default() }))).await;
    let (mut widget, _) = ask(&relay, "Do you accept PayPal?").await;
    let (last, before) = widget.until(|f| bot_message(f).is_some()).await;
    let drafts: Vec<(String, String)> = before
        .into_iter()
        .filter_map(|f| match f {
            ServerFrame::Draft { draft_id, text, author } if author.role == Role::Bot => Some((draft_id, text)),
            _ => None,
        })
        .collect();
    println!("drafts: {:?}", drafts.iter().map(|d| &d.1).collect::<Vec<_>>());
    assert!(drafts.len() >= 3, "the answer grows in several drafts: {drafts:?}");
    for pair in drafts.windows(2) {
        assert_eq!(pair[0].0, pair[1].0, "one draft id");
        assert!(pair[1].1.starts_with(&pair[0].1) && pair[1].1.len() > pair[0].1.len(), "{pair:?}");
    }
    let message = bot_message(&last).unwrap();
    assert_eq!(message.text, TOKENS.concat());
    assert_eq!(message.draft_id.as_deref(), Some(drafts[0].0.as_str()), "the message replaces the draft");
    assert_eq!(message.source.as_ref().map(|s| s.url.as_str()), Some("/help/demo/payment"));
    // A reconnect replays the stored answer only: drafts are never stored.
    let (mut again, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    again.send(&ClientFrame::Ping).await;
    let (_, replay) = again.until(|f| matches!(f, ServerFrame::Pong)).await;
    assert!(replay.iter().all(|f| !matches!(f, ServerFrame::Draft { .. })));
    relay.stop().await;
}

#[tokio::test]
async fn an_llm_endpoint_that_is_down_gives_a_clear_answer_and_the_relay_carries_on() {
    let db = TestDb::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let settings = LlmConfig {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        fallback_to_articles: false,
        timeout_seconds: 2,
        ..LlmConfig::default()
    };
    let relay = TestRelay::start_with(with_bot(&db, BotConfig::Llm(settings.clone()))).await;
    let (mut widget, _) = ask(&relay, "Do you accept PayPal?").await;
    let message = widget.until_message(Role::Bot, "").await;
    assert_eq!(message.text, settings.unavailable_message);
    assert!(message.quick_replies.iter().any(|q| q.action == Some(Action::RequestHandover)), "a person is offered");
    widget.send(&send_text("q2", "How much is express shipping?")).await;
    assert_eq!(widget.until_message(Role::Bot, "").await.text, settings.unavailable_message, "still answering");
    relay.stop().await;
}

#[tokio::test]
async fn rasa_buttons_become_quick_replies_whose_payload_is_sent_back() {
    let db = TestDb::new();
    let (relay, seen) = rasa_relay(&db).await;
    let (mut widget, id) = ask(&relay, "hello").await;
    let message = widget.until_message(Role::Bot, "").await;
    assert_eq!(message.text, "What can I do for you?");
    let replies: Vec<_> = message.quick_replies.iter().map(|q| (q.title.as_str(), q.payload.as_str())).collect();
    assert_eq!(replies, [("Track my order", "/track_order"), ("Returns", "/returns")]);
    // Clicking a button sends its payload as the visitor's text.
    widget.send(&send_text("q2", "/track_order")).await;
    assert_eq!(widget.until_message(Role::Bot, "").await.text, "Your order ships tomorrow.");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen[0], json!({"sender": id, "message": "hello"}));
    assert_eq!(seen[1]["message"], "/track_order");
    relay.stop().await;
}

#[tokio::test]
async fn a_rasa_handover_request_hands_the_conversation_to_a_person() {
    let db = TestDb::new();
    let (relay, _) = rasa_relay(&db).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut widget, id) = ask(&relay, "I want a refund by cheque").await;
    assert_eq!(widget.until_message(Role::Bot, "").await.text, "Let me get a colleague.");
    let (phase, _) = widget.until_phase(Phase::Waiting).await;
    let ServerFrame::Event(event) = phase else { unreachable!() };
    let EventBody::Phase(change) = event.body else { unreachable!() };
    assert_eq!(change.reason.as_deref(), Some("rule"));
    agent.until_phase(&id, "waiting").await;
    relay.stop().await;
}
