//! The load generator's sockets: WebSockets opened from several loopback source addresses
//! (127.0.0.1, .2, ...) so that tens of thousands of them fit past one address's ephemeral
//! port range, with small buffers and `TCP_NODELAY` on the client side too.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    time::Duration,
};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use shared::{ClientFrame, ServerFrame};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::{
    tungstenite::{protocol::WebSocketConfig, Message},
    WebSocketStream,
};

pub type Ws = WebSocketStream<TcpStream>;

/// Connections per source address: below the 28,232 ports of Linux's default ephemeral range.
const PER_SOURCE: usize = 20_000;
/// How long one expected frame may take before the run counts it as missing.
pub const FRAME_WAIT: Duration = Duration::from_secs(20);

/// The source address of the `n`-th connection.
pub fn source(n: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1 + (n / PER_SOURCE) as u8))
}

/// Opens `ws://{addr}{path}` from `source`.
pub async fn open(addr: SocketAddr, path: &str, source: IpAddr) -> anyhow::Result<Ws> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0)).with_context(|| format!("binding {source}"))?;
    let stream = socket.connect(addr).await.with_context(|| format!("connecting to {addr} from {source}"))?;
    stream.set_nodelay(true)?;
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::client_async_with_config(format!("ws://{addr}{path}"), stream, Some(config))
        .await
        .context("WebSocket handshake")?;
    Ok(ws)
}

pub async fn send(ws: &mut Ws, frame: &ClientFrame) -> anyhow::Result<()> {
    ws.send(Message::Text(serde_json::to_string(frame)?.into())).await?;
    Ok(())
}

/// The next protocol frame, skipping transport frames; `None` when the socket ended.
pub async fn next(ws: &mut Ws) -> anyhow::Result<Option<ServerFrame>> {
    loop {
        let message = match tokio::time::timeout(FRAME_WAIT, ws.next()).await {
            Ok(Some(message)) => message?,
            Ok(None) => return Ok(None),
            Err(_) => anyhow::bail!("no frame within {FRAME_WAIT:?}"),
        };
        if let Message::Text(text) = message {
            return Ok(Some(serde_json::from_str(text.as_str())?));
        }
        if let Message::Close(_) = message {
            return Ok(None);
        }
    }
}

/// A visitor on the demo site: connected, said hello, got the welcome and the greeting.
/// Returns the socket and the conversation id.
pub async fn visitor(addr: SocketAddr, source: IpAddr) -> anyhow::Result<(Ws, String)> {
    let mut ws = open(addr, "/ws", source).await?;
    let hello = baton_tests::widget_client::hello_frame("demo", None, 0);
    send(&mut ws, &hello).await?;
    let Some(ServerFrame::Welcome { conversation_id, .. }) = next(&mut ws).await? else {
        anyhow::bail!("expected welcome");
    };
    // The greeting.
    loop {
        match next(&mut ws).await? {
            Some(ServerFrame::Event(_)) => break,
            Some(_) => continue,
            None => anyhow::bail!("closed before the greeting"),
        }
    }
    Ok((ws, conversation_id))
}
