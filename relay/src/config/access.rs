//! Who may do what: the agents of the built-in inbox (`[[agents]]`, each with its token and
//! its sites), the demo switch, and each site's `identity_secret` for identity verification.
//!
//! No agent exists unless configured: the demo agent (`alex`, token `demo-agent`, every site)
//! is added only in demo mode (`demo = true`, `BATON_DEMO=1`, which `scripts/run.sh` sets).
//! Outside demo mode an agent token or identity secret shorter than [`MIN_SECRET_CHARS`] stops
//! the relay at load, with the file and line.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{line_of, ConfigError, SiteConfig};

/// The shortest agent token or identity secret accepted outside demo mode: long enough that
/// guessing is hopeless when it is random, short enough for any password manager.
pub const MIN_SECRET_CHARS: usize = 16;

/// In an agent's `sites`: every site, including ones added later.
pub const ALL_SITES: &str = "*";

/// The demo agent's token, printed by `baton-relay` in demo mode.
pub const DEMO_TOKEN: &str = "demo-agent";

/// An agent of the built-in inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    pub id: String,
    /// Shown to visitors ("Alex joined the chat").
    pub name: String,
    /// The secret the agent signs in with. Keep it out of version control: set it with
    /// `BATON_AGENTS` or in a private config file.
    pub token: String,
    /// The sites whose conversations this agent sees and answers (`["*"]` for all). Required.
    #[serde(default)]
    pub sites: Vec<String>,
}

impl AgentConfig {
    /// May this agent see and act on a conversation of `site`?
    pub fn covers(&self, site: &str) -> bool {
        self.sites.iter().any(|s| s == ALL_SITES || s == site)
    }
}

/// The agent the demo runs with.
pub fn demo_agent() -> AgentConfig {
    AgentConfig { id: "alex".into(), name: "Alex".into(), token: DEMO_TOKEN.into(), sites: vec![ALL_SITES.into()] }
}

/// The configured agents, plus the demo agent in demo mode (unless an agent took its id).
pub fn agents_in_effect(demo: bool, agents: &[AgentConfig]) -> Vec<AgentConfig> {
    let mut all = agents.to_vec();
    if demo && !agents.iter().any(|a| a.id == "alex") {
        all.push(demo_agent());
    }
    all
}

/// Refuses agents without sites, with unknown sites or shared tokens, and (outside demo mode)
/// short tokens.
pub fn check_agents(
    demo: bool,
    agents: &[AgentConfig],
    sites: &BTreeMap<String, SiteConfig>,
    file: &str,
    source: Option<&str>,
) -> Result<(), ConfigError> {
    let mut tokens = HashSet::new();
    for (index, agent) in agents.iter().enumerate() {
        let refuse = |message: String| ConfigError::Access {
            file: file.to_string(),
            line: source.and_then(|s| line_of_agent(s, index)),
            setting: format!("agents[{index}] ({})", agent.id),
            message,
        };
        let chars = agent.token.trim().chars().count();
        if chars == 0 {
            return Err(refuse("token is empty".into()));
        }
        if !demo && chars < MIN_SECRET_CHARS {
            return Err(refuse(format!(
                "token has {chars} characters; at least {MIN_SECRET_CHARS} are required (outside demo mode)"
            )));
        }
        if !tokens.insert(agent.token.trim()) {
            return Err(refuse("token is also another agent's".into()));
        }
        if agent.sites.is_empty() {
            return Err(refuse(
                "sites is empty: list the sites this agent answers, e.g. sites = [\"demo\"] (\"*\" for all)".into(),
            ));
        }
        if let Some(unknown) = agent.sites.iter().find(|s| *s != ALL_SITES && !sites.contains_key(*s)) {
            return Err(refuse(format!("sites names {unknown:?}, which is not a configured site")));
        }
    }
    Ok(())
}

/// Refuses an empty or (outside demo mode) short `identity_secret`.
pub fn check_identity_secret(
    demo: bool,
    key: &str,
    site: &SiteConfig,
    file: &str,
    source: Option<&str>,
) -> Result<(), ConfigError> {
    let Some(secret) = &site.identity_secret else { return Ok(()) };
    let chars = secret.trim().chars().count();
    let message = if chars == 0 {
        "is empty: remove it to verify no identities, or set a long random secret".to_string()
    } else if !demo && chars < MIN_SECRET_CHARS {
        format!("has {chars} characters; at least {MIN_SECRET_CHARS} are required (outside demo mode)")
    } else {
        return Ok(());
    };
    Err(ConfigError::Access {
        file: file.to_string(),
        line: source.and_then(|s| line_of_site_setting(s, key, "identity_secret")),
        setting: format!("sites.{key}.identity_secret"),
        message,
    })
}

