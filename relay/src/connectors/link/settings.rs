//! The link's settings: `[sites.<key>.provider]` with `kind = "link"`.

use serde::{Deserialize, Serialize};

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
