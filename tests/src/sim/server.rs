//! The plumbing every simulator shares: a real HTTP server on an ephemeral loopback port, the
//! record of what it was asked, and one gate in front of the vendor's routes that applies the
//! failure mode (down, rate-limited, a black hole, slow) and the vendor's credentials check.
//! A vendor module holds only what differs: its routes and state ([`Vendor`]), its error and
//! rate-limit answers, its credentials, and how its webhooks are signed.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    extract::{Query, Request, State},
    http::{HeaderMap, StatusCode, Uri},
    middleware::{self, Next},
    response::Response,
    Router,
};
use serde_json::Value;

use super::webhook::Delivery;

/// How the simulator answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Normal,
    /// 503 to everything, in the vendor's error shape.
    Down,
    /// 429 with the vendor's rate-limit headers.
    RateLimited,
    /// Accepts the request and never answers (the caller's timeout is all that ends it).
    BlackHole,
}

/// One helpdesk's API as the simulator serves it: its state (`Self`), its routes, and the
/// answers its gate gives on its behalf.
pub trait Vendor: Default + Send + 'static {
    /// The API's routes; a request reaches them only through the gate.
    fn routes() -> Router<Sim<Self>>;
    /// The `Authorization` values the vendor accepts on `path`.
    fn credentials(path: &str) -> Vec<String>;
    /// The vendor's error answer with `status` on `path` (401, 429, 503): its shape and words.
    fn error(status: StatusCode, path: &str) -> Response;
    /// The headers of the vendor's 429 (`Retry-After` or its own); none by default.
    fn rate_limit_headers() -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// Whatever else the vendor refuses before a route runs (a missing header, another app).
    fn refuse(_path: &str, _headers: &HeaderMap) -> Option<Response> {
        None
    }
    /// `body` as the vendor delivers a webhook to `url`: its headers and signature.
    fn webhook(url: &str, body: String) -> Delivery;
}

/// What the simulator was asked and how it is told to behave, the same for every vendor.
#[derive(Debug, Default)]
struct Log {
    mode: Mode,
    /// Every request that got past the delay, as ("METHOD /path", JSON body or query).
    requests: Vec<(String, Value)>,
    /// Every request's "METHOD /path" as it arrives, before the delay.
    arrivals: Vec<String>,
    /// How long every answer takes (a slow helpdesk).
    delay: Duration,
    /// Requests starting with one of these ("GET /admins") answer whatever the mode.
    always_up: Vec<String>,
    /// Where the vendor's webhooks for Baton's own writes go (the relay's URL), when set.
    webhook_url: Option<String>,
    /// The relay's answers to those webhooks: (status, body sent).
    echoes: Vec<(u16, String)>,
}

/// The simulator's switches (failure mode, delay, webhooks) and its record of the traffic.
/// Cheap to clone; every clone is the same simulator's.
#[derive(Debug, Clone, Default)]
pub struct Traffic(Arc<Mutex<Log>>);

impl Traffic {
    pub fn set_mode(&self, mode: Mode) {
        self.0.lock().unwrap().mode = mode;
    }

    /// Requests starting with `what` ("GET /admins") answer whatever the mode.
    pub fn keep_up(&self, what: &str) {
        self.0.lock().unwrap().always_up.push(what.to_string());
    }

    /// Every answer takes `delay` (a slow helpdesk).
    pub fn set_delay(&self, delay: Duration) {
        self.0.lock().unwrap().delay = delay;
    }

    /// Send the webhooks the vendor fires for Baton's own writes to `relay_webhook_url`.
    pub fn send_webhooks_to(&self, relay_webhook_url: &str) {
        self.0.lock().unwrap().webhook_url = Some(relay_webhook_url.to_string());
    }

    /// Every request's "METHOD /path" as it arrived, answered or not.
    pub fn arrivals(&self) -> Vec<String> {
        self.0.lock().unwrap().arrivals.clone()
    }

    /// How many requests for `what` ("GET /admins") have arrived so far, answered or not.
    pub fn arrived(&self, what: &str) -> usize {
        self.0.lock().unwrap().arrivals.iter().filter(|a| *a == what).count()
    }

    /// Every request so far: ("METHOD /path", body or query).
    pub fn requests(&self) -> Vec<(String, Value)> {
        self.0.lock().unwrap().requests.clone()
    }

    /// How many requests started with `what` ("POST /api/v2/tickets").
    pub fn asked(&self, what: &str) -> usize {
        self.0.lock().unwrap().requests.iter().filter(|(r, _)| r.starts_with(what)).count()
    }

