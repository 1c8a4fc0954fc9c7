//! What the helpdesk connectors share: the HTTP client and the sorting of answers
//! ([`http`]), tolerant reading of JSON answers ([`json`]) and the settings' defaults
//! ([`settings`]).

pub mod http;
pub mod json;
pub mod settings;
