//! Stable error codes sent to clients, and the WebSocket close codes the relay uses.
//!
//! Clients switch on the code, never on the human-readable message next to it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not valid JSON or not a known frame shape. The connection stays open.
    BadFrame,
    /// The frame is larger than [`crate::MAX_FRAME_BYTES`]. The connection stays open.
    FrameTooLarge,
    /// A message text is empty or longer than [`crate::MAX_MESSAGE_CHARS`].
    InvalidMessage,
    /// The client speaks another protocol version. The relay closes the connection.
    UnsupportedVersion,
    /// The site key is not configured on this relay. The relay closes the connection.
    UnknownSite,
    /// The page's origin is not allowed for this site. The relay closes the connection.
    OriginNotAllowed,
    /// The email in an `email` frame is not an address ([`crate::email::check`]); the message
    /// says why. Nothing changed.
    InvalidEmail,
    /// A frame other than `hello` arrived before the handshake.
    NotReady,
    /// The client (its session, its address or the site) sends too fast, or its address has
    /// too many connections open; the frame was not processed. Retry after the error's
    /// `retry_after` seconds.
    RateLimited,
    /// The action is not possible in the conversation's current state (e.g. cancelling after an
    /// agent joined). Nothing changed.
    NotAllowed,
    /// Something failed inside the relay; the frame was not processed, retry later.
    Internal,
}

/// WebSocket close codes (RFC 6455 section 7.4 plus the private 4000-4999 range).
pub mod close_code {
    /// The connection was silent too long: reconnect.
    pub const GOING_AWAY: u16 = 1001;
    /// The relay is shutting down or restarting: reconnect (with backoff; another relay may
    /// answer) and resend what was not acknowledged.
    pub const SERVICE_RESTART: u16 = 1012;
    /// The client broke the protocol (no hello, repeated bad frames).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// Policy violation: unknown site.
    pub const POLICY: u16 = 1008;
    /// Too busy for this client now (too many connections or new conversations from its
    /// address): reconnect later, after the error frame's `retry_after` seconds.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// Protocol version not supported: do not reconnect with the same version.
    pub const UNSUPPORTED_VERSION: u16 = 4001;
    /// Site not configured: do not reconnect.
    pub const UNKNOWN_SITE: u16 = 4004;
}
