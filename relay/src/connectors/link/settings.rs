//! The link's settings: `[sites.<key>.provider]` with `kind = "link"`.

use serde::{Deserialize, Serialize};

use crate::connectors::Field;

/// `[sites.<key>.provider]` with `kind = "link"`: a button to a contact form or help page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSettings {
    pub url: String,
    /// The button's label.
    #[serde(default = "default_link_label")]
    pub label: String,
    /// The message shown with the button.
    #[serde(default = "default_link_message")]
    pub message: String,
}

fn default_link_label() -> String {
    "Contact us".into()
}

fn default_link_message() -> String {
    "Our team answers through our contact form; it opens in a new tab.".into()
}

/// What the dashboard asks for.
pub const FIELDS: &[Field] = &[
    Field::text("url", "Link address", "Your contact form or help page (https://...).").required(),
    Field::text("label", "Button text", "Empty: Contact us."),
    Field::text("message", "Message shown with the button", "Empty: the default sentence."),
];
