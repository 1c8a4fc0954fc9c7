//! Which agents are online: an agent is online while at least one of their inbox sockets is
//! open, for the sites they belong to. Availability for a site's handover follows from it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use super::SignedIn;

#[derive(Clone, Default)]
pub struct Presence {
    // A std mutex: counter updates only, never held across `.await`.
    sockets: Arc<Mutex<HashMap<String, Online>>>,
    /// A view for one site ([`Presence::for_site`]): `online` counts only its agents.
    site: Option<Arc<str>>,
}

struct Online {
    sockets: usize,
    agent: SignedIn,
}

/// Marks an agent online for as long as it lives.
pub struct OnlineGuard {
    presence: Presence,
    agent_id: String,
}

impl Presence {
    pub fn connect(&self, agent: &SignedIn) -> OnlineGuard {
        let mut sockets = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let entry =
            sockets.entry(agent.agent.id.clone()).or_insert_with(|| Online { sockets: 0, agent: agent.clone() });
        entry.sockets += 1;
        OnlineGuard { presence: self.clone(), agent_id: agent.agent.id.clone() }
    }

    /// The same presence, counting only the agents of `site` (what the site's built-in inbox
    /// provider asks when a handover is decided).
    pub fn for_site(&self, site: &str) -> Presence {
        Presence { sockets: self.sockets.clone(), site: Some(site.into()) }
    }

    /// Agents online (of this view's site, if it has one).
    pub fn online(&self) -> usize {
        match &self.site {
            Some(site) => self.online_at(site),
            None => self.sockets.lock().unwrap_or_else(|e| e.into_inner()).len(),
        }
    }

    /// Agents online who answer `site`.
    pub fn online_at(&self, site: &str) -> usize {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner()).values().filter(|o| o.agent.covers(site)).count()
    }
}

impl Drop for OnlineGuard {
    fn drop(&mut self) {
        let mut sockets = self.presence.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(online) = sockets.get_mut(&self.agent_id) {
            online.sockets -= 1;
            if online.sockets == 0 {
                sockets.remove(&self.agent_id);
            }
        }
    }
}

/// An agent for tests: `id` answering `sites`.
#[cfg(test)]
pub(crate) fn agent(id: &str, sites: &[&str]) -> SignedIn {
    SignedIn {
        agent: crate::conversation::AgentRef { id: id.into(), name: id.into() },
        sites: sites.iter().map(|s| s.to_string()).collect::<Vec<_>>().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_is_online_while_any_socket_is_open() {
        let presence = Presence::default();
        let a = presence.connect(&agent("alex", &["*"]));
        let b = presence.connect(&agent("alex", &["*"]));
        let c = presence.connect(&agent("sam", &["*"]));
        assert_eq!(presence.online(), 2);
        drop(a);
        assert_eq!(presence.online(), 2);
        drop(b);
        drop(c);
        assert_eq!(presence.online(), 0);
    }

    #[test]
    fn a_site_counts_only_its_own_agents() {
        let presence = Presence::default();
        let _alex = presence.connect(&agent("alex", &["demo"]));
        let _sam = presence.connect(&agent("sam", &["shop"]));
        let _kim = presence.connect(&agent("kim", &["*"]));
        assert_eq!((presence.online_at("demo"), presence.online_at("shop"), presence.online_at("other")), (2, 2, 1));
        assert_eq!(presence.for_site("shop").online(), 2);
        assert_eq!(presence.online(), 3);
        drop(_kim);
        assert_eq!(presence.for_site("other").online(), 0, "nobody of that site is online");
    }
}
