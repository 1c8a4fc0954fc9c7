//! Typed configuration: built-in defaults (the demo site), then an optional TOML file, then
//! `BATON_*` environment variables (nested keys with `__`, e.g. `BATON_SITES__DEMO__BOT_NAME`).

use std::{collections::BTreeMap, net::SocketAddr, path::PathBuf};

use figment::{
    providers::{Env, Format, Serialized, Toml},
    Figment,
};
use serde::{Deserialize, Serialize};

/// The whole relay configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on. `BATON_BIND=0.0.0.0:8080` to expose it.
    pub bind: SocketAddr,
    /// Where conversations are stored. SQLite by default; the file is created on first run.
    pub database_url: String,
    /// The demo host page, the loader (`embed.js`) and the help articles.
    pub public_dir: PathBuf,
    /// The built widget (Trunk's `dist/`), served under `/widget/`.
    pub widget_dir: PathBuf,
    /// Sites by their key (the `data-site` of the embed tag).
    pub sites: BTreeMap<String, SiteConfig>,
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
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            bot_name: "Baton".into(),
            greeting:
                "Hi! I'm Baton, the shop's assistant. Ask me about shipping, returns, sizing \
                       or payment."
                    .into(),
            help_dir: PathBuf::from("public/help"),
            allowed_origins: Vec::new(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://data/baton.db".into(),
            public_dir: PathBuf::from("public"),
            widget_dir: PathBuf::from("dist"),
            sites: BTreeMap::from([("demo".to_string(), SiteConfig::default())]),
        }
    }
}

impl Config {
    /// Defaults, then the file at `BATON_CONFIG` (or `baton.toml` if it exists), then `BATON_*`.
    pub fn load() -> Result<Self, figment::Error> {
        let file = std::env::var("BATON_CONFIG").unwrap_or_else(|_| "baton.toml".into());
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("BATON_").ignore(&["CONFIG"]).split("__"))
            .extract()
    }

    pub fn site(&self, key: &str) -> Option<&SiteConfig> {
        self.sites.get(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_include_the_demo_site() {
        figment::Jail::expect_with(|_| {
            let config = Config::load()?;
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
            let config = Config::load()?;
            assert_eq!(config.bind.port(), 9000);
            let acme = config.site("acme").expect("acme site");
            assert_eq!(acme.bot_name, "Acme Bot");
            assert_eq!(acme.greeting, "Hello from env");
            assert!(
                config.site("demo").is_some(),
                "the demo site stays unless removed"
            );
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
