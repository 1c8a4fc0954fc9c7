//! Each site's runtime, built from its configuration: texts (templates), hours, help articles,
//! bot, triggers, its helpdesk's connector (with the availability guard) and the webhook checks
//! of the helpdesks it accepts webhooks from. The configuration is data only (`crate::config`);
//! here it meets the behaviour, so the checks that need behaviour live here too: loading a
//! configuration file ([`Config::load_from`]) compiles every template, trigger set and helpdesk
//! setting and refuses weak webhook secrets, with the file and line.

use std::{collections::HashMap, sync::Arc};

use arc_swap::ArcSwap;

use crate::{
    agents::Presence,
    availability::{self, AvailabilityPolicy},
    bot::{library::POLL_INTERVAL, Bot, Library},
    config::{line_of, CaptureWhen, Config, ConfigError, Schedule, SiteConfig},
    connectors::{self, Context, Provider, ProviderError, ProviderKind, SettingsError, Webhook},
    sealed::{self, SecretBox},
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
    /// The helpdesks whose webhooks this site accepts, each with its check.
    pub webhooks: HashMap<ProviderKind, Arc<dyn Webhook>>,
    /// Helpdesks the site used before (`retired_providers`): the outbox still calls them for
    /// the conversations handed to them.
    pub retired: HashMap<ProviderKind, Arc<dyn Provider>>,
}

impl Site {
    /// When the widget asks this site's visitors for their email: as configured, else before
    /// the handover when the helpdesk takes tickets that need one to answer by email
    /// (`Capabilities`: ticket mode with email handover), else never.
    pub fn email_capture(&self) -> CaptureWhen {
        let capabilities = self.provider.get().capabilities();
        let tickets = capabilities.mode == connectors::Mode::Ticket && capabilities.email_handover;
        self.config.email_capture.when(tickets)
    }
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
        let secrets = SecretBox::from_config(config.secret_key.as_ref())?;
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
            // The built-in inbox counts only this site's agents as available.
            let SiteConnectors { provider, webhooks, retired } =
                connectors_of(key, site, &presence.for_site(key), secrets.as_ref())
                    .map_err(|(setting, error)| anyhow::anyhow!("sites.{key}.{setting}: {error}"))?;
            let provider = SiteProvider::new(provider, site.availability.clone());
            let site = Site {
                key: key.clone(),
                config: site.clone(),
                templates,
                schedule,
                library,
                bot,
                triggers,
                provider,
                webhooks,
                retired,
            };
            sites.insert(key.clone(), Arc::new(site));
        }
        Ok(sites)
    }

    /// Every site's key.
    pub fn keys(&self) -> Vec<String> {
        self.0.load().keys().cloned().collect()
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
                .flat_map(|site| {
                    // The helpdesk in use last, so it wins over a retired one of the same kind.
                    let retired =
                        site.retired.iter().map(|(kind, provider)| ((site.key.clone(), *kind), provider.clone()));
                    retired.chain([((site.key.clone(), site.provider.kind()), site.provider.get().clone())])
                })
                .collect(),
        )
    }
}

/// A site's provider, with its availability answer guarded ([`availability::Guard`]: cached,
/// single-flight, deadline, circuit breaker): a slow or dead helpdesk must not hold up a
/// handover for long, nor be hammered by every visitor asking at once.
pub struct SiteProvider {
    /// The `kind` the connector was built for.
    kind: ProviderKind,
    provider: Arc<dyn Provider>,
    availability: availability::Guard,
}

impl SiteProvider {
    pub fn new((kind, provider): (ProviderKind, Arc<dyn Provider>), policy: AvailabilityPolicy) -> Self {
        Self { kind, provider, availability: availability::Guard::new(policy) }
    }

    pub fn get(&self) -> &Arc<dyn Provider> {
        &self.provider
    }

    pub fn kind(&self) -> ProviderKind {
        self.kind
    }

    /// Is anyone there? The built-in inbox answers from memory; a helpdesk through the guard,
    /// so the answer comes within the policy's deadline.
    pub async fn available(&self) -> Result<bool, ProviderError> {
        if self.kind == ProviderKind::Builtin {
            return self.provider.available().await;
        }
        self.availability.ask(|| self.provider.available()).await
    }
}

