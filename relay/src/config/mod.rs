//! Typed configuration: built-in defaults (the demo site), then an optional TOML file, then
//! `BATON_*` environment variables (nested keys with `__`, e.g. `BATON_SITES__DEMO__BOT_NAME`).

mod access;
mod bot;
mod handover;
mod limits;
mod office_hours;
mod triggers;
mod webhooks;

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};

pub use access::{agents_in_effect, demo_agent, AgentConfig, ALL_SITES, DEMO_TOKEN, MIN_SECRET_CHARS};
pub use bot::{BotConfig, LlmConfig, RasaConfig};
pub use handover::HandoverConfig;
pub use limits::{LimitsConfig, Rates, RetentionConfig, SiteLimits};
pub use office_hours::{OfficeHours, OfficeHoursError, Schedule};
pub use triggers::{
    CannotAnswerConfig, ExplicitRequestConfig, FrustrationAction, FrustrationConfig, RuleConfig, SummaryConfig,
    TopicConfig, TriggersConfig,
};
pub use webhooks::{
    FreshchatWebhook, HubspotWebhook, IntercomWebhook, SecretHeaderWebhook, WebhooksConfig, ZendeskMessagingWebhook,
    ZendeskSupportWebhook,
};

use crate::templates::Templates;

/// The whole relay configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. `BATON_BIND=0.0.0.0:8080` to expose it.
    pub bind: SocketAddr,
    /// Where conversations are stored. SQLite by default; the file is created on first run.
    pub database_url: String,
    /// Several relays behind one load balancer (`BATON_REDIS_URL=redis://127.0.0.1:6379`): live
    /// events travel between them over Redis pub/sub, and each conversation's actor runs on one
    /// relay at a time (a lease in the store). Absent: one relay, everything in process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redis_url: Option<String>,
    /// Prepended to every Redis channel, so deployments (or test runs) sharing a Redis stay
    /// apart (`BATON_REDIS_PREFIX`).
    #[serde(default = "default_redis_prefix")]
    pub redis_prefix: String,
    /// With Redis: how long a conversation stays with a relay that stopped renewing its lease
    /// (a relay killed or cut off) before another relay takes it over.
    #[serde(default = "default_lease_ttl", with = "humantime_serde")]
    pub lease_ttl: std::time::Duration,
    /// The demo host page, the loader (`embed.js`) and the help articles.
    pub public_dir: PathBuf,
    /// The built widget (Trunk's `dist/`), served under `/widget/`.
    pub widget_dir: PathBuf,
    /// Sites by their key (the `data-site` of the embed tag).
    pub sites: BTreeMap<String, SiteConfig>,
    /// People who answer in the built-in agent inbox (`/inbox`), signing in with their token,
    /// each for the sites listed in its `sites`. None by default.
    pub agents: Vec<AgentConfig>,
    /// Rate limits, connection limits and timeouts (`[limits]`; sites may override rates).
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Reverse proxies (CIDRs, `"10.0.0.0/8"`) whose `X-Forwarded-For` is believed. Empty: the
    /// client's address is the TCP peer's.
    #[serde(default)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// How long stored data is kept (`[retention]`).
    #[serde(default)]
    pub retention: RetentionConfig,
    /// Demo mode (`BATON_DEMO=1`, set by `scripts/run.sh`): adds the demo agent (token
    /// `demo-agent`, every site) and accepts short secrets. Never in production. `1`, `true`,
    /// `yes` and `on` all switch it on.
    #[serde(default, deserialize_with = "figment::util::bool_from_str_or_int")]
    pub demo: bool,
    /// The file this configuration was read from, watched for changes (not a setting).
    #[serde(skip)]
    pub source_file: Option<PathBuf>,
}

