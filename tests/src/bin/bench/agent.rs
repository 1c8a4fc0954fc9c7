//! Agent → visitor: an agent socket writes into `CHATS` conversations in turn at a steady
//! rate; each latency is from the agent's send to the visitor's socket receiving the message.
//! On Baton the conversations are really handed over first (the visitor asks for a person, the
//! agent accepts), so every message goes through the conversation's actor and is stored before
//! it is sent on; the Node relay forwards from memory.

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use anyhow::Context;
use futures_util::{stream, SinkExt, StreamExt};
use serde_json::{json, Value};
use shared::{ClientFrame, EventBody, Role, ServerFrame};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::{client, stats::Latencies, targets::Kind};

const CHATS: usize = 50;
const TOKEN: &str = baton_tests::agent_client::DEMO_TOKEN;
/// How long an agent signed in at one relay takes to count at the others.
const PRESENCE_SPREAD: Duration = Duration::from_millis(2500);

pub struct AgentRun {
    pub latencies: Latencies,
    pub sent: usize,
    pub missing: usize,
}

impl AgentRun {
    pub fn summary(&self) -> String {
        format!("{} sent, {} timed, {} missing", self.sent, self.latencies.len(), self.missing)
    }
}

fn text(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

/// The agent's next JSON frame.
async fn next_json(agent: &mut client::Ws) -> anyhow::Result<Value> {
    loop {
        match tokio::time::timeout(client::FRAME_WAIT, agent.next()).await.context("agent socket silent")? {
            Some(Ok(Message::Text(t))) => return Ok(serde_json::from_str(t.as_str())?),
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.into()),
            None => anyhow::bail!("agent socket closed"),
        }
    }
}

/// The agent's socket at `agent_at`, the visitors' at `visitors_at` (the same relay, or two
/// relays of one cluster: then the message crosses the bus).
pub async fn run(
    kind: Kind,
    agent_at: SocketAddr,
    visitors_at: SocketAddr,
    rate: f64,
    measured: Duration,
) -> anyhow::Result<AgentRun> {
    let mut agent = client::open(agent_at, "/agent/ws", client::source(0)).await?;
    agent.send(text(json!({"type": "auth", "token": TOKEN}))).await?;
    anyhow::ensure!(next_json(&mut agent).await?["type"] == "ready", "the agent was not signed in");
    if agent_at != visitors_at {
        // The agent's presence reaches the visitors' relay over the bus (shared every 2 s).
        tokio::time::sleep(PRESENCE_SPREAD).await;
    }

    let addr = visitors_at;
    let visitors: Vec<(client::Ws, String)> = stream::iter(0..CHATS)
        .map(|n| async move { client::visitor(addr, client::source(n)).await })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let mut conversations = Vec::new();
    let mut sockets = Vec::new();
    for (mut ws, conversation) in visitors {
        if kind == Kind::Baton {
            hand_over(&mut ws, &mut agent, &conversation).await?;
        }
        conversations.push(conversation);
        sockets.push(ws);
    }

    let received: Arc<Mutex<HashMap<usize, Instant>>> = Arc::default();
    let readers: Vec<_> = sockets
        .into_iter()
        .map(|mut ws| {
            let received = received.clone();
            tokio::spawn(async move {
                while let Ok(Some(frame)) = client::next(&mut ws).await {
                    if let ServerFrame::Event(event) = frame {
                        if let EventBody::Message(m) = &event.body {
                            if let (Role::Agent, Some(n)) = (m.author.role, m.text.strip_prefix("a-")) {
                                if let Ok(n) = n.parse() {
                                    received.lock().unwrap().insert(n, Instant::now());
                                }
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let (mut sink, mut frames) = agent.split();
    // The agent's own frames (its acks, inbox updates) are read and dropped.
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = frames.next().await {} });

    let period = Duration::from_secs_f64(1.0 / rate);
    let count = (rate * measured.as_secs_f64()) as usize;
    let start = Instant::now();
    let mut sent_at = Vec::with_capacity(count);
    for n in 0..count {
        let due = start + period * n as u32;
        tokio::time::sleep_until(due).await;
        let frame = json!({"type": "send", "conversation_id": conversations[n % conversations.len()], "text": format!("a-{n}")});
        sink.send(text(frame)).await?;
        sent_at.push(due);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = std::mem::take(&mut *received.lock().unwrap());
    for reader in readers {
        reader.abort();
    }
    drain.abort();
    let mut latencies = Latencies::default();
    let mut missing = 0;
    for (n, due) in sent_at.iter().enumerate() {
        match received.get(&n) {
            Some(at) => latencies.push(at.saturating_duration_since(*due)),
            None => missing += 1,
        }
    }
    Ok(AgentRun { latencies, sent: count, missing })
}

/// The visitor asks for a person, the agent accepts: the conversation is the agent's.
async fn hand_over(visitor: &mut client::Ws, agent: &mut client::Ws, conversation: &str) -> anyhow::Result<()> {
    client::send(visitor, &ClientFrame::RequestHandover).await?;
    wait_phase(visitor, shared::Phase::Waiting).await?;
    agent.send(text(json!({"type": "accept", "conversation_id": conversation}))).await?;
    loop {
        let frame = next_json(agent).await?;
        if frame["conversation_id"] == conversation && (frame["type"] == "ok" || frame["type"] == "error") {
            anyhow::ensure!(frame["type"] == "ok", "accept refused: {frame}");
            break;
        }
    }
    wait_phase(visitor, shared::Phase::Agent).await
}

async fn wait_phase(visitor: &mut client::Ws, phase: shared::Phase) -> anyhow::Result<()> {
    loop {
        match client::next(visitor).await? {
            Some(ServerFrame::Event(event)) if matches!(&event.body, EventBody::Phase(p) if p.phase == phase) => {
                return Ok(())
            }
            Some(_) => continue,
            None => anyhow::bail!("the visitor's socket closed waiting for {phase:?}"),
        }
    }
}
