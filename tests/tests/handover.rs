//! The handover end to end over real sockets: a visitor's widget socket and an agent's inbox
//! socket or REST calls, against the real relay on real SQLite.

use baton_tests::{
    agent_client::{AgentApi, AgentSocket, DEMO_TOKEN},
    test_config,
    widget_client::{as_message, send_text, signed_visitor, WidgetClient},
    TestDb, TestRelay,
};
use serde_json::json;
use shared::{Action, ClientFrame, EventBody, Phase, Role, ServerFrame};

/// A visitor connected and greeted: (client, conversation id, resume token).
async fn visitor(relay: &TestRelay) -> (WidgetClient, String, String) {
    WidgetClient::greeted(&relay.ws_url()).await
}

/// Sends a visitor message and checks the bot does not answer it (no bot message after it,
/// by the time a ping sent later is answered).
async fn send_unanswered(client: &mut WidgetClient, client_id: &str, text: &str) {
    client.send(&send_text(client_id, text)).await;
    let (ack, _) = client.until(|f| matches!(f, ServerFrame::Ack { .. })).await;
    let ServerFrame::Ack { seq, .. } = ack else { unreachable!() };
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    client.send(&ClientFrame::Ping).await;
    let (_, after) = client.until(|f| *f == ServerFrame::Pong).await;
    let bot_after = after.iter().any(|f| match f {
        ServerFrame::Event(e) => e.seq > seq && as_message(f).is_some_and(|m| m.author.role == Role::Bot),
        _ => false,
    });
    assert!(!bot_after, "the bot answered while it should be silent: {after:?}");
}

#[tokio::test]
async fn request_wait_agent_joins_replies_ends_rating_and_bot_again() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    assert_eq!(agent.ready["agent"]["name"], "Alex");
    let (mut visitor, id, _) = visitor(&relay).await;
    visitor.send(&ClientFrame::Identify(signed_visitor("ada@example.com", "Ada"))).await;
    visitor.send(&send_text("q1", "My order 40123 has not arrived, where is it?")).await;
    visitor.until_message(Role::Bot, "").await;

    // The visitor asks for a person with the button.
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    assert_eq!(visitor.next().await, ServerFrame::Queue { position: 1, wait_seconds: 180 });
    let started = visitor.until_message(Role::Bot, "bringing in a person").await;
    assert!(started.text.contains("The wait is about 3 minutes."), "{}", started.text);
    assert_eq!(started.quick_replies.len(), 1);
    assert_eq!(started.quick_replies[0].title, "Cancel request");
    assert_eq!(started.quick_replies[0].action, Some(Action::CancelHandover));

    // The agent sees it waiting, with reason, summary and email.
    let waiting = agent.until_phase(&id, "waiting").await;
    assert_eq!(waiting["reason"], "explicit_request");
    assert_eq!(waiting["visitor"]["email"], "ada@example.com");
    // The summary is written off the async workers: it may come with any later update.
    let summary = match waiting["summary"].as_str() {
        Some(summary) => summary.to_string(),
        None => agent
            .until("the summary", |f| {
                f["type"] == "conversation"
                    && f["conversation"]["id"] == id.as_str()
                    && f["conversation"]["summary"].is_string()
            })
            .await["conversation"]["summary"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    };
    assert!(summary.contains("40123"), "{summary}");
    agent.send(json!({"type": "watch", "conversation_id": id})).await;
    let transcript = agent.until("transcript", |f| f["type"] == "transcript").await;
    assert!(transcript["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["text"].as_str().is_some_and(|t| t.contains("40123"))));

    // The agent joins; the visitor sees the name.
    agent.send(json!({"type": "accept", "conversation_id": id})).await;
    let (joined, _) = visitor.until_phase(Phase::Agent).await;
    let ServerFrame::Event(e) = joined else { unreachable!() };
    let EventBody::Phase(change) = e.body else { unreachable!() };
    assert_eq!(change.agent_name.as_deref(), Some("Alex"));
    visitor.until_message(Role::System, "Alex joined").await;

    // The visitor writes: the agent gets it, the bot stays silent.
    send_unanswered(&mut visitor, "q2", "Hi Alex!").await;
    agent.until("the visitor's message", |f| f["type"] == "event" && f["event"]["text"] == "Hi Alex!").await;

    // The agent types and replies.
    agent.send(json!({"type": "typing", "conversation_id": id, "on": true})).await;
    let (typing, _) = visitor.until(|f| matches!(f, ServerFrame::Typing { on: true, .. })).await;
    let ServerFrame::Typing { author, .. } = typing else { unreachable!() };
    assert_eq!((author.role, author.name.as_deref()), (Role::Agent, Some("Alex")));
    agent.send(json!({"type": "send", "conversation_id": id, "text": "Your parcel is at the depot."})).await;
    let reply = visitor.until_message(Role::Agent, "depot").await;
    assert_eq!(reply.author.name.as_deref(), Some("Alex"));

    // The agent ends; the visitor rates; the bot is back.
    agent.send(json!({"type": "end", "conversation_id": id})).await;
    visitor.until_phase(Phase::Ended).await;
    let prompt = visitor.until_message(Role::System, "How was your chat with Alex").await;
    assert_eq!(prompt.quick_replies.len(), 5);
    assert_eq!(prompt.quick_replies[4].action, Some(Action::Rate { score: 5 }));
    visitor.send(&ClientFrame::Rate { score: 5 }).await;
    visitor.until(|f| matches!(f, ServerFrame::Event(e) if e.body == EventBody::Rating { score: 5 })).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.until_message(Role::Bot, "Thanks for your feedback").await;
    visitor.send(&send_text("q3", "Do you accept PayPal?")).await;
    visitor.until_message(Role::Bot, "PayPal").await;
    let ended = AgentApi::new(&relay.http_url(), DEMO_TOKEN).get(&format!("/conversations/{id}")).await.1;
    assert_eq!(ended["conversation"]["rating"], 5);
}

#[tokio::test]
async fn cancel_with_the_quick_reply_before_an_agent_joins() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, id, _) = visitor(&relay).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    visitor.send(&ClientFrame::CancelHandover).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.until_message(Role::Bot, "request is cancelled").await;
    // The agent is too late.
    let (status, body) =
        AgentApi::new(&relay.http_url(), DEMO_TOKEN).post(&format!("/conversations/{id}/accept"), json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("not_waiting")));
    // The bot answers again.
    visitor.send(&send_text("q", "How do I return an item?")).await;
    visitor.until_message(Role::Bot, "return").await;
}

