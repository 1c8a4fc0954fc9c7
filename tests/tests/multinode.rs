//! Several relays behind a load balancer without sticky sessions (issue 10): three relay
//! processes on different ports sharing one database and a Redis server of the test's own.
//! A visitor on one relay and agents on others chat live; a relay killed with SIGKILL hands
//! its conversations over after the lease TTL and the widget carries on at another relay with
//! nothing lost or doubled; a Redis restart loses nothing (and `/readyz` says so while it is
//! down); two agents accepting at once on two relays have one winner; a helpdesk's webhook
//! delivered to a third relay reaches the visitor at the first, and the helpdesk calls (claimed
//! by whichever relay's outbox) are made once.
//!
//! Every scenario runs twice: on one SQLite file (WAL, several processes) and on a PostgreSQL
//! schema of its own (`sqlite::` and `postgres::` tests).

use std::time::Duration;

use baton_tests::{
    agent_client::{AgentApi, AgentSocket},
    helpdesks::{configure, Helpdesk},
    process::RelayProcess,
    redis::RedisServer,
    sim::intercom::Intercom,
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

baton_tests::on_every_backend!(
    a_relay_killed_mid_conversation_hands_over_and_the_widget_resumes_at_another,
    a_redis_restart_mid_conversation_loses_nothing,
    two_agents_accepting_at_once_on_two_relays_have_one_winner,
    a_helpdesk_webhook_at_a_third_relay_reaches_the_visitor_at_the_first,
);

/// Three relays on `db` and `redis`, under a prefix of this run's own; with `intercom`, the site
/// `desk` hands over to that simulated Intercom workspace.
async fn cluster(redis: &RedisServer, db: TestDb, intercom: Option<&Intercom>) -> Cluster {
    let mut config = test_config(&db);
    if let Some(sim) = intercom {
        let mut desk = config.sites["demo"].clone();
        configure(&mut desk, &Helpdesk::settings(sim));
        config.sites.insert("desk".into(), desk);
    }
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
    WidgetClient::greeted(&relay.ws_url()).await
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

/// `GET /readyz`'s status at `relay` (it answers within its own 2 s limit).
async fn ready(relay: &RelayProcess) -> u16 {
    let url = format!("{}/readyz", relay.http_url());
    let answer = reqwest::Client::new().get(url).timeout(Duration::from_secs(5)).send().await.expect("/readyz");
    answer.status().as_u16()
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

async fn a_relay_killed_mid_conversation_hands_over_and_the_widget_resumes_at_another(db: TestDb) {
    let redis = RedisServer::start().await;
    let mut cluster = cluster(&redis, db, None).await;
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

async fn a_redis_restart_mid_conversation_loses_nothing(db: TestDb) {
    let mut redis = RedisServer::start().await;
    let cluster = cluster(&redis, db, None).await;
    let mut agent = AgentSocket::connect(&cluster.relays[1].ws_base(), SAM).await;
    let (mut widget, id, token) = visitor(&cluster.relays[0]).await;
    wait_for_a_person(&mut widget).await;
    agent.send(json!({"type": "accept", "conversation_id": id})).await;
    widget.until_phase(Phase::Agent).await;

    assert_eq!(ready(&cluster.relays[0]).await, 200);
    redis.kill();
    // Stored at B while no relay hears of it.
    agent.send(json!({"type": "send", "conversation_id": id, "text": "said while Redis was down"})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(ready(&cluster.relays[0]).await, 503, "/readyz while Redis is down");
    redis.restart().await;
    assert_eq!(ready(&cluster.relays[0]).await, 200, "/readyz once Redis is back");
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

async fn two_agents_accepting_at_once_on_two_relays_have_one_winner(db: TestDb) {
    let redis = RedisServer::start().await;
    let cluster = cluster(&redis, db, None).await;
    let _sam_online = AgentSocket::connect(&cluster.relays[1].ws_base(), SAM).await;
    let _kim_online = AgentSocket::connect(&cluster.relays[2].ws_base(), KIM).await;
    let (mut widget, id, token) = visitor(&cluster.relays[0]).await;
    wait_for_a_person(&mut widget).await;

    let sam = AgentApi::new(&cluster.relays[1].http_url(), SAM);
    let kim = AgentApi::new(&cluster.relays[2].http_url(), KIM);
    AgentApi::race_to_accept(&sam, &kim, &id, "Hello from one agent").await;
    widget.until_message(Role::Agent, "Hello from one agent").await;

    let events = transcript(&cluster.relays[0], &token).await;
    let joined = events.iter().filter(|e| matches!(&e.body, EventBody::Phase(p) if p.phase == Phase::Agent)).count();
    assert_eq!(joined, 1, "one agent joined");
    check_once(&events, &["Hello from one agent"]);
}

/// How many parts of Intercom's conversation `remote` contain `text`.
fn parts_with(sim: &Intercom, remote: &str, text: &str) -> usize {
    let inner = sim.inner.lock().unwrap();
    let parts = inner.conversations.iter().filter(|(id, _)| id == remote).flat_map(|(_, parts)| parts);
    parts.filter(|part| part.to_string().contains(text)).count()
}

async fn a_helpdesk_webhook_at_a_third_relay_reaches_the_visitor_at_the_first(db: TestDb) {
    let redis = RedisServer::start().await;
    let sim = Intercom::start().await;
    let cluster = cluster(&redis, db, Some(&sim)).await;
    // An inbox agent is signed in at B; the desk site's visitor is on A and asks for a person.
    let _sam = AgentSocket::connect(&cluster.relays[1].ws_base(), SAM).await;
    let (mut widget, _id) = WidgetClient::hello_as(&cluster.relays[0].ws_url(), "desk", None).await;
    say(&mut widget, "v0", "My order never arrived").await;
    widget.send(&ClientFrame::RequestHandover).await;
    widget.until_phase(Phase::Waiting).await;

    // Whichever relay's outbox claimed it, the handover reaches Intercom.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let remote = loop {
        if let Some((remote, _)) = sim.last_conversation() {
            break remote;
        }
        assert!(std::time::Instant::now() < deadline, "the handover never reached Intercom");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // The Intercom agent answers; its webhook is delivered to C, the visitor hears it at A.
    let hook = format!("{}/webhooks/intercom/desk", cluster.relays[2].http_url());
    let (status, _) = Intercom::agent_reply(&hook, &remote, "Hello from Intercom, through C").await;
    assert_eq!(status, 200);
    widget.until_message(Role::Agent, "Hello from Intercom, through C").await;

    // The visitor's answer at A is forwarded to Intercom once, by one of the three outboxes.
    say(&mut widget, "v1", "Thanks, I am still on A").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while parts_with(&sim, &remote, "Thanks, I am still on A") == 0 {
        assert!(std::time::Instant::now() < deadline, "the visitor's answer never reached Intercom");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await; // time for a second (wrong) forward
    assert_eq!(parts_with(&sim, &remote, "Thanks, I am still on A"), 1, "forwarded once");
    assert_eq!(sim.inner.lock().unwrap().conversations.len(), 1, "opened once");
    let later = widget.settle().await;
    let agent_lines = later.iter().filter(|f| as_message(f).is_some_and(|m| m.author.role == Role::Agent)).count();
    assert_eq!(agent_lines, 0, "the agent's reply shown once: {later:?}");
}