/// One website that embeds the widget.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// The bot's display name in the chat header and on its messages.
    pub bot_name: String,
    /// The first bot message of every new conversation.
    pub greeting: String,
    /// Folder of Markdown help articles the bot answers from (relative paths are resolved from
    /// the working directory). Articles are served under `/help/<site>/<file stem>`.
    pub help_dir: PathBuf,
    /// Page origins allowed to open a widget connection for this site (`https://shop.example`).
    /// Empty means any origin.
    pub allowed_origins: Vec<String>,
    /// The key of identity verification: a logged-in visitor's page passes `user_hash`, the hex
    /// HMAC-SHA256 of `user_id` (else `email`) under it. Absent: every identity is unverified.
    /// At least 16 characters; keep it out of version control (`BATON_SITES__<KEY>__IDENTITY_SECRET`).
    pub identity_secret: Option<String>,
    /// Which bot answers first: `kind = "knowledge"` (the default), `"llm"` or `"rasa"`.
    pub bot: BotConfig,
    /// The handover settings: texts, cancel intent, quick reply.
    pub handover: HandoverConfig,
    /// When people take chats; absent means always.
    pub office_hours: Option<OfficeHours>,
    /// The helpdesk handovers go to (`kind = "builtin"` by default).
    pub provider: crate::providers::ProviderConfig,
    /// How the helpdesk is asked whether anyone is available: deadline, caching, breaker.
    pub availability: crate::providers::AvailabilityPolicy,
    /// When the bot hands over on its own: explicit requests, frustration, cannot answer,
    /// guidance rules and topics.
    pub triggers: TriggersConfig,
    /// What the summary for agents may use.
    pub summary: SummaryConfig,
    /// How the relay checks each helpdesk's webhooks for this site (`docs/webhooks.md`).
    #[serde(default)]
    pub webhooks: WebhooksConfig,
    /// This site's own rate limits over `[limits]`.
    #[serde(default)]
    pub limits: SiteLimits,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            bot_name: "Baton".into(),
            greeting: "Hi! I'm Baton, the shop's assistant. Ask me about shipping, returns, sizing \
                       or payment."
                .into(),
            help_dir: PathBuf::from("public/help"),
            allowed_origins: Vec::new(),
            identity_secret: None,
            bot: BotConfig::default(),
            handover: HandoverConfig::default(),
            office_hours: None,
            provider: crate::providers::ProviderConfig::default(),
            availability: crate::providers::AvailabilityPolicy::default(),
            triggers: TriggersConfig::default(),
            summary: SummaryConfig::default(),
            webhooks: WebhooksConfig::default(),
            limits: SiteLimits::default(),
        }
    }
}

fn default_redis_prefix() -> String {
    "baton:".into()
}

fn default_lease_ttl() -> std::time::Duration {
    std::time::Duration::from_secs(10)
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://data/baton.db".into(),
            redis_url: None,
            redis_prefix: default_redis_prefix(),
            lease_ttl: default_lease_ttl(),
            public_dir: PathBuf::from("public"),
            widget_dir: PathBuf::from("dist"),
            sites: BTreeMap::from([("demo".to_string(), SiteConfig::default())]),
            limits: LimitsConfig::default(),
            trusted_proxies: Vec::new(),
            retention: RetentionConfig::default(),
            // No agent unless configured; demo mode adds the demo agent (`access::demo_agent`).
            agents: Vec::new(),
            demo: false,
            source_file: None,
        }
    }
}

impl Config {
    /// Defaults, then the file at `BATON_CONFIG` (or `baton.toml` if it exists), then `BATON_*`;
    /// then every template and office-hours table is checked.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(&std::env::var("BATON_CONFIG").unwrap_or_else(|_| "baton.toml".into()))
    }

    /// Defaults, then `file` (if it exists), then `BATON_*`; checked like [`Config::load`].
    pub fn load_from(file: &str) -> Result<Self, ConfigError> {
        let mut config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("BATON_").ignore(&["CONFIG"]).split("__"))
            .extract()
            .map_err(Box::new)?;
        let source = std::fs::read_to_string(file).ok();
        config.check(file, source.as_deref())?;
        config.source_file = source.is_some().then(|| PathBuf::from(file));
        Ok(config)
    }

    /// Compiles every template and office-hours table. Errors name the file and, when the text
    /// is found in it, the line.
    pub fn check(&self, file: &str, source: Option<&str>) -> Result<(), ConfigError> {
        for (key, site) in &self.sites {
            if let Err(error) = Templates::compile(&site.handover) {
                let line = source.and_then(|s| line_of(s, error.source_text.lines().next().unwrap_or_default()));
                return Err(ConfigError::Template {
                    file: file.to_string(),
                    line: line.map(|l| l + error.line.saturating_sub(1)),
                    setting: format!("sites.{key}.handover.{}", error.setting),
                    message: error.message,
                });
            }
            crate::triggers::Triggers::compile(&site.triggers, &site.handover)
                .map_err(|error| ConfigError::Trigger { site: key.clone(), error })?;
            if let Some(hours) = &site.office_hours {
                hours.schedule().map_err(|error| ConfigError::OfficeHours { site: key.clone(), error })?;
            }
            if let Some(problem) = site.webhooks.weak_secret() {
                let provider = problem.split(['.', ':']).next().unwrap_or_default();
                let line = source.and_then(|s| line_of(s, &format!("[sites.{key}.webhooks.{provider}]")));
                return Err(ConfigError::WeakSecret {
                    file: file.to_string(),
                    line,
                    setting: format!("sites.{key}.webhooks.{problem}"),
                });
            }
            access::check_identity_secret(self.demo, key, site, file, source)?;
        }
        access::check_agents(self.demo, &self.agents, &self.sites, file, source)?;
        Ok(())
    }

    /// The agents who can sign in: the configured ones, plus the demo agent in demo mode.
    pub fn agents_in_effect(&self) -> Vec<AgentConfig> {
        agents_in_effect(self.demo, &self.agents)
    }

    pub fn site(&self, key: &str) -> Option<&SiteConfig> {
        self.sites.get(key)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    #[error("{file}:{}: {setting}: broken template: {message}", line.map_or("?".to_string(), |l| l.to_string()))]
    Template { file: String, line: Option<usize>, setting: String, message: String },
    #[error("sites.{site}.triggers: {error}")]
    Trigger { site: String, error: crate::triggers::TriggerError },
    #[error("sites.{site}.office_hours: {error}")]
    OfficeHours { site: String, error: OfficeHoursError },
    #[error("{file}:{}: {setting}", line.map_or("?".to_string(), |l| l.to_string()))]
    WeakSecret { file: String, line: Option<usize>, setting: String },
    #[error("{file}:{}: {setting}: {message}", line.map_or("?".to_string(), |l| l.to_string()))]
    Access { file: String, line: Option<usize>, setting: String, message: String },
}

