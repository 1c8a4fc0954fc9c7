//! Prometheus metrics, served at `GET /metrics` in the text exposition format.
//!
//! One [`Metrics`] per relay (in [`crate::state::AppState`], no global recorder), so several
//! relays in one test process keep their own counts. Counters and histograms are updated where
//! things happen (sockets, stored messages, phase changes, acknowledgements, bot answers,
//! webhook responses); the gauges that describe backlogs (waiting line, outbox, webhook
//! events) are read from the queue and the store when scraped. The series: `docs/deploy.md`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use crate::{event::Role, state::AppState, store::now_millis};
use axum::{
    extract::{Request, State},
    http::{header, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{text::encode, EncodeLabelSet},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::{Metric, Registry},
};

/// Latency buckets in seconds: 0.25 ms to 10 s, so both an ack (a millisecond or two) and a
/// bot answer or a webhook (tens of milliseconds to seconds) fall inside.
const LATENCY_BUCKETS: [f64; 16] =
    [0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum SocketKind {
    Widget,
    Agent,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SocketLabels {
    /// `widget` or `agent`.
    kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RoleLabels {
    role: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HandoverLabels {
    /// The phase the conversation moved to: `waiting`, `agent`, `ended` or `bot`.
    phase: String,
    /// Why it was handed over (`asked`, `frustration`, ...); empty outside `waiting`.
    reason: String,
    /// Where it went: `builtin`, `intercom`, ...
    provider: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SiteLabels {
    site: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProviderLabels {
    provider: String,
}

/// Every series the relay exports. Cheap to clone (each metric is an `Arc` inside).
#[derive(Clone)]
pub struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    sockets: Family<SocketLabels, Gauge>,
    messages: Family<RoleLabels, Counter>,
    handovers: Family<HandoverLabels, Counter>,
    queue: Family<SiteLabels, Gauge>,
    outbox_depth: Gauge,
    outbox_age: Gauge,
    webhook_pending: Gauge,
    webhook_lag: Gauge,
    ack: Histogram,
    bot_answer: Histogram,
    webhook_ack: Family<ProviderLabels, Histogram>,
}

fn latency() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

/// `metric`, registered in `registry` as `name` with `help`.
fn registered<M: Metric + Clone>(registry: &mut Registry, name: &str, help: &str, metric: M) -> M {
    registry.register(name, help, metric.clone());
    metric
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("baton");
        let r = &mut registry;
        let handovers_help = "Conversation phase changes, by the phase entered, handover reason and provider";
        let inner = Inner {
            sockets: registered(r, "sockets", "Open WebSocket connections, by kind", Family::default()),
            messages: registered(r, "messages", "Chat messages stored, by author role", Family::default()),
            handovers: registered(r, "handovers", handovers_help, Family::default()),
            queue: registered(r, "queue_length", "Conversations waiting for an agent, by site", Family::default()),
            outbox_depth: registered(r, "outbox_depth", "Helpdesk calls waiting in the outbox", Gauge::default()),
            outbox_age: registered(
                r,
                "outbox_oldest_age_seconds",
                "Age of the oldest helpdesk call waiting in the outbox (0 when empty)",
                Gauge::default(),
            ),
            webhook_pending: registered(
                r,
                "webhook_pending",
                "Webhook events stored but not applied yet",
                Gauge::default(),
            ),
            webhook_lag: registered(
                r,
                "webhook_lag_seconds",
                "Age of the oldest webhook event not applied yet (0 when none waits)",
                Gauge::default(),
            ),
            ack: registered(
                r,
                "ack_seconds",
                "Visitor message received to acknowledged (stored), at the widget socket",
                latency(),
            ),
            bot_answer: registered(r, "bot_answer_seconds", "Time the site's bot took to answer", latency()),
            webhook_ack: registered(
                r,
                "webhook_ack_seconds",
                "Helpdesk webhook received to answered, by provider",
                Family::new_with_constructor(latency as fn() -> Histogram),
            ),
            registry,
        };
        Self(Arc::new(inner))
    }
}

impl Metrics {
    /// Counts an open socket until the guard is dropped.
    pub fn socket(&self, kind: SocketKind) -> SocketGuard {
        let kind = match kind {
            SocketKind::Widget => "widget",
            SocketKind::Agent => "agent",
        };
        let gauge = self.0.sockets.get_or_create(&SocketLabels { kind }).clone();
        gauge.inc();
        SocketGuard(gauge)
    }

    /// A chat message was stored.
    pub fn message_stored(&self, role: Role) {
        let role = match role {
            Role::Visitor => "visitor",
            Role::Bot => "bot",
            Role::Agent => "agent",
            Role::System => "system",
        };
        self.0.messages.get_or_create(&RoleLabels { role }).inc();
    }

    /// The conversation entered `phase` (for `reason`, with `provider`).
    pub fn phase_entered(&self, phase: &str, reason: Option<&str>, provider: &str) {
        let labels = HandoverLabels {
            phase: phase.to_string(),
            reason: reason.unwrap_or_default().to_string(),
            provider: provider.to_string(),
        };
        self.0.handovers.get_or_create(&labels).inc();
    }

    pub fn acknowledged(&self, took: Duration) {
        self.0.ack.observe(took.as_secs_f64());
    }

    pub fn bot_answered(&self, took: Duration) {
        self.0.bot_answer.observe(took.as_secs_f64());
    }

    /// Renders every series, reading the backlogs first.
    async fn render(&self, state: &AppState) -> Result<String, std::fmt::Error> {
        for (site, length) in state.queue.lengths() {
            self.0.queue.get_or_create(&SiteLabels { site }).set(length as i64);
        }
        match state.store.backlog().await {
            Ok(backlog) => {
                let now = now_millis();
                let age = |oldest: Option<i64>| oldest.map_or(0, |at| (now - at).max(0) / 1000);
                self.0.outbox_depth.set(i64::from(backlog.outbox_pending));
                self.0.outbox_age.set(age(backlog.outbox_oldest));
                self.0.webhook_pending.set(i64::from(backlog.webhook_pending));
                self.0.webhook_lag.set(age(backlog.webhook_oldest));
            }
            // The other series are still worth having; the gauges keep their last reading.
            Err(error) => tracing::warn!(%error, "metrics: the store's backlog is not readable"),
        }
        let mut text = String::new();
        encode(&mut text, &self.0.registry)?;
        Ok(text)
    }
}

/// An open socket, counted while it lives.
pub struct SocketGuard(Gauge);

impl Drop for SocketGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// `GET /metrics`.
pub async fn scrape(State(state): State<AppState>) -> Response {
    match state.metrics.render(&state).await {
        Ok(text) => ([(header::CONTENT_TYPE, "application/openmetrics-text; version=1.0.0; charset=utf-8")], text)
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Middleware around `/webhooks/{provider}/{site}`: how long the relay took to answer.
pub async fn time_webhook(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let provider = request.uri().path().split('/').nth(2).unwrap_or_default().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    // Only configured providers' names become label values (a path is any text a client sends).
    if response.status() != StatusCode::NOT_FOUND {
        state
            .metrics
            .0
            .webhook_ack
            .get_or_create(&ProviderLabels { provider })
            .observe(started.elapsed().as_secs_f64());
    }
    response
}
