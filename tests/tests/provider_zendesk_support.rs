//! End to end with Zendesk Support (tickets) as the site's helpdesk: the real relay, outbox and
//! webhook ingress, and a Zendesk simulator over real HTTP (tests/src/sim/zendesk_support.rs)
//! that also fires the triggers for Baton's own updates (echoes).
//! Visitor asks for a person → a ticket with the private summary and the visitor as requester →
//! the visitor is told the answer comes by email and here → follow-ups become public comments →
//! a signed agent reply reaches the widget → the agent solves → bot again. Zendesk down and
//! rate-limited, or losing the create answer: one ticket, nothing lost, in order.

use std::time::Duration;

use baton_tests::{
    sim::{
        zendesk_support::{self as zendesk, ZendeskSupport},
        Mode,
    },
    test_config,
    widget_client::{as_message, claimed_visitor, send_text, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use relay::providers::{zendesk_support::ZendeskSupportConfig, ProviderConfig};
use serde_json::Value;
use shared::{ClientFrame, EventBody, Phase, Role, ServerFrame};

fn provider(sim: &ZendeskSupport) -> ZendeskSupportConfig {
    ZendeskSupportConfig {
        base_url: sim.url(),
        email: Some(zendesk::EMAIL.into()),
        api_token: Some(zendesk::API_TOKEN.into()),
        oauth_token: None,
        tags: vec!["bot_handover".into()],
        subject_prefix: "Chat handover".into(),
        priority: "normal".into(),
        public_summary: false,
        idempotency_key: true,
        solve_on_cancel: true,
        availability_channel: None,
        timeout_seconds: 2,
    }
}

async fn relay_with(sim: &ZendeskSupport, db: &TestDb, provider: ZendeskSupportConfig) -> (TestRelay, String) {
    let mut config = test_config(db);
    let site = config.sites.get_mut("demo").expect("demo site");
    site.provider = ProviderConfig::ZendeskSupport(provider);
    site.webhooks.zendesk_support = Some(relay::config::ZendeskSupportWebhook {
        signing_secret: zendesk::SIGNING_SECRET.into(),
        timestamp_window_seconds: 300,
        api_user_id: Some(zendesk::API_USER.to_string()),
    });
    let relay = TestRelay::start_with(config).await;
    let hook = format!("{}/webhooks/zendesk_support/demo", relay.http_url());
    sim.send_triggers_to(&hook);
    (relay, hook)
}

/// Waits until the newest ticket satisfies `check`; returns it.
async fn until_ticket(sim: &ZendeskSupport, what: &str, check: impl Fn(&Value) -> bool) -> Value {
    baton_tests::eventually(
        &format!("{what} in Zendesk"),
        || sim.last_ticket().filter(|t| check(t)),
        || sim.inner.lock().unwrap().tickets.clone(),
    )
    .await
}

fn comments(ticket: &Value) -> Vec<Value> {
    ticket["comments"].as_array().cloned().unwrap_or_default()
}

fn has_comment(ticket: &Value, text: &str) -> bool {
    comments(ticket).iter().any(|c| c["body"] == text)
}

#[tokio::test]
async fn a_handover_becomes_a_ticket_and_the_agent_answers_through_it() {
    let sim = ZendeskSupport::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db, provider(&sim)).await;

    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await; // greeting
    visitor.send(&ClientFrame::Identify(signed_visitor("ada@example.com", "Ada"))).await;
    visitor.send(&send_text("q1", "My parcel for order 40123 never arrived")).await;
    visitor.until_message(Role::Bot, "").await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    // A ticket, not a live chat: the answer comes by email and here.
    visitor.until_message(Role::Bot, "by email at ada@example.com").await;

    // The ticket: the visitor as requester, the summary as the private first comment, tagged.
    let ticket = until_ticket(&sim, "the ticket", |t| !comments(t).is_empty()).await;
    let remote = ticket["id"].to_string();
    let user = sim.inner.lock().unwrap().users[0].clone();
    assert_eq!((user["email"].as_str(), user["name"].as_str()), (Some("ada@example.com"), Some("Ada")));
    assert_eq!(ticket["requester_id"], user["id"]);
    let first = &comments(&ticket)[0];
    assert_eq!(first["public"], false, "the summary is internal: {first}");
    let summary = first["body"].as_str().unwrap();
    assert!(summary.contains("40123") && summary.contains("ada@example.com"), "{summary}");
    assert!(ticket["tags"].as_array().unwrap().iter().any(|t| t == "bot_handover"), "{ticket}");
    assert!(ticket["subject"].as_str().unwrap().starts_with("Chat handover"), "{ticket}");
    let (_, create) = sim.inner.lock().unwrap().requests.iter().find(|(r, _)| r.starts_with("POST")).cloned().unwrap();
    assert!(create["ticket"]["external_id"].as_str().unwrap().starts_with("baton-"), "{create}");

    // A later visitor message: a public comment as the requester. Zendesk's trigger fires for
    // it (current user = the API user): an echo, dropped.
    visitor.send(&send_text("q2", "It was a blue jacket")).await;
    let ticket = until_ticket(&sim, "the follow-up", |t| has_comment(t, "It was a blue jacket")).await;
    let follow_up = comments(&ticket).into_iter().find(|c| c["body"] == "It was a blue jacket").unwrap();
    assert_eq!((follow_up["public"].as_bool(), &follow_up["author_id"]), (Some(true), &user["id"]));
    let between = visitor.settle().await;
    assert!(!between.iter().any(|f| as_message(f).is_some_and(|m| m.author.role == Role::Agent)), "{between:?}");
    let echoes = sim.inner.lock().unwrap().echoes.clone();
    assert!(echoes.iter().any(|(status, body)| *status == 200 && body.contains("blue jacket")), "{echoes:?}");

    // The agent answers in Zendesk: a signed trigger delivery; the widget shows it.
    let (status, _) =
        ZendeskSupport::agent_reply(&hook, &remote, "Hi Ada, \"blue jacket\" found.\nShipping today.").await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Agent).await;
    let reply = visitor.until_message(Role::Agent, "Shipping today").await;
    assert_eq!(reply.author.name.as_deref(), Some(zendesk::AGENT_NAME));
    assert!(reply.text.contains("\"blue jacket\""), "{}", reply.text);

    // The agent solves the ticket: the visitor may rate, then the bot is back.
    let (status, _) = ZendeskSupport::agent_solve(&hook, &remote).await;
    assert_eq!(status, 200);
    visitor.until_phase(Phase::Ended).await;
    visitor.send(&ClientFrame::Rate { score: 5 }).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.send(&send_text("q3", "Do you accept PayPal?")).await;
    visitor.until_message(Role::Bot, "PayPal").await;
}

