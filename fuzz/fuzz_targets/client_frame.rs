//! The relay's decoding of what a widget sends over `/ws` (`relay/src/gateway/codec.rs`), for
//! text and binary WebSocket messages of any content: an error or a frame, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay::fuzzing::{decode_widget_message, DecodeError, Incoming, Message};
use relay::shared::MAX_FRAME_BYTES;

fuzz_target!(|data: &[u8]| {
    let message = match std::str::from_utf8(data) {
        Ok(text) => Message::Text(text.into()),
        Err(_) => Message::Binary(data.to_vec().into()),
    };
    match decode_widget_message(message) {
        Ok(Incoming::Frame(frame)) => {
            assert!(data.len() <= MAX_FRAME_BYTES, "an oversized frame was decoded");
            // What was understood serialises again (the relay logs and echoes client ids).
            let _ = serde_json::to_string(&frame).expect("a decoded frame serialises");
        }
        Ok(_) => unreachable!("text and binary messages are never control messages"),
        Err(error) => {
            let _ = (error.code(), error.to_string());
            if let DecodeError::TooLarge(n) = error {
                assert!(n > MAX_FRAME_BYTES);
            }
        }
    }
});
