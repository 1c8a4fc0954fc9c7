//! Defaults every connector's settings share (`#[serde(default = "...")]` paths), so one value
//! is written once: the request timeout, on-by-default switches, the ticket helpdesks' tags,
//! subject prefix and fallback customer; the check that required settings are not blank; and
//! the secret-header webhook Freshdesk and Gorgias share.

use serde::{Deserialize, Serialize};

use super::{Field, ProviderError, WeakWebhook};

/// Refuses settings of connector `name` where one of `required` (setting, value) is blank.
pub fn require(name: &str, required: &[(&str, &str)]) -> Result<(), ProviderError> {
    match required.iter().find(|(_, value)| value.trim().is_empty()) {
        Some((setting, _)) => Err(ProviderError::Config(format!("{name}.{setting} is empty"))),
        None => Ok(()),
    }
}

/// Seconds before a helpdesk call counts as failed (and is retried).
pub fn default_timeout() -> u64 {
    10
}

pub fn default_true() -> bool {
    true
}

/// The tags on every ticket; the handover reason is added.
pub fn default_tags() -> Vec<String> {
    vec!["bot_handover".into()]
}

pub fn default_subject_prefix() -> String {
    "Chat handover".into()
}

/// The customer of tickets from visitors without an email the site signed, for helpdesks that
/// require one.
pub fn default_fallback_email() -> String {
    "chat-visitor@baton.invalid".into()
}

/// Freshdesk and Gorgias sign nothing: the site owner configures a secret header and/or
/// HTTP Basic credentials on the webhook, and the relay checks whichever is set (both, if both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretHeaderWebhook {
    #[serde(default = "default_secret_header")]
    pub header: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub basic_username: Option<String>,
    #[serde(default)]
    pub basic_password: Option<String>,
    /// Agent names or emails whose messages are Baton's own writes (the API key's user).
    #[serde(default)]
    pub ignore_agents: Vec<String>,
}

/// What the dashboard asks for a [`SecretHeaderWebhook`].
pub const SECRET_HEADER_WEBHOOK_FIELDS: &[Field] = &[
    Field::text(
        "header",
        "Secret header",
        "The header your webhook sends the secret in. Empty: X-Baton-Webhook-Secret.",
    ),
    Field::secret(
        "secret",
        "Webhook secret",
        "At least 16 characters; put the same value in the header of the helpdesk's webhook.",
    ),
    Field::text("basic_username", "Basic auth user name", "Instead of (or with) the secret header."),
    Field::secret("basic_password", "Basic auth password", "At least 16 characters."),
    Field::list(
        "ignore_agents",
        "Baton's own agents",
        "Agent names or emails whose messages are Baton's writes (the API key's user), one a line.",
    ),
];

fn default_secret_header() -> String {
    "X-Baton-Webhook-Secret".into()
}

impl SecretHeaderWebhook {
    /// What makes this webhook unsafe to accept: neither a secret nor Basic credentials, a
    /// short secret or password, a password without a user name.
    pub fn weak(&self) -> Option<WeakWebhook> {
        let (secret, password) = (self.secret.as_deref(), self.basic_password.as_deref());
        if secret.is_none() && password.is_none() {
            let problem = "set `secret` and/or `basic_username` + `basic_password`".to_string();
            return Some(WeakWebhook { setting: None, problem });
        }
        if let Some(weak) = secret.and_then(|secret| WeakWebhook::short("secret", secret)) {
            return Some(weak);
        }
        if let Some(weak) = password.and_then(|password| WeakWebhook::short("basic_password", password)) {
            return Some(weak);
        }
        let no_user = self.basic_username.as_deref().is_none_or(|u| u.trim().is_empty());
        (password.is_some() && no_user)
            .then(|| WeakWebhook { setting: Some("basic_username"), problem: "required with basic_password".into() })
    }
}

/// The settings of a connector that takes none (the built-in inbox): any key is refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

/// The webhook settings of a connector that receives no webhooks: there are none to read.
#[derive(Debug)]
pub enum NoWebhooks {}

impl<'de> Deserialize<'de> for NoWebhooks {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("this helpdesk sends no webhooks"))
    }
}
