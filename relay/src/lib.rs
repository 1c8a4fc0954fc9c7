//! Baton's relay: the server between the chat widget, the bot and the agents.
//!
//! # Layout, in reading order
//! - [`config`]: typed configuration (defaults, `baton.toml`, `BATON_*`), data only.
//! - [`sites`]: each site's runtime built from it (templates, triggers, bot, connector,
//!   webhook checks), and the checked loading of a configuration file.
//! - [`site_settings`]: sites' settings kept in the database, over the file's tables.
//! - [`sealed`]: secrets set in the dashboard, sealed at rest with the relay's key.
//! - [`state`]: the shared handles every handler gets.
//! - [`gateway`]: the widget WebSocket (`/ws`), the protocol edge.
//! - [`conversation`]: one actor per conversation; [`conversation::machine`] decides who may
//!   speak (bot, waiting, agent, ended), without I/O.
//! - [`queue`]: the waiting line per site, positions and wait estimates.
//! - [`agents`]: the built-in agent inbox: directory, presence, REST API and live socket.
//! - [`attachments`]: files sent in chats: storage, sniffing, signed addresses, uploads.
//! - [`http_channel`]: the request/response channel (no live chat, so no handover).
//! - [`identity`]: who the visitor is and whether the site signed it.
//! - [`bot`]: the [`bot::Bot`] trait and the help-article bot; [`summary`] for agents.
//! - [`templates`]: the site's handover texts.
//! - [`transcript`]: the visitor's transcript, downloaded or emailed (`[smtp]`).
//! - [`event`]: the relay's own events as it stores them (versioned JSON) and its vocabulary
//!   (phase, reason, channel); [`wire`] is the one mapping of them to the protocol (`shared`).
//! - [`store`]: durable conversations and events (SQLite by default).
//! - [`pubsub`]: live fan-out of events to sessions.
//! - [`web`]: the loader, widget assets, demo page and help articles over HTTP; [`attention`]:
//!   a site's sound setting and proactive messages for the widget.
//! - [`connectors`]: one folder per helpdesk (settings, outbound calls, webhook check and
//!   parser) behind the `Connector` trait, and their registry; [`availability`] guards the
//!   "anyone there?" call.
//! - [`webhooks`]: helpdesk webhooks in: the route, de-duplication, pending events, delivery
//!   to conversations.
//! - [`limits`]: rates per address and per site, sockets per address, the client's address
//!   behind trusted proxies; [`server`] serves with header and body timeouts.
//! - [`admin`]: the owner dashboard at `/admin/` (accounts, sessions, settings pages).
//! - [`metrics`]: Prometheus series at `/metrics`; [`health`]: `/healthz` and `/readyz`.
//! - [`retention`]: prunes empty and old conversations, processed webhook events and
//!   delivered outbox rows in the background.
//! - `fuzzing` (feature `fuzzing` only): the input-facing entry points `fuzz/` drives.

/// The wire types (the `shared` crate), re-exported so `fuzz/` reaches them through the relay.
pub use shared;

pub mod admin;
pub mod agents;
pub mod attachments;
pub mod attention;
pub mod availability;
pub mod bot;
pub mod config;
pub mod connectors;
pub mod conversation;
pub mod event;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod gateway;
pub mod health;
pub mod http_channel;
pub mod identity;
pub mod limits;
pub mod metrics;
pub mod outbox;
pub mod pubsub;
pub mod queue;
pub mod reload;
pub mod retention;
pub mod sealed;
pub mod server;
pub mod site_settings;
pub mod sites;
pub mod state;
pub mod store;
pub mod summary;
pub mod templates;
pub mod transcript;
pub mod triggers;
pub mod web;
pub mod webhooks;
pub mod wire;

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{middleware, Router};
use tokio::net::TcpListener;
use tower_http::{limit::RequestBodyLimitLayer, timeout::RequestBodyTimeoutLayer, trace::TraceLayer};

use crate::{
    agents::{Directory, Presence},
    config::Config,
    conversation::{Command, Deps, Leases, Registry},
    outbox::{Outbox, Outcome},
    pubsub::{Bus, RedisSettings},
    queue::Queue,
    state::{AppState, Shutdown, Sites},
};