/// The line of `setting` in the `[sites.<key>]` table (or, written another way, anywhere).
fn line_of_site_setting(source: &str, key: &str, setting: &str) -> Option<usize> {
    let header = format!("[sites.{key}]");
    let start = source.lines().position(|l| l.trim() == header).unwrap_or(0);
    let found = source.lines().enumerate().skip(start).find(|(_, l)| l.trim_start().starts_with(setting));
    found.map(|(i, _)| i + 1).or_else(|| line_of(source, setting))
}

/// The line of the `index`-th `[[agents]]` table (0-based).
fn line_of_agent(source: &str, index: usize) -> Option<usize> {
    source.lines().enumerate().filter(|(_, line)| line.trim() == "[[agents]]").nth(index).map(|(i, _)| i + 1)
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail returns figment::Error
mod tests {
    use super::super::Config;
    use super::*;

    const AGENT: &str =
        "[[agents]]\nid = \"sam\"\nname = \"Sam\"\ntoken = \"sam-0123456789abcdef\"\nsites = [\"demo\"]\n";

    #[test]
    fn no_agent_exists_unless_configured_or_in_demo_mode() {
        figment::Jail::expect_with(|jail| {
            let config = Config::read_test_file().map_err(|e| e.to_string())?;
            assert!(!config.demo && config.agents_in_effect().is_empty(), "{:?}", config.agents_in_effect());
            jail.set_env("BATON_DEMO", "1");
            let config = Config::read_test_file().map_err(|e| e.to_string())?;
            assert!(config.demo);
            assert_eq!(config.agents_in_effect(), vec![demo_agent()]);
            assert!(demo_agent().covers("any-site"));
            Ok(())
        });
    }

    #[test]
    fn configured_agents_sign_in_for_their_sites_only() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("baton.toml", &format!("[sites.shop]\n{AGENT}"))?;
            let config = Config::read_test_file().map_err(|e| e.to_string())?;
            let agents = config.agents_in_effect();
            assert_eq!(agents.len(), 1, "no demo agent beside a configured one: {agents:?}");
            assert!(agents[0].covers("demo") && !agents[0].covers("shop"));
            Ok(())
        });
    }

    #[test]
    fn short_tokens_are_refused_with_file_and_line_outside_demo_mode() {
        figment::Jail::expect_with(|jail| {
            let short = "[[agents]]\nid = \"alex\"\nname = \"Alex\"\ntoken = \"short\"\nsites = [\"*\"]\n";
            jail.create_file("baton.toml", &format!("bind = \"127.0.0.1:9000\"\n\n{AGENT}\n{short}"))?;
            let error = Config::read_test_file().unwrap_err().to_string();
            assert!(error.starts_with("baton.toml:9: agents[1] (alex): token has 5 characters"), "{error}");
            assert!(!error.contains("short\""), "the token itself is not printed: {error}");
            jail.set_env("BATON_DEMO", "true");
            assert!(Config::read_test_file().is_ok(), "demo mode accepts short tokens");
            Ok(())
        });
    }

    #[test]
    fn agents_need_known_sites_and_their_own_token() {
        figment::Jail::expect_with(|jail| {
            let cases = [
                (AGENT.replace("sites = [\"demo\"]\n", ""), "sites is empty"),
                (AGENT.replace("\"demo\"", "\"dmeo\""), "\"dmeo\", which is not a configured site"),
                (
                    format!("{AGENT}{}", AGENT.replace("\"sam\"", "\"kim\"")),
                    "agents[1] (kim): token is also another agent's",
                ),
                (AGENT.replace("sam-0123456789abcdef", " "), "token is empty"),
            ];
            for (text, expected) in cases {
                jail.create_file("baton.toml", &text)?;
                let error = Config::read_test_file().unwrap_err().to_string();
                assert!(error.starts_with("baton.toml:") && error.contains(expected), "{expected}: {error}");
            }
            Ok(())
        });
    }

    #[test]
    fn identity_secrets_must_be_long_and_never_empty() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "baton.toml",
                "[sites.shop]\nbot_name = \"Shop\"\n\n[sites.demo]\nidentity_secret = \"tiny\"\n",
            )?;
            let error = Config::read_test_file().unwrap_err().to_string();
            assert!(error.starts_with("baton.toml:5: sites.demo.identity_secret: has 4 characters"), "{error}");
            jail.create_file("baton.toml", "[sites.demo]\nidentity_secret = \"\"\n")?;
            jail.set_env("BATON_DEMO", "1");
            let error = Config::read_test_file().unwrap_err().to_string();
            assert!(error.contains("sites.demo.identity_secret: is empty"), "{error}");
            jail.create_file("baton.toml", "[sites.demo]\nidentity_secret = \"0123456789abcdef0123\"\n")?;
            jail.set_env("BATON_DEMO", "0");
            assert!(Config::read_test_file().is_ok());
            Ok(())
        });
    }
}
