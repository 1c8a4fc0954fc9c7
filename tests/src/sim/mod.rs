//! Wire-level helpdesk simulators over real HTTP, following the vendors' paths, auth, payloads
//! and errors as the vendors document them (`tests/specs/`, the connectors' docs). Tests point a
//! connector at one, inspect what it received, make it fail (down, 429, a black hole, slow),
//! and send signed webhooks back.
//!
//! `server.rs` and `webhook.rs` are the shared plumbing ([`Sim`], [`Vendor`], [`Delivery`]);
//! each vendor module holds only its routes, payload shapes, credentials and signing scheme.

use serde_json::Value;

mod server;
mod webhook;

pub mod freshchat;
pub mod freshdesk;
pub mod gorgias;
pub mod hubspot;
pub mod intercom;
pub mod zendesk_messaging;
pub mod zendesk_support;

pub use server::{basic, Mode, Sim, Traffic, Vendor};

/// Whether `url` is an absolute `http(s)` address a helpdesk could fetch a file from (vendors
/// take attachments by address and fetch them; a relative or malformed one is refused).
pub fn fetchable(url: &Value) -> bool {
    url.as_str()
        .and_then(|u| reqwest::Url::parse(u).ok())
        .is_some_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}
pub use webhook::{hmac_sha1_hex, hmac_sha256_base64, next_number, unix_now, Delivery};

/// What every vendor module uses: axum's routing and extractors, JSON, and the plumbing.
mod prelude {
    pub use axum::{
        extract::{Path, Query, State},
        http::{HeaderMap, StatusCode},
        response::{IntoResponse, Response},
        routing::{get, patch, post, put},
        Json, Router,
    };
    pub use serde_json::{json, Value};

    pub use super::{basic, fetchable, next_number, Delivery, Sim, Vendor};
}
