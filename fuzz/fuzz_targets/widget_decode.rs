//! The widget's hand-written frame decoder (`widget/src/ws/decode.rs`) on any text: it must
//! never panic, and every frame serde's derived `ServerFrame` deserializer accepts must decode
//! to the same value (the contract the decoder's own tests check on chosen frames). The
//! decoder may be more lenient than the derive (e.g. a repeated key, last one wins): the relay
//! never writes such frames, and accepting them cannot lose one it does write.
//!
//! The widget is a wasm binary crate, so its decoder file is compiled here as a module: the
//! exact source the widget ships, with the same dependencies (`shared`, `serde_json`).
#![no_main]

#[path = "../../widget/src/ws/decode.rs"]
#[allow(dead_code)]
mod decode;

use libfuzzer_sys::fuzz_target;
use shared::ServerFrame;

fuzz_target!(|text: &str| {
    let ours = decode::decode(text);
    if let Ok(derived) = serde_json::from_str::<ServerFrame>(text) {
        assert_eq!(ours.as_ref(), Ok(&derived), "the widget decodes a valid frame differently: {text:?}");
    }
});