/// A site's connector and webhook checks, built from its `provider`, `webhooks` and
/// `retired_providers` tables.
struct SiteConnectors {
    provider: (ProviderKind, Arc<dyn Provider>),
    webhooks: HashMap<ProviderKind, Arc<dyn Webhook>>,
    retired: HashMap<ProviderKind, Arc<dyn Provider>>,
}

/// Builds site `key`'s connectors; secrets sealed in the dashboard are opened here, and only
/// here, with the relay's key (`crate::sealed`).
fn connectors_of(
    key: &str,
    site: &SiteConfig,
    presence: &Presence,
    secrets: Option<&SecretBox>,
) -> Result<SiteConnectors, (String, SettingsError)> {
    let open = |setting: &str, table| {
        sealed::open_table(table, secrets, key)
            .map_err(|error| (setting.to_string(), SettingsError::Invalid { key: None, message: error.to_string() }))
    };
    let provider = connectors::build_provider(&open("provider", &site.provider)?, &Context { presence })
        .map_err(|error| ("provider".to_string(), error))?;
    let mut webhooks = HashMap::new();
    for (name, table) in &site.webhooks {
        let setting = || format!("webhooks.{name}");
        let kind = ProviderKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| (setting(), SettingsError::UnknownKind(name.clone())))?;
        let table = open(&setting(), table)?;
        webhooks.insert(kind, kind.webhook(&table).map_err(|error| (setting(), error))?);
    }
    let mut retired = HashMap::new();
    for (name, table) in &site.retired_providers {
        let setting = format!("retired_providers.{name}");
        let (kind, connector) = connectors::build_provider(&open(&setting, table)?, &Context { presence })
            .map_err(|error| (setting.clone(), error))?;
        retired.insert(kind, connector);
    }
    Ok(SiteConnectors { provider, webhooks, retired })
}

