//! The state every handler shares: cheap, cloneable handles.

use std::{collections::HashMap, sync::Arc};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    agents::{Directory, Presence},
    bot::{Articles, Bot, FaqBot},
    config::{Config, Schedule, SiteConfig},
    conversation::Registry,
    pubsub::Bus,
    queue::Queue,
    store::Store,
    templates::Templates,
};

/// One configured site, ready to serve: its settings, texts, hours, articles and bot.
pub struct Site {
    pub key: String,
    pub config: SiteConfig,
    pub templates: Templates,
    /// `None`: always open.
    pub schedule: Option<Schedule>,
    pub articles: Articles,
    pub bot: Arc<dyn Bot>,
}

/// Sites by key.
#[derive(Clone, Default)]
pub struct Sites(Arc<HashMap<String, Arc<Site>>>);

impl Sites {
    /// Builds every site. The configuration was checked when it loaded, so templates and hours
    /// compile; a failure here is still reported, not a panic.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let mut sites = HashMap::new();
        for (key, site) in &config.sites {
            let templates = Templates::compile(&site.handover)
                .map_err(|e| anyhow::anyhow!("sites.{key}.handover.{}: {}", e.setting, e.message))?;
            let schedule = site.office_hours.as_ref().map(|h| h.schedule()).transpose()?;
            let articles = Articles::load(&site.help_dir);
            let bot: Arc<dyn Bot> = Arc::new(FaqBot::new(&articles, format!("/help/{key}")));
            tracing::info!(site = %key, articles = articles.0.len(), "site ready");
            let site = Site { key: key.clone(), config: site.clone(), templates, schedule, articles, bot };
            sites.insert(key.clone(), Arc::new(site));
        }
        Ok(Self(Arc::new(sites)))
    }

    pub fn get(&self, key: &str) -> Option<Arc<Site>> {
        self.0.get(key).cloned()
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
    pub shutdown: Shutdown,
}
