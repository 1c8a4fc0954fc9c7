//! Baton's wire protocol: the JSON frames the widget and the relay exchange over a WebSocket.
//!
//! # Layout
//! - [`protocol`]: [`ClientFrame`] (widget → relay) and [`ServerFrame`] (relay → widget).
//! - [`event`]: conversation events; each carries a per-conversation sequence number.
//! - [`error`]: stable error codes and WebSocket close codes.
//! - [`look`]: language tags and the site's theme, checked (colours, contrast, image URLs).
//! - [`email`]: the email prompt's types and the email check both sides run.
//!
//! The format is documented in `docs/protocol.md` and pinned by golden tests in
//! `relay/tests/protocol.rs`. This crate depends only on serde, so it builds for wasm32 and native.

pub mod email;
pub mod error;
pub mod event;
pub mod look;
pub mod protocol;

pub use email::{EmailCapture, EmailStep};
pub use error::{close_code, ErrorCode};
pub use event::{
    Action, Attachment, AttachmentLimits, Author, ConversationEvent, EventBody, Message, Phase, PhaseChange,
    QuickReply, Role, Source,
};
pub use look::{Theme, MAX_LANGUAGES};
pub use protocol::{ClientFrame, ServerFrame, Visitor};

/// The protocol version a client announces in its `hello` frame. A relay refuses other versions.
pub const PROTOCOL_VERSION: u32 = 1;

/// The largest text frame, in bytes, either side accepts. Larger frames are refused.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// The largest message text, in characters, a visitor may send.
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// The longest client-generated message id accepted, in bytes.
pub const MAX_CLIENT_ID_BYTES: usize = 64;

/// The most files one message carries.
pub const MAX_ATTACHMENTS: usize = 10;
