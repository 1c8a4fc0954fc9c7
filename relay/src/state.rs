//! The state every handler shares: cheap, cloneable handles.

use std::sync::Arc;

use tokio_util::{sync::CancellationToken, task::TaskTracker};

pub use crate::sites::{Site, Sites};
use crate::{
    agents::{Directory, Presence},
    config::Config,
    conversation::Registry,
    pubsub::Bus,
    queue::Queue,
    store::Store,
};

/// Stops sessions and waits for them on shutdown.
#[derive(Clone, Default)]
pub struct Shutdown {
    pub token: CancellationToken,
    pub tracker: TaskTracker,
}

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub bus: Bus,
    pub sites: Sites,
    /// The configuration file as last read and the sites' settings documents over it.
    pub settings: crate::site_settings::SiteSettings,
    /// The owner dashboard's sign-in limits and setup token.
    pub admin: Arc<crate::admin::Admin>,
    pub conversations: Arc<Registry>,
    pub agents: Arc<Directory>,
    pub presence: Presence,
    pub queue: Queue,
    pub outbox: crate::outbox::Outbox,
    /// Files sent in chats: their storage and signed addresses.
    pub attachments: crate::attachments::Attachments,
    /// Rate and socket limits, and the conversations widget sockets watch.
    pub limits: Arc<crate::limits::Limits>,
    /// Wakes the worker that applies stored webhook events.
    pub webhook_events: crate::webhooks::pending::PendingEvents,
    /// This relay's name and hold on the outbox jobs and webhook events it claims.
    pub claimer: crate::store::Claimer,
    pub metrics: crate::metrics::Metrics,
    pub shutdown: Shutdown,
    /// `[smtp]`'s mail server, for emailing transcripts; `None` without one.
    pub mailer: Option<crate::transcript::mail::Mailer>,
}
