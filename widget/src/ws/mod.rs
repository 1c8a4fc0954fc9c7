//! The link to the relay: reconnect policy (pure) and, in the browser, the WebSocket itself.

pub mod backoff;
pub mod decode;
#[cfg(target_arch = "wasm32")]
pub mod socket;

/// How often a keep-alive `ping` goes out while the socket is open.
pub const PING_EVERY_MS: u32 = 25_000;
/// With nothing received for this long (two pings unanswered), the socket is taken for dead.
pub const DEAD_AFTER_MS: f64 = 60_000.0;
