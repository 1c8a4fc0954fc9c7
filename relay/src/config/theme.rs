//! `[sites.<key>.theme]`: the widget's look for a site, sent to the widget in `welcome`
//! (`shared::Theme`, where each value is checked: `Config::check` refuses a bad one).

use serde::{Deserialize, Serialize};

/// The same fields as `shared::Theme`, refusing unknown keys (a typo in the file is an error,
/// while the wire type ignores fields it does not know).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThemeConfig {
    /// The brand colour, `#rgb` or `#rrggbb`; the widget picks white or near-black text on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary: Option<String>,
    /// `right` (default) or `left`: where the launcher and the panel sit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// The panel's title instead of the bot's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// An `http(s)` image URL shown in the panel's header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    /// A line shown while the conversation is empty.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub greeting: Option<String>,
    /// `auto` (default: the visitor's `prefers-color-scheme`), `light` or `dark`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
}

impl ThemeConfig {
    /// The settings' names, in the order the dashboard's Appearance page shows them.
    pub const FIELDS: [&'static str; 6] = ["primary", "position", "title", "avatar", "greeting", "scheme"];

    /// The setting called `name` (one of [`Self::FIELDS`]).
    pub fn field_mut(&mut self, name: &str) -> Option<&mut Option<String>> {
        match name {
            "primary" => Some(&mut self.primary),
            "position" => Some(&mut self.position),
            "title" => Some(&mut self.title),
            "avatar" => Some(&mut self.avatar),
            "greeting" => Some(&mut self.greeting),
            "scheme" => Some(&mut self.scheme),
            _ => None,
        }
    }

    /// The value of the setting called `name`, if set.
    pub fn field(&self, name: &str) -> Option<String> {
        self.clone().field_mut(name)?.take()
    }
}

impl From<ThemeConfig> for shared::Theme {
    fn from(t: ThemeConfig) -> Self {
        shared::Theme {
            primary: t.primary,
            position: t.position,
            title: t.title,
            avatar: t.avatar,
            greeting: t.greeting,
            scheme: t.scheme,
        }
    }
}
