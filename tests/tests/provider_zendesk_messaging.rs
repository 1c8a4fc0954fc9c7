//! End to end with Zendesk Messaging as the site's helpdesk: the real relay, the real outbox
//! and webhook ingress, and a Sunshine Conversations simulator over real HTTP
//! (tests/src/sim/zendesk_messaging.rs). Visitor asks for a person → Sunshine gets the
//! conversation with the summary first, the email in the user's profile and the passControl
//! metadata → an agent reply arrives with the `X-API-Key` secret → the visitor sees it → the
//! agent solves the ticket (releaseControl) → bot again. And Sunshine down or rate-limited
//! during the handover and during the chat: nothing lost once it recovers.

use std::time::Duration;

use baton_tests::{
    sim::{zendesk_messaging as zm, zendesk_messaging::ZendeskMessaging, Mode},
    test_config,
    widget_client::{as_message, send_text, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use relay::providers::{
    zendesk_messaging::{Auth, AvailabilityConfig, ZendeskMessagingConfig},
    ProviderConfig,
};
use shared::{ClientFrame, Phase, Role, ServerFrame};

async fn relay_with(sim: &ZendeskMessaging, db: &TestDb) -> TestRelay {
    let mut config = test_config(db);
    let site = config.sites.get_mut("demo").expect("demo site");
    site.provider = ProviderConfig::ZendeskMessaging(ZendeskMessagingConfig {
        base_url: sim.url(),
        app_id: zm::APP_ID.into(),
        key_id: zm::KEY_ID.into(),
        key_secret: zm::KEY_SECRET.into(),
        auth: Auth::Basic,
        agent_switchboard_integration: "zd:agentWorkspace".into(),
        bot_switchboard_integration: Some(zm::BOT_SWITCHBOARD.into()),
        bot_name: "Baton bot".into(),
        data_capture: true,
        tags: "bot_handover".into(),
        release_on_cancel: true,
        availability: Some(AvailabilityConfig {
            base_url: sim.url(),
            email: zm::AGENT_EMAIL.into(),
            api_token: zm::AGENT_TOKEN.into(),
            channel_status: "messaging:online".into(),
        }),
        timeout_seconds: 2,
    });
    site.webhooks.zendesk_messaging = Some(relay::config::ZendeskMessagingWebhook {
        secret: zm::WEBHOOK_SECRET.into(),
        integration_id: Some(zm::INTEGRATION_ID.into()),
        switchboard_integration_id: Some(zm::BOT_SWITCHBOARD.into()),
        echo_source_types: vec!["api:conversations".into()],
        require_agent_metadata: false,
    });
    TestRelay::start_with(config).await
}

/// Waits until the simulator's newest conversation satisfies `check`.
async fn until_sim(sim: &ZendeskMessaging, what: &str, check: impl Fn(&zm::Conversation) -> bool) -> zm::Conversation {
    baton_tests::eventually(
        &format!("{what} in Sunshine"),
        || sim.last_conversation().filter(|c| check(c)),
        || sim.inner.lock().unwrap().conversations.clone(),
    )
    .await
}

fn texts(conversation: &zm::Conversation) -> Vec<String> {
    conversation.messages.iter().filter_map(|m| m["content"]["text"].as_str().map(str::to_owned)).collect()
}

fn handed_to_agents(conversation: &zm::Conversation) -> bool {
    conversation
        .switchboard
        .iter()
        .any(|(action, body)| action == "passControl" && body["switchboardIntegration"] == "zd:agentWorkspace")
}

#[tokio::test]
async fn a_handover_reaches_zendesk_and_the_agent_answers_through_it() {
    let sim = ZendeskMessaging::start().await;
    let db = TestDb::new();
    let relay = relay_with(&sim, &db).await;
    let hook = format!("{}/webhooks/zendesk_messaging/demo", relay.http_url());

    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await; // greeting
    visitor.send(&ClientFrame::Identify(signed_visitor("ada@example.com", "Ada"))).await;
    visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;

    // Sunshine has the user with the email, the summary as the first message, the visitor's
    // words, and control passed: first to Baton, then to the agent workspace with the metadata.
    let remote = until_sim(&sim, "the handover", handed_to_agents).await;
    let user = sim.inner.lock().unwrap().users[0].clone();
    assert_eq!(user["profile"]["email"], "ada@example.com");
    assert_eq!(user["profile"]["givenName"], "Ada");
    let first = &remote.messages[0];
    assert_eq!(first["author"]["type"], "business");
    let summary = first["content"]["text"].as_str().unwrap();
    assert!(summary.contains("40123") && summary.contains("ada@example.com"), "{summary}");
    assert!(texts(&remote).iter().any(|t| t.contains("never arrived")), "{:?}", texts(&remote));
    assert_eq!(remote.switchboard[0].1["switchboardIntegration"], zm::BOT_SWITCHBOARD);
    let (_, pass) = remote.switchboard.last().unwrap();
    assert_eq!(pass["metadata"]["first_message_id"], first["id"]);
    assert_eq!(pass["metadata"]["dataCapture.systemField.requester.email"], "ada@example.com");
    assert_eq!(pass["metadata"]["dataCapture.systemField.tags"], "bot_handover");

    // A later visitor message follows as the user.
    visitor.send(&send_text("q2", "It was a blue jacket")).await;
    let remote = until_sim(&sim, "the follow-up", |c| texts(c).iter().any(|t| t == "It was a blue jacket")).await;
    let followup = remote.messages.iter().find(|m| m["content"]["text"] == "It was a blue jacket").unwrap();
    assert_eq!(followup["author"]["userId"], user["id"]);

    // The agent answers in Zendesk: the webhook (X-API-Key) reaches the widget.
    let (status, _) = ZendeskMessaging::agent_reply(&hook, &remote.id, "Hi Ada, I'm on it.").await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Agent).await;
    let reply = visitor.until_message(Role::Agent, "I'm on it").await;
    assert_eq!(reply.author.name.as_deref(), Some("Jane Agent"));

    // The agent solves the ticket: control is released, the visitor may rate, the bot is back.
    let (status, _) = ZendeskMessaging::release_control(&hook, &remote.id).await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Ended).await;
    visitor.send(&ClientFrame::Rate { score: 5 }).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.send(&send_text("q3", "Do you accept PayPal?")).await;
    visitor.until_message(Role::Bot, "PayPal").await;
}

