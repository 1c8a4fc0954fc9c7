//! One simulated visitor: a widget that asks for a person, then writes, drops its socket at
//! random, comes back with its resume token and the last `seq` it saw, re-sends what was not
//! acknowledged (and sometimes what was: a duplicate with the same client id), and keeps the
//! events it saw, de-duplicated by `seq` as the widget does.

use std::{
    collections::{BTreeMap, HashSet},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use rand::{rngs::StdRng, Rng};
use shared::{ClientFrame, EventBody, Phase, Role, ServerFrame, PROTOCOL_VERSION};
use tokio::time::{sleep, timeout, Instant};
use tokio_tungstenite::tungstenite::Message;

use baton_tests::widget_client::Socket;

/// How long a visitor keeps trying to reach a relay that is down (a restart takes seconds).
const RECONNECT_FOR: Duration = Duration::from_secs(60);

pub struct Plan {
    pub index: usize,
    pub site: &'static str,
    pub ws_url: String,
    pub messages: usize,
    /// No new message after this; waiting for answers until `drain_until`.
    pub send_until: Instant,
    pub drain_until: Instant,
    /// The prefix the other side answers with (`a` for an agent, `h` for the helpdesk).
    pub answer_prefix: char,
}

/// What the visitor ended with.
#[derive(Debug, Default)]
pub struct Outcome {
    pub conversation_id: String,
    /// Texts acknowledged by the relay (an `ack` with a `seq`).
    pub acked: Vec<String>,
    /// Every stored message the visitor saw: seq → (role, text).
    pub seen: BTreeMap<u64, (Role, String)>,
    /// Things that went wrong outside the counts (a resume refused, a new conversation).
    pub problems: Vec<String>,
    pub reconnects: u32,
    pub duplicate_sends: u32,
}

struct Visitor {
    plan: Plan,
    rng: StdRng,
    socket: Option<Socket>,
    resume: Option<String>,
    outcome: Outcome,
    /// client id → text, sent but not acknowledged yet.
    pending: BTreeMap<String, String>,
    acked_ids: HashSet<String>,
    phase: Option<Phase>,
}

pub async fn run(plan: Plan, rng: StdRng) -> Outcome {
    let mut visitor = Visitor {
        plan,
        rng,
        socket: None,
        resume: None,
        outcome: Outcome::default(),
        pending: BTreeMap::new(),
        acked_ids: HashSet::new(),
        phase: None,
    };
    visitor.script().await;
    visitor.outcome
}

impl Visitor {
    fn last_seq(&self) -> u64 {
        self.outcome.seen.keys().next_back().copied().unwrap_or(0)
    }

    async fn script(&mut self) {
        let i = self.plan.index;
        if !self.connect().await {
            return;
        }
        // A first question for the bot, then the handover; only what follows is counted.
        self.send(format!("q{i}"), format!("Hello, this is visitor {i}, where is my order?")).await;
        self.send_frame(&ClientFrame::RequestHandover).await;
        let until = Instant::now() + Duration::from_secs(30);
        while !matches!(self.phase, Some(Phase::Waiting | Phase::Agent)) && Instant::now() < until {
            self.pump(Duration::from_millis(200)).await;
        }
        if !matches!(self.phase, Some(Phase::Waiting | Phase::Agent)) {
            self.outcome.problems.push(format!("visitor {i}: no handover (phase {:?})", self.phase));
        }
        for k in 0..self.plan.messages {
            if Instant::now() >= self.plan.send_until {
                break;
            }
            if self.rng.random_bool(0.15) {
                self.drop_and_reconnect().await;
            }
            let (client_id, text) = (format!("c{i}-{k}"), format!("v{i}-{k}"));
            self.send(client_id.clone(), text.clone()).await;
            if self.rng.random_bool(0.1) {
                // The same message again, as a widget does when it did not see the ack.
                self.outcome.duplicate_sends += 1;
                self.send_frame(&ClientFrame::Send { client_id, text, attachments: vec![] }).await;
            }
            let pause = Duration::from_millis(self.rng.random_range(200..1200));
            self.pump(pause).await;
        }
        // Everything acknowledged, and every answer in, or the deadline.
        while Instant::now() < self.plan.drain_until && !self.complete() {
            if !self.pending.is_empty() && self.socket.is_none() {
                self.reconnect().await;
            }
            self.pump(Duration::from_millis(250)).await;
        }
        if let Some(mut socket) = self.socket.take() {
            let _ = socket.close(None).await;
        }
    }

    /// Every message acknowledged and answered.
    fn complete(&self) -> bool {
        let answers: HashSet<&str> = self.outcome.seen.values().map(|(_, t)| t.as_str()).collect();
        self.pending.is_empty()
            && self
                .outcome
                .acked
                .iter()
                .filter(|t| t.starts_with('v'))
                .all(|t| answers.contains(format!("{}{}", self.plan.answer_prefix, &t[1..]).as_str()))
    }

    async fn send(&mut self, client_id: String, text: String) {
        self.pending.insert(client_id.clone(), text.clone());
        self.send_frame(&ClientFrame::Send { client_id, text, attachments: vec![] }).await;
    }

    async fn send_frame(&mut self, frame: &ClientFrame) {
        let text = serde_json::to_string(frame).expect("a frame encodes");
        let sent = match self.socket.as_mut() {
            Some(socket) => socket.send(Message::Text(text.into())).await.is_ok(),
            None => false,
        };
        if !sent {
            // Re-sent from `pending` after the reconnect.
            self.reconnect().await;
        }
    }

    async fn drop_and_reconnect(&mut self) {
        // Abruptly: no close frame, as a tab that goes to sleep or a lost network.
        self.socket = None;
        self.reconnect().await;
    }

    async fn reconnect(&mut self) {
        self.socket = None;
        self.outcome.reconnects += 1;
        let deadline = Instant::now() + RECONNECT_FOR;
        while Instant::now() < deadline {
            if self.connect().await {
                let pending: Vec<(String, String)> = self.pending.iter().map(|(c, t)| (c.clone(), t.clone())).collect();
                for (client_id, text) in pending {
                    let frame = serde_json::to_string(&ClientFrame::Send { client_id, text, attachments: vec![] })
                        .expect("encodes");
                    if let Some(socket) = self.socket.as_mut() {
                        if socket.send(Message::Text(frame.into())).await.is_err() {
                            self.socket = None;
                            break;
                        }
                    }
                }
                if self.socket.is_some() {
                    return;
                }
            }
            sleep(Duration::from_millis(200)).await;
        }
        self.outcome.problems.push(format!("visitor {}: could not reconnect", self.plan.index));
    }

    /// Connects and says hello (with the resume token and last seq once there is one).
    async fn connect(&mut self) -> bool {
        let Ok(Ok((mut socket, _))) =
            timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(&self.plan.ws_url)).await
        else {
            return false;
        };
        let hello = ClientFrame::Hello {
            v: PROTOCOL_VERSION,
            site: self.plan.site.into(),
            resume: self.resume.clone(),
            last_seq: self.last_seq(),
            visitor: None,
            languages: Vec::new(),
        };
        let text = serde_json::to_string(&hello).expect("encodes");
        if socket.send(Message::Text(text.into())).await.is_err() {
            return false;
        }
        self.socket = Some(socket);
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until {
            match self.next_frame(Duration::from_millis(500)).await {
                Some(ServerFrame::Welcome { conversation_id, resume_token, .. }) => {
                    if self.outcome.conversation_id.is_empty() {
                        self.outcome.conversation_id = conversation_id;
                    } else if self.outcome.conversation_id != conversation_id {
                        self.outcome.problems.push(format!(
                            "visitor {}: resumed into another conversation ({conversation_id})",
                            self.plan.index
                        ));
                    }
                    self.resume = Some(resume_token);
                    return true;
                }
                Some(other) => self.handle(other),
                None if self.socket.is_none() => return false,
                None => {}
            }
        }
        self.socket = None;
        false
    }

    /// Reads and handles frames for `duration` (reconnecting if the socket breaks).
    async fn pump(&mut self, duration: Duration) {
        let until = Instant::now() + duration;
        while Instant::now() < until {
            if self.socket.is_none() {
                self.reconnect().await;
                continue;
            }
            if let Some(frame) = self.next_frame(until - Instant::now()).await {
                self.handle(frame);
            }
        }
    }

    /// The next server frame within `wait`; `None` on a timeout, or with `socket` cleared when
    /// the connection ended.
    async fn next_frame(&mut self, wait: Duration) -> Option<ServerFrame> {
        let socket = self.socket.as_mut()?;
        match timeout(wait, socket.next()).await {
            Err(_) => None,
            Ok(Some(Ok(Message::Text(text)))) => match serde_json::from_str(text.as_str()) {
                Ok(frame) => Some(frame),
                Err(error) => {
                    self.outcome.problems.push(format!("unreadable frame {text}: {error}"));
                    None
                }
            },
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => {
                self.socket = None;
                None
            }
            Ok(Some(Ok(_))) => None,
        }
    }

    fn handle(&mut self, frame: ServerFrame) {
        match frame {
            ServerFrame::Ack { client_id, .. } => {
                if let Some(text) = self.pending.remove(&client_id) {
                    if self.acked_ids.insert(client_id) {
                        self.outcome.acked.push(text);
                    }
                }
            }
            ServerFrame::Event(event) => match event.body {
                EventBody::Message(message) => {
                    self.outcome.seen.insert(event.seq, (message.author.role, message.text));
                }
                EventBody::Phase(change) => {
                    self.outcome.seen.insert(event.seq, (Role::System, format!("phase {:?}", change.phase)));
                    self.phase = Some(change.phase);
                }
                _ => {}
            },
            ServerFrame::Error { code, message, client_id, .. } => {
                // A refused message stays pending and goes again after the next reconnect.
                self.outcome
                    .problems
                    .push(format!("visitor {}: error {code:?} {message} ({client_id:?})", self.plan.index));
            }
            _ => {}
        }
    }
}