#[tokio::test]
async fn zendesk_down_during_the_handover_and_the_chat_loses_nothing() {
    let sim = ZendeskSupport::start().await;
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
    assert!(sim.last_ticket().is_none(), "nothing reached Zendesk while it was down");

    // It recovers, first rate-limited (429 + Retry-After), then losing the create's answer once:
    // the retry with the same Idempotency-Key gets the same ticket back.
    sim.set_mode(Mode::RateLimited);
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.inner.lock().unwrap().lose_next_create_answer = true;
    sim.set_mode(Mode::Normal);
    let ticket = until_ticket(&sim, "both messages", |t| has_comment(t, "Second while down")).await;
    let remote = ticket["id"].to_string();
    let (tickets, creates) = {
        let inner = sim.inner.lock().unwrap();
        (inner.tickets.len(), inner.requests.iter().filter(|(r, _)| r.starts_with("POST")).count())
    };
    assert_eq!(tickets, 1, "one ticket despite the lost answer");
    assert!(creates >= 2, "the create was retried: {creates}");
    let order: Vec<String> = comments(&ticket).iter().filter_map(|c| c["body"].as_str().map(String::from)).collect();
    let first = order.iter().position(|b| b == "First while down").unwrap();
    let second = order.iter().position(|b| b == "Second while down").unwrap();
    assert!(first < second, "{order:?}");
    assert_eq!(order.iter().filter(|b| *b == "First while down").count(), 1, "not duplicated: {order:?}");

    // During the chat Zendesk goes down again: the visitor's message waits and then arrives.
    ZendeskSupport::agent_reply(&hook, &remote, "Sorry for the wait!").await;
    visitor.until_message(Role::Agent, "Sorry for the wait").await;
    sim.set_mode(Mode::Down);
    visitor.send(&send_text("q3", "Written while Zendesk was down again")).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    sim.set_mode(Mode::Normal);
    until_ticket(&sim, "the message written during the second outage", |t| {
        has_comment(t, "Written while Zendesk was down again")
    })
    .await;
}

