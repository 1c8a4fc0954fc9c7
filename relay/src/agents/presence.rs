//! Which agents are online: an agent is online while at least one of their inbox sockets is
//! open, for the sites they belong to. Availability for a site's handover follows from it.
//! With several relays, each shares its own agents on the bus ([`Presence::share`]), so a
//! visitor on one relay finds the agents signed in at another.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::SignedIn;
use crate::pubsub::{Bus, BusMessage, OnlineAgent, PRESENCE};

/// A relay says who is online this often (and at once on a change); one not heard from for
/// three times as long is forgotten (it stopped or lost Redis).
const SHARE_EVERY: Duration = Duration::from_secs(2);

#[derive(Clone, Default)]
pub struct Presence {
    // A std mutex: counter updates only, never held across `.await`.
    sockets: Arc<Mutex<HashMap<String, Online>>>,
    /// A view for one site ([`Presence::for_site`]): `online` counts only its agents.
    site: Option<Arc<str>>,
    /// Agents online at the other relays, by relay, with when that was last heard.
    remote: Arc<Mutex<HashMap<String, Heard>>>,
    /// Woken when this relay's agents change (to share it).
    changed: Arc<Notify>,
}

/// What a relay last said about its agents, and when.
type Heard = (Instant, Vec<OnlineAgent>);

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
        self.changed.notify_one();
        OnlineGuard { presence: self.clone(), agent_id: agent.agent.id.clone() }
    }

    /// The same presence, counting only the agents of `site` (what the site's built-in inbox
    /// provider asks when a handover is decided).
    pub fn for_site(&self, site: &str) -> Presence {
        Presence { site: Some(site.into()), ..self.clone() }
    }

    /// Agents online (of this view's site, if it has one).
    pub fn online(&self) -> usize {
        match &self.site {
            Some(site) => self.online_at(site),
            None => self.sockets.lock().unwrap_or_else(|e| e.into_inner()).len(),
        }
    }

    /// Agents online (at any relay) who answer `site`.
    pub fn online_at(&self, site: &str) -> usize {
        let mut ids: HashSet<String> = self
            .sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter(|o| o.agent.covers(site))
            .map(|o| o.agent.agent.id.clone())
            .collect();
        let remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
        for (heard, agents) in remote.values() {
            if heard.elapsed() < SHARE_EVERY * 3 {
                let covering =
                    agents.iter().filter(|a| a.sites.iter().any(|s| s == crate::config::ALL_SITES || s == site));
                ids.extend(covering.map(|a| a.id.clone()));
            }
        }
        ids.len()
    }

    /// This relay's agents, as shared.
    fn local_agents(&self) -> Vec<OnlineAgent> {
        let sockets = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        sockets
            .values()
            .map(|o| OnlineAgent {
                id: o.agent.agent.id.clone(),
                name: o.agent.agent.name.clone(),
                sites: o.agent.sites.to_vec(),
            })
            .collect()
    }

    /// Shares this relay's agents with the other relays on `bus` and keeps theirs, until
    /// `stop` (several relays only).
    pub async fn share(self, bus: Bus, node: String, stop: CancellationToken) {
        let mut heard = bus.subscribe(PRESENCE);
        let mut every = tokio::time::interval(SHARE_EVERY);
        loop {
            let tell = tokio::select! {
                () = stop.cancelled() => return,
                _ = every.tick() => true,
                () = self.changed.notified() => true,
                message = heard.recv() => match message {
                    Ok(BusMessage::Presence { node: from, agents }) if from != node => {
                        let mut remote = self.remote.lock().unwrap_or_else(|e| e.into_inner());
                        remote.insert(from, (Instant::now(), agents));
                        false
                    }
                    // Messages may have been lost: say who is here again.
                    Ok(BusMessage::Resync) | Err(_) => true,
                    Ok(_) => false,
                },
            };
            if tell {
                bus.publish(PRESENCE, BusMessage::Presence { node: node.clone(), agents: self.local_agents() });
            }
        }
    }
}

impl Drop for OnlineGuard {
    fn drop(&mut self) {
        let mut sockets = self.presence.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(online) = sockets.get_mut(&self.agent_id) {
            online.sockets -= 1;
            if online.sockets == 0 {
                sockets.remove(&self.agent_id);
                self.presence.changed.notify_one();
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

    /// Two relays on one bus: each counts the other's agents, once per agent, and forgets them
    /// when they sign out.
    #[tokio::test]
    async fn relays_count_each_others_agents() {
        let bus = Bus::local();
        let (a, b) = (Presence::default(), Presence::default());
        let stop = CancellationToken::new();
        tokio::spawn(a.clone().share(bus.clone(), "a".into(), stop.clone()));
        tokio::spawn(b.clone().share(bus.clone(), "b".into(), stop.clone()));
        let alex = a.connect(&agent("alex", &["demo"]));
        let _alex_too = b.connect(&agent("alex", &["demo"]));
        let _sam = b.connect(&agent("sam", &["shop"]));
        let counts = || (a.online_at("demo"), a.online_at("shop"), b.online_at("demo"), b.online_at("shop"));
        let settled = async {
            while counts() != (1, 1, 1, 1) {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), settled).await.expect("shared within 5 s");
        drop(alex);
        drop(_alex_too);
        let gone = async {
            while b.online_at("demo") != 0 || a.online_at("demo") != 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(5), gone).await.expect("signed out everywhere");
        stop.cancel();
    }
}
