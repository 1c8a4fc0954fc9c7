//! A widget stand-in speaking `shared::protocol` over tokio-tungstenite.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use shared::{ClientFrame, ServerFrame, PROTOCOL_VERSION};
use tokio::net::TcpStream;
use tokio_tungstenite::{tungstenite::Message, MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for an expected frame.
pub const WAIT: Duration = Duration::from_secs(10);

pub struct WidgetClient {
    pub socket: Socket,
}

impl WidgetClient {
    pub async fn connect(ws_url: &str) -> Self {
        let (socket, _) = tokio_tungstenite::connect_async(ws_url).await.expect("connect to relay");
        Self { socket }
    }

    /// Connects and says hello; returns the client and the welcome frame.
    pub async fn hello(ws_url: &str, resume: Option<&str>, last_seq: u64) -> (Self, ServerFrame) {
        let mut client = Self::connect(ws_url).await;
        client
            .send(&ClientFrame::Hello {
                v: PROTOCOL_VERSION,
                site: "demo".into(),
                resume: resume.map(str::to_owned),
                last_seq,
                visitor: None,
            })
            .await;
        let welcome = client.next().await;
        assert!(matches!(welcome, ServerFrame::Welcome { .. }), "expected welcome, got {welcome:?}");
        (client, welcome)
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_raw(serde_json::to_string(frame).expect("encode")).await;
    }

    pub async fn send_raw(&mut self, text: String) {
        self.socket.send(Message::Text(text.into())).await.expect("send frame");
    }

    /// The next protocol frame (skipping transport pings); panics after [`WAIT`] or on close.
    pub async fn next(&mut self) -> ServerFrame {
        match self.next_message().await {
            Message::Text(text) => {
                serde_json::from_str(text.as_str()).unwrap_or_else(|e| panic!("bad server frame {text}: {e}"))
            }
            other => panic!("expected a text frame, got {other:?}"),
        }
    }

    /// The next WebSocket message of any kind other than ping/pong.
    pub async fn next_message(&mut self) -> Message {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("timed out waiting for the relay")
                .expect("socket ended")
                .expect("socket error");
            if !matches!(message, Message::Ping(_) | Message::Pong(_)) {
                return message;
            }
        }
    }

    /// Frames until `pred` matches one, which is returned; the others are returned too.
    pub async fn until(&mut self, pred: impl Fn(&ServerFrame) -> bool) -> (ServerFrame, Vec<ServerFrame>) {
        let mut skipped = Vec::new();
        loop {
            let frame = self.next().await;
            if pred(&frame) {
                return (frame, skipped);
            }
            skipped.push(frame);
        }
    }
}

/// The chat message a frame carries, if it is a stored message event.
pub fn as_message(frame: &ServerFrame) -> Option<&shared::Message> {
    match frame {
        ServerFrame::Event(event) => match &event.body {
            shared::EventBody::Message(message) => Some(message),
            _ => None,
        },
        _ => None,
    }
}

/// A visitor message frame.
pub fn send_text(client_id: &str, text: &str) -> ClientFrame {
    ClientFrame::Send { client_id: client_id.into(), text: text.into() }
}

impl WidgetClient {
    /// Frames until the conversation enters `phase`; returns that event and the frames before.
    pub async fn until_phase(&mut self, phase: shared::Phase) -> (ServerFrame, Vec<ServerFrame>) {
        self.until(|f| {
            matches!(f, ServerFrame::Event(e) if matches!(&e.body, shared::EventBody::Phase(p) if p.phase == phase))
        })
        .await
    }

    /// Waits a moment, pings, and returns what arrived before the pong: lets deliveries that
    /// should change nothing settle, so a test can check that they did not.
    pub async fn settle(&mut self) -> Vec<ServerFrame> {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        self.send(&ClientFrame::Ping).await;
        self.until(|f| *f == ServerFrame::Pong).await.1
    }

    /// Frames until a message from `role` containing `contains`; returns it.
    pub async fn until_message(&mut self, role: shared::Role, contains: &str) -> shared::Message {
        let (frame, _) =
            self.until(|f| as_message(f).is_some_and(|m| m.author.role == role && m.text.contains(contains))).await;
        as_message(&frame).cloned().expect("a message")
    }
}
