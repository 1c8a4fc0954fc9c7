//! Typed configuration: built-in defaults (the demo site), then an optional TOML file, then
//! `BATON_*` environment variables (nested keys with `__`, e.g. `BATON_SITES__DEMO__BOT_NAME`).
//!
//! Data only: this module imports no behaviour (connectors, triggers, templates, bot, agents;
//! `tests::configuration_imports_no_behaviour`). A helpdesk's settings stay raw tables here
//! ([`Table`]) that its connector reads; what needs behaviour to be checked (templates,
//! triggers, helpdesk settings, webhook secrets) is checked by `crate::sites` when the file
//! loads (`Config::load`, `Config::load_from` and `Config::check` are defined there).

mod access;
mod admin;
mod attachments;
mod attention;
mod availability;
mod bot;
pub mod builtin_texts;
mod email_capture;
mod handover;
mod limits;
mod office_hours;
pub mod smtp;
mod theme;
mod triggers;

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};

pub use access::{
    agents_in_effect, check_agents, check_identity_secret, demo_agent, AgentConfig, ALL_SITES, DEMO_TOKEN,
    MIN_SECRET_CHARS,
};
pub use admin::AdminConfig;
pub use attachments::{AttachmentsConfig, S3Settings, SiteAttachments, StorageBackend, SNIFFABLE_TYPES};
pub use attention::{
    check_proactive, ProactiveRule, MAX_PROACTIVE_AFTER_SECS, MAX_PROACTIVE_CHARS, MAX_PROACTIVE_RULES,
};
pub use availability::AvailabilityPolicy;
pub use bot::{BotConfig, LlmConfig, RasaConfig};
pub use email_capture::{CaptureWhen, EmailCaptureConfig};
pub use handover::{HandoverConfig, HandoverTexts};
pub use limits::{LimitsConfig, Rates, RetentionConfig, SiteLimits};
pub use office_hours::{OfficeHours, OfficeHoursError, Schedule, MAX_HOLIDAYS};
pub use smtp::SmtpConfig;
pub use theme::ThemeConfig;
pub use triggers::{
    CannotAnswerConfig, ExplicitRequestConfig, FrustrationAction, FrustrationConfig, RuleConfig, SummaryConfig,
    TopicConfig, TriggersConfig,
};

/// A table of settings kept as read (file, environment, defaults merged), for the module that
/// gives it a type: a helpdesk's `[sites.<key>.provider]` and `[sites.<key>.webhooks.<name>]`.
pub type Table = figment::value::Dict;

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
    /// The owner dashboard (`[admin]`).
    #[serde(default)]
    pub admin: AdminConfig,
    /// Files sent in chats: where they are kept and how long their addresses last
    /// (`[attachments]`; what each site accepts is `[sites.<key>.attachments]`).
    #[serde(default)]
    pub attachments: AttachmentsConfig,
    /// The key that seals the secrets set in the dashboard (helpdesk credentials, webhook
    /// secrets) in the database: `BATON_SECRET_KEY`, 32 random bytes in base64
    /// (`openssl rand -base64 32`). Without it the dashboard cannot store secrets. Keep it out
    /// of the file and of version control; losing it means entering those secrets again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<SecretKey>,
    /// The mail server for emailing visitors their transcript (`[smtp]`); absent, only the
    /// download is offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<SmtpConfig>,
    /// Demo mode (`BATON_DEMO=1`, set by `scripts/run.sh`): adds the demo agent (token
    /// `demo-agent`, every site) and accepts short secrets. Never in production. `1`, `true`,
    /// `yes` and `on` all switch it on.
    #[serde(default, deserialize_with = "figment::util::bool_from_str_or_int")]
    pub demo: bool,
    /// The file this configuration was read from, watched for changes (not a setting).
    #[serde(skip)]
    pub source_file: Option<PathBuf>,
}

/// A key kept as given and never printed (`Debug` shows `SecretKey(…)`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretKey(String);

impl SecretKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key's text, for the one place that uses it (`crate::sealed`).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

