//! The state every handler shares: cheap, cloneable handles.

use std::{collections::HashMap, sync::Arc};

use arc_swap::ArcSwap;

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    agents::{Directory, Presence},
    bot::{library::POLL_INTERVAL, Bot, Library},
    config::{Config, Schedule, SiteConfig},
    conversation::Registry,
    providers::{self, SiteProvider},
    pubsub::Bus,
    queue::Queue,
    store::Store,
    templates::Templates,
    triggers::Triggers,
};

/// One configured site, ready to serve: its settings, texts, hours, articles, bot and triggers.
pub struct Site {
    pub key: String,
    pub config: SiteConfig,
    pub templates: Templates,
    /// `None`: always open.
    pub schedule: Option<Schedule>,
    /// The help articles, reindexed when the folder changes.
    pub library: Arc<Library>,
    pub bot: Arc<dyn Bot>,
    /// When the bot hands over on its own.
    pub triggers: Triggers,
    /// Where handovers go.
    pub provider: SiteProvider,
}

/// Sites by key. Every clone shares one swappable map, so a configuration reload
/// ([`Sites::reload`]) reaches every holder at once; a conversation picks up its site's new
/// settings with its next input.
#[derive(Clone, Default)]
pub struct Sites(Arc<ArcSwap<HashMap<String, Arc<Site>>>>);

impl Sites {
    /// Builds every site. The configuration was checked when it loaded, so templates and hours
    /// compile; a failure here is still reported, not a panic.
    pub fn from_config(config: &Config, presence: &Presence) -> anyhow::Result<Self> {
        Ok(Self(Arc::new(ArcSwap::from_pointee(Self::build(config, presence, &HashMap::new())?))))
    }

    /// Builds the sites of `config` and swaps them in. An error leaves the current sites.
    pub fn reload(&self, config: &Config, presence: &Presence) -> anyhow::Result<()> {
        let next = Self::build(config, presence, &self.0.load())?;
        self.0.store(Arc::new(next));
        Ok(())
    }

    /// `previous` lends its help-article libraries (and their folder watchers) to sites whose
    /// folder did not change.
    fn build(
        config: &Config,
        presence: &Presence,
        previous: &HashMap<String, Arc<Site>>,
    ) -> anyhow::Result<HashMap<String, Arc<Site>>> {
        let mut sites = HashMap::new();
        for (key, site) in &config.sites {
            let templates = Templates::compile(&site.handover)
                .map_err(|e| anyhow::anyhow!("sites.{key}.handover.{}: {}", e.setting, e.message))?;
            let schedule = site.office_hours.as_ref().map(|h| h.schedule()).transpose()?;
            let triggers = Triggers::compile(&site.triggers, &site.handover)
                .map_err(|e| anyhow::anyhow!("sites.{key}.triggers: {e}"))?;
            let library = match previous.get(key).filter(|old| old.config.help_dir == site.help_dir) {
                Some(old) => old.library.clone(),
                None => {
                    let library = Library::open(&site.help_dir);
                    library.watch(POLL_INTERVAL);
                    library
                }
            };
            let bot = crate::bot::build(key, site, library.clone());
            tracing::info!(site = %key, articles = library.shelf().articles.0.len(), "site ready");
            let provider = SiteProvider::new(
                // The built-in inbox counts only this site's agents as available.
                providers::build(&site.provider, &presence.for_site(key))
                    .map_err(|e| anyhow::anyhow!("sites.{key}.provider: {e}"))?,
                site.availability.clone(),
            );
            let site =
                Site { key: key.clone(), config: site.clone(), templates, schedule, library, bot, triggers, provider };
            sites.insert(key.clone(), Arc::new(site));
        }
        Ok(sites)
    }

    pub fn get(&self, key: &str) -> Option<Arc<Site>> {
        self.0.load().get(key).cloned()
    }

    /// Every site's connector, for the outbox.
    pub fn connectors(&self) -> crate::outbox::Connectors {
        crate::outbox::Connectors::new(
            self.0
                .load()
                .values()
                .map(|site| ((site.key.clone(), site.provider.kind()), site.provider.get().clone()))
                .collect(),
        )
    }
}

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
    pub conversations: Arc<Registry>,
    pub agents: Arc<Directory>,
    pub presence: Presence,
    pub queue: Queue,
    pub outbox: crate::outbox::Outbox,
    /// Rate and socket limits, and the conversations widget sockets watch.
    pub limits: Arc<crate::limits::Limits>,
    /// Wakes the worker that applies stored webhook events.
    pub webhook_events: crate::webhooks::pending::PendingEvents,
    pub metrics: crate::metrics::Metrics,
    pub shutdown: Shutdown,
}
