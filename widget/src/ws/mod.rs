//! The link to the relay: reconnect policy (pure) and, in the browser, the WebSocket itself.

pub mod backoff;
pub mod decode;
pub mod encode;
#[cfg(target_arch = "wasm32")]
pub mod socket;
#[cfg(target_arch = "wasm32")]
pub mod tabs;

use shared::{close_code, ServerFrame};

/// Whether a tab keeps `frame` to replay to a tab that joins later (`tabs.rs`): what builds the
/// conversation's state (welcome, events, texts, the queue, the email prompt, the summary), not
/// what only matters the moment it arrives (typing, drafts, pongs) or to the tab that sent a
/// message (acks, errors).
pub fn kept(frame: &ServerFrame) -> bool {
    !matches!(
        frame,
        ServerFrame::Typing { .. }
            | ServerFrame::Draft { .. }
            | ServerFrame::Pong
            | ServerFrame::Ack { .. }
            | ServerFrame::Error { .. }
    )
}

/// Close codes after which reconnecting cannot help. Every other close (the relay restarting
/// with 1012, an idle 1001, a refusal for now with 1013, a dropped connection) is followed by a
/// reconnect with backoff, which resumes from the last event seen and resends what was not
/// acknowledged.
pub fn is_fatal(code: u16) -> bool {
    matches!(code, close_code::UNSUPPORTED_VERSION | close_code::UNKNOWN_SITE | close_code::POLICY)
}

/// How often a keep-alive `ping` goes out while the socket is open.
pub const PING_EVERY_MS: u32 = 25_000;
/// With nothing received for this long (two pings unanswered), the socket is taken for dead.
pub const DEAD_AFTER_MS: f64 = 60_000.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabs_replay_what_builds_the_conversation_not_passing_frames() {
        assert!(kept(&ServerFrame::Queue { position: 1, wait_seconds: 30 }));
        assert!(kept(&ServerFrame::EmailSaved { email: "a@b.c".into() }));
        assert!(!kept(&ServerFrame::Pong));
        assert!(!kept(&ServerFrame::Ack { client_id: "c".into(), seq: 3 }));
        assert!(!kept(&ServerFrame::Typing { author: shared::Author::bot("B"), on: true }));
    }

    #[test]
    fn a_relay_restart_is_reconnected_and_only_refusals_stop_the_widget() {
        for code in [close_code::SERVICE_RESTART, close_code::GOING_AWAY, close_code::TRY_AGAIN_LATER, 1006] {
            assert!(!is_fatal(code), "{code} reconnects");
        }
        for code in [close_code::UNSUPPORTED_VERSION, close_code::UNKNOWN_SITE, close_code::POLICY] {
            assert!(is_fatal(code), "{code} stops");
        }
    }
}
