//! End to end with Freshdesk (tickets) as the site's helpdesk: the real relay, outbox and
//! webhook ingress, and a Freshdesk simulator over real HTTP (tests/src/sim/freshdesk.rs) that
//! also fires the automation rules for Baton's own writes (echoes).
//! Visitor asks for a person → a ticket with the summary as description and the visitor as
//! requester → follow-ups become public incoming notes → an agent reply (secret header) reaches
//! the widget → the agent resolves → bot again. Freshdesk down and rate-limited: nothing lost,
//! in order. Wrong secrets and replays change nothing.

use std::time::Duration;

use baton_tests::{
    sim::{
        freshdesk::{self, Freshdesk},
        Mode,
    },
    test_config,
    widget_client::{as_message, send_text, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use relay::providers::{freshdesk::FreshdeskConfig, ProviderConfig};
use serde_json::Value;
use shared::{ClientFrame, EventBody, Phase, Role, ServerFrame};

fn provider(sim: &Freshdesk) -> FreshdeskConfig {
    FreshdeskConfig {
        base_url: sim.url(),
        api_key: freshdesk::API_KEY.into(),
        fallback_email: "chat-visitor@acme.test".into(),
        tags: vec!["bot_handover".into()],
        subject_prefix: "Chat handover".into(),
        priority: 2,
        source: 7,
        note_as_requester: true,
        resolve_on_cancel: true,
        availability_check: false,
        timeout_seconds: 2,
    }
}

async fn relay_with(sim: &Freshdesk, db: &TestDb, provider: FreshdeskConfig) -> (TestRelay, String) {
    let mut config = test_config(db);
    let site = config.sites.get_mut("demo").expect("demo site");
    site.provider = ProviderConfig::Freshdesk(provider);
    site.webhooks.freshdesk = Some(relay::config::SecretHeaderWebhook {
        header: freshdesk::WEBHOOK_HEADER.into(),
        secret: Some(freshdesk::WEBHOOK_SECRET.into()),
        basic_username: None,
        basic_password: None,
        ignore_agents: vec![freshdesk::API_AGENT_NAME.into()],
    });
    let relay = TestRelay::start_with(config).await;
    let hook = format!("{}/webhooks/freshdesk/demo", relay.http_url());
    sim.send_rules_to(&hook);
    (relay, hook)
}

/// Waits until the newest ticket satisfies `check`; returns it.
async fn until_ticket(sim: &Freshdesk, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    baton_tests::eventually(
        &format!("{what} in Freshdesk"),
        || sim.last_ticket().filter(|t| check(t)),
        || sim.inner.lock().unwrap().tickets.clone(),
    )
    .await
}

fn notes(ticket: &Value) -> Vec<Value> {
    ticket["notes"].as_array().cloned().unwrap_or_default()
}

fn has_note(ticket: &Value, html: &str) -> bool {
    notes(ticket).iter().any(|n| n["body"] == html)
}

#[tokio::test]
async fn a_handover_becomes_a_ticket_and_the_agent_answers_through_it() {
    let sim = Freshdesk::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db, provider(&sim)).await;

    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await; // greeting
    visitor.send(&ClientFrame::Identify(signed_visitor("ada@example.com", "Ada"))).await;
    visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    visitor.until_message(Role::Bot, "by email at ada@example.com").await;

    // The ticket: the visitor as requester (by email), the summary as the HTML description.
    let ticket = until_ticket(&sim, "the ticket", |_| true).await;
    let remote = ticket["id"].to_string();
    let contact = sim.inner.lock().unwrap().contacts[0].clone();
    assert_eq!((contact["email"].as_str(), contact["name"].as_str()), (Some("ada@example.com"), Some("Ada")));
    assert_eq!(ticket["requester_id"], contact["id"]);
    let description = ticket["description"].as_str().unwrap();
    assert!(description.contains("40123") && description.contains("ada@example.com"), "{description}");
    assert!(description.contains("<br>"), "HTML, line breaks kept: {description}");
    assert_eq!((ticket["status"].as_u64(), ticket["source"].as_u64()), (Some(2), Some(7)));
    assert!(ticket["tags"].as_array().unwrap().iter().any(|t| t == "bot_handover"), "{ticket}");
    assert!(ticket["subject"].as_str().unwrap().starts_with("Chat handover"), "{ticket}");

    // A later visitor message: a public, incoming note as the requester. The rule fires for it
    // with the API agent's name: an echo, dropped.
    visitor.send(&send_text("q2", "It was a <blue> jacket")).await;
    let ticket = until_ticket(&sim, "the follow-up", |t| has_note(t, "It was a &lt;blue&gt; jacket")).await;
    let note = notes(&ticket).into_iter().find(|n| n["body"] == "It was a &lt;blue&gt; jacket").unwrap();
    assert_eq!((note["private"].as_bool(), note["incoming"].as_bool()), (Some(false), Some(true)));
    assert_eq!(note["user_id"], contact["id"]);
    let between = visitor.settle().await;
    assert!(!between.iter().any(|f| as_message(f).is_some_and(|m| m.author.role == Role::Agent)), "{between:?}");
    let echoes = sim.inner.lock().unwrap().echoes.clone();
    assert!(echoes.iter().any(|(status, body)| *status == 200 && body.contains("jacket")), "{echoes:?}");

    // The agent replies in Freshdesk: rule 1 delivers it; the widget shows it as text.
    let (status, _) = Freshdesk::agent_reply(&hook, &remote, "<div>Hi Ada, found it.<br>Shipping today.</div>").await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Agent).await;
    let reply = visitor.until_message(Role::Agent, "Shipping today").await;
    assert_eq!(reply.author.name.as_deref(), Some(freshdesk::AGENT_NAME));
    assert!(!reply.text.contains("<div>"), "{}", reply.text);

    // The agent resolves: the visitor may rate, then the bot is back.
    let (status, _) = Freshdesk::agent_resolve(&hook, &remote).await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Ended).await;
    visitor.send(&ClientFrame::Rate { score: 5 }).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.send(&send_text("q3", "Do you accept PayPal?")).await;
    visitor.until_message(Role::Bot, "PayPal").await;
}

