//! Several relays behind a load balancer without sticky sessions (issue 10): three relay
//! processes on different ports sharing one database and a Redis server of the test's own.
//! A visitor on one relay and agents on others chat live; a relay killed with SIGKILL hands
//! its conversations over after the lease TTL and the widget carries on at another relay with
//! nothing lost or doubled; a Redis restart loses nothing; two agents accepting at once on two
//! relays have one winner.
//!
//! The shared database is a SQLite file (WAL, several processes) until the PostgreSQL backend
//! lands; the relays' conversation leases and the Redis bus are what is under test.

use std::time::Duration;

use baton_tests::{
    agent_client::{AgentApi, AgentSocket},
    process::RelayProcess,
    redis::RedisServer,
    test_config,
    widget_client::{as_message, send_text, WidgetClient},
    TestDb,
};
use relay::config::AgentConfig;
use serde_json::json;
use shared::{ClientFrame, EventBody, Phase, Role, ServerFrame};

/// Short, so a killed relay's conversations move quickly in the test.
const LEASE_TTL: Duration = Duration::from_secs(2);
const SAM: &str = "sam-token-multinode";
const KIM: &str = "kim-token-multinode";

struct Cluster {
    relays: Vec<RelayProcess>,
    _db: TestDb,
}

/// Three relays on one database and `redis`, under a prefix of this run's own.
async fn cluster(redis: &RedisServer) -> Cluster {
    let db = TestDb::new();
    let mut config = test_config(&db);
    config.redis_url = Some(redis.url());
    config.redis_prefix = format!("multinode-{}-{}:", std::process::id(), redis.port);
    config.lease_ttl = LEASE_TTL;
    for (id, token) in [("sam", SAM), ("kim", KIM)] {
        config.agents.push(AgentConfig {
            id: id.into(),
            name: id.into(),
            token: token.into(),
            sites: vec!["demo".into()],
        });
    }
    let mut relays = Vec::new();
    for _ in 0..3 {
        relays.push(RelayProcess::start(config.clone()).await);
    }
    Cluster { relays, _db: db }
}

/// A new visitor at `relay`: the client, its conversation id and resume token.
async fn visitor(relay: &RelayProcess) -> (WidgetClient, String, String) {
    let (mut client, welcome) = WidgetClient::hello(&relay.ws_url(), None, 0).await;
    let ServerFrame::Welcome { conversation_id, resume_token, .. } = welcome else { unreachable!() };
    client.until(|f| as_message(f).is_some()).await;
    (client, conversation_id, resume_token)
}

/// Asks for a person until the conversation waits (the agents' presence reaches the visitor's
/// relay over Redis within moments of their sign-in).
async fn wait_for_a_person(client: &mut WidgetClient) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.send(&ClientFrame::RequestHandover).await;
    let (frame, _) = client
        .until(|f| {
            matches!(f, ServerFrame::Event(e) if matches!(&e.body, EventBody::Phase(p) if p.phase == Phase::Waiting))
                || as_message(f).is_some_and(|m| m.text.contains("nobody") || m.text.contains("No one"))
        })
        .await;
    assert!(matches!(frame, ServerFrame::Event(_)), "the agents at other relays did not count: {frame:?}");
}

/// Sends a visitor message and waits for its ack; returns its seq.
async fn say(client: &mut WidgetClient, client_id: &str, text: &str) -> u64 {
    client.send(&send_text(client_id, text)).await;
    let (frame, _) = client.until(|f| matches!(f, ServerFrame::Ack { client_id: c, .. } if c == client_id)).await;
    let ServerFrame::Ack { seq, .. } = frame else { unreachable!() };
    seq
}

/// Every stored event of the conversation, as a widget resuming from 0 at `relay` gets them.
async fn transcript(relay: &RelayProcess, token: &str) -> Vec<shared::ConversationEvent> {
    let (mut client, welcome) = WidgetClient::hello(&relay.ws_url(), Some(token), 0).await;
    let ServerFrame::Welcome { last_seq, .. } = welcome else { unreachable!() };
    let mut events = Vec::new();
    while events.len() < last_seq as usize {
        if let ServerFrame::Event(event) = client.next().await {
            events.push(event);
        }
    }
    events
}