/// The 1-based line of `source` where `needle` first appears.
fn line_of(source: &str, needle: &str) -> Option<usize> {
    let needle = needle.trim();
    if needle.is_empty() {
        return None;
    }
    source.lines().position(|line| line.contains(needle)).map(|i| i + 1)
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail returns figment::Error
mod tests {
    use super::*;

    #[test]
    fn defaults_include_the_demo_site() {
        figment::Jail::expect_with(|_| {
            let config = Config::load().map_err(|e| e.to_string())?;
            assert!(config.site("demo").is_some());
            assert_eq!(config.bind.port(), 8080);
            Ok(())
        });
    }

    #[test]
    fn file_and_environment_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "baton.toml",
                r#"
                bind = "127.0.0.1:9000"
                [sites.acme]
                bot_name = "Acme Bot"
                "#,
            )?;
            jail.set_env("BATON_SITES__ACME__GREETING", "Hello from env");
            let config = Config::load().map_err(|e| e.to_string())?;
            assert_eq!(config.bind.port(), 9000);
            let acme = config.site("acme").expect("acme site");
            assert_eq!(acme.bot_name, "Acme Bot");
            assert_eq!(acme.greeting, "Hello from env");
            assert!(config.site("demo").is_some(), "the demo site stays unless removed");
            Ok(())
        });
    }

    #[test]
    fn a_broken_template_is_rejected_with_file_and_line() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "baton.toml",
                "[sites.demo.handover]\nquick_reply_text = \"Stop\"\ntext_message = \"Wait {{ queue_position \"\n",
            )?;
            let error = Config::load().unwrap_err().to_string();
            assert!(error.starts_with("baton.toml:3: sites.demo.handover.text_message: broken template"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn bad_office_hours_are_rejected() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("baton.toml", "[sites.demo.office_hours]\ntimezone = \"Nowhere/City\"\ndays = {}\n")?;
            let error = Config::load().unwrap_err().to_string();
            assert!(error.contains("sites.demo.office_hours: unknown time zone"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn empty_or_short_webhook_secrets_are_refused_with_file_and_line() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "baton.toml",
                "bind = \"127.0.0.1:9000\"\n[sites.demo.webhooks.intercom]\nclient_secret = \"\"\n",
            )?;
            let error = Config::load().unwrap_err().to_string();
            assert!(error.starts_with("baton.toml:2: sites.demo.webhooks.intercom.client_secret: empty"), "{error}");
            jail.create_file("baton.toml", "[sites.demo.webhooks.freshdesk]\nsecret = \"hunter2\"\n")?;
            let error = Config::load().unwrap_err().to_string();
            assert!(error.contains("sites.demo.webhooks.freshdesk.secret: empty or shorter than 16"), "{error}");
            jail.create_file("baton.toml", "[sites.demo.webhooks.gorgias]\nheader = \"X-Secret\"\n")?;
            let error = Config::load().unwrap_err().to_string();
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
    fn unknown_keys_are_rejected() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("baton.toml", "bnid = \"127.0.0.1:9000\"")?;
            assert!(Config::load().is_err());
            Ok(())
        });
    }
}
