//! Baton's chat widget.
//!
//! `public/embed.js` creates a shadow root on the host page, sets `window.__batonBoot` and
//! imports this crate's wasm-bindgen glue; `main` (the wasm start function) mounts the Leptos
//! app into the shadow root. See `app.rs` for the boot contract and `bridge/` for the page API.
//!
//! The pure parts (`store`, `i18n`, `look`, `attention`, `ws::backoff`, `bridge::{command, detail}`, `url`) build natively
//! and carry the unit tests: `cargo test -p baton-widget`.

// Natively only the pure modules are built (for the tests); the UI that uses the rest is wasm-only.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code, unused_imports))]

// The wire types as `crate::shared` too: `ws/decode.rs` names them so, and `fuzz/`, which
// compiles that file as a module, supplies them the same way through the relay.
#[allow(clippy::single_component_path_imports, reason = "makes the crate `shared` a path from the crate root")]
use shared;

mod attention;
mod bridge;
mod i18n;
mod json;
mod look;
mod store;
mod url;
mod ws;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod ui;

fn main() {
    #[cfg(target_arch = "wasm32")]
    app::start();
}
