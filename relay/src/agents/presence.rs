//! Which agents are online: an agent is online while at least one of their inbox sockets is
//! open. Availability for a handover follows from it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

#[derive(Clone, Default)]
pub struct Presence {
    // A std mutex: counter updates only, never held across `.await`.
    sockets: Arc<Mutex<HashMap<String, usize>>>,
}

/// Marks an agent online for as long as it lives.
pub struct OnlineGuard {
    presence: Presence,
    agent_id: String,
}

impl Presence {
    pub fn connect(&self, agent_id: &str) -> OnlineGuard {
        *self.sockets.lock().unwrap_or_else(|e| e.into_inner()).entry(agent_id.to_string()).or_default() += 1;
        OnlineGuard { presence: self.clone(), agent_id: agent_id.to_string() }
    }

    pub fn online(&self) -> usize {
        self.sockets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for OnlineGuard {
    fn drop(&mut self) {
        let mut sockets = self.presence.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = sockets.get_mut(&self.agent_id) {
            *count -= 1;
            if *count == 0 {
                sockets.remove(&self.agent_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_is_online_while_any_socket_is_open() {
        let presence = Presence::default();
        let a = presence.connect("alex");
        let b = presence.connect("alex");
        let c = presence.connect("sam");
        assert_eq!(presence.online(), 2);
        drop(a);
        assert_eq!(presence.online(), 2);
        drop(b);
        drop(c);
        assert_eq!(presence.online(), 0);
    }
}