#[tokio::test]
async fn typed_request_and_cancel_phrase() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, _, _) = visitor(&relay).await;
    visitor.send(&send_text("q1", "Can I talk to a person please?")).await;
    visitor.until_phase(Phase::Waiting).await;
    send_unanswered(&mut visitor, "q1b", "Hello? Is anyone there?").await;
    visitor.send(&send_text("q2", "Never mind!")).await;
    visitor.until_phase(Phase::Bot).await;
    visitor.until_message(Role::Bot, "cancelled").await;
}

#[tokio::test]
async fn after_an_agent_joined_cancel_is_refused_and_the_phrase_is_a_message() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, id, _) = visitor(&relay).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    agent.until_phase(&id, "waiting").await;
    agent.send(json!({"type": "watch", "conversation_id": id})).await;
    agent.send(json!({"type": "accept", "conversation_id": id})).await;
    visitor.until_phase(Phase::Agent).await;
    visitor.send(&ClientFrame::CancelHandover).await;
    let (error, _) = visitor.until(|f| matches!(f, ServerFrame::Error { .. })).await;
    assert!(matches!(error, ServerFrame::Error { code: shared::ErrorCode::NotAllowed, .. }), "{error:?}");
    visitor.send(&send_text("c", "cancel")).await;
    agent.until("the word cancel as a message", |f| f["type"] == "event" && f["event"]["text"] == "cancel").await;
}

#[tokio::test]
async fn two_agents_accepting_at_once_one_wins() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.agents.push(relay::config::AgentConfig {
        id: "sam".into(),
        name: "Sam".into(),
        token: "sam-token".into(),
        sites: vec!["demo".into()],
    });
    let relay = TestRelay::start_with(config).await;
    let _online = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, id, _) = visitor(&relay).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    let alex = AgentApi::new(&relay.http_url(), DEMO_TOKEN);
    let sam = AgentApi::new(&relay.http_url(), "sam-token");
    AgentApi::race_to_accept(&alex, &sam, &id, "Hello!").await;
    visitor.until_message(Role::Agent, "Hello!").await;
}

#[tokio::test]
async fn nobody_online_gives_the_unavailable_message_and_a_follow_up() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let (mut visitor, id, _) = visitor(&relay).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_message(Role::Bot, "nobody from our team is available").await;
    visitor.send(&send_text("e", "Sure, it's ada@example.com")).await;
    visitor.until_message(Role::Bot, "We will write to ada@example.com").await;
    let agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let follow_ups = agent.ready["follow_ups"].as_array().unwrap();
    assert_eq!(follow_ups.len(), 1);
    assert_eq!(follow_ups[0]["email"], "ada@example.com");
    assert_eq!(follow_ups[0]["conversation_id"], id.as_str());
}

#[tokio::test]
async fn outside_office_hours_is_unavailable_even_with_agents_online() {
    let db = TestDb::new();
    let mut config = test_config(&db);
    // Open one minute a week, at a time this test does not run: effectively closed.
    config.sites.get_mut("demo").unwrap().office_hours = Some(baton_tests::one_minute_office_hours());
    let relay = TestRelay::start_with(config).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, _, _) = visitor(&relay).await;
    if !baton_tests::office_hours_open_now() {
        visitor.send(&ClientFrame::RequestHandover).await;
        visitor.until_message(Role::Bot, "nobody from our team is available").await;
    }
}

