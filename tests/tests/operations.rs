//! Running the relay: Prometheus metrics after a real conversation, and a graceful shutdown
//! (SIGTERM) that tells the widget to reconnect (close 1012) while a message is on its way, the
//! widget then carrying on at a second relay process on the same database with nothing lost or
//! stored twice. (Readiness against a failing database: `relay/src/health.rs`.)

use std::collections::HashMap;

use baton_tests::{
    agent_client::{AgentSocket, DEMO_TOKEN},
    helpdesks::{configure, Helpdesk},
    process::RelayProcess,
    sim::intercom::Intercom,
    test_config,
    widget_client::{as_message, send_text, WidgetClient},
    TestDb, TestRelay,
};
use serde_json::json;
use shared::{close_code, ClientFrame, Phase, Role, ServerFrame};
use tokio_tungstenite::tungstenite::{protocol::frame::coding::CloseCode, Message};

/// The value of the series `name` (with its labels exactly as exposed), if present.
fn series(scrape: &str, name: &str) -> Option<f64> {
    scrape.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.split(' ').next()?.parse().ok())
}

#[tokio::test]
async fn the_metrics_show_a_conversation_its_handover_and_a_webhook() {
    let db = TestDb::new();
    let sim = Intercom::start().await;
    let mut config = test_config(&db);
    let mut helpdesk = config.sites["demo"].clone();
    configure(&mut helpdesk, &sim.settings());
    config.sites.insert("helpdesk".into(), helpdesk);
    let relay = TestRelay::start_with(config).await;

    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, conversation) = WidgetClient::hello_as(&relay.ws_url(), "demo", None).await;
    visitor.send(&send_text("m1", "How long does delivery take?")).await;
    visitor.until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    agent.send(json!({"type": "accept", "conversation_id": conversation})).await;
    visitor.until_phase(Phase::Agent).await;
    let (status, _) =
        Intercom::agent_reply(&format!("{}/webhooks/intercom/helpdesk", relay.http_url()), "nobody", "hi").await;
    assert_eq!(status, 200);

    let response = reqwest::get(format!("{}/metrics", relay.http_url())).await.unwrap();
    assert_eq!(response.status(), 200);
    let scrape = response.text().await.unwrap();
    let expect = |name: &str, check: &dyn Fn(f64) -> bool| {
        let value = series(&scrape, name).unwrap_or_else(|| panic!("{name} missing from:\n{scrape}"));
        assert!(check(value), "{name} = {value} in:\n{scrape}");
    };
    expect(r#"baton_sockets{kind="widget"}"#, &|v| v == 1.0);
    expect(r#"baton_sockets{kind="agent"}"#, &|v| v == 1.0);
    expect(r#"baton_messages_total{role="visitor"}"#, &|v| v == 1.0);
    // The greeting, the answer, the handover message.
    expect(r#"baton_messages_total{role="bot"}"#, &|v| v >= 3.0);
    expect(r#"baton_handovers_total{phase="waiting",reason="explicit_request",provider="builtin"}"#, &|v| v == 1.0);
    expect(r#"baton_handovers_total{phase="agent",reason="",provider="builtin"}"#, &|v| v == 1.0);
    expect(r#"baton_queue_length{site="demo"}"#, &|v| v == 0.0);
    expect("baton_ack_seconds_count", &|v| v == 1.0);
    expect("baton_bot_answer_seconds_count", &|v| v >= 1.0);
    expect(r#"baton_webhook_ack_seconds_count{provider="intercom"}"#, &|v| v == 1.0);
    expect("baton_outbox_depth", &|v| v == 0.0);
    expect("baton_outbox_oldest_age_seconds", &|v| v == 0.0);
    // The event names a helpdesk conversation nobody has: stored, not applied.
    expect("baton_webhook_pending", &|v| v == 1.0);
    expect("baton_webhook_lag_seconds", &|v| v >= 0.0);

    drop(visitor);
    // The relay notices the close when it next reads the socket: on a loaded machine that can
    // take a while, so the gauge is read until it drops (or 10 s pass).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let widgets = loop {
        let scrape = reqwest::get(format!("{}/metrics", relay.http_url())).await.unwrap().text().await.unwrap();
        let widgets = series(&scrape, r#"baton_sockets{kind="widget"}"#);
        if widgets == Some(0.0) || tokio::time::Instant::now() > deadline {
            break widgets;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(widgets, Some(0.0), "a closed socket is no longer counted");
}

/// Visitor messages by client id in the whole stored conversation, and whether each has a bot
/// answer after it.
async fn history(relay: &RelayProcess, token: &str) -> (HashMap<String, u32>, Vec<ServerFrame>) {
    let (mut client, welcome) = WidgetClient::hello(&relay.ws_url(), Some(token), 0).await;
    let ServerFrame::Welcome { last_seq, .. } = welcome else { unreachable!() };
    let mut frames = Vec::new();
    while !frames.iter().any(|f| matches!(f, ServerFrame::Event(e) if e.seq == last_seq)) {
        frames.push(client.next().await);
    }
    let mut stored = HashMap::new();
    for frame in &frames {
        if let Some(client_id) = as_message(frame).and_then(|m| m.client_id.clone()) {
            *stored.entry(client_id).or_insert(0) += 1;
        }
    }
    (stored, frames)
}

#[tokio::test]
async fn on_sigterm_the_widget_is_told_to_reconnect_and_loses_nothing_at_the_next_relay() {
    let db = TestDb::new();
    let config = test_config(&db);
    // Two relays on one database, as behind a load balancer during a rolling restart.
    let first = RelayProcess::start(config.clone()).await;
    let second = RelayProcess::start(config).await;

    let (mut visitor, welcome) = WidgetClient::hello(&first.ws_url(), None, 0).await;
    let ServerFrame::Welcome { resume_token, .. } = welcome else { unreachable!() };
    visitor.send(&send_text("m1", "How long does delivery take?")).await;
    visitor.until_message(Role::Bot, "").await;

    // A message on its way as the relay is told to stop.
    visitor.send(&send_text("m2", "Do you accept PayPal?")).await;
    let stopping = tokio::task::spawn_blocking(move || {
        let mut first = first;
        first.terminate();
        first
    });
    let mut acked = Vec::new();
    let mut last_seq = 0;
    let close = loop {
        match visitor.next_message().await {
            Message::Text(text) => match serde_json::from_str::<ServerFrame>(text.as_str()).unwrap() {
                ServerFrame::Ack { client_id, .. } => acked.push(client_id),
                ServerFrame::Event(event) => last_seq = event.seq,
                _ => {}
            },
            Message::Close(frame) => break frame.expect("a close frame with a code"),
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(close.code, CloseCode::from(close_code::SERVICE_RESTART), "told to reconnect: {close:?}");
    let first = stopping.await.unwrap();
    assert!(first.log().contains("shutting down"), "{}", first.log());

    // The widget reconnects (here to the other relay), resends what was not acknowledged and
    // goes on.
    let (mut visitor, welcome) = WidgetClient::hello(&second.ws_url(), Some(&resume_token), last_seq).await;
    assert!(matches!(welcome, ServerFrame::Welcome { new_conversation: false, .. }), "{welcome:?}");
    for client_id in ["m1", "m2"].iter().filter(|id| !acked.contains(&id.to_string())) {
        visitor.send(&send_text(client_id, "resent")).await;
    }
    visitor.send(&send_text("m3", "Is there a warranty?")).await;
    visitor.until(|f| matches!(f, ServerFrame::Ack { client_id, .. } if client_id == "m3")).await;
    visitor.until_message(Role::Bot, "").await;

    let (stored, frames) = history(&second, &resume_token).await;
    assert_eq!(stored, HashMap::from([("m1".into(), 1), ("m2".into(), 1), ("m3".into(), 1)]), "each stored once");
    let roles: Vec<Role> = frames.iter().filter_map(as_message).map(|m| m.author.role).collect();
    let answered = roles.windows(2).filter(|w| w[0] == Role::Visitor && w[1] == Role::Bot).count();
    assert_eq!(answered, 3, "every message answered: {roles:?}");
}
