//! The widget's hand-written frame decoder (`widget/src/ws/decode.rs`) on any text: it must
//! never panic, and every frame the relay can write must decode to the same value: whatever
//! serde's derived `ServerFrame` deserializer accepts is serialised again as the relay does
//! (`serde_json::to_string`) and decoded. The raw text itself is not compared: the derive is
//! lenient in ways the relay never uses (a tag given as a variant index, `"type": 1`, which the
//! fuzzer found), and the widget need not accept those.
//!
//! The widget is a wasm binary crate, so its decoder file is compiled here as a module: the
//! exact source the widget ships, with its JSON reader (`widget/src/json.rs`, which parses with
//! `serde_json` natively; in the browser `JSON.parse` parses and the same reader walks the
//! result) and the same dependencies (`shared`, through the relay's re-export, and `serde`).
#![no_main]

#[path = "../../widget/src/ws/decode.rs"]
#[allow(dead_code)]
mod decode;
#[path = "../../widget/src/json.rs"]
#[allow(dead_code)]
mod json;

use libfuzzer_sys::fuzz_target;
use relay::shared::{self, ServerFrame};

fuzz_target!(|text: &str| {
    let _ = decode::decode(text);
    if let Ok(frame) = serde_json::from_str::<ServerFrame>(text) {
        let written = serde_json::to_string(&frame).expect("a frame serialises");
        assert_eq!(decode::decode(&written), Ok(frame), "the widget decodes a relay frame differently: {written}");
    }
});
