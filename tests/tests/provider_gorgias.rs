//! End to end with Gorgias (tickets) as the site's helpdesk: the real relay, outbox and webhook
//! ingress, and a Gorgias simulator over real HTTP (tests/src/sim/gorgias.rs) that also fires
//! the HTTP integrations for Baton's own writes (echoes).
//! Visitor asks for a person → an API-channel ticket whose first message is the summary from the
//! visitor → follow-ups become incoming messages → an agent reply (secret header) reaches the
//! widget → the agent closes → bot again. Gorgias down and rate-limited: nothing lost, in order.
//! Wrong secrets and replays change nothing.

use std::time::Duration;

use baton_tests::{
    sim::{
        gorgias::{self, Gorgias},
        Mode,
    },
    test_config,
    widget_client::{as_message, send_text, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use relay::providers::{gorgias::GorgiasConfig, ProviderConfig};
use serde_json::Value;
use shared::{ClientFrame, EventBody, Phase, Role, ServerFrame};

fn provider(sim: &Gorgias) -> GorgiasConfig {
    GorgiasConfig {
        base_url: sim.url(),
        email: gorgias::EMAIL.into(),
        api_key: gorgias::API_KEY.into(),
        fallback_email: "chat-visitor@acme.test".into(),
        tags: vec!["bot_handover".into()],
        send_tags: true,
        subject_prefix: "Chat handover".into(),
        note_user_id: Some(gorgias::AGENT),
        close_on_cancel: true,
        timeout_seconds: 2,
    }
}

async fn relay_with(sim: &Gorgias, db: &TestDb, provider: GorgiasConfig) -> (TestRelay, String) {
    let mut config = test_config(db);
    let site = config.sites.get_mut("demo").expect("demo site");
    site.provider = ProviderConfig::Gorgias(provider);
    site.webhooks.gorgias = Some(relay::config::SecretHeaderWebhook {
        header: gorgias::WEBHOOK_HEADER.into(),
        secret: Some(gorgias::WEBHOOK_SECRET.into()),
        basic_username: None,
        basic_password: None,
        ignore_agents: Vec::new(),
    });
    let relay = TestRelay::start_with(config).await;
    let hook = format!("{}/webhooks/gorgias/demo", relay.http_url());
    sim.send_triggers_to(&hook);
    (relay, hook)
}

async fn until_ticket(sim: &Gorgias, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    baton_tests::eventually(
        &format!("{what} in Gorgias"),
        || sim.last_ticket().filter(|t| check(t)),
        || sim.inner.lock().unwrap().tickets.clone(),
    )
    .await
}

fn texts(ticket: &Value) -> Vec<String> {
    let messages = ticket["messages"].as_array().cloned().unwrap_or_default();
    messages.iter().filter_map(|m| m["body_text"].as_str().map(String::from)).collect()
}

fn has_message(ticket: &Value, text: &str) -> bool {
    texts(ticket).iter().any(|t| t == text)
}

#[tokio::test]
async fn a_handover_becomes_a_ticket_and_the_agent_answers_through_it() {
    let sim = Gorgias::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db, provider(&sim)).await;

    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::Identify(signed_visitor("ada@example.com", "Ada"))).await;
    visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    visitor.until_message(Role::Bot, "by email at ada@example.com").await;

    let ticket = until_ticket(&sim, "the ticket", |_| true).await;
    let remote = ticket["id"].to_string();
    let customer = sim.inner.lock().unwrap().customers[0].clone();
    assert_eq!((customer["email"].as_str(), customer["name"].as_str()), (Some("ada@example.com"), Some("Ada")));
    assert_eq!(ticket["customer"]["id"], customer["id"]);
    let first = &texts(&ticket)[0];
    assert!(first.contains("40123") && first.contains("ada@example.com"), "{first}");
    assert!(ticket["tags"].as_array().unwrap().iter().any(|t| t["name"] == "bot_handover"), "{ticket}");
    assert!(ticket["subject"].as_str().unwrap().starts_with("Chat handover"), "{ticket}");

    // A follow-up: an incoming message from the customer; the integration fires for it
    // (`from_agent: False`): an echo, dropped.
    visitor.send(&send_text("q2", "It was a blue jacket")).await;
    let ticket = until_ticket(&sim, "the follow-up", |t| has_message(t, "It was a blue jacket")).await;
    let messages = ticket["messages"].as_array().unwrap();
    let follow_up = messages.iter().find(|m| m["body_text"] == "It was a blue jacket").unwrap();
    assert_eq!((&follow_up["sender"]["id"], &follow_up["from_agent"]), (&customer["id"], &Value::Bool(false)));
    assert!(follow_up["external_id"].as_str().unwrap().starts_with("baton-"), "{follow_up}");
    let between = visitor.settle().await;
    assert!(!between.iter().any(|f| as_message(f).is_some_and(|m| m.author.role == Role::Agent)), "{between:?}");
    let echoes = sim.inner.lock().unwrap().echoes.clone();
    assert!(echoes.iter().any(|(status, body)| *status == 200 && body.contains("blue jacket")), "{echoes:?}");

    let (status, _) = Gorgias::agent_reply(&hook, &remote, 1, "Hi Ada, found it.\nShipping today.").await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Agent).await;
    let reply = visitor.until_message(Role::Agent, "Shipping today").await;
    assert_eq!(reply.author.name.as_deref(), Some(gorgias::AGENT_NAME));

    let (status, _) = Gorgias::agent_close(&hook, &remote).await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Ended).await;
    visitor.send(&ClientFrame::Rate { score: 5 }).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.send(&send_text("q3", "Do you accept PayPal?")).await;
    visitor.until_message(Role::Bot, "PayPal").await;
}