/// How long shutdown waits for sessions to close before giving up.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Opens the store and loads the sites: everything [`app`] needs.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let store = store::connect(&config.database_url)
        .await
        .with_context(|| format!("opening the store at {}", config.database_url))?;
    // This process's name on the bus and in conversation leases.
    let node = uuid::Uuid::new_v4().to_string();
    let bus = match &config.redis_url {
        Some(url) => {
            let settings = RedisSettings { url: url.clone(), prefix: config.redis_prefix.clone(), node: node.clone() };
            Bus::redis(settings).with_context(|| format!("redis_url {url:?}"))?
        }
        None => Bus::local(),
    };
    let presence = Presence::default();
    // The sites' settings documents in the database go over the file's tables.
    let documents = store.admin().site_settings().await.context("reading the sites' settings")?;
    let sites = Sites::from_config(&site_settings::overlay(&config, &documents), &presence)?;
    let settings = site_settings::SiteSettings::new(config.clone(), sites.connectors());
    let queue = Queue::new(bus.clone(), presence.clone());
    // The waiting line survives restarts: rebuild it from the store.
    queue.load(store.as_ref(), &sites).await.context("reading the waiting line")?;
    // Outbox jobs and webhook events are claimed for as long as a conversation's lease lasts:
    // a relay that dies hands both over after `lease_ttl`.
    let claimer = store::Claimer::new(node.clone(), config.lease_ttl);
    let outbox = Outbox::new(store.clone(), claimer.clone());
    let metrics = metrics::Metrics::default();
    let attachments = attachments::Attachments::from_config(&config)?;
    let shutdown = Shutdown::default();
    let deps = Deps {
        store: store.clone(),
        bus: bus.clone(),
        queue: queue.clone(),
        presence: presence.clone(),
        outbox: outbox.clone(),
        metrics: metrics.clone(),
        attachments: attachments.clone(),
        shutdown: shutdown.clone(),
    };
    let mut registry = Registry::new(deps, sites.clone());
    if config.redis_url.is_some() {
        // Several relays: agents signed in at any of them count as online here.
        shutdown.tracker.spawn(presence.clone().share(bus.clone(), node.clone(), shutdown.token.clone()));
        // ... and the waiting line is every relay's conversations, re-read when one changes it.
        shutdown.tracker.spawn(queue.clone().follow(store.clone(), sites.clone(), shutdown.token.clone()));
        registry = registry.with_leases(Leases::new(store.clone(), bus.clone(), node, config.lease_ttl));
        // ... and a settings change made at another relay is applied here too.
        let follow = settings.clone().follow(
            store.clone(),
            bus.clone(),
            sites.clone(),
            presence.clone(),
            shutdown.token.clone(),
        );
        shutdown.tracker.spawn(follow);
    }
    let conversations = Arc::new(registry);
    let agents = Arc::new(Directory::new(&config.agents_in_effect()));
    let limits = Arc::new(limits::Limits::new(&config));
    let admin = Arc::new(admin::Admin::new(&config.admin));
    let mailer = match &config.smtp {
        Some(smtp) => Some(transcript::mail::Mailer::new(smtp).map_err(anyhow::Error::msg).context("[smtp]")?),
        None => None,
    };
    Ok(AppState {
        config: Arc::new(config),
        store,
        bus,
        sites,
        settings,
        admin,
        conversations,
        agents,
        presence,
        queue,
        outbox,
        attachments,
        limits,
        webhook_events: Default::default(),
        claimer,
        metrics,
        shutdown,
        mailer,
    })
}

