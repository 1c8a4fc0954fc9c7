//! End to end with Freshchat as the site's helpdesk: the real relay, outbox and webhook ingress,
//! and a Freshchat simulator over real HTTP (tests/src/sim/freshchat.rs) that signs its webhooks
//! with RSA and also sends them for Baton's own writes (echoes).
//! Visitor asks for a person → a conversation whose first message is the private summary note,
//! the visitor a user with their email → follow-ups as the user → a signed agent reply reaches
//! the widget → the agent resolves → bot again. Freshchat down and rate-limited: nothing lost,
//! in order; a refused private note falls back to the summary as the visitor's first message.

use std::time::Duration;

use baton_tests::{
    sim::{
        freshchat::{self, Conversation, Freshchat},
        Mode,
    },
    test_config,
    widget_client::{as_message, send_text, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use relay::providers::{freshchat::FreshchatConfig, ProviderConfig};
use shared::{ClientFrame, EventBody, Phase, Role, ServerFrame};

fn provider(sim: &Freshchat) -> FreshchatConfig {
    FreshchatConfig {
        base_url: sim.url(),
        api_token: freshchat::TOKEN.into(),
        channel_id: None,
        summary_note: true,
        note_actor_type: "bot".into(),
        note_actor_id: None,
        priority: "High".into(),
        resolve_on_cancel: true,
        availability_agents: vec![freshchat::AGENT.into()],
        availability_field: "availability_status".into(),
        available_values: vec!["available".into()],
        timeout_seconds: 2,
    }
}

async fn relay_with(sim: &Freshchat, db: &TestDb) -> (TestRelay, String) {
    let mut config = test_config(db);
    let site = config.sites.get_mut("demo").expect("demo site");
    site.provider = ProviderConfig::Freshchat(provider(sim));
    site.webhooks.freshchat = Some(relay::config::FreshchatWebhook { public_key: freshchat::public_key_pem() });
    let relay = TestRelay::start_with(config).await;
    let hook = format!("{}/webhooks/freshchat/demo", relay.http_url());
    sim.send_webhooks_to(&hook);
    (relay, hook)
}

/// Waits until the newest conversation satisfies `check`; returns it.
async fn until_conversation(sim: &Freshchat, what: &str, check: impl Fn(&Conversation) -> bool) -> Conversation {
    baton_tests::eventually(
        &format!("{what} in Freshchat"),
        || sim.last_conversation().filter(|c| check(c)),
        || sim.inner.lock().unwrap().conversations.clone(),
    )
    .await
}

fn texts(conversation: &Conversation) -> Vec<String> {
    conversation
        .messages
        .iter()
        .filter_map(|m| m["message_parts"][0]["text"]["content"].as_str().map(String::from))
        .collect()
}

fn has_text(conversation: &Conversation, text: &str) -> bool {
    texts(conversation).iter().any(|t| t == text)
}

fn agent_said(frames: &[ServerFrame]) -> bool {
    frames.iter().any(|f| as_message(f).is_some_and(|m| m.author.role == Role::Agent))
}

#[tokio::test]
async fn a_handover_reaches_freshchat_and_the_agent_answers_through_it() {
    let sim = Freshchat::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db).await;

    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await; // greeting
    visitor.send(&ClientFrame::Identify(signed_visitor("ada@example.com", "Ada"))).await;
    visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;

    // The conversation starts with the summary as a private note, then the visitor's words.
    let conversation = until_conversation(&sim, "the conversation", |c| !c.messages.is_empty()).await;
    let note = &conversation.messages[0];
    assert_eq!(note["message_type"], "private");
    let summary = note["message_parts"][0]["text"]["content"].as_str().unwrap();
    assert!(summary.contains("40123") && summary.contains("ada@example.com"), "{summary}");
    assert_eq!(conversation.messages[1]["actor_type"], "user");
    let user = sim.inner.lock().unwrap().users[0].clone();
    assert_eq!((user["email"].as_str(), user["first_name"].as_str()), (Some("ada@example.com"), Some("Ada")));
    assert!(user["reference_id"].as_str().unwrap().starts_with("baton-"), "{user}");
    assert!(sim.inner.lock().unwrap().requests.iter().any(|(r, _)| r.contains("/v2/agents/")), "availability asked");

    // A later visitor message: a user message. Its webhook comes back (an echo) and is dropped.
    visitor.send(&send_text("q2", "It was a blue jacket")).await;
    let conversation = until_conversation(&sim, "the follow-up", |c| has_text(c, "It was a blue jacket")).await;
    let follow_up = conversation.messages.last().unwrap();
    assert_eq!((follow_up["actor_type"].as_str(), &follow_up["actor_id"]), (Some("user"), &user["id"]));
    let between = visitor.settle().await;
    assert!(!agent_said(&between), "{between:?}");
    let echoes = sim.inner.lock().unwrap().echoes.clone();
    assert!(echoes.iter().any(|(status, body)| *status == 200 && body.contains("blue jacket")), "{echoes:?}");

    // The agent answers in Freshchat: a signed webhook; the widget shows it.
    let (status, _) = Freshchat::agent_reply(&hook, &conversation.id, "Hi Ada, I'm on it.").await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Agent).await;
    let reply = visitor.until_message(Role::Agent, "I'm on it").await;
    // Freshchat's payloads carry no agent name.
    assert_eq!(reply.author.name.as_deref(), Some("Support agent"));

    // The agent resolves: the visitor may rate, then the bot is back.
    let (status, _) = Freshchat::agent_resolve(&hook, &conversation.id).await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Ended).await;
    visitor.send(&ClientFrame::Rate { score: 5 }).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.send(&send_text("q3", "Do you accept PayPal?")).await;
    visitor.until_message(Role::Bot, "PayPal").await;
}

