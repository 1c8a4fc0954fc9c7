//! End to end with HubSpot (custom channel) as the site's helpdesk: the real relay, outbox and
//! webhook ingress, and a HubSpot simulator over real HTTP (tests/src/sim/hubspot.rs) that also
//! fires the close subscription for Baton's own closes (echoes).
//! Visitor asks for a person → a thread whose first message is the summary, sent by the
//! visitor's email → follow-ups on the same thread → a signed agent reply reaches the widget →
//! the agent closes → bot again. HubSpot down and rate-limited: nothing lost, in order.

use std::time::Duration;

use baton_tests::{
    sim::{
        hubspot::{self, Hubspot, Thread},
        Mode,
    },
    test_config,
    widget_client::{as_message, send_text, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use relay::providers::{hubspot::HubspotConfig, ProviderConfig};
use shared::{ClientFrame, EventBody, Phase, Role, ServerFrame};

fn provider(sim: &Hubspot) -> HubspotConfig {
    HubspotConfig {
        base_url: sim.url(),
        access_token: hubspot::TOKEN.into(),
        channel_id: hubspot::CHANNEL.into(),
        channel_account_id: hubspot::CHANNEL_ACCOUNT.into(),
        channel_account_identifier: "website-chat".into(),
        custom_channels_path: "/conversations/v3/custom-channels".into(),
        close_on_cancel: true,
        visitor_name: "Website visitor".into(),
        timeout_seconds: 2,
    }
}

async fn relay_with(sim: &Hubspot, db: &TestDb) -> (TestRelay, String) {
    let mut config = test_config(db);
    let site = config.sites.get_mut("demo").expect("demo site");
    site.provider = ProviderConfig::Hubspot(provider(sim));
    // No public URL: the relay rebuilds the URL HubSpot signed from the Host header.
    site.webhooks.hubspot = Some(relay::config::HubspotWebhook {
        client_secret: hubspot::CLIENT_SECRET.into(),
        public_url: None,
        legacy_signatures: false,
    });
    let relay = TestRelay::start_with(config).await;
    let hook = format!("{}/webhooks/hubspot/demo", relay.http_url());
    sim.send_webhooks_to(&hook);
    (relay, hook)
}

/// Waits until the newest thread satisfies `check`; returns it.
async fn until_thread(sim: &Hubspot, what: &str, check: impl Fn(&Thread) -> bool) -> Thread {
    baton_tests::eventually(
        &format!("{what} in HubSpot"),
        || sim.last_thread().filter(|t| check(t)),
        || sim.inner.lock().unwrap().threads.clone(),
    )
    .await
}

fn texts(thread: &Thread) -> Vec<String> {
    thread.messages.iter().filter_map(|m| m["text"].as_str().map(String::from)).collect()
}

fn has_text(thread: &Thread, text: &str) -> bool {
    texts(thread).iter().any(|t| t == text)
}

#[tokio::test]
async fn a_handover_reaches_hubspot_and_the_agent_answers_through_it() {
    let sim = Hubspot::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db).await;

    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await; // greeting
    visitor.send(&ClientFrame::Identify(signed_visitor("ada@example.com", "Ada"))).await;
    visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;

    // The thread starts with the summary (what the agent reads first), sent as the visitor by email.
    let thread = until_thread(&sim, "the thread", |t| !t.messages.is_empty()).await;
    let first = &thread.messages[0];
    assert_eq!((first["messageDirection"].as_str(), first["type"].as_str()), (Some("INCOMING"), Some("MESSAGE")));
    let summary = first["text"].as_str().unwrap();
    assert!(summary.contains("40123") && summary.contains("ada@example.com"), "{summary}");
    assert_eq!(
        first["senders"][0],
        serde_json::json!({"name": "Ada", "deliveryIdentifier": {"type": "HS_EMAIL_ADDRESS", "value": "ada@example.com"}})
    );
    assert_eq!(first["recipients"][0]["deliveryIdentifier"]["value"], "website-chat");
    assert!(first["integrationThreadId"].as_str().unwrap().starts_with("baton-"), "{first}");

    // A later visitor message: the same thread, a new idempotency id.
    visitor.send(&send_text("q2", "It was a blue jacket")).await;
    let thread = until_thread(&sim, "the follow-up", |t| has_text(t, "It was a blue jacket")).await;
    let follow_up = thread.messages.last().unwrap();
    assert_eq!(follow_up["integrationThreadId"], first["integrationThreadId"]);
    assert_ne!(follow_up["integrationIdempotencyId"], first["integrationIdempotencyId"]);
    assert_eq!(sim.inner.lock().unwrap().threads.len(), 1);

    // The agent answers in HubSpot: a signed custom-channel webhook; the widget shows it.
    let (status, _) = Hubspot::agent_reply(&hook, &thread, "Hi Ada, I'm on it.").await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Agent).await;
    let reply = visitor.until_message(Role::Agent, "I'm on it").await;
    assert_eq!(reply.author.name.as_deref(), Some(hubspot::AGENT_NAME));

    // The agent closes the thread: the visitor may rate, then the bot is back.
    let (status, _) = Hubspot::agent_close(&hook, &thread).await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Ended).await;
    visitor.send(&ClientFrame::Rate { score: 5 }).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.send(&send_text("q3", "Do you accept PayPal?")).await;
    visitor.until_message(Role::Bot, "PayPal").await;
}