/// One website that embeds the widget.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteConfig {
    /// The bot's display name in the chat header and on its messages.
    pub bot_name: String,
    /// The first bot message of every new conversation.
    pub greeting: String,
    /// The language of the widget's own texts on this site (a language tag such as `de`),
    /// instead of the page's and the browser's; a page's `Baton.setLanguage` still wins.
    pub language: Option<String>,
    /// The widget's look on this site: colour, launcher side, title, avatar, greeting, scheme.
    pub theme: ThemeConfig,
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
    /// The helpdesk handovers go to: `kind` (`"builtin"` by default) and that connector's
    /// settings, read by it (`crate::connectors`).
    pub provider: Table,
    /// How the helpdesk is asked whether anyone is available: deadline, caching, breaker.
    pub availability: AvailabilityPolicy,
    /// When the bot hands over on its own: explicit requests, frustration, cannot answer,
    /// guidance rules and topics.
    pub triggers: TriggersConfig,
    /// What the summary for agents may use.
    pub summary: SummaryConfig,
    /// Whether and when the widget asks for the visitor's email, in which words, and whether
    /// the address given becomes the helpdesk contact's.
    pub email_capture: EmailCaptureConfig,
    /// How the relay checks each helpdesk's webhooks for this site (`docs/webhooks.md`), by
    /// helpdesk name; each table is read by that helpdesk's connector. A helpdesk without one
    /// refuses its webhooks (404).
    #[serde(default)]
    pub webhooks: BTreeMap<String, Table>,
    /// Helpdesks the site handed over to before switching (by name, each its `provider` table
    /// without `kind`'s change): conversations still with one of them finish there, its calls
    /// (forwards, closes) made with these settings, after restarts too. Kept by the dashboard's
    /// Channels page and by a settings document that replaces the file's provider.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub retired_providers: BTreeMap<String, Table>,
    /// This site's own rate limits over `[limits]`.
    #[serde(default)]
    pub limits: SiteLimits,
    /// A soft sound when an answer arrives while the chat is closed or the tab hidden (off by
    /// default; a page may switch it with `Baton.configure({sound})` or `data-sound`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sound: bool,
    /// Messages shown by the launcher after some seconds on matching pages
    /// (`[[sites.<key>.proactive]]`), at most once per visitor per day.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub proactive: Vec<ProactiveRule>,
    /// Which files visitors may send (types sniffed from the bytes, the largest size).
    #[serde(default)]
    pub attachments: SiteAttachments,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            bot_name: "Baton".into(),
            greeting: "Hi! I'm Baton, the shop's assistant. Ask me about shipping, returns, sizing \
                       or payment."
                .into(),
            language: None,
            theme: ThemeConfig::default(),
            help_dir: PathBuf::from("public/help"),
            allowed_origins: Vec::new(),
            identity_secret: None,
            bot: BotConfig::default(),
            handover: HandoverConfig::default(),
            office_hours: None,
            provider: builtin_provider(),
            availability: AvailabilityPolicy::default(),
            triggers: TriggersConfig::default(),
            summary: SummaryConfig::default(),
            email_capture: EmailCaptureConfig::default(),
            webhooks: BTreeMap::new(),
            retired_providers: BTreeMap::new(),
            limits: SiteLimits::default(),
            sound: false,
            proactive: Vec::new(),
            attachments: SiteAttachments::default(),
        }
    }
}

/// `[sites.<key>.provider]` by default: the built-in inbox.
pub fn builtin_provider() -> Table {
    Table::from([("kind".to_string(), figment::value::Value::from("builtin"))])
}

impl SiteConfig {
    /// The site's language, its handover texts' languages, its proactive messages and its
    /// theme are usable: language tags, a hex colour, an http(s) image. As `(setting, what is
    /// wrong)`.
    pub fn check_look(&self) -> Result<(), (String, String)> {
        let not_a_tag = |tag: &str| shared::look::language_tag(tag).is_none_or(|t| t != tag);
        if let Some(language) = self.language.as_deref().filter(|l| not_a_tag(l)) {
            return Err(("language".into(), format!("{language:?} is not a lower-case language tag such as \"de\"")));
        }
        if let Some(language) = self.handover.texts.keys().find(|l| not_a_tag(l)) {
            return Err((
                format!("handover.texts.{language}"),
                "not a lower-case language tag such as \"de\" or \"pt-br\"".into(),
            ));
        }
        if let Some(language) = self.email_capture.consent_texts.keys().find(|l| not_a_tag(l)) {
            return Err((
                format!("email_capture.consent_texts.{language}"),
                "not a lower-case language tag such as \"de\" or \"pt-br\"".into(),
            ));
        }
        if let Some((language, setting)) = self.handover.unknown_text() {
            return Err((format!("handover.texts.{language}.{setting}"), "not a handover text".into()));
        }
        check_proactive(&self.proactive)?;
        self.attachments.check()?;
        shared::Theme::from(self.theme.clone())
            .check()
            .map_err(|(field, problem)| (format!("theme.{field}"), problem.to_string()))
    }

