//! What the connectors' unit tests share: a handover to hand over, settings read from TOML as a
//! site's configuration file gives them, and a secret-header webhook's settings.

use serde::de::DeserializeOwned;

use super::{settings::SecretHeaderWebhook, Handover};
use crate::identity::Identity;

/// Ada's handover of conversation `c1` on `demo`, with `email` as the site signed it (if any).
pub fn handover(email: Option<&str>) -> Handover {
    Handover {
        conversation_id: "c1".into(),
        site: "demo".into(),
        visitor: Identity { email_verified: email.is_some(), ..Identity::unverified(email, Some("Ada")) },
        summary: "Wants a refund for order <1234>.".into(),
        reason: "explicit_request".into(),
        visitor_messages: vec!["A person please".into()],
        given_email_is_contact: false,
        files: vec![],
    }
}

/// A secret-header webhook (Freshdesk's, Gorgias's): the secret `s` in `header`, without Basic
/// credentials, the messages of `ignore_agents` being Baton's own.
pub fn secret_header_webhook(header: &str, ignore_agents: &[&str]) -> SecretHeaderWebhook {
    SecretHeaderWebhook {
        header: header.into(),
        secret: Some("s".into()),
        basic_username: None,
        basic_password: None,
        ignore_agents: ignore_agents.iter().map(|agent| agent.to_string()).collect(),
    }
}

/// A connector's settings from the TOML of its `[sites.<key>.provider]` table (without `kind`).
pub fn settings<T: DeserializeOwned>(toml: &str) -> T {
    use figment::providers::{Format, Toml};
    figment::Figment::from(Toml::string(toml)).extract().expect("settings")
}
