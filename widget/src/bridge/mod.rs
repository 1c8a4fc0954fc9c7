//! The page ⇄ widget bridge: `baton:command` events in, `baton:event` events out, both on the
//! `EventTarget` that `embed.js` hands over in `window.__batonBoot.bridge`.
//!
//! The shapes live here as pure code (parsed and built as JSON text) so they are tested
//! natively; `js.rs` only moves the JSON across.

pub mod command;
pub mod detail;
#[cfg(target_arch = "wasm32")]
pub mod js;

/// The event name the page dispatches commands with.
pub const COMMAND_EVENT: &str = "baton:command";
/// The event name the widget emits with.
pub const WIDGET_EVENT: &str = "baton:event";