impl Config {
    /// Defaults, then the file at `BATON_CONFIG` (or `baton.toml` if it exists), then `BATON_*`;
    /// then everything is checked ([`Config::check`]).
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(&std::env::var("BATON_CONFIG").unwrap_or_else(|_| "baton.toml".into()))
    }

    /// Defaults, then `file` (if it exists), then `BATON_*`; checked like [`Config::load`].
    pub fn load_from(file: &str) -> Result<Self, ConfigError> {
        let (config, source) = Config::read_from(file)?;
        config.check(file, source.as_deref())?;
        Ok(config)
    }

    /// Compiles every template and trigger set, reads every helpdesk's settings with its
    /// connector and refuses weak webhook secrets. Errors name the file and, when the text is
    /// found in it, the line. (Office hours, agents and identity secrets are checked by
    /// [`Config::read_from`].)
    pub fn check(&self, file: &str, source: Option<&str>) -> Result<(), ConfigError> {
        let line = |needle: &str| source.and_then(|s| line_of(s, needle));
        let secrets =
            SecretBox::from_config(self.secret_key.as_ref()).map_err(|e| ConfigError::SecretKey(e.to_string()))?;
        for (key, site) in &self.sites {
            site.check_look().map_err(|(setting, message)| ConfigError::Look {
                file: file.to_string(),
                line: line(&format!("[sites.{key}.theme]")).filter(|_| setting.starts_with("theme.")),
                setting: format!("sites.{key}.{setting}"),
                message,
            })?;
            if let Err(error) = Templates::compile(&site.handover) {
                let first = line(error.source_text.lines().next().unwrap_or_default());
                return Err(ConfigError::Template {
                    file: file.to_string(),
                    line: first.map(|l| l + error.line.saturating_sub(1)),
                    setting: format!("sites.{key}.handover.{}", error.setting),
                    message: error.message,
                });
            }
            Triggers::compile(&site.triggers, &site.handover)
                .map_err(|error| ConfigError::Trigger { site: key.clone(), message: error.to_string() })?;
            let SiteConnectors { webhooks, .. } = connectors_of(key, site, &Presence::default(), secrets.as_ref())
                .map_err(|(setting, error)| {
                    let table = setting.strip_prefix("webhooks.").map_or_else(
                        || format!("[sites.{key}.provider]"),
                        |name| format!("[sites.{key}.webhooks.{name}]"),
                    );
                    ConfigError::Helpdesk {
                        file: file.to_string(),
                        line: line(&table),
                        setting: format!("sites.{key}.{setting}"),
                        message: error.to_string(),
                    }
                })?;
            let mut weak: Vec<_> =
                webhooks.iter().filter_map(|(kind, webhook)| Some((kind.name(), webhook.weak()?))).collect();
            weak.sort_by_key(|(name, _)| *name);
            if let Some((name, weak)) = weak.first() {
                return Err(ConfigError::WeakSecret {
                    file: file.to_string(),
                    line: line(&format!("[sites.{key}.webhooks.{name}]")),
                    setting: format!("sites.{key}.webhooks.{}", weak.describe(name)),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail returns figment::Error
mod tests {
    use super::*;

    /// The error loading `toml` as the jail's `baton.toml` gives.
    #[allow(clippy::result_large_err)] // figment's Jail returns figment::Error
    fn load_error(jail: &mut figment::Jail, toml: &str) -> figment::error::Result<String> {
        jail.create_file("baton.toml", toml)?;
        Ok(Config::load().unwrap_err().to_string())
    }

    #[test]
    fn a_broken_template_is_rejected_with_file_and_line() {
        figment::Jail::expect_with(|jail| {
            let error = load_error(
                jail,
                "[sites.demo.handover]\nquick_reply_text = \"Stop\"\ntext_message = \"Wait {{ queue_position \"\n",
            )?;
            assert!(error.starts_with("baton.toml:3: sites.demo.handover.text_message: broken template"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn empty_or_short_webhook_secrets_are_refused_with_file_and_line() {
        figment::Jail::expect_with(|jail| {
            let error =
                load_error(jail, "bind = \"127.0.0.1:9000\"\n[sites.demo.webhooks.intercom]\nclient_secret = \"\"\n")?;
            assert!(error.starts_with("baton.toml:2: sites.demo.webhooks.intercom.client_secret: empty"), "{error}");
            let error = load_error(jail, "[sites.demo.webhooks.freshdesk]\nsecret = \"hunter2\"\n")?;
            assert!(error.contains("sites.demo.webhooks.freshdesk.secret: empty or shorter than 16"), "{error}");
            let error = load_error(jail, "[sites.demo.webhooks.gorgias]\nheader = \"X-Secret\"\n")?;
            assert!(error.contains("sites.demo.webhooks.gorgias: set `secret`"), "{error}");
            jail.create_file(
                "baton.toml",
                "[sites.demo.webhooks.zendesk_support]\nsigning_secret = \"dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==\"\n",
            )?;
            assert!(Config::load().is_ok(), "a real-length secret loads");
            Ok(())
        });
    }

    #[test]
    fn helpdesk_settings_are_read_by_their_connector_with_file_and_line() {
        figment::Jail::expect_with(|jail| {
            let error = load_error(jail, "bind = \"127.0.0.1:9000\"\n[sites.demo.provider]\nkind = \"intercom\"\n")?;
            assert!(error.starts_with("baton.toml:2: sites.demo.provider: missing field `access_token`"), "{error}");
            let error = load_error(jail, "[sites.demo.provider]\nkind = \"nobody\"\n")?;
            assert!(error.contains("sites.demo.provider: no helpdesk is called \"nobody\""), "{error}");
            let error = load_error(
                jail,
                "[sites.demo.provider]\nkind = \"link\"\nurl = \"https://x.test\"\nlable = \"typo\"\n",
            )?;
            assert!(error.contains("sites.demo.provider: lable: unknown field"), "{error}");
            let error = load_error(jail, "[sites.demo.webhooks.builtin]\nsecret = \"0123456789abcdef\"\n")?;
            assert!(error.contains("sites.demo.webhooks.builtin: builtin sends no webhooks"), "{error}");
            jail.create_file("baton.toml", "[sites.demo.provider]\nkind = \"link\"\nurl = \"https://x.test\"\n")?;
            let config = Config::load().map_err(|e| e.to_string())?;
            let sites = Sites::from_config(&config, &Presence::default()).map_err(|e| e.to_string())?;
            let demo = sites.get("demo").unwrap();
            assert_eq!(demo.provider.kind(), ProviderKind::Link);
            assert_eq!(demo.provider.get().link().map(|l| l.label.as_str()), Some("Contact us"));
            Ok(())
        });
    }
}
