//! The state every handler shares: cheap, cloneable handles.

use std::{collections::HashMap, sync::Arc};

use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    bot::{Articles, Bot, FaqBot},
    config::{Config, SiteConfig},
    conversation::Registry,
    pubsub::Bus,
    store::Store,
};

/// One configured site, ready to serve: its settings, its articles and its bot.
pub struct Site {
    pub key: String,
    pub config: SiteConfig,
    pub articles: Articles,
    pub bot: Arc<dyn Bot>,
}

/// Sites by key.
#[derive(Clone, Default)]
pub struct Sites(Arc<HashMap<String, Arc<Site>>>);

impl Sites {
    pub fn from_config(config: &Config) -> Self {
        let sites = config
            .sites
            .iter()
            .map(|(key, site)| {
                let articles = Articles::load(&site.help_dir);
                let bot: Arc<dyn Bot> = Arc::new(FaqBot::new(&articles, format!("/help/{key}")));
                tracing::info!(site = %key, articles = articles.0.len(), "site ready");
                (
                    key.clone(),
                    Arc::new(Site {
                        key: key.clone(),
                        config: site.clone(),
                        articles,
                        bot,
                    }),
                )
            })
            .collect();
        Self(Arc::new(sites))
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
    pub shutdown: Shutdown,
}
