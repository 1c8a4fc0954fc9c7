//! Each handover trigger end to end: the visitor's words over the widget socket lead to a
//! handover with the right reason, and the agent inbox holds the summary (and the topic tag).

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    test_config,
    widget_client::{send_text, WidgetClient},
    TestDb, TestRelay,
};
use relay::config::{BotConfig, Config, FrustrationAction, LlmConfig, RuleConfig};
use serde_json::Value;
use shared::{Action, Phase, Role, ServerFrame};

/// Sends `texts` one by one (each answered or handed over before the next) and returns the
/// conversation as the agent API shows it once it waits for a person.
async fn handover_after(config: Config, texts: &[&str]) -> Value {
    let relay = TestRelay::start_with(config).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await; // someone is available
    let (mut visitor, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let ServerFrame::Welcome { conversation_id: id, .. } = welcome else { panic!("no welcome") };
    visitor.next().await; // greeting
    for (i, text) in texts.iter().enumerate() {
        visitor.send(&send_text(&format!("m{i}"), text)).await;
    }
    visitor.until_phase(Phase::Waiting).await;
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

/// Hands over after `texts` on the demo configuration as `change` leaves it; checks the reason
/// and that the summary names each of `facts`. Returns the conversation.
async fn check(change: impl FnOnce(&mut Config), texts: &[&str], reason: &str, facts: &[&str]) -> Value {
    let db = TestDb::new();
    let mut config = test_config(&db);
    change(&mut config);
    let c = handover_after(config, texts).await;
    assert_eq!(c["reason"], reason);
    for fact in facts {
        assert!(summary(&c).contains(fact), "{fact}: {}", summary(&c));
    }
    c
}

#[tokio::test]
async fn an_explicit_request_in_german() {
    check(|_| {}, &["Ich möchte bitte mit einem Mitarbeiter sprechen"], "explicit_request", &["German"]).await;
}

#[tokio::test]
async fn frustration_hands_over_with_the_facts() {
    // "Call me: <number>" alone is a callback request, which outranks frustration since the
    // models read each sentence: the number is given without asking to be called.
    let texts = ["Where is my order 40123?", "THIS IS USELESS, YOU STUPID BOT. My number: +44 20 7946 0958"];
    check(|_| {}, &texts, "frustration", &["40123", "+44 20 7946 0958", "frustrated"]).await;
}

#[tokio::test]
async fn cannot_answer_hands_over_when_the_site_says_so() {
    let auto_handover = |config: &mut Config| {
        for site in config.sites.values_mut() {
            site.triggers.cannot_answer.auto_handover_when_unanswered = true;
        }
    };
    check(auto_handover, &["Can I bring my dog to the moon?"], "cannot_answer", &["could not answer"]).await;
}

#[tokio::test]
async fn a_safety_rule_hands_over() {
    check(|_| {}, &["The battery of my heated jacket caught fire!"], "rule", &["rule: safety issue"]).await;
}

#[tokio::test]
async fn an_always_human_topic_hands_over_with_its_tag() {
    let c = check(|_| {}, &["I opened a chargeback with my bank for order 55120"], "topic", &["55120"]).await;
    assert_eq!(c["topic"], "billing dispute");
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
    visitor.send(&send_text("a", "Is the CEO married?")).await;
    let m = visitor.until_message(Role::Bot, "").await;
    assert!(m.text.contains("can't answer"), "{}", m.text);
    assert_eq!(m.quick_replies[0].action, Some(Action::RequestHandover));
    // Frustration set to "offer": the bot offers a person instead of handing over.
    visitor.send(&send_text("b", "you stupid useless bot")).await;
    let m = visitor.until_message(Role::Bot, "").await;
    assert!(m.text.contains("talk to a person"), "{}", m.text);
    assert_eq!(m.quick_replies[0].action, Some(Action::RequestHandover));
}

/// A language model that reads visitor messages: a message that mentions a lawyer is the
/// site's "legal threat" rule, "meh" asks for a person, nothing else is anything; other
/// requests (answers, summaries) get a plain answer.
async fn reading_endpoint() -> String {
    use axum::{routing::post, Json, Router};
    let handler = |Json(body): Json<Value>| async move {
        let user = body["messages"][1]["content"].as_str().unwrap_or_default().to_lowercase();
        let content = if body.get("response_format").is_none() {
            "OK".to_string()
        } else if user.ends_with("meh") {
            r#"{"handover": true, "frustrated": false, "rules": []}"#.to_string()
        } else {
            let rules = if user.contains("lawyer") { r#"["legal threat"]"# } else { "[]" };
            format!(r#"{{"handover": false, "frustrated": false, "rules": {rules}}}"#)
        };
        Json(serde_json::json!({"choices": [{"message": {"role": "assistant", "content": content}}]}))
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/v1", listener.local_addr().unwrap());
    let app = Router::new().route("/v1/chat/completions", post(handler));
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn with_a_language_model_a_rule_given_only_in_words_and_any_wording_hand_over() {
    let base = reading_endpoint().await;
    let with_model = |config: &mut Config| {
        for site in config.sites.values_mut() {
            site.bot = BotConfig::Llm(LlmConfig { base_url: base.clone(), ..LlmConfig::default() });
            site.triggers.rules.push(RuleConfig {
                name: "legal threat".into(),
                description: "If the visitor threatens legal action, hand over.".into(),
                ..RuleConfig::default()
            });
        }
    };
    // No keyword or pattern of the rule is in the message: only the model's reading finds it.
    check(with_model, &["My lawyer will hear about this"], "rule", &[]).await;
    check(with_model, &["meh"], "explicit_request", &[]).await;
}
