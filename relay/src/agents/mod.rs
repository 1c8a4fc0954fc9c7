//! The built-in agent inbox, Baton's default provider: who the agents are, who is online, and
//! the agent API (REST in [`api`], live WebSocket in [`socket`]) that the inbox page at
//! `/inbox` and scripts use.

pub mod api;
pub mod desk;
mod presence;
pub mod socket;

use std::collections::HashMap;

use sha2::{Digest, Sha256};

pub use presence::Presence;

use crate::{config::AgentConfig, conversation::machine::AgentRef};

/// Agents by token.
#[derive(Debug, Default)]
pub struct Directory {
    /// Keyed by the SHA-256 of the token, so lookups compare digests, not secrets.
    by_token_hash: HashMap<[u8; 32], AgentRef>,
}

impl Directory {
    pub fn new(agents: &[AgentConfig]) -> Self {
        let by_token_hash = agents
            .iter()
            .filter(|a| !a.token.is_empty())
            .map(|a| (Sha256::digest(a.token.as_bytes()).into(), AgentRef { id: a.id.clone(), name: a.name.clone() }))
            .collect();
        Self { by_token_hash }
    }

    /// The agent a token belongs to.
    pub fn authenticate(&self, token: &str) -> Option<AgentRef> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.by_token_hash.get(&digest).cloned()
    }

    pub fn name_of(&self, id: &str) -> Option<String> {
        self.by_token_hash.values().find(|a| a.id == id).map(|a| a.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_identify_agents() {
        let directory = Directory::new(&[
            AgentConfig { id: "alex".into(), name: "Alex".into(), token: "t1".into() },
            AgentConfig { id: "nobody".into(), name: "No token".into(), token: String::new() },
        ]);
        assert_eq!(directory.authenticate("t1").map(|a| a.name), Some("Alex".into()));
        assert!(directory.authenticate("").is_none(), "an empty token never signs in");
        assert!(directory.authenticate("t2").is_none());
    }
}