#[tokio::test]
async fn gorgias_down_and_rate_limited_during_the_handover_and_the_chat_loses_nothing() {
    let sim = Gorgias::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db, provider(&sim)).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&send_text("q0", "Hello")).await;
    visitor.until_message(Role::Bot, "").await;
    sim.set_mode(Mode::Down);
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    visitor.until_message(Role::System, "slow to answer").await;
    visitor.send(&send_text("q1", "First while down")).await;
    visitor.send(&send_text("q2", "Second while down")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sim.last_ticket().is_none(), "nothing reached Gorgias while it was down");

    sim.set_mode(Mode::RateLimited);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_mode(Mode::Normal);
    let ticket = until_ticket(&sim, "both messages", |t| has_message(t, "Second while down")).await;
    let remote = ticket["id"].to_string();
    let creates = sim.inner.lock().unwrap().requests.iter().filter(|(r, _)| r == "POST /api/tickets").count();
    assert!(creates >= 2, "the create was retried: {creates}");
    assert_eq!(sim.inner.lock().unwrap().tickets.len(), 1, "one ticket");
    let order = texts(&ticket);
    let first = order.iter().position(|b| b == "First while down").unwrap();
    let second = order.iter().position(|b| b == "Second while down").unwrap();
    assert!(first < second, "{order:?}");
    assert_eq!(order.iter().filter(|b| *b == "First while down").count(), 1, "not duplicated: {order:?}");

    Gorgias::agent_reply(&hook, &remote, 1, "Sorry for the wait!").await;
    visitor.until_message(Role::Agent, "Sorry for the wait").await;
    sim.set_mode(Mode::RateLimited);
    visitor.send(&send_text("q3", "Written while rate limited")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.set_mode(Mode::Down);
    visitor.send(&send_text("q4", "Written while down")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.set_mode(Mode::Normal);
    let ticket = until_ticket(&sim, "the outage's messages", |t| has_message(t, "Written while down")).await;
    let order = texts(&ticket);
    let limited = order.iter().position(|b| b == "Written while rate limited").unwrap();
    let down = order.iter().position(|b| b == "Written while down").unwrap();
    assert!(limited < down, "{order:?}");
}

#[tokio::test]
async fn a_visitor_without_email_cancels_and_the_ticket_is_closed_with_a_note() {
    let sim = Gorgias::start().await;
    let db = TestDb::new();
    let (relay, _) = relay_with(&sim, &db, provider(&sim)).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    visitor.until_message(Role::Bot, "will appear here").await;
    let ticket = until_ticket(&sim, "the ticket", |_| true).await;
    assert_eq!(ticket["customer"]["email"], "chat-visitor@acme.test");

    visitor.send(&send_text("c1", "never mind")).await;
    visitor.until_phase(Phase::Bot).await;
    let ticket = until_ticket(&sim, "the cancel", |t| t["status"] == "closed").await;
    let note = ticket["messages"].as_array().unwrap().last().cloned().unwrap();
    assert_eq!(note["channel"], "internal-note");
    assert!(note["body_text"].as_str().unwrap().contains("cancelled"), "{note}");
    // The integrations fire for Baton's own note and close: echoes, nothing changes.
    let between = visitor.settle().await;
    let echoes = sim.inner.lock().unwrap().echoes.clone();
    assert!(echoes.iter().any(|(status, body)| *status == 200 && body.contains("closed")), "{echoes:?}");
    assert!(
        !between.iter().any(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(_)))),
        "{between:?}"
    );
}

#[tokio::test]
async fn forged_and_replayed_webhooks_change_nothing() {
    let sim = Gorgias::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db, provider(&sim)).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let remote = until_ticket(&sim, "the ticket", |_| true).await["id"].to_string();

    let forged = serde_json::json!({"id": 9, "channel": "email", "from_agent": true, "body_text": "forged",
                                    "sender": {"name": "Mallory"}});
    let forged = Gorgias::message_body(&remote, "open", &forged);
    assert_eq!(gorgias::deliver(&hook, &forged, "not-the-secret").await.0, 401);
    let unsigned = reqwest::Client::new().post(&hook).body(forged.clone()).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    assert_eq!(gorgias::deliver(&hook, &Gorgias::updated_body(&remote, "closed"), "").await.0, 401);

    for _ in 0..2 {
        assert_eq!(Gorgias::agent_reply(&hook, &remote, 42, "Once only").await.0, 200);
    }
    visitor.until_message(Role::Agent, "Once only").await;
    let between = visitor.settle().await;
    assert!(
        !between
            .iter()
            .any(|f| as_message(f).is_some_and(|m| m.text.contains("Once only") || m.text.contains("forged"))),
        "{between:?}"
    );
    assert!(
        !between.iter().any(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(_)))),
        "{between:?}"
    );
}