/// Sequence numbers 1..=n without gaps, and each of `texts` stored exactly once.
fn check_once(events: &[shared::ConversationEvent], texts: &[&str]) {
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=events.len() as u64).collect::<Vec<_>>(), "gap-free, in order");
    for text in texts {
        let stored = events
            .iter()
            .filter(|e| matches!(&e.body, EventBody::Message(m) if m.text == *text && m.author.role != Role::System))
            .count();
        assert_eq!(stored, 1, "{text:?} stored {stored} times");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_mid_conversation_hands_over_and_the_widget_resumes_at_another() {
    let redis = RedisServer::start().await;
    let mut cluster = cluster(&redis).await;
    let mut agent = AgentSocket::connect(&cluster.relays[1].ws_base(), SAM).await;
    let (mut widget, id, token) = visitor(&cluster.relays[0]).await;
    wait_for_a_person(&mut widget).await;

    agent.send(json!({"type": "accept", "conversation_id": id})).await;
    widget.until_phase(Phase::Agent).await;
    agent.send(json!({"type": "send", "conversation_id": id, "text": "agent says one"})).await;
    widget.until_message(Role::Agent, "agent says one").await;
    let seen = say(&mut widget, "v1", "visitor says one").await;

    // A dies holding the conversation (its actor handled "v1" last).
    cluster.relays[0].kill();
    let (mut widget, _) = WidgetClient::hello(&cluster.relays[1].ws_url(), Some(&token), seen).await;
    let started = std::time::Instant::now();
    say(&mut widget, "v2", "visitor says two").await;
    println!("first message after the kill acknowledged in {:?} (lease TTL {LEASE_TTL:?})", started.elapsed());
    agent.send(json!({"type": "send", "conversation_id": id, "text": "agent says two"})).await;
    widget.until_message(Role::Agent, "agent says two").await;

    let events = transcript(&cluster.relays[2], &token).await;
    check_once(&events, &["agent says one", "visitor says one", "visitor says two", "agent says two"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_conversation_loses_nothing() {
    let mut redis = RedisServer::start().await;
    let cluster = cluster(&redis).await;
    let mut agent = AgentSocket::connect(&cluster.relays[1].ws_base(), SAM).await;
    let (mut widget, id, token) = visitor(&cluster.relays[0]).await;
    wait_for_a_person(&mut widget).await;
    agent.send(json!({"type": "accept", "conversation_id": id})).await;
    widget.until_phase(Phase::Agent).await;

    redis.kill();
    // Stored at B while no relay hears of it.
    agent.send(json!({"type": "send", "conversation_id": id, "text": "said while Redis was down"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    redis.restart().await;
    // A's subscriber reconnects and its widget session catches up from the store.
    widget.until_message(Role::Agent, "said while Redis was down").await;
    say(&mut widget, "v1", "after the restart").await;
    agent.send(json!({"type": "send", "conversation_id": id, "text": "live again"})).await;
    let (frame, skipped) = widget.until(|f| as_message(f).is_some_and(|m| m.text == "live again")).await;
    assert!(matches!(frame, ServerFrame::Event(_)));
    assert!(
        !skipped.iter().any(|f| as_message(f).is_some_and(|m| m.text == "said while Redis was down")),
        "shown twice: {skipped:?}"
    );

    let events = transcript(&cluster.relays[2], &token).await;
    check_once(&events, &["said while Redis was down", "after the restart", "live again"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_agents_accepting_at_once_on_two_relays_have_one_winner() {
    let redis = RedisServer::start().await;
    let cluster = cluster(&redis).await;
    let _sam_online = AgentSocket::connect(&cluster.relays[1].ws_base(), SAM).await;
    let _kim_online = AgentSocket::connect(&cluster.relays[2].ws_base(), KIM).await;
    let (mut widget, id, token) = visitor(&cluster.relays[0]).await;
    wait_for_a_person(&mut widget).await;

    let sam = AgentApi::new(&cluster.relays[1].http_url(), SAM);
    let kim = AgentApi::new(&cluster.relays[2].http_url(), KIM);
    let path = format!("/conversations/{id}/accept");
    let ((s, _), (k, _)) = tokio::join!(sam.post(&path, json!({})), kim.post(&path, json!({})));
    let mut statuses = [s, k];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let (winner, loser) = if s == 200 { (&sam, &kim) } else { (&kim, &sam) };
    let messages = format!("/conversations/{id}/messages");
    assert_eq!(loser.post(&messages, json!({"text": "me too"})).await.0, 403);
    assert_eq!(winner.post(&messages, json!({"text": "Hello from one agent"})).await.0, 201);
    widget.until_message(Role::Agent, "Hello from one agent").await;

    let events = transcript(&cluster.relays[0], &token).await;
    let joined = events.iter().filter(|e| matches!(&e.body, EventBody::Phase(p) if p.phase == Phase::Agent)).count();
    assert_eq!(joined, 1, "one agent joined");
    check_once(&events, &["Hello from one agent"]);
}