#[tokio::test]
async fn freshdesk_down_and_rate_limited_during_the_handover_and_the_chat_loses_nothing() {
    let sim = Freshdesk::start().await;
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
    assert!(sim.last_ticket().is_none(), "nothing reached Freshdesk while it was down");

    // It recovers, first rate-limited (429 + Retry-After), then normal.
    sim.set_mode(Mode::RateLimited);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_mode(Mode::Normal);
    let ticket = until_ticket(&sim, "both messages", |t| has_note(t, "Second while down")).await;
    let remote = ticket["id"].to_string();
    let creates = sim.inner.lock().unwrap().requests.iter().filter(|(r, _)| r == "POST /api/v2/tickets").count();
    assert!(creates >= 2, "the create was retried: {creates}");
    assert_eq!(sim.inner.lock().unwrap().tickets.len(), 1, "one ticket");
    let order: Vec<String> = notes(&ticket).iter().filter_map(|n| n["body"].as_str().map(String::from)).collect();
    let first = order.iter().position(|b| b == "First while down").unwrap();
    let second = order.iter().position(|b| b == "Second while down").unwrap();
    assert!(first < second, "{order:?}");
    assert_eq!(order.iter().filter(|b| *b == "First while down").count(), 1, "not duplicated: {order:?}");

    // During the chat Freshdesk is rate-limited, then down: the visitor's messages wait, then arrive in order.
    Freshdesk::agent_reply(&hook, &remote, "Sorry for the wait!").await;
    visitor.until_message(Role::Agent, "Sorry for the wait").await;
    sim.set_mode(Mode::RateLimited);
    visitor.send(&send_text("q3", "Written while rate limited")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.set_mode(Mode::Down);
    visitor.send(&send_text("q4", "Written while down")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    sim.set_mode(Mode::Normal);
    let ticket =
        until_ticket(&sim, "the messages written during the outage", |t| has_note(t, "Written while down")).await;
    let order: Vec<String> = notes(&ticket).iter().filter_map(|n| n["body"].as_str().map(String::from)).collect();
    let limited = order.iter().position(|b| b == "Written while rate limited").unwrap();
    let down = order.iter().position(|b| b == "Written while down").unwrap();
    assert!(limited < down, "{order:?}");
}

#[tokio::test]
async fn a_visitor_without_email_cancels_and_the_ticket_is_resolved_with_a_note() {
    let sim = Freshdesk::start().await;
    let db = TestDb::new();
    let mut config = provider(&sim);
    config.availability_check = true;
    let (relay, _) = relay_with(&sim, &db, config).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    visitor.until_message(Role::Bot, "will appear here").await;
    let ticket = until_ticket(&sim, "the ticket", |_| true).await;
    // No email: the configured fallback requester stands in.
    let contact = sim.inner.lock().unwrap().contacts[0].clone();
    assert_eq!(contact["email"], "chat-visitor@acme.test");
    assert_eq!(ticket["requester_id"], contact["id"]);
    assert!(sim.inner.lock().unwrap().requests.iter().any(|(r, _)| r == "GET /api/v2/agents"));

    visitor.send(&send_text("c1", "never mind")).await;
    visitor.until_phase(Phase::Bot).await;
    let ticket = until_ticket(&sim, "the cancel", |t| t["status"] == 4).await;
    let note = notes(&ticket).last().cloned().unwrap();
    assert_eq!(note["private"], true);
    assert!(note["body"].as_str().unwrap().contains("cancelled"), "{note}");
    // Rule 2 fires for Baton's own resolve: an echo, nothing changes.
    let between = visitor.settle().await;
    let echoes = sim.inner.lock().unwrap().echoes.clone();
    assert!(echoes.iter().any(|(status, body)| *status == 200 && body.contains("Resolved")), "{echoes:?}");
    assert!(
        !between.iter().any(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(_)))),
        "{between:?}"
    );
}

#[tokio::test]
async fn forged_and_replayed_webhooks_change_nothing() {
    let sim = Freshdesk::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db, provider(&sim)).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let remote = until_ticket(&sim, "the ticket", |_| true).await["id"].to_string();

    let forged = Freshdesk::reply_body(&remote, "forged", "Mallory");
    assert_eq!(freshdesk::deliver(&hook, &forged, "not-the-secret").await.0, 401);
    let unsigned = reqwest::Client::new().post(&hook).body(forged.clone()).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let resolve = Freshdesk::resolved_body(&remote);
    assert_eq!(freshdesk::deliver(&hook, &resolve, "").await.0, 401);

    // The same delivery twice shows one message.
    let body = Freshdesk::reply_body(&remote, "Once only", freshdesk::AGENT_NAME);
    for _ in 0..2 {
        assert_eq!(freshdesk::deliver(&hook, &body, freshdesk::WEBHOOK_SECRET).await.0, 200);
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
