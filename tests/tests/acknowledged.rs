//! Nothing acknowledged is lost: a helpdesk reply whose webhook overtakes the handover, and a
//! visitor message stored (and acknowledged) by a relay that stopped before answering it.

use baton_tests::{
    helpdesks::{configure, Helpdesk},
    sim::intercom::Intercom,
    test_config,
    widget_client::{as_message, send_text, WidgetClient},
    TestDb, TestRelay,
};
use relay::event::{Author, EventBody, Message};
use shared::{ClientFrame, Phase, Role, ServerFrame};

async fn intercom_relay(sim: &Intercom, db: &TestDb) -> TestRelay {
    let mut config = test_config(db);
    configure(config.sites.get_mut("demo").expect("demo site"), &sim.settings());
    TestRelay::start_with(config).await
}

#[tokio::test]
async fn a_helpdesk_reply_that_overtakes_the_handover_is_applied_once_the_handover_lands() {
    let sim = Intercom::start().await;
    let db = TestDb::new();
    let relay = intercom_relay(&sim, &db).await;
    let hook = format!("{}/webhooks/intercom/demo", relay.http_url());
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await; // greeting

    // The simulator names its first conversation 363. Its agent's reply arrives before Baton
    // stored that id (here: before the handover was even asked for); it is acknowledged...
    let (status, _) = Intercom::agent_reply(&hook, "363", "Hello from Intercom, I saw your order.").await;
    assert_eq!(status, 200);
    visitor.settle().await;

    // ... and applied once the handover lands and the id is known, not dropped.
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let reply = visitor.until_message(Role::Agent, "I saw your order").await;
    assert_eq!(reply.author.name.as_deref(), Some("Ciaran Lee"));
    let later = visitor.settle().await;
    assert!(!later.iter().any(|f| as_message(f).is_some_and(|m| m.author.role == Role::Agent)), "once: {later:?}");
}

/// What a relay killed right after storing (and acknowledging) a visitor message leaves behind:
/// the message, marked as not handled yet.
async fn stored_but_unanswered(db: &TestDb, conversation: &str, client_id: &str, text: &str) {
    let store = relay::store::connect(&db.url).await.expect("store");
    let body =
        EventBody::Message(Message { client_id: Some(client_id.into()), ..Message::new(Author::visitor(), text) });
    store.append_visitor(conversation, &body, client_id, relay::event::Channel::Widget).await.expect("append");
}

#[tokio::test]
async fn a_visitor_message_left_unanswered_by_a_stop_is_answered_when_the_relay_starts() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (visitor, conversation, token) = WidgetClient::greeted(&relay.ws_url()).await;
    drop(visitor);
    relay.stop().await;
    stored_but_unanswered(&db, &conversation, "m1", "How long does shipping take?").await;

    // Nobody sends anything: the relay finds the message as it starts and answers it.
    let relay = TestRelay::start(&db).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 1).await;
    let question = visitor.until_message(Role::Visitor, "shipping").await;
    assert_eq!(question.client_id.as_deref(), Some("m1"));
    let answer = visitor.until_message(Role::Bot, "").await;
    assert!(answer.source.is_some(), "an answer from the help articles: {answer:?}");
}

#[tokio::test]
async fn a_visitor_message_retried_after_a_stop_is_answered_and_stored_once() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (visitor, conversation, token) = WidgetClient::greeted(&relay.ws_url()).await;
    // Stored by a relay that stopped before answering (written beside the running one, whose
    // actor already started, so only the retry can find it).
    stored_but_unanswered(&db, &conversation, "m1", "Do you accept PayPal?").await;
    drop(visitor);

    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 1).await;
    visitor.until_message(Role::Visitor, "PayPal").await;
    // The widget never got its ack, so it sends the message again with the same client id.
    visitor.send(&send_text("m1", "Do you accept PayPal?")).await;
    let (ack, before) = visitor.until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    assert!(matches!(ack, ServerFrame::Ack { seq: 2, .. }), "the stored message is acknowledged: {ack:?}");
    // The answer may come before the ack: the greeting's actor has left, and the actor the
    // retry starts answers what was left undone as it starts.
    let is_answer = |m: &&shared::Message| m.author.role == Role::Bot && m.text.contains("PayPal");
    let answered_before = before.iter().filter_map(as_message).find(is_answer).cloned();
    let answer = match answered_before {
        Some(answer) => answer,
        None => visitor.until_message(Role::Bot, "PayPal").await,
    };
    assert!(answer.source.is_some(), "{answer:?}");
    let later = visitor.settle().await;
    assert!(
        !later.iter().any(|f| as_message(f).is_some_and(|m| m.author.role == Role::Visitor)),
        "stored once: {later:?}"
    );
    relay.stop().await;
}