#[tokio::test]
async fn hubspot_down_and_rate_limited_loses_nothing() {
    let sim = Hubspot::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db).await;
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
    assert!(sim.last_thread().is_none(), "nothing reached HubSpot while it was down");

    // It recovers, rate-limited first (429 + Retry-After): everything arrives, in order, once.
    sim.set_mode(Mode::RateLimited);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_mode(Mode::Normal);
    let thread = until_thread(&sim, "both messages", |t| has_text(t, "Second while down")).await;
    let order = texts(&thread);
    let first = order.iter().position(|t| t == "First while down").unwrap();
    let second = order.iter().position(|t| t == "Second while down").unwrap();
    assert!(order[0].contains("Bot summary") && first < second, "{order:?}");
    assert_eq!(order.iter().filter(|t| *t == "First while down").count(), 1, "not duplicated: {order:?}");
    // No email: the visitor is sent by Baton's opaque id.
    assert_eq!(thread.messages[0]["senders"][0]["deliveryIdentifier"]["type"], "CHANNEL_SPECIFIC_OPAQUE_ID");
    let limited = sim.inner.lock().unwrap().requests.len();
    assert!(limited >= 3, "the calls were retried: {limited}");

    // During the chat HubSpot goes down, then rate-limits: the visitor's messages wait, then arrive in order.
    Hubspot::agent_reply(&hook, &thread, "Sorry for the wait!").await;
    visitor.until_message(Role::Agent, "Sorry for the wait").await;
    sim.set_mode(Mode::Down);
    visitor.send(&send_text("q3", "Written while HubSpot was down again")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    sim.set_mode(Mode::RateLimited);
    visitor.send(&send_text("q4", "And while it was rate limited")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    sim.set_mode(Mode::Normal);
    let thread = until_thread(&sim, "the messages written during the second outage", |t| {
        has_text(t, "And while it was rate limited")
    })
    .await;
    let order = texts(&thread);
    let down = order.iter().position(|t| t == "Written while HubSpot was down again").unwrap();
    let limited = order.iter().position(|t| t == "And while it was rate limited").unwrap();
    assert!(down < limited, "{order:?}");
}

#[tokio::test]
async fn a_visitor_who_cancels_closes_the_thread_and_its_echo_changes_nothing() {
    let sim = Hubspot::start().await;
    let db = TestDb::new();
    let (relay, _) = relay_with(&sim, &db).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    until_thread(&sim, "the thread", |t| !t.messages.is_empty()).await;

    visitor.send(&send_text("c1", "never mind")).await;
    visitor.until_phase(Phase::Bot).await;
    let thread = until_thread(&sim, "the close", |t| t.status == "CLOSED").await;
    assert!(texts(&thread).last().unwrap().contains("cancelled"), "{:?}", texts(&thread));
    // HubSpot's subscription reports Baton's own close: acknowledged, nothing changes.
    let between = visitor.settle().await;
    let echoes = sim.inner.lock().unwrap().echoes.clone();
    assert!(echoes.iter().any(|(status, body)| *status == 200 && body.contains("CLOSED")), "{echoes:?}");
    assert!(
        !between.iter().any(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(_)))),
        "{between:?}"
    );
}

#[tokio::test]
async fn forged_stale_and_replayed_webhooks_change_nothing() {
    let sim = Hubspot::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let thread = until_thread(&sim, "the thread", |t| !t.messages.is_empty()).await;

    let now = chrono::Utc::now().timestamp_millis().to_string();
    let forged = Hubspot::reply_body(&thread, "forged-1", "forged");
    let wrong = Hubspot::sign("not-the-secret", "POST", &hook, &forged, &now);
    assert_eq!(hubspot::post_signed(&hook, &forged, &now, &wrong).await.0, 401);
    // Signed for another URL, and signed over a different body.
    let elsewhere = Hubspot::sign(hubspot::CLIENT_SECRET, "POST", "https://evil.example/hook", &forged, &now);
    assert_eq!(hubspot::post_signed(&hook, &forged, &now, &elsewhere).await.0, 401);
    let tampered = Hubspot::sign(hubspot::CLIENT_SECRET, "POST", &hook, &forged.replace("forged", "other"), &now);
    assert_eq!(hubspot::post_signed(&hook, &forged, &now, &tampered).await.0, 401);
    // Older than five minutes.
    let stale = (chrono::Utc::now().timestamp_millis() - 301_000).to_string();
    let signature = Hubspot::sign(hubspot::CLIENT_SECRET, "POST", &hook, &forged, &stale);
    assert_eq!(hubspot::post_signed(&hook, &forged, &stale, &signature).await.0, 401);

    // The same signed delivery twice shows one message.
    let body = Hubspot::reply_body(&thread, "once-1", "Once only");
    let signature = Hubspot::sign(hubspot::CLIENT_SECRET, "POST", &hook, &body, &now);
    for _ in 0..2 {
        assert_eq!(hubspot::post_signed(&hook, &body, &now, &signature).await.0, 200);
    }
    visitor.until_message(Role::Agent, "Once only").await;
    let between = visitor.settle().await;
    assert!(
        !between
            .iter()
            .any(|f| as_message(f).is_some_and(|m| m.text.contains("Once only") || m.text.contains("forged"))),
        "{between:?}"
    );
}