#[tokio::test]
async fn a_visitor_without_email_cancels_and_the_ticket_is_solved_with_a_note() {
    let sim = ZendeskSupport::start().await;
    let db = TestDb::new();
    let mut config = provider(&sim);
    // OAuth instead of the API token, and the availability check on.
    config.email = None;
    config.api_token = None;
    config.oauth_token = Some(zendesk::OAUTH_TOKEN.into());
    config.availability_channel = Some("support:online".into());
    let (relay, _) = relay_with(&sim, &db, config).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    visitor.until_message(Role::Bot, "will appear here").await;
    let ticket = until_ticket(&sim, "the ticket", |t| !comments(t).is_empty()).await;
    // No email: no end user is made up; the API user stands in as the requester.
    assert_eq!(ticket["requester_id"], zendesk::API_USER);
    assert!(sim.inner.lock().unwrap().users.is_empty());
    assert!(sim.inner.lock().unwrap().requests.iter().any(|(r, _)| r.contains("agent_availabilities")));

    visitor.send(&send_text("c1", "never mind")).await;
    visitor.until_phase(Phase::Bot).await;
    let ticket = until_ticket(&sim, "the cancel", |t| t["status"] == "solved").await;
    let note = comments(&ticket).last().cloned().unwrap();
    assert_eq!(note["public"], false);
    assert!(note["body"].as_str().unwrap().contains("cancelled"), "{note}");
    // The solve trigger fires for Baton's own update: an echo, nothing changes.
    let between = visitor.settle().await;
    let echoes = sim.inner.lock().unwrap().echoes.clone();
    assert!(echoes.iter().any(|(status, body)| *status == 200 && body.contains("solved")), "{echoes:?}");
    assert!(
        !between.iter().any(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(_)))),
        "{between:?}"
    );
}

#[tokio::test]
async fn forged_stale_and_replayed_webhooks_change_nothing() {
    let sim = ZendeskSupport::start().await;
    let db = TestDb::new();
    let (relay, hook) = relay_with(&sim, &db, provider(&sim)).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let remote = until_ticket(&sim, "the ticket", |t| !comments(t).is_empty()).await["id"].to_string();

    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let forged = ZendeskSupport::comment_body(&remote, "open", "forged", zendesk::AGENT, "Mallory", "agent");
    let wrong = ZendeskSupport::sign("not-the-secret", &now, &forged);
    assert_eq!(zendesk::post_signed(&hook, &forged, &now, &wrong).await.0, 401);
    let stale = "2024-01-01T00:00:00Z";
    let signature = ZendeskSupport::sign(zendesk::SIGNING_SECRET, stale, &forged);
    assert_eq!(zendesk::post_signed(&hook, &forged, stale, &signature).await.0, 401);

    // The same signed delivery twice shows one message.
    let body = ZendeskSupport::comment_body(&remote, "open", "Once only", zendesk::AGENT, zendesk::AGENT_NAME, "agent");
    let signature = ZendeskSupport::sign(zendesk::SIGNING_SECRET, &now, &body);
    for _ in 0..2 {
        assert_eq!(zendesk::post_signed(&hook, &body, &now, &signature).await.0, 200);
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

/// Ada already is a Zendesk end user. A visitor who merely claims her email gets a ticket with
/// the API user as requester (nothing goes to Ada's inbox or history) and is not promised an
/// email; the same email signed by the site makes Ada the requester.
#[tokio::test]
async fn only_a_signed_email_makes_the_existing_user_the_requester() {
    let sim = ZendeskSupport::start().await;
    let ada = 20_978_000_u64;
    sim.inner.lock().unwrap().users.push(serde_json::json!({
        "id": ada, "name": "Ada", "email": "ada@example.com", "role": "end-user"
    }));
    let db = TestDb::new();
    let (relay, _) = relay_with(&sim, &db, provider(&sim)).await;

    let (mut claimer, _) =
        WidgetClient::hello_as(&relay.ws_url(), "demo", Some(claimed_visitor("ada@example.com", "Ada"))).await;
    claimer.send(&ClientFrame::RequestHandover).await;
    let told = claimer.until_message(Role::Bot, "as a ticket").await;
    assert!(!told.text.contains("by email"), "no email is promised to an unverified address: {}", told.text);
    let ticket = until_ticket(&sim, "the unverified visitor's ticket", |t| !comments(t).is_empty()).await;
    assert_eq!(ticket["requester_id"], zendesk::API_USER, "{ticket}");
    let summary = comments(&ticket)[0]["body"].as_str().unwrap().to_string();
    assert!(summary.contains("Email (unverified, not matched to a contact): ada@example.com"), "{summary}");
    assert_eq!(sim.inner.lock().unwrap().users.len(), 1, "no user created from a claim");

    let (mut signed, _) =
        WidgetClient::hello_as(&relay.ws_url(), "demo", Some(signed_visitor("ada@example.com", "Ada"))).await;
    signed.send(&ClientFrame::RequestHandover).await;
    signed.until_message(Role::Bot, "by email at ada@example.com").await;
    let ticket = until_ticket(&sim, "the verified visitor's ticket", |t| t["requester_id"] == ada).await;
    assert!(comments(&ticket)[0]["body"].as_str().unwrap().contains("Email: ada@example.com"), "{ticket}");
}
