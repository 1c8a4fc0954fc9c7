//! Defaults every connector's settings share (`#[serde(default = "...")]` paths), so one value
//! is written once: the request timeout, on-by-default switches, the ticket helpdesks' tags,
//! subject prefix and fallback customer.

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
