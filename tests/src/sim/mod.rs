//! Wire-level helpdesk simulators over real HTTP, following the vendors' paths, auth, payloads
//! and errors as the vendors document them (`tests/specs/`, the connectors' docs). Tests point a
//! connector at one, inspect what it received, make it fail (down, 429, a black hole, slow),
//! and send signed webhooks back.
//!
//! `server.rs` and `webhook.rs` are the shared plumbing ([`Sim`], [`Vendor`], [`Delivery`]);
//! each vendor module holds only its routes, payload shapes, credentials and signing scheme.

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

    pub use super::{basic, next_number, Delivery, Sim, Vendor};
}
