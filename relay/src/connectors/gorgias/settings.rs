//! Gorgias's settings: `[sites.<key>.provider]` with `kind = "gorgias"` (outbound calls) and
//! `[sites.<key>.webhooks.gorgias]` (how its webhooks are recognised).

use serde::{Deserialize, Serialize};

use crate::connectors::{settings as shared, Field};

/// `[sites.<key>.provider]` with `kind = "gorgias"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GorgiasSettings {
    /// `https://<domain>.gorgias.com` (the `/api` paths are added).
    pub base_url: String,
    /// The account email and REST API key: Basic `<email>:<api_key>`.
    pub email: String,
    pub api_key: String,
    /// The customer of tickets from visitors who gave no email (Gorgias requires a sender).
    #[serde(default = "shared::default_fallback_email")]
    pub fallback_email: String,
    /// Tags on every ticket (sent as `[{"name": ...}]`); the reason is added.
    #[serde(default = "shared::default_tags")]
    pub tags: Vec<String>,
    /// The `tags` shape is UNCONFIRMED: `false` leaves tags out if Gorgias refuses them.
    #[serde(default = "shared::default_true")]
    pub send_tags: bool,
    #[serde(default = "shared::default_subject_prefix")]
    pub subject_prefix: String,
    /// A Gorgias user id that authors internal notes (cancel, leave); without it no note is
    /// written (an internal note needs a user sender, SPEC 7(b)).
    #[serde(default)]
    pub note_user_id: Option<u64>,
    /// Close the ticket (`status: closed`) when the visitor cancels.
    #[serde(default = "shared::default_true")]
    pub close_on_cancel: bool,
    #[serde(default = "shared::default_timeout")]
    pub timeout_seconds: u64,
}

/// What the dashboard asks for `[sites.<key>.provider]`.
pub const FIELDS: &[Field] = &[
    Field::text("base_url", "Gorgias address", "https://<domain>.gorgias.com.").required(),
    Field::text("email", "Account email", "The REST API key's user.").required(),
    Field::secret("api_key", "REST API key", "Settings → REST API.").required(),
    Field::text("fallback_email", "Customer without an email", "Empty: chat-visitor@baton.invalid."),
    Field::tags(),
    Field::flag("send_tags", "Send tags", "Off if Gorgias refuses them.", true),
    Field::subject_prefix(),
    Field::number("note_user_id", "Note author user id", "A Gorgias user id that writes internal notes. Empty: no notes."),
    Field::flag("close_on_cancel", "Close the ticket when the visitor cancels", "", true),
    Field::timeout(),
];
