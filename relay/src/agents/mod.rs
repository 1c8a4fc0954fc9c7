//! The built-in agent inbox, Baton's default provider: who the agents are, who is online, and
//! the agent API (REST in [`api`], live WebSocket in [`socket`]) that the inbox page at
//! `/inbox` and scripts use.

pub mod api;
pub mod desk;
pub(crate) mod presence;
pub mod socket;

use std::{collections::HashMap, sync::Arc};

use sha2::{Digest, Sha256};

pub use presence::Presence;

use crate::{config::AgentConfig, conversation::machine::AgentRef};

/// A signed-in agent: who, and the sites whose conversations they see and act on. Every agent
/// API call and socket frame is checked against [`SignedIn::covers`]; another site's
/// conversation is answered like one that does not exist.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub agent: AgentRef,
    /// Site keys, or `*` for every site (`[[agents]] sites`).
    pub sites: Arc<[String]>,
}

impl SignedIn {
    pub fn covers(&self, site: &str) -> bool {
        self.sites.iter().any(|s| s == crate::config::ALL_SITES || s == site)
    }
}

/// Agents by token.
#[derive(Debug, Default)]
pub struct Directory {
    /// Keyed by the SHA-256 of the token, so lookups compare digests, not secrets.
    by_token_hash: HashMap<[u8; 32], SignedIn>,
}

impl Directory {
    /// From [`crate::config::Config::agents_in_effect`] (the configured agents, and the demo
    /// agent in demo mode only).
    pub fn new(agents: &[AgentConfig]) -> Self {
        let by_token_hash = agents
            .iter()
            .filter(|a| !a.token.trim().is_empty())
            .map(|a| {
                let agent = AgentRef { id: a.id.clone(), name: a.name.clone() };
                (Sha256::digest(a.token.trim().as_bytes()).into(), SignedIn { agent, sites: a.sites.clone().into() })
            })
            .collect();
        Self { by_token_hash }
    }

    /// The agent a token belongs to.
    pub fn authenticate(&self, token: &str) -> Option<SignedIn> {
        let digest: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
        self.by_token_hash.get(&digest).cloned()
    }

    pub fn name_of(&self, id: &str) -> Option<String> {
        self.by_token_hash.values().find(|a| a.agent.id == id).map(|a| a.agent.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_identify_agents() {
        let agent = |id: &str, token: &str, sites: &[&str]| AgentConfig {
            id: id.into(),
            name: id.to_uppercase(),
            token: token.into(),
            sites: sites.iter().map(|s| s.to_string()).collect(),
        };
        let directory =
            Directory::new(&[agent("alex", "t1", &["demo"]), agent("nobody", "", &["*"]), agent("kim", "t3", &["*"])]);
        let alex = directory.authenticate("t1").expect("alex");
        assert_eq!(alex.agent.name, "ALEX");
        assert!(alex.covers("demo") && !alex.covers("shop"));
        assert!(directory.authenticate("t3").is_some_and(|kim| kim.covers("shop")));
        assert!(directory.authenticate("").is_none(), "an empty token never signs in");
        assert!(directory.authenticate("t2").is_none());
    }
}