/// The whole HTTP surface.
pub fn app(state: AppState) -> Router {
    let limits = state.config.limits.clone();
    Router::new()
        .merge(gateway::router())
        .merge(agents::api::router())
        .merge(agents::socket::router())
        .merge(http_channel::router())
        .merge(attention::router())
        .merge(transcript::router())
        .merge(webhooks::router().route_layer(middleware::from_fn_with_state(state.clone(), metrics::time_webhook)))
        .merge(health::router())
        .merge(admin::router(&state))
        .merge(web::router(&state))
        // A body trickled in too slowly fails the request (408 on the HTTP channel, the
        // extractor's 4xx elsewhere); one too large is refused with 413. Upgrades have no body and are not affected.
        .layer(RequestBodyLimitLayer::new(limits.max_body_bytes))
        // Uploads: the site's own size limit, checked as the body arrives.
        .merge(attachments::router())
        .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Starts the actors of conversations with work left: visitor messages acknowledged before a
/// stop whose effects were not carried out, and handovers a stop cut short. Their actors finish
/// them as they start (with several relays, only those no live relay holds).
async fn wake_unfinished(state: &AppState) {
    let waiting =
        state.store.conversations_in(&[event::Phase::Waiting]).await.map(|c| c.into_iter().map(|c| (c.id, c.site)));
    match state.store.conversations_with_pending(10_000).await.and_then(|p| Ok(p.into_iter().chain(waiting?))) {
        Ok(pending) => {
            for (conversation, site) in pending {
                if let Err(error) = state.conversations.wake(&conversation, &site) {
                    tracing::warn!(%conversation, %error, "cannot resume a conversation");
                }
            }
        }
        Err(error) => tracing::error!(%error, "cannot read pending visitor messages"),
    }
}

/// Serves on `listener` until `shutdown` resolves, then stops accepting, closes widget sessions
/// (code 1012, so they reconnect to the next relay) after the acks already on their way, lets
/// conversation actors finish what is queued and the workers stop, and waits for all of it, at
/// most [`SHUTDOWN_GRACE`].
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The address actually bound (port 0 picks one): links made without a public address
    // (helpdesks' file addresses, the setup link) name it.
    let config = match listener.local_addr() {
        Ok(bind) => Config { bind, ..config },
        Err(_) => config,
    };
    let state = build_state(config).await?;
    let stop = state.shutdown.clone();
    if state.config.redis_url.is_none() {
        // Alone on its database: claims left by an earlier run of this relay (killed while
        // working) end now rather than when they lapse.
        if let Err(error) = state.store.release_claims().await {
            tracing::warn!(%error, "cannot end the claims of an earlier run");
        }
    }
    // The outbox worker: helpdesk calls in the background, outcomes back to the conversations.
    let registry = state.conversations.clone();
    let report = move |conversation: &str, site: &str, outcome: Outcome| {
        let (registry, conversation, site) = (registry.clone(), conversation.to_string(), site.to_string());
        tokio::spawn(async move {
            if let Err(error) = registry.send(&conversation, &site, Command::Outbox(outcome)).await {
                tracing::warn!(%conversation, %error, "outbox outcome not delivered");
            }
        });
    };
    let connectors = state.settings.connectors().clone();
    stop.tracker.spawn(state.outbox.clone().run(connectors, report, stop.token.clone()));
    stop.tracker.spawn(reload::watch(state.clone(), stop.token.clone()));
    admin::setup::announce(&state).await;
    stop.tracker.spawn(retention::run(state.clone(), stop.token.clone()));
    // Webhook events: those acknowledged but not processed before the last stop first.
    stop.tracker.spawn(webhooks::pending::run(state.clone(), stop.token.clone()));
    // Several relays: hand conversations over when another relay asks for them.
    stop.tracker.spawn(state.conversations.clone().answer_lease_requests(state.bus.clone(), stop.token.clone()));
    wake_unfinished(&state).await;
    if state.config.redis_url.is_some() {
        // Another relay may die with work left: its conversations are picked up here once their
        // leases expire, even if no command comes for them.
        let (state, token) = (state.clone(), stop.token.clone());
        stop.tracker.spawn(async move {
            let mut sweeps = tokio::time::interval(state.config.lease_ttl.max(Duration::from_secs(1)));
            sweeps.tick().await;
            while token.run_until_cancelled(sweeps.tick()).await.is_some() {
                wake_unfinished(&state).await;
            }
        });
    }
    let token = stop.token.clone();
    let header_read_timeout = state.config.limits.header_read_timeout.max(Duration::from_millis(100));
    server::serve(listener, app(state), header_read_timeout, SHUTDOWN_GRACE, async move {
        shutdown.await;
        token.cancel();
    })
    .await;
    stop.tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, stop.tracker.wait()).await.is_err() {
        tracing::warn!("some sessions did not close in time");
    }
    Ok(())
}
