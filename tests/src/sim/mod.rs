//! Wire-level helpdesk simulators over real HTTP, following the vendors' paths, auth, payloads
//! and errors as `../shared/providers/SPEC.md` gives them. Tests point a connector at one,
//! inspect what it received, make it fail (down, 429), and send signed webhooks back.

pub mod freshchat;
pub mod freshdesk;
pub mod gorgias;
pub mod hubspot;
pub mod intercom;
pub mod zendesk_messaging;
pub mod zendesk_support;

use std::net::SocketAddr;

use axum::Router;

/// Serves `app` on a fresh loopback port for the rest of the test.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind simulator");
    let addr = listener.local_addr().expect("simulator address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// How the simulator answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// 503 to everything.
    Down,
    /// 429 with the vendor's rate-limit headers.
    RateLimited,
}
