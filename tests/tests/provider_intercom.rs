//! End to end with Intercom as the site's helpdesk: the real relay, the real outbox and
//! webhook ingress, and an Intercom simulator over real HTTP (tests/src/sim/intercom.rs).
//! Visitor asks for a person → Intercom gets the conversation with the summary and email →
//! a signed agent reply comes back → the visitor sees it → the agent closes → bot again.
//! And Intercom down during the handover and during the chat: nothing lost once it recovers.

use std::time::Duration;

use baton_tests::{
    sim::{intercom, intercom::Intercom, Mode},
    test_config,
    widget_client::{as_message, claimed_visitor, send_text, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use shared::{ClientFrame, Phase, Role, ServerFrame};

async fn relay_with(sim: &Intercom, db: &TestDb) -> TestRelay {
    TestRelay::start_with(config_with(sim, db)).await
}

/// The demo site handing over to `sim`, with its webhooks.
fn config_with(sim: &Intercom, db: &TestDb) -> relay::config::Config {
    let mut config = test_config(db);
    sim.configure(config.sites.get_mut("demo").expect("demo site"));
    config
}

/// Waits until the simulator holds a conversation whose parts satisfy `check`.
async fn until_sim(sim: &Intercom, what: &str, check: impl Fn(&[serde_json::Value]) -> bool) -> String {
    baton_tests::eventually(
        &format!("{what} in Intercom"),
        || sim.last_conversation().filter(|(_, parts)| check(parts)).map(|(id, _)| id),
        || sim.inner.lock().unwrap().conversations.clone(),
    )
    .await
}

#[tokio::test]
async fn a_handover_reaches_intercom_and_the_agent_answers_through_it() {
    let sim = Intercom::start().await;
    let db = TestDb::new();
    let relay = relay_with(&sim, &db).await;
    let hook = format!("{}/webhooks/intercom/demo", relay.http_url());

    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await; // greeting
    visitor.send(&ClientFrame::Identify(signed_visitor("ada@example.com", "Ada"))).await;
    visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;

    // Intercom has the conversation, started as the visitor, with the summary note.
    let remote = until_sim(&sim, "the conversation with its summary note", |parts| {
        parts.iter().any(|p| p["message_type"] == "note" && p["body"].as_str().is_some_and(|b| b.contains("40123")))
    })
    .await;
    let (_, parts) = sim.last_conversation().unwrap();
    assert!(parts[0]["body"].as_str().unwrap().contains("40123"), "opening message: {parts:?}");
    let note = parts.iter().find(|p| p["message_type"] == "note").unwrap();
    assert!(note["body"].as_str().unwrap().contains("ada@example.com"), "{note}");
    assert_eq!(note["admin_id"], intercom::BOT_ADMIN);
    let contact = sim.inner.lock().unwrap().contacts[0].clone();
    assert_eq!(contact["email"], "ada@example.com");

    // A later visitor message follows.
    visitor.send(&send_text("q2", "It was a blue jacket")).await;
    until_sim(&sim, "the visitor's follow-up", |parts| parts.iter().any(|p| p["body"] == "It was a blue jacket")).await;

    // The agent answers in Intercom: a signed webhook; the widget shows it.
    let (status, _) = Intercom::agent_reply(&hook, &remote, "Hi Ada, I'm on it.").await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Agent).await;
    let reply = visitor.until_message(Role::Agent, "I'm on it").await;
    assert_eq!(reply.author.name.as_deref(), Some("Ciaran Lee"));

    // The agent closes: the visitor may rate, then the bot is back.
    let (status, _) = Intercom::agent_close(&hook, &remote).await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Ended).await;
    visitor.send(&ClientFrame::Rate { score: 4 }).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.send(&send_text("q3", "Do you accept PayPal?")).await;
    visitor.until_message(Role::Bot, "PayPal").await;
}

