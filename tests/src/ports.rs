//! Loopback ports for the processes the tests start (relays, Redis, Prism, chromedriver).
//!
//! They come from below the kernel's ephemeral range (`ip_local_port_range`, 32768–60999 on
//! Linux by default). A port handed out by binding port 0 lies inside that range, so once a
//! test kills the process listening on it, any other test's outgoing connection (a database
//! pool, an HTTP client) may take it as its local port, and the restart on that port fails with
//! "Address already in use" — seen on a loaded machine. Below the range, only listeners bind.

use std::net::{Ipv4Addr, TcpListener};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// A loopback port nobody listens on right now, below the ephemeral range.
pub fn free_port() -> u16 {
    let (low, high) = window();
    if high <= low {
        return any_port();
    }
    // Processes start at different points of the window (picked once per process, so threads of
    // one test binary never get the same port twice); within one, ports go up one by one.
    static START: OnceLock<u32> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let span = u32::from(high - low);
    let start = *START.get_or_init(|| rand::random::<u32>() % span);
    for _ in 0..span {
        let offset = (start + NEXT.fetch_add(1, Ordering::Relaxed)) % span;
        let port = low + offset as u16;
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return port;
        }
    }
    any_port()
}

/// The ports below the ephemeral range the tests use: its lower third is left to services.
fn window() -> (u16, u16) {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .unwrap_or(32768);
    (ephemeral_low / 3, ephemeral_low)
}

fn any_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_come_from_below_the_ephemeral_range_and_are_free() {
        let (low, high) = window();
        let ports: Vec<u16> = (0..50).map(|_| free_port()).collect();
        for port in &ports {
            assert!((low..high).contains(port), "{port} outside {low}..{high}");
            TcpListener::bind((Ipv4Addr::LOCALHOST, *port)).expect("the port is free");
        }
        let distinct: std::collections::HashSet<_> = ports.iter().collect();
        assert_eq!(distinct.len(), ports.len(), "consecutive calls give different ports");
    }
}
