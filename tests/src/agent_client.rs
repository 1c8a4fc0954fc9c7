//! An agent stand-in: the live agent socket (`/agent/ws`) and the REST API.

use futures_util::SinkExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::widget_client::{next_on, Socket, WAIT};

/// The demo agent's token (see `Config::default`).
pub const DEMO_TOKEN: &str = "demo-agent";

pub struct AgentSocket {
    socket: Socket,
    /// The `ready` frame: the agent and the inbox at sign-in.
    pub ready: Value,
}

impl AgentSocket {
    /// Connects and signs in; panics unless the relay answers `ready`.
    pub async fn connect(base_ws: &str, token: &str) -> Self {
        let (mut socket, _) =
            tokio_tungstenite::connect_async(format!("{base_ws}/agent/ws")).await.expect("agent socket");
        socket.send(Message::Text(json!({"type": "auth", "token": token}).to_string().into())).await.expect("auth");
        let mut agent = Self { socket, ready: Value::Null };
        let ready = agent.next().await;
        assert_eq!(ready["type"], "ready", "{ready}");
        agent.ready = ready;
        agent
    }

    /// Connects with extra request headers (a browser's `Cookie` and `Origin`) and signs in with
    /// `token` (empty: the dashboard session). `Err` with the close code and reason when the
    /// relay refuses instead of answering `ready`.
    pub async fn sign_in_with(
        base_ws: &str,
        token: &str,
        headers: &[(&'static str, String)],
    ) -> Result<Self, (u16, String)> {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("{base_ws}/agent/ws").into_client_request().expect("agent socket request");
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().expect("header value"));
        }
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("agent socket");
        socket.send(Message::Text(json!({"type": "auth", "token": token}).to_string().into())).await.expect("auth");
        loop {
            match next_on(&mut socket, "ready or a close").await {
                Message::Text(text) => {
                    let frame: Value = serde_json::from_str(text.as_str()).expect("agent frame json");
                    if frame["type"] == "ready" {
                        return Ok(Self { socket, ready: frame });
                    }
                }
                Message::Close(frame) => {
                    return Err(frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new())))
                }
                _ => {}
            }
        }
    }

    /// Reads frames until the relay closes the socket: its close code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            match next_on(&mut self.socket, "the socket's close").await {
                Message::Close(frame) => {
                    return frame.map(|f| (u16::from(f.code), f.reason.to_string())).unwrap_or((1005, String::new()))
                }
                _ => continue,
            }
        }
    }

    pub async fn send(&mut self, frame: Value) {
        self.socket.send(Message::Text(frame.to_string().into())).await.expect("agent send");
    }

    pub async fn next(&mut self) -> Value {
        loop {
            match next_on(&mut self.socket, "an agent frame").await {
                Message::Text(text) => return serde_json::from_str(text.as_str()).expect("agent frame json"),
                Message::Close(frame) => panic!("agent socket closed: {frame:?}"),
                _ => continue,
            }
        }
    }

    /// Frames until one satisfies `pred`.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.next())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
            if pred(&frame) {
                return frame;
            }
        }
    }

    /// Waits for an inbox update of `conversation_id` in `phase`.
    pub async fn until_phase(&mut self, conversation_id: &str, phase: &str) -> Value {
        self.until(&format!("{conversation_id} in phase {phase}"), |f| {
            f["type"] == "conversation"
                && f["conversation"]["id"] == conversation_id
                && f["conversation"]["phase"] == phase
        })
        .await["conversation"]
            .clone()
    }
}

/// The agent REST API.
pub struct AgentApi {
    pub base: String,
    pub token: String,
    http: reqwest::Client,
}

impl AgentApi {
    pub fn new(base_http: &str, token: &str) -> Self {
        Self { base: format!("{base_http}/agent/api"), token: token.to_string(), http: reqwest::Client::new() }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let response =
            self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await.expect("GET");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// `a` and `b` accept conversation `id` at the same moment: exactly one wins (200, the other
    /// 409), and only the winner may write; the winner writes `text` to the visitor.
    pub async fn race_to_accept(a: &AgentApi, b: &AgentApi, id: &str, text: &str) {
        let path = format!("/conversations/{id}/accept");
        let ((a_status, _), (b_status, _)) = tokio::join!(a.post(&path, json!({})), b.post(&path, json!({})));
        let mut statuses = [a_status, b_status];
        statuses.sort();
        assert_eq!(statuses, [200, 409]);
        let (winner, loser) = if a_status == 200 { (a, b) } else { (b, a) };
        let messages = format!("/conversations/{id}/messages");
        assert_eq!(loser.post(&messages, json!({"text": "me too"})).await.0, 403, "only the winner may write");
        assert_eq!(winner.post(&messages, json!({"text": text})).await.0, 201);
    }
}