#[tokio::test]
async fn intercom_down_during_the_handover_and_the_chat_loses_nothing() {
    let sim = Intercom::start().await;
    let db = TestDb::new();
    let relay = relay_with(&sim, &db).await;
    let hook = format!("{}/webhooks/intercom/demo", relay.http_url());
    // Intercom goes down while its admin list still answers: an admin is available, so the
    // handover is accepted and waits in the outbox.
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&send_text("q0", "Hello")).await;
    visitor.until_message(Role::Bot, "").await;
    sim.inner.lock().unwrap().admins_always_up = true;
    sim.set_mode(Mode::Down);
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    // The visitor is told the helpdesk is slow, and keeps writing.
    visitor.until_message(Role::System, "slow to answer").await;
    visitor.send(&send_text("q1", "First while down")).await;
    visitor.send(&send_text("q2", "Second while down")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sim.last_conversation().is_none(), "nothing reached Intercom while it was down");

    // Intercom recovers (with a rate limit first): everything arrives, in order.
    sim.set_mode(Mode::RateLimited);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_mode(Mode::Normal);
    let remote = until_sim(&sim, "both messages after the handover", |parts| {
        parts.iter().any(|p| p["body"] == "Second while down")
    })
    .await;
    let (_, parts) = sim.last_conversation().unwrap();
    let order: Vec<&str> = parts.iter().filter_map(|p| p["body"].as_str()).collect();
    let first = order.iter().position(|b| *b == "First while down").unwrap();
    let second = order.iter().position(|b| *b == "Second while down").unwrap();
    assert!(first < second, "{order:?}");
    assert_eq!(order.iter().filter(|b| **b == "First while down").count(), 1, "not duplicated: {order:?}");

    // During the chat Intercom goes down again: the visitor's message waits and then arrives.
    Intercom::agent_reply(&hook, &remote, "Sorry for the wait!").await;
    visitor.until_message(Role::Agent, "Sorry for the wait").await;
    sim.set_mode(Mode::Down);
    visitor.send(&send_text("q3", "Written while Intercom was down again")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_mode(Mode::Normal);
    until_sim(&sim, "the message written during the second outage", |parts| {
        parts.iter().any(|p| p["body"] == "Written while Intercom was down again")
    })
    .await;
}

#[tokio::test]
async fn forged_and_replayed_webhooks_change_nothing() {
    let sim = Intercom::start().await;
    let db = TestDb::new();
    let relay = relay_with(&sim, &db).await;
    let hook = format!("{}/webhooks/intercom/demo", relay.http_url());
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let remote = until_sim(&sim, "the conversation", |parts| !parts.is_empty()).await;

    // Forged: right shape, wrong signature.
    let (body, _) = Intercom::webhook(
        "conversation.admin.replied",
        &remote,
        serde_json::json!({"type": "conversation_part", "id": "p1", "part_type": "comment", "body": "<p>forged</p>",
                           "author": {"type": "admin", "id": intercom::AGENT_ADMIN, "name": "Mallory"}}),
    );
    let forged = reqwest::Client::new()
        .post(&hook)
        .header("content-type", "application/json")
        .header("x-hub-signature", "sha1=0000000000000000000000000000000000000000")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);

    // Replayed: the same signed delivery twice shows one message.
    let part = serde_json::json!({"type": "conversation_part", "id": "p2", "part_type": "comment", "body": "<p>Once only</p>",
                                  "author": {"type": "admin", "id": intercom::AGENT_ADMIN, "name": "Ciaran Lee"}});
    let (body, signature) = Intercom::webhook("conversation.admin.replied", &remote, part);
    for _ in 0..2 {
        let response = reqwest::Client::new()
            .post(&hook)
            .header("content-type", "application/json")
            .header("x-hub-signature", &signature)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }
    visitor.until_message(Role::Agent, "Once only").await;
    visitor.send(&ClientFrame::Ping).await;
    let (_, between) = visitor.until(|f| *f == ServerFrame::Pong).await;
    assert!(
        !between
            .iter()
            .any(|f| as_message(f).is_some_and(|m| m.text.contains("Once only") || m.text.contains("forged"))),
        "{between:?}"
    );
}