#[tokio::test]
async fn freshchat_down_and_rate_limited_loses_nothing_and_a_refused_note_falls_back() {
    let sim = Freshchat::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db).await;
    sim.inner.lock().unwrap().refuse_private_notes = true;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&send_text("q0", "Hello")).await;
    visitor.until_message(Role::Bot, "").await;
    // Down while the agent lookup still answers: the handover is accepted and waits.
    sim.inner.lock().unwrap().agents_always_up = true;
    sim.set_mode(Mode::Down);
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    visitor.until_message(Role::System, "slow to answer").await;
    visitor.send(&send_text("q1", "First while down")).await;
    visitor.send(&send_text("q2", "Second while down")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sim.last_conversation().is_none(), "nothing reached Freshchat while it was down");

    // It recovers, rate-limited first (a bare 429): everything arrives, in order, once.
    sim.set_mode(Mode::RateLimited);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_mode(Mode::Normal);
    let conversation = until_conversation(&sim, "both messages", |c| has_text(c, "Second while down")).await;
    let order = texts(&conversation);
    // The note was refused: the summary is the visitor's first message instead.
    assert!(order[0].contains("Bot summary"), "{order:?}");
    assert_eq!(conversation.messages[0]["message_type"], "normal");
    let first = order.iter().position(|t| t == "First while down").unwrap();
    let second = order.iter().position(|t| t == "Second while down").unwrap();
    assert!(first < second, "{order:?}");
    assert_eq!(order.iter().filter(|t| *t == "First while down").count(), 1, "not duplicated: {order:?}");
    assert_eq!(sim.inner.lock().unwrap().conversations.len(), 1);

    // During the chat Freshchat goes down, then rate-limits: the messages wait, then arrive in order.
    Freshchat::agent_reply(&hook, &conversation.id, "Sorry for the wait!").await;
    visitor.until_message(Role::Agent, "Sorry for the wait").await;
    sim.set_mode(Mode::Down);
    visitor.send(&send_text("q3", "Written while Freshchat was down again")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    sim.set_mode(Mode::RateLimited);
    visitor.send(&send_text("q4", "And while it was rate limited")).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    sim.set_mode(Mode::Normal);
    let conversation = until_conversation(&sim, "the messages written during the second outage", |c| {
        has_text(c, "And while it was rate limited")
    })
    .await;
    let order = texts(&conversation);
    let down = order.iter().position(|t| t == "Written while Freshchat was down again").unwrap();
    let limited = order.iter().position(|t| t == "And while it was rate limited").unwrap();
    assert!(down < limited, "{order:?}");
}

#[tokio::test]
async fn a_visitor_who_cancels_resolves_the_conversation_and_its_echo_changes_nothing() {
    let sim = Freshchat::start().await;
    let db = TestDb::new();
    let (relay, _) = relay_with(&sim, &db).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    until_conversation(&sim, "the conversation", |c| !c.messages.is_empty()).await;

    visitor.send(&send_text("c1", "never mind")).await;
    visitor.until_phase(Phase::Bot).await;
    let conversation = until_conversation(&sim, "the resolve", |c| c.status == "resolved").await;
    assert!(texts(&conversation).last().unwrap().contains("cancelled"), "{:?}", texts(&conversation));
    let between = visitor.settle().await;
    let echoes = sim.inner.lock().unwrap().echoes.clone();
    assert!(
        echoes.iter().any(|(status, body)| *status == 200 && body.contains("conversation_resolution")),
        "{echoes:?}"
    );
    assert!(
        !between.iter().any(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(_)))),
        "{between:?}"
    );
}

#[tokio::test]
async fn forged_and_replayed_webhooks_change_nothing() {
    let sim = Freshchat::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let remote = until_conversation(&sim, "the conversation", |c| !c.messages.is_empty()).await.id;

    // Forged: a signature over another body, and no signature at all.
    let forged = Freshchat::message_body(&remote, "forged-1", "agent", freshchat::AGENT, "forged");
    let other = freshchat::sign(&forged.replace("forged", "other"));
    assert_eq!(freshchat::post_signed(&hook, &forged, &other).await.0, 401);
    assert_eq!(freshchat::post_signed(&hook, &forged, "").await.0, 401);

    // Replayed: the same signed delivery twice shows one message.
    let body = Freshchat::message_body(&remote, "once-1", "agent", freshchat::AGENT, "Once only");
    let signature = freshchat::sign(&body);
    for _ in 0..2 {
        assert_eq!(freshchat::post_signed(&hook, &body, &signature).await.0, 200);
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