    /// The relay's answers to the webhooks fired for Baton's own writes: (status, body).
    pub fn echoes(&self) -> Vec<(u16, String)> {
        self.0.lock().unwrap().echoes.clone()
    }
}

/// A running simulator of vendor `V`. Cheap to clone; every clone sees the same server.
pub struct Sim<V> {
    /// The vendor's state: what the helpdesk holds.
    pub inner: Arc<Mutex<V>>,
    pub traffic: Traffic,
    addr: SocketAddr,
}

impl<V> Clone for Sim<V> {
    fn clone(&self) -> Self {
        Self { inner: self.inner.clone(), traffic: self.traffic.clone(), addr: self.addr }
    }
}

impl<V: Vendor> Sim<V> {
    /// Serves a fresh `V` on a new loopback port for the rest of the test.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind simulator");
        let sim = Self {
            inner: Arc::default(),
            traffic: Traffic::default(),
            addr: listener.local_addr().expect("simulator address"),
        };
        let app = V::routes().layer(middleware::from_fn_with_state(sim.clone(), gate::<V>)).with_state(sim.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        sim
    }

    /// Delivers `bodies` in order to the relay as the vendor's webhooks for Baton's own writes
    /// (when [`Traffic::send_webhooks_to`] was called), noting the relay's answers as echoes.
    pub fn echo(&self, bodies: Vec<String>) {
        let Some(url) = self.traffic.0.lock().unwrap().webhook_url.clone() else {
            return;
        };
        let traffic = self.traffic.clone();
        tokio::spawn(async move {
            for body in bodies {
                let (status, _) = V::webhook(&url, body.clone()).send(&url).await;
                traffic.0.lock().unwrap().echoes.push((status, body));
            }
        });
    }

    /// `body` signed for `url` as the vendor signs its webhooks.
    pub fn sign_webhook(url: &str, body: String) -> Delivery {
        V::webhook(url, body)
    }

    /// Delivers `body` to `url` signed as the vendor signs its webhooks: (status, answer).
    pub async fn deliver(url: &str, body: String) -> (u16, String) {
        V::webhook(url, body).send(url).await
    }
}

impl<V> Sim<V> {
    /// `http://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Notes the request, waits the configured delay, then answers for the vendor when the mode
/// or the credentials say so; otherwise hands the request on to the vendor's route.
async fn gate<V: Vendor>(State(sim): State<Sim<V>>, request: Request, next: Next) -> Response {
    let what = format!("{} {}", request.method(), request.uri().path());
    let delay = {
        let mut traffic = sim.traffic.0.lock().unwrap();
        traffic.arrivals.push(what.clone());
        traffic.delay
    };
    tokio::time::sleep(delay).await;
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap_or_default();
    let seen = serde_json::from_slice(&bytes).unwrap_or_else(|_| query(&parts.uri));
    let mode = {
        let mut traffic = sim.traffic.0.lock().unwrap();
        traffic.requests.push((what.clone(), seen));
        if traffic.always_up.iter().any(|up| what.starts_with(up.as_str())) {
            Mode::Normal
        } else {
            traffic.mode
        }
    };
    let path = parts.uri.path();
    match mode {
        Mode::Normal => {}
        Mode::Down => return V::error(StatusCode::SERVICE_UNAVAILABLE, path),
        Mode::RateLimited => {
            let mut response = V::error(StatusCode::TOO_MANY_REQUESTS, path);
            for (name, value) in V::rate_limit_headers() {
                response.headers_mut().insert(name, value.parse().expect("header value"));
            }
            return response;
        }
        Mode::BlackHole => return std::future::pending().await,
    }
    let given = parts.headers.get("authorization").and_then(|v| v.to_str().ok());
    if !given.is_some_and(|given| V::credentials(path).iter().any(|accepted| accepted == given)) {
        return V::error(StatusCode::UNAUTHORIZED, path);
    }
    if let Some(refusal) = V::refuse(path, &parts.headers) {
        return refusal;
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// The query's parameters as a JSON object (`Null` without a query).
fn query(uri: &Uri) -> Value {
    match (uri.query(), Query::<BTreeMap<String, String>>::try_from_uri(uri)) {
        (Some(_), Ok(Query(parameters))) => serde_json::json!(parameters),
        _ => Value::Null,
    }
}

/// `Basic base64(user:password)`.
pub fn basic(user: &str, password: &str) -> String {
    use base64::{engine::general_purpose::STANDARD, Engine};
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}
