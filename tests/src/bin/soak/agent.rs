//! The inbox agent: signs in on the agent socket (`/agent/ws`), accepts every waiting
//! conversation of the site, watches it, and answers each visitor message `v<i>-<k>` with
//! `a<i>-<k>`, once. An answer counts as sent when the relay acknowledged it (`ok` with a
//! `seq`) or when the transcript shows it stored (the socket broke before the `ok` arrived).
//! After a reconnect the transcript tells what is already there, so nothing is sent twice.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::{sync::watch, time::timeout};
use tokio_tungstenite::tungstenite::Message;

use baton_tests::widget_client::Socket;

use crate::tally::{Direction, Tally};

pub struct Agent {
    pub ws_base: String,
    pub token: String,
    pub site: &'static str,
    pub tally: Arc<Mutex<Tally>>,
}

#[derive(Default)]
struct State {
    /// Answers known to be stored.
    answered: HashSet<String>,
    /// Sent on this socket, waiting for their `ok`: (conversation, text), in order.
    in_flight: VecDeque<(String, String)>,
    watching: HashSet<String>,
    accepting: HashSet<String>,
    /// Visitor messages seen, by conversation (to answer after a reconnect too).
    questions: HashMap<String, Vec<String>>,
}

impl Agent {
    /// Runs until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut state = State::default();
        while !*stop.borrow() {
            let Some(mut socket) = self.connect().await else {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            };
            // What was in flight is settled by the transcripts the watches bring.
            state.in_flight.clear();
            state.watching.clear();
            state.accepting.clear();
            loop {
                tokio::select! {
                    _ = stop.changed() => {
                        if *stop.borrow() { return; }
                    }
                    next = timeout(Duration::from_secs(20), socket.next()) => {
                        let Ok(Some(Ok(message))) = next else { break };
                        let Message::Text(text) = message else { continue };
                        let Ok(frame) = serde_json::from_str::<Value>(text.as_str()) else { continue };
                        if self.handle(&mut state, &mut socket, frame).await.is_err() {
                            break;
                        }
                    }
                }
            }
        }
    }

    async fn connect(&self) -> Option<Socket> {
        let url = format!("{}/agent/ws", self.ws_base);
        let (mut socket, _) =
            timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(url)).await.ok()?.ok()?;
        socket.send(text(json!({"type": "auth", "token": self.token}))).await.ok()?;
        Some(socket)
    }

    async fn handle(&self, state: &mut State, socket: &mut Socket, frame: Value) -> Result<(), ()> {
        match frame["type"].as_str().unwrap_or_default() {
            "ready" => {
                for conversation in frame["conversations"].as_array().into_iter().flatten() {
                    self.on_conversation(state, socket, conversation).await?;
                }
            }
            "conversation" => self.on_conversation(state, socket, &frame["conversation"]).await?,
            "conversations" => {
                for conversation in frame["conversations"].as_array().into_iter().flatten() {
                    self.on_conversation(state, socket, conversation).await?;
                }
            }
            "transcript" => {
                let id = frame["conversation_id"].as_str().unwrap_or_default().to_string();
                for event in frame["events"].as_array().into_iter().flatten() {
                    self.on_event(state, &id, event);
                }
                self.answer(state, socket, &id).await?;
            }
            "event" => {
                let id = frame["conversation_id"].as_str().unwrap_or_default().to_string();
                self.on_event(state, &id, &frame["event"]);
                self.answer(state, socket, &id).await?;
            }
            "ok" if frame["action"] == "send" => {
                if let Some((_, answer)) = state.in_flight.pop_front() {
                    self.stored(state, &answer);
                }
            }
            // A refused send is tried again when the next visitor message arrives.
            "error" if frame["code"] != "taken" => {
                if let Some(id) = frame["conversation_id"].as_str() {
                    state.in_flight.retain(|(c, _)| c != id);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn stored(&self, state: &mut State, answer: &str) {
        if state.answered.insert(answer.to_string()) {
            self.tally.lock().unwrap().sent(Direction::AgentToVisitor, answer);
        }
    }

    /// Accepts the site's waiting conversations and watches the ones it holds.
    async fn on_conversation(&self, state: &mut State, socket: &mut Socket, view: &Value) -> Result<(), ()> {
        if view["site"] != self.site {
            return Ok(());
        }
        let id = view["id"].as_str().unwrap_or_default().to_string();
        match view["phase"].as_str() {
            Some("waiting") if state.accepting.insert(id.clone()) => {
                socket.send(text(json!({"type": "accept", "conversation_id": id}))).await.map_err(drop)?;
            }
            Some("agent") if state.watching.insert(id.clone()) => {
                socket.send(text(json!({"type": "watch", "conversation_id": id}))).await.map_err(drop)?;
            }
            _ => {}
        }
        Ok(())
    }

    fn on_event(&self, state: &mut State, conversation: &str, event: &Value) {
        if event["kind"] != "message" {
            return;
        }
        let text = event["text"].as_str().unwrap_or_default();
        match event["author"]["role"].as_str() {
            Some("visitor") if text.starts_with('v') => {
                state.questions.entry(conversation.to_string()).or_default().push(text.to_string());
            }
            Some("agent") if text.starts_with('a') => self.stored(state, text),
            _ => {}
        }
    }

    /// Sends the answers this conversation still lacks.
    async fn answer(&self, state: &mut State, socket: &mut Socket, conversation: &str) -> Result<(), ()> {
        let questions = state.questions.get(conversation).cloned().unwrap_or_default();
        for question in questions {
            let answer = format!("a{}", &question[1..]);
            if state.answered.contains(&answer) || state.in_flight.iter().any(|(_, a)| *a == answer) {
                continue;
            }
            let frame = json!({"type": "send", "conversation_id": conversation, "text": answer});
            socket.send(text(frame)).await.map_err(drop)?;
            state.in_flight.push_back((conversation.to_string(), answer));
        }
        Ok(())
    }
}

fn text(value: Value) -> Message {
    Message::Text(value.to_string().into())
}
