//! The WebSocket edge for widgets: `GET /ws`. The only module that knows both WebSocket
//! messages and `shared::protocol` frames.

pub(crate) mod codec;
mod session;

pub(crate) use session::{open_conversation, token_hash, OpenError};

use axum::{
    extract::{State, WebSocketUpgrade},
    http::{header::ORIGIN, HeaderMap},
    response::Response,
    routing::get,
    Router,
};

use crate::{limits::ClientIp, state::AppState};

/// Frames above this size are refused by the WebSocket layer itself (close code 1009); frames
/// between [`shared::MAX_FRAME_BYTES`] and this get an error frame and the session goes on.
const MAX_WIRE_BYTES: usize = 256 * 1024;
/// Read buffer per socket, allocated as the socket opens and kept while it is open: a chat
/// frame (a few hundred bytes) is read at once; a larger one passes in several reads.
const READ_BUFFER_BYTES: usize = 512;
/// How much the socket buffers before writing; a widget session flushes what it queued once
/// per round of its loop (frames ready together leave in one write).
pub(crate) const SOCKET_BUFFER_BYTES: usize = 4 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    headers: HeaderMap,
) -> Response {
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let tracker = state.shutdown.tracker.clone();
    // Counted before the upgrade; a socket over the limit is still upgraded, so that it can be
    // told why (an error frame and close 1013): a browser never sees an HTTP refusal's status.
    let slot = state.limits.connections().open(ip);
    ws.max_message_size(MAX_WIRE_BYTES)
        .max_frame_size(MAX_WIRE_BYTES)
        // Chat frames are small; tungstenite's 128 KiB default read buffer, allocated up front,
        // was nearly all of an idle visitor's memory (measured with valgrind's massif).
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(SOCKET_BUFFER_BYTES)
        // What the session needs, boxed: the upgrade's task keeps this closure for the socket's
        // whole life, even once called, so it holds a pointer rather than the state itself.
        .on_upgrade({
            let opened = Box::new((state, origin, slot));
            move |socket| {
                let (state, origin, slot) = *opened;
                tracker.track_future(session::run(socket, state, origin, ip, slot))
            }
        })
}
