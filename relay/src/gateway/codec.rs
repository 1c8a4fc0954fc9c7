//! `shared::protocol` frames ⇄ WebSocket messages, with the size limits.

use axum::extract::ws::{CloseFrame, Message};
use shared::{ClientFrame, ErrorCode, ServerFrame, MAX_FRAME_BYTES};

/// What a WebSocket message from a widget turned out to be.
#[derive(Debug)]
pub enum Incoming {
    Frame(ClientFrame),
    /// The client closed the connection.
    Close,
    /// Transport-level pings and pongs: nothing to do.
    Ignore,
}

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("frame of {0} bytes exceeds the limit of {MAX_FRAME_BYTES} bytes")]
    TooLarge(usize),
    #[error("binary frames are not part of the protocol")]
    Binary,
    #[error("not a valid frame: {0}")]
    Json(#[from] serde_json::Error),
}

impl DecodeError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::TooLarge(_) => ErrorCode::FrameTooLarge,
            Self::Binary | Self::Json(_) => ErrorCode::BadFrame,
        }
    }
}

pub fn decode(message: Message) -> Result<Incoming, DecodeError> {
    match message {
        Message::Text(text) if text.len() > MAX_FRAME_BYTES => Err(DecodeError::TooLarge(text.len())),
        Message::Text(text) => Ok(Incoming::Frame(serde_json::from_str(text.as_str())?)),
        Message::Binary(_) => Err(DecodeError::Binary),
        Message::Close(_) => Ok(Incoming::Close),
        Message::Ping(_) | Message::Pong(_) => Ok(Incoming::Ignore),
    }
}

pub fn encode(frame: &ServerFrame) -> Message {
    // Serialising our own frame types cannot fail: they hold only strings, numbers and enums.
    Message::Text(serde_json::to_string(frame).unwrap_or_default().into())
}

pub fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oversized_binary_and_malformed_frames_are_errors() {
        let big = format!(r#"{{"type":"send","client_id":"c","text":"{}"}}"#, "x".repeat(MAX_FRAME_BYTES));
        assert!(matches!(decode(Message::Text(big.into())), Err(DecodeError::TooLarge(_))));
        assert!(matches!(decode(Message::Binary(vec![1].into())), Err(DecodeError::Binary)));
        let err = decode(Message::Text("{".into())).unwrap_err();
        assert_eq!(err.code(), ErrorCode::BadFrame);
        assert!(matches!(decode(Message::Text(r#"{"type":"ping"}"#.into())), Ok(Incoming::Frame(ClientFrame::Ping))));
    }
}
