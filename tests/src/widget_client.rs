//! A widget stand-in speaking `shared::protocol` over tokio-tungstenite.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use shared::{ClientFrame, ServerFrame, Visitor, PROTOCOL_VERSION};
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
        client.send(&hello_frame("demo", resume, last_seq)).await;
        let welcome = client.next().await;
        assert!(matches!(welcome, ServerFrame::Welcome { .. }), "expected welcome, got {welcome:?}");
        (client, welcome)
    }

    /// A new visitor who said hello and was greeted: (client, conversation id, resume token).
    pub async fn greeted(ws_url: &str) -> (Self, String, String) {
        let (mut client, welcome) = Self::hello(ws_url, None, 0).await;
        let ServerFrame::Welcome { conversation_id, resume_token, .. } = welcome else { unreachable!() };
        client.until(|f| as_message(f).is_some()).await; // the greeting
        (client, conversation_id, resume_token)
    }

    /// A new visitor on `site` whose `hello` carries `visitor`; returns the client after the
    /// welcome and the greeting, and the conversation id.
    pub async fn hello_as(ws_url: &str, site: &str, visitor: Option<Visitor>) -> (Self, String) {
        let (client, welcome) = Self::greeted_after(ws_url, site, visitor, Vec::new()).await;
        let ServerFrame::Welcome { conversation_id, .. } = welcome else { unreachable!() };
        (client, conversation_id)
    }

    /// A new visitor on `site` whose widget reads `languages` (best first); returns the client
    /// after the welcome and the greeting, and the welcome.
    pub async fn hello_speaking(ws_url: &str, site: &str, languages: &[&str]) -> (Self, ServerFrame) {
        let languages = languages.iter().map(|l| l.to_string()).collect();
        Self::greeted_after(ws_url, site, None, languages).await
    }

    async fn greeted_after(
        ws_url: &str,
        site: &str,
        visitor: Option<Visitor>,
        languages: Vec<String>,
    ) -> (Self, ServerFrame) {
        let mut client = Self::connect(ws_url).await;
        let hello = ClientFrame::Hello {
            v: PROTOCOL_VERSION,
            site: site.into(),
            resume: None,
            last_seq: 0,
            visitor,
            languages,
        };
        client.send(&hello).await;
        let welcome = client.next().await;
        assert!(matches!(welcome, ServerFrame::Welcome { .. }), "expected welcome, got {welcome:?}");
        client.until(|f| as_message(f).is_some()).await; // the greeting
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
            let message = next_on(&mut self.socket, "the relay").await;
            if !matches!(message, Message::Ping(_) | Message::Pong(_)) {
                return message;
            }
        }
    }

    /// The next message must close the connection with `code`.
    pub async fn expect_close(&mut self, code: u16) {
        match self.next_message().await {
            Message::Close(Some(frame)) => assert_eq!(u16::from(frame.code), code, "{frame:?}"),
            other => panic!("expected close {code}, got {other:?}"),
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

/// The next WebSocket message on `socket`, pings and pongs included; panics naming `what` when
/// none comes within [`WAIT`] or the socket ends.
pub async fn next_on(socket: &mut Socket, what: &str) -> Message {
    tokio::time::timeout(WAIT, socket.next())
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
        .unwrap_or_else(|| panic!("{what}: socket ended"))
        .unwrap_or_else(|error| panic!("{what}: socket error: {error}"))
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

/// The `identity_secret` [`crate::test_config`] gives every site.
pub const IDENTITY_SECRET: &str = "test-identity-secret-0123456789";

/// The hex HMAC-SHA256 a site's server computes over `value` (computed here independently of
/// the relay's own code).
pub fn identity_hash(secret: &str, value: &str) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A logged-in visitor as a site's page identifies them: the email signed with
/// [`IDENTITY_SECRET`].
pub fn signed_visitor(email: &str, name: &str) -> Visitor {
    Visitor {
        email: Some(email.into()),
        name: Some(name.into()),
        user_id: None,
        user_hash: Some(identity_hash(IDENTITY_SECRET, email)),
    }
}

/// The same claim without a signature: anyone can send it.
pub fn claimed_visitor(email: &str, name: &str) -> Visitor {
    Visitor { email: Some(email.into()), name: Some(name.into()), ..Visitor::default() }
}

/// The `hello` a widget on `site` sends first, resuming conversation `resume` after `last_seq`
/// when given; no visitor claims.
pub fn hello_frame(site: &str, resume: Option<&str>, last_seq: u64) -> ClientFrame {
    ClientFrame::Hello {
        v: PROTOCOL_VERSION,
        site: site.into(),
        resume: resume.map(str::to_owned),
        last_seq,
        visitor: None,
        languages: Vec::new(),
    }
}

/// A visitor message frame.
pub fn send_text(client_id: &str, text: &str) -> ClientFrame {
    ClientFrame::Send { client_id: client_id.into(), text: text.into(), attachments: vec![] }
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

    /// Frames until each of `wanted` has matched one (in any order: frames the relay sends
    /// from different tasks may come either way round); returns every frame read.
    pub async fn until_each(&mut self, wanted: &[&dyn Fn(&ServerFrame) -> bool]) -> Vec<ServerFrame> {
        let mut frames = Vec::new();
        while !wanted.iter().all(|want| frames.iter().any(want)) {
            frames.push(self.next().await);
        }
        frames
    }

    /// Frames until a message from `role` containing `contains`; returns it.
    pub async fn until_message(&mut self, role: shared::Role, contains: &str) -> shared::Message {
        let (frame, _) =
            self.until(|f| as_message(f).is_some_and(|m| m.author.role == role && m.text.contains(contains))).await;
        as_message(&frame).cloned().expect("a message")
    }
}

/// A 1×1 PNG.
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

/// Uploads `bytes` as file `name` for the conversation of `resume_token` on the demo site of
/// the relay at `http_url`, as the widget does: the status and the answer.
pub async fn upload(http_url: &str, resume_token: &str, name: &str, bytes: Vec<u8>) -> (u16, serde_json::Value) {
    let url = format!("{http_url}/api/v1/sites/demo/attachments?name={name}");
    let response = reqwest::Client::new().post(url).bearer_auth(resume_token).body(bytes).send().await.expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(serde_json::Value::Null))
}

/// Uploads `bytes` as `name` and returns the new file's id (the upload must be accepted).
pub async fn uploaded(http_url: &str, resume_token: &str, name: &str, bytes: Vec<u8>) -> String {
    let (status, answer) = upload(http_url, resume_token, name, bytes).await;
    assert_eq!(status, 201, "upload of {name}: {answer}");
    answer["id"].as_str().expect("the file's id").to_string()
}
