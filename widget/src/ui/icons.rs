//! Inline SVG icons (markup only; colours come from `currentColor`).

/// The close icon's markup, for plain elements (`attach.rs`, `header.rs`).
pub const CLOSE: &str = "<svg class=\"baton-icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\"><path d=\"M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z\"/></svg>";

/// The send icon's markup.
pub const SEND: &str = "<svg class=\"baton-icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\"><path d=\"M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z\"/></svg>";

/// The paperclip's markup, for plain elements (`attach.rs`, `messages.rs`).
pub const PAPERCLIP: &str = "<svg class=\"baton-icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\"><path d=\"M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 5.5 0 0 0 11 0V6z\"/></svg>";