#[tokio::test]
async fn zendesk_down_during_the_handover_and_the_chat_loses_nothing() {
    let sim = ZendeskMessaging::start().await;
    let db = TestDb::new();
    let relay = relay_with(&sim, &db).await;
    let hook = format!("{}/webhooks/zendesk_messaging/demo", relay.http_url());
    // Availability is checked (and cached) while Zendesk is up; then Sunshine goes down.
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
    assert!(sim.last_conversation().is_none(), "nothing reached Sunshine while it was down");

    // Sunshine recovers (a bare 429 first, as its limits carry no headers): all arrives, in order.
    sim.set_mode(Mode::RateLimited);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_mode(Mode::Normal);
    let remote =
        until_sim(&sim, "both messages after the handover", |c| texts(c).iter().any(|t| t == "Second while down"))
            .await;
    let order = texts(&remote);
    let first = order.iter().position(|t| t == "First while down").unwrap();
    let second = order.iter().position(|t| t == "Second while down").unwrap();
    assert!(first < second, "{order:?}");
    assert_eq!(order.iter().filter(|t| *t == "First while down").count(), 1, "not duplicated: {order:?}");
    assert_eq!(sim.inner.lock().unwrap().conversations.len(), 1, "one conversation despite the retries");

    // During the chat Sunshine goes down again: the visitor's message waits, then arrives.
    ZendeskMessaging::agent_reply(&hook, &remote.id, "Sorry for the wait!").await;
    visitor.until_message(Role::Agent, "Sorry for the wait").await;
    sim.set_mode(Mode::Down);
    visitor.send(&send_text("q3", "Written while Zendesk was down again")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_mode(Mode::Normal);
    until_sim(&sim, "the message written during the second outage", |c| {
        texts(c).iter().any(|t| t == "Written while Zendesk was down again")
    })
    .await;
}

#[tokio::test]
async fn forged_and_replayed_webhooks_change_nothing() {
    let sim = ZendeskMessaging::start().await;
    let db = TestDb::new();
    let relay = relay_with(&sim, &db).await;
    let hook = format!("{}/webhooks/zendesk_messaging/demo", relay.http_url());
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let remote = until_sim(&sim, "the handover", handed_to_agents).await;

    // Forged: right shape, wrong X-API-Key; and none at all.
    let (body, _) =
        ZendeskMessaging::delivery("conversation:message", &remote.id, ZendeskMessaging::agent_message("forged"));
    assert_eq!(zm::post_webhook(&hook, body.clone(), "not-the-secret").await.0, 401);
    let unsigned =
        reqwest::Client::new().post(&hook).header("content-type", "application/json").body(body).send().await;
    assert_eq!(unsigned.unwrap().status(), 401);

    // Baton's own writes echoed back change nothing either.
    let mut echo = ZendeskMessaging::agent_message("Baton bot summary echoed");
    echo["message"]["source"] = serde_json::json!({"type": "api:conversations"});
    let (body, _) = ZendeskMessaging::delivery("conversation:message", &remote.id, echo);
    assert_eq!(zm::post_webhook(&hook, body, zm::WEBHOOK_SECRET).await.0, 200);

    // Replayed: the same delivery twice shows one message.
    let (body, _) =
        ZendeskMessaging::delivery("conversation:message", &remote.id, ZendeskMessaging::agent_message("Once only"));
    for _ in 0..2 {
        assert_eq!(zm::post_webhook(&hook, body.clone(), zm::WEBHOOK_SECRET).await.0, 200);
    }
    visitor.until_message(Role::Agent, "Once only").await;
    visitor.send(&ClientFrame::Ping).await;
    let (_, between) = visitor.until(|f| *f == ServerFrame::Pong).await;
    assert!(
        !between.iter().any(|f| as_message(f)
            .is_some_and(|m| m.text.contains("Once only") || m.text.contains("forged") || m.text.contains("echoed"))),
        "{between:?}"
    );
}

#[tokio::test]
async fn nobody_online_in_zendesk_means_the_unavailable_path() {
    let sim = ZendeskMessaging::start().await;
    sim.inner.lock().unwrap().agents_online = false;
    let db = TestDb::new();
    let relay = relay_with(&sim, &db).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sim.last_conversation().is_none(), "no handover while nobody is online");
    let asked: Vec<String> = sim.inner.lock().unwrap().requests.iter().map(|(what, _)| what.clone()).collect();
    assert!(asked.is_empty(), "Sunshine was not called, only the availability API: {asked:?}");
}
