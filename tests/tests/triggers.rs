//! Each handover trigger end to end: the visitor's words over the widget socket lead to a
//! handover with the right reason, and the agent inbox holds the summary (and the topic tag).

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    test_config,
    widget_client::WidgetClient,
    TestDb, TestRelay,
};
use relay::config::{Config, FrustrationAction};
use serde_json::Value;
use shared::{Action, ClientFrame, EventBody, Phase, Role, ServerFrame};

/// Sends `texts` one by one (each answered or handed over before the next) and returns the
/// conversation as the agent API shows it once it waits for a person.
async fn handover_after(config: Config, texts: &[&str]) -> Value {
    let relay = TestRelay::start_with(config).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await; // someone is available
    let (mut visitor, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let ServerFrame::Welcome { conversation_id: id, .. } = welcome else { panic!("no welcome") };
    visitor.next().await; // greeting
    for (i, text) in texts.iter().enumerate() {
        visitor.send(&ClientFrame::Send { client_id: format!("m{i}"), text: text.to_string() }).await;
    }
    visitor
        .until(|f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(p) if p.phase == Phase::Waiting)))
        .await;
    let api = AgentApi::new(&relay.http_url(), DEMO_TOKEN);
    // The summary is written with the handover; poll briefly for it.
    for _ in 0..50 {
        let conversation = api.get(&format!("/conversations/{id}")).await.1["conversation"].clone();
        if conversation["summary"].is_string() {
            return conversation;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no summary for {id}");
}

fn summary(conversation: &Value) -> &str {
    conversation["summary"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_explicit_request_in_german() {
    let db = TestDb::new();
    let c = handover_after(test_config(&db), &["Ich möchte bitte mit einem Mitarbeiter sprechen"]).await;
    assert_eq!(c["reason"], "explicit_request");
    assert!(summary(&c).contains("German"), "{}", summary(&c));
}

#[tokio::test]
async fn frustration_hands_over_with_the_facts() {
    let db = TestDb::new();
    let c = handover_after(
        test_config(&db),
        &["Where is my order 40123?", "THIS IS USELESS, YOU STUPID BOT. Call me: +44 20 7946 0958"],
    )
    .await;
    assert_eq!(c["reason"], "frustration");
    for fact in ["40123", "+44 20 7946 0958", "frustrated"] {
        assert!(summary(&c).contains(fact), "{fact}: {}", summary(&c));
    }
}

#[tokio::test]
async fn cannot_answer_hands_over_when_the_site_says_so() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    for site in config.sites.values_mut() {
        site.triggers.cannot_answer.auto_handover_when_unanswered = true;
    }
    let c = handover_after(config, &["Can I bring my dog to the moon?"]).await;
    assert_eq!(c["reason"], "cannot_answer");
    assert!(summary(&c).contains("could not answer"), "{}", summary(&c));
}

#[tokio::test]
async fn a_safety_rule_hands_over() {
    let db = TestDb::new();
    let c = handover_after(test_config(&db), &["The battery of my heated jacket caught fire!"]).await;
    assert_eq!(c["reason"], "rule");
    assert!(summary(&c).contains("rule: safety issue"), "{}", summary(&c));
}

#[tokio::test]
async fn an_always_human_topic_hands_over_with_its_tag() {
    let db = TestDb::new();
    let c = handover_after(test_config(&db), &["I opened a chargeback with my bank for order 55120"]).await;
    assert_eq!(c["reason"], "topic");
    assert_eq!(c["topic"], "billing dispute");
    assert!(summary(&c).contains("55120"), "{}", summary(&c));
}

#[tokio::test]
async fn without_auto_handover_the_bot_says_it_cannot_answer_and_offers_a_person() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    for site in config.sites.values_mut() {
        site.triggers.frustration.action = FrustrationAction::Offer;
    }
    let relay = TestRelay::start_with(config).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    visitor.next().await;
    visitor.send(&ClientFrame::Send { client_id: "a".into(), text: "Is the CEO married?".into() }).await;
    let is_bot = |f: &ServerFrame| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Message(m) if m.author.role == Role::Bot));
    let (frame, _) = visitor.until(is_bot).await;
    let ServerFrame::Event(e) = frame else { unreachable!() };
    let EventBody::Message(m) = e.body else { unreachable!() };
    assert!(m.text.contains("can't answer"), "{}", m.text);
    assert_eq!(m.quick_replies[0].action, Some(Action::RequestHandover));
    // Frustration set to "offer": the bot offers a person instead of handing over.
    visitor.send(&ClientFrame::Send { client_id: "b".into(), text: "you stupid useless bot".into() }).await;
    let (frame, _) = visitor.until(is_bot).await;
    let ServerFrame::Event(e) = frame else { unreachable!() };
    let EventBody::Message(m) = e.body else { unreachable!() };
    assert!(m.text.contains("talk to a person"), "{}", m.text);
    assert_eq!(m.quick_replies[0].action, Some(Action::RequestHandover));
}