    /// The `kind` of `[sites.<key>.provider]`, as written.
    pub fn provider_kind(&self) -> Option<&str> {
        self.provider.get("kind").and_then(|kind| kind.as_str())
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
            admin: AdminConfig::default(),
            attachments: AttachmentsConfig::default(),
            // No agent unless configured; demo mode adds the demo agent (`access::demo_agent`).
            agents: Vec::new(),
            secret_key: None,
            smtp: None,
            demo: false,
            source_file: None,
        }
    }
}

impl Config {
    /// Defaults, then `file` (if it exists), then `BATON_*`, with the checks that need no
    /// behaviour (office hours, agents, identity secrets); and the file's text, for the checks
    /// that report a line. `crate::sites` adds the rest (`Config::load_from`).
    pub fn read_from(file: &str) -> Result<(Self, Option<String>), ConfigError> {
        let mut config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            // Not settings: the file's name, and `baton-relay create-owner`'s password.
            .merge(Env::prefixed("BATON_").ignore(&["CONFIG", "OWNER_PASSWORD"]).split("__"))
            .extract()
            .map_err(Box::new)?;
        let source = std::fs::read_to_string(file).ok();
        for (key, site) in &config.sites {
            if let Some(hours) = &site.office_hours {
                hours.schedule().map_err(|error| ConfigError::OfficeHours { site: key.clone(), error })?;
            }
            check_identity_secret(config.demo, key, site, file, source.as_deref())?;
        }
        check_agents(config.demo, &config.agents, &config.sites, file, source.as_deref())?;
        if let Some(problem) = config.smtp.as_ref().and_then(SmtpConfig::problem) {
            return Err(ConfigError::Smtp(problem));
        }
        config.source_file = source.is_some().then(|| PathBuf::from(file));
        Ok((config, source))
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
    #[error("sites.{site}.triggers: {message}")]
    Trigger { site: String, message: String },
    #[error("sites.{site}.office_hours: {error}")]
    OfficeHours { site: String, error: OfficeHoursError },
    #[error("{file}:{}: {setting}", line.map_or("?".to_string(), |l| l.to_string()))]
    WeakSecret { file: String, line: Option<usize>, setting: String },
    #[error("{file}:{}: {setting}: {message}", line.map_or("?".to_string(), |l| l.to_string()))]
    Access { file: String, line: Option<usize>, setting: String, message: String },
    /// `[smtp]` cannot be used.
    #[error("{0}")]
    Smtp(String),
    /// `secret_key` is set but is no key.
    #[error("secret_key (BATON_SECRET_KEY): {0}")]
    SecretKey(String),
    /// A site's language or theme is not one the widget can use.
    #[error("{file}:{}: {setting}: {message}", line.map_or("?".to_string(), |l| l.to_string()))]
    Look { file: String, line: Option<usize>, setting: String, message: String },
    /// A helpdesk's provider or webhook settings its connector cannot use.
    #[error("{file}:{}: {setting}: {message}", line.map_or("?".to_string(), |l| l.to_string()))]
    Helpdesk { file: String, line: Option<usize>, setting: String, message: String },
}

/// The 1-based line of `source` where `needle` first appears.
pub fn line_of(source: &str, needle: &str) -> Option<usize> {
    let needle = needle.trim();
    if needle.is_empty() {
        return None;
    }
    source.lines().position(|line| line.contains(needle)).map(|i| i + 1)
}

#[cfg(test)]
impl Config {
    /// `baton.toml` (in a test's jail) read and checked as far as this module can.
    fn read_test_file() -> Result<Self, ConfigError> {
        Self::read_from("baton.toml").map(|(config, _)| config)
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail returns figment::Error
mod tests {
    use super::*;

    /// This module is data only: it uses nothing of the crate's behaviour (connectors,
    /// triggers, templates, bot, agents, ...), only itself.
    #[test]
    fn configuration_imports_no_behaviour() {
        let sources = [
            ("mod.rs", include_str!("mod.rs")),
            ("access.rs", include_str!("access.rs")),
            ("admin.rs", include_str!("admin.rs")),
            ("attachments.rs", include_str!("attachments.rs")),
            ("attention.rs", include_str!("attention.rs")),
            ("availability.rs", include_str!("availability.rs")),
            ("bot.rs", include_str!("bot.rs")),
            ("builtin_texts.rs", include_str!("builtin_texts.rs")),
            ("email_capture.rs", include_str!("email_capture.rs")),
            ("handover.rs", include_str!("handover.rs")),
            ("theme.rs", include_str!("theme.rs")),
            ("limits.rs", include_str!("limits.rs")),
            ("office_hours.rs", include_str!("office_hours.rs")),
            ("smtp.rs", include_str!("smtp.rs")),
            ("triggers.rs", include_str!("triggers.rs")),
        ];
        let files = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/src/config")).unwrap().count();
        assert_eq!(files, sources.len(), "every file of config/ is checked here");
        for (file, source) in sources {
            for line in source.lines() {
                // The code of the line: string literals and comments left out.
                let code: String = line.split('"').step_by(2).collect();
                let code = code.split("//").next().unwrap_or_default();
                for (at, _) in code.match_indices("crate::") {
                    let path = &code[at + "crate::".len()..];
                    assert!(path.starts_with("config"), "config/{file} uses crate::{path}");
                }
                if file == "mod.rs" {
                    assert!(!code.contains("super::") || code.contains("super::*"), "config/mod.rs: {line}");
                }
            }
        }
    }

    #[test]
    fn a_language_s_handover_texts_and_the_theme_read_from_the_file() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "baton.toml",
                r##"
                [sites.demo]
                language = "de"
                [sites.demo.theme]
                primary = "#0b6e4f"
                position = "left"
                [sites.demo.handover.texts.de]
                text_message = "Ich hole eine Person."
                request_button_text = "Mit einer Person sprechen"
                cancel_phrases = ["abbrechen"]
                "##,
            )?;
            let config = Config::read_test_file().map_err(|e| e.to_string())?;
            let demo = config.site("demo").expect("demo");
            assert_eq!(demo.language.as_deref(), Some("de"));
            assert_eq!(demo.theme.primary.as_deref(), Some("#0b6e4f"));
            let german = &demo.handover.texts["de"];
            assert_eq!(german.templates["text_message"], "Ich hole eine Person.");
            assert_eq!(german.templates.len(), 1);
            assert_eq!(german.request_button_text.as_deref(), Some("Mit einer Person sprechen"));
            assert_eq!(german.cancel_phrases, ["abbrechen"]);
            assert_eq!(demo.handover.unknown_text(), None);
            assert_eq!(demo.check_look(), Ok(()));
            Ok(())
        });
    }

    #[test]
    fn defaults_include_the_demo_site() {
        figment::Jail::expect_with(|_| {
            let config = Config::read_test_file().map_err(|e| e.to_string())?;
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
            let config = Config::read_test_file().map_err(|e| e.to_string())?;
            assert_eq!(config.bind.port(), 9000);
            let acme = config.site("acme").expect("acme site");
            assert_eq!(acme.bot_name, "Acme Bot");
            assert_eq!(acme.greeting, "Hello from env");
            assert!(config.site("demo").is_some(), "the demo site stays unless removed");
            Ok(())
        });
    }

    #[test]
    fn bad_office_hours_are_rejected() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("baton.toml", "[sites.demo.office_hours]\ntimezone = \"Nowhere/City\"\ndays = {}\n")?;
            let error = Config::read_test_file().unwrap_err().to_string();
            assert!(error.contains("sites.demo.office_hours: unknown time zone"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_are_rejected() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("baton.toml", "bnid = \"127.0.0.1:9000\"")?;
            assert!(Config::read_test_file().is_err());
            Ok(())
        });
    }
}
