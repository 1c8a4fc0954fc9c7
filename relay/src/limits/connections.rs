//! Open widget sockets: how many each address holds (refused past `sockets_per_ip`) and which
//! conversations have a socket open, which retention must not prune under a visitor.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use super::{bucket, Kind, Limited, Scope};

/// What a refused socket is told to wait: sockets free up when the visitor closes a tab.
const SOCKET_RETRY: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Open {
    per_ip: HashMap<IpAddr, u32>,
    conversations: HashMap<String, u32>,
}

/// Shared counts. A std mutex: each use is a map update, never held across an `.await`.
#[derive(Clone)]
pub struct Connections {
    max_per_ip: u32,
    open: Arc<Mutex<Open>>,
}

impl Connections {
    pub fn new(max_per_ip: u32) -> Self {
        Self { max_per_ip, open: Arc::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes a socket slot for `ip`, or refuses when the address holds `sockets_per_ip`
    /// already. The slot is given back when dropped.
    pub fn open(&self, ip: IpAddr) -> Result<SocketSlot, Limited> {
        let key = bucket(ip);
        let mut open = self.lock();
        let count = open.per_ip.entry(key).or_default();
        if self.max_per_ip > 0 && *count >= self.max_per_ip {
            return Err(Limited { kind: Kind::Socket, scope: Scope::Address, retry_after: SOCKET_RETRY });
        }
        *count += 1;
        Ok(SocketSlot { connections: self.clone(), ip: key, conversation: None })
    }

    /// Whether a widget socket is open on the conversation.
    pub fn is_watched(&self, conversation_id: &str) -> bool {
        self.lock().conversations.contains_key(conversation_id)
    }

    /// Open sockets of `ip`'s bucket (for tests and logs).
    pub fn open_from(&self, ip: IpAddr) -> u32 {
        self.lock().per_ip.get(&bucket(ip)).copied().unwrap_or_default()
    }
}

/// One open socket; dropping it frees the slot.
pub struct SocketSlot {
    connections: Connections,
    ip: IpAddr,
    conversation: Option<String>,
}

impl SocketSlot {
    /// The socket now shows `conversation_id`.
    pub fn watch(&mut self, conversation_id: &str) {
        *self.connections.lock().conversations.entry(conversation_id.to_string()).or_default() += 1;
        self.conversation = Some(conversation_id.to_string());
    }
}

impl Drop for SocketSlot {
    fn drop(&mut self) {
        let mut open = self.connections.lock();
        if let Some(count) = open.per_ip.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.per_ip.remove(&self.ip);
            }
        }
        if let Some(id) = self.conversation.take() {
            if let Some(count) = open.conversations.get_mut(&id) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    open.conversations.remove(&id);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_per_address_and_given_back_on_drop() {
        let connections = Connections::new(2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let a = connections.open(ip).unwrap();
        let mut b = connections.open(ip).unwrap();
        let refused = connections.open(ip).err().unwrap();
        assert_eq!(refused.kind, Kind::Socket);
        connections.open("192.0.2.2".parse().unwrap()).unwrap();
        b.watch("c1");
        assert!(connections.is_watched("c1"));
        drop(b);
        assert!(!connections.is_watched("c1"));
        assert_eq!(connections.open_from(ip), 1);
        let _c = connections.open(ip).unwrap();
        drop(a);
        assert_eq!(connections.open_from(ip), 1);
    }
}