#[tokio::test]
async fn the_http_channel_answers_and_refuses_handover_as_unsupported() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let _agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/sites/demo/messages", relay.http_url());
    let first: serde_json::Value =
        http.post(&url).json(&json!({"text": "Do you ship to Norway?"})).send().await.unwrap().json().await.unwrap();
    let token = first["conversation"].as_str().expect("a conversation token").to_string();
    assert_eq!(first["messages"][0]["role"], "bot");
    assert!(first["messages"][0]["text"].as_str().unwrap().contains("Norway"), "{first}");

    for body in [
        json!({"conversation": token, "request_handover": true}),
        json!({"conversation": token, "text": "talk to a human"}),
    ] {
        let reply: serde_json::Value = http.post(&url).json(&body).send().await.unwrap().json().await.unwrap();
        assert!(reply["messages"][0]["text"].as_str().unwrap().contains("not possible on this channel"), "{reply}");
        assert_eq!(reply["phase"], "bot");
    }

    let bad = http.post(&url).json(&json!({"text": ""})).send().await.unwrap();
    assert_eq!(bad.status(), 422);
    let unknown = http
        .post(format!("{}/api/v1/sites/nope/messages", relay.http_url()))
        .json(&json!({"text": "hi"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let malformed = http.post(&url).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(malformed.status(), 422);
}

#[tokio::test]
async fn agents_need_a_valid_token() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    assert_eq!(AgentApi::new(&relay.http_url(), "wrong").get("/conversations").await.0, 401);
    let (status, me) = AgentApi::new(&relay.http_url(), DEMO_TOKEN).get("/me").await;
    assert_eq!((status, me["name"].as_str()), (200, Some("Alex")));
    let (mut socket, _) = tokio_tungstenite::connect_async(format!("{}/agent/ws", relay.ws_base())).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    socket
        .send(tokio_tungstenite::tungstenite::Message::Text(r#"{"type":"auth","token":"nope"}"#.into()))
        .await
        .unwrap();
    let mut closed_with = None;
    while let Some(Ok(message)) = socket.next().await {
        if let tokio_tungstenite::tungstenite::Message::Close(Some(frame)) = message {
            closed_with = Some(u16::from(frame.code));
        }
    }
    assert_eq!(closed_with, Some(4003));
}

#[tokio::test]
async fn a_restart_while_waiting_and_while_chatting_resumes_exactly() {
    let db = TestDb::new();
    let relay = TestRelay::start(&db).await;
    let addr = relay.addr;
    let config = relay.config.clone();
    let agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let (mut visitor, id, token) = visitor(&relay).await;
    visitor.send(&ClientFrame::RequestHandover).await;
    visitor.until_phase(Phase::Waiting).await;
    drop(agent);
    relay.stop().await;

    // Restarted while waiting: the visitor is still in line, the agent can accept.
    let relay = TestRelay::start_on(addr, config.clone()).await;
    let mut agent = AgentSocket::connect(&relay.ws_base(), DEMO_TOKEN).await;
    let inbox = agent.ready["conversations"].as_array().unwrap();
    assert!(
        inbox.iter().any(|c| c["id"] == id.as_str() && c["phase"] == "waiting" && c["queue_position"] == 1),
        "{inbox:?}"
    );
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 0).await;
    let (queue, history) = visitor.until(|f| matches!(f, ServerFrame::Queue { .. })).await;
    assert_eq!(queue, ServerFrame::Queue { position: 1, wait_seconds: 180 });
    assert!(history.iter().any(
        |f| matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(p) if p.phase == Phase::Waiting))
    ));
    agent.send(json!({"type": "accept", "conversation_id": id})).await;
    visitor.until_phase(Phase::Agent).await;
    drop(agent);
    relay.stop().await;

    // Restarted while chatting: the agent still owns it, the bot stays silent.
    let relay = TestRelay::start_on(addr, config).await;
    let (mut visitor, _) = WidgetClient::hello(&relay.ws_url(), Some(&token), 0).await;
    let api = AgentApi::new(&relay.http_url(), DEMO_TOKEN);
    let (_, view) = api.get(&format!("/conversations/{id}")).await;
    assert_eq!(view["conversation"]["phase"], "agent");
    assert_eq!(view["conversation"]["agent"]["name"], "Alex");
    send_unanswered(&mut visitor, "after", "Are you still there?").await;
    assert_eq!(api.post(&format!("/conversations/{id}/messages"), json!({"text": "Still here."})).await.0, 201);
    visitor.until_message(Role::Agent, "Still here.").await;
}