#[tokio::test]
async fn a_webhook_verified_for_another_site_never_reaches_this_sites_conversation() {
    let sim = Intercom::start().await;
    let db = TestDb::new();
    let mut config = config_with(&sim, &db);
    // A second tenant on the same relay whose owner knows their own secret (here the same one,
    // the worst case): a delivery to their URL must not reach the demo site's chat.
    let other = config.sites["demo"].clone();
    config.sites.insert("other".into(), other);
    let relay = TestRelay::start_with(config).await;

    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let remote = until_sim(&sim, "the handed-over conversation", |_| true).await;

    let (status, _) =
        Intercom::agent_reply(&format!("{}/webhooks/intercom/other", relay.http_url()), &remote, "Injected").await;
    assert_eq!(status, 200, "verified for its own site, so acknowledged");
    let frames = visitor.settle().await;
    assert!(
        !frames.iter().any(|f| as_message(f).is_some_and(|m| m.text.contains("Injected"))),
        "another site's webhook reached the conversation: {frames:?}"
    );
    // The demo site's own webhook still does.
    let (status, _) =
        Intercom::agent_reply(&format!("{}/webhooks/intercom/demo", relay.http_url()), &remote, "Genuine").await;
    assert_eq!(status, 200);
    visitor.until_message(Role::Agent, "Genuine").await;
}

/// Ada already is an Intercom user. A visitor who merely claims her email must not land in her
/// contact (and her history); the same email signed by the site does.
#[tokio::test]
async fn only_a_signed_email_attaches_the_chat_to_the_existing_contact() {
    let sim = Intercom::start().await;
    let existing = "667d60b08a68186f43baada0";
    sim.inner.lock().unwrap().contacts.push(serde_json::json!({
        "type": "contact", "id": existing, "role": "user", "email": "ada@example.com",
        "name": "Ada", "external_id": "shop-user-42"
    }));
    let db = TestDb::new();
    let relay = relay_with(&sim, &db).await;
    let note_of = |parts: &[serde_json::Value]| {
        parts.iter().find(|p| p["message_type"] == "note").and_then(|p| p["body"].as_str()).map(str::to_owned)
    };

    // Unsigned: a new lead keyed by Baton's id, without the email; the agent reads it as unverified.
    let (mut claimer, claimer_id) =
        WidgetClient::hello_as(&relay.ws_url(), "demo", Some(claimed_visitor("ada@example.com", "Ada"))).await;
    claimer.send(&ClientFrame::RequestHandover).await;
    claimer.until_phase(Phase::Waiting).await;
    until_sim(&sim, "the unverified visitor's conversation", |parts| note_of(parts).is_some()).await;
    let (_, parts) = sim.last_conversation().unwrap();
    assert_ne!(parts[0]["author"]["id"], existing, "attached to Ada's contact: {parts:?}");
    let lead = sim.inner.lock().unwrap().contacts.iter().find(|c| c["id"] == parts[0]["author"]["id"]).cloned();
    let lead = lead.expect("the conversation's contact");
    assert_eq!(lead["external_id"], format!("baton-{claimer_id}"));
    assert!(lead["email"].is_null(), "an unverified email is not put on a contact: {lead}");
    let note = note_of(&parts).unwrap();
    assert!(note.contains("Email (unverified, not matched to a contact): ada@example.com"), "{note}");
    let searched_email = sim
        .inner
        .lock()
        .unwrap()
        .requests
        .iter()
        .any(|(what, body)| what == "POST /contacts/search" && body["query"]["field"] == "email");
    assert!(!searched_email, "an unverified email is never searched for");

    // Signed by the site: Ada's existing contact.
    let (mut ada, _) =
        WidgetClient::hello_as(&relay.ws_url(), "demo", Some(signed_visitor("ada@example.com", "Ada"))).await;
    ada.send(&ClientFrame::RequestHandover).await;
    ada.until_phase(Phase::Waiting).await;
    baton_tests::eventually(
        "the verified visitor's conversation with its note",
        || {
            let inner = sim.inner.lock().unwrap();
            inner.conversations.get(1).filter(|(_, parts)| note_of(parts).is_some()).cloned()
        },
        || sim.inner.lock().unwrap().conversations.clone(),
    )
    .await;
    let (_, parts) = sim.last_conversation().unwrap();
    assert_eq!(parts[0]["author"]["id"], existing, "{parts:?}");
    assert!(note_of(&parts).unwrap().contains("Email: ada@example.com"), "{parts:?}");
}
