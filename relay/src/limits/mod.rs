//! How much one address or one site may ask of the relay: new conversations, visitor
//! messages and handovers per minute (per address and per site, `governor`'s keyed token
//! buckets), open widget sockets per address, and which address a request comes from behind
//! trusted proxies. Refusals carry how long to wait; the edges turn them into HTTP 429 with
//! `Retry-After` or an error frame.
//!
//! The per-site limiters are built on first use from `[limits]` and the site's
//! `[sites.<key>.limits]`, and rebuilt when a reload changes the site's rates.

mod client_ip;
mod connections;

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv6Addr},
    num::NonZeroU32,
    sync::{Arc, Mutex},
    time::Duration,
};

use governor::{clock::Clock, DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

pub use client_ip::ClientIp;
pub use connections::{Connections, SocketSlot};

use crate::config::{Config, LimitsConfig, Rates, SiteConfig};

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Conversation,
    Message,
    Handover,
    Socket,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Conversation => "new conversations",
            Self::Message => "messages",
            Self::Handover => "requests for a person",
            Self::Socket => "open connections",
        })
    }
}

/// Whose allowance ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One widget connection (its own burst limit).
    Session,
    Address,
    Site,
}

/// A refusal: the limit of `kind` for `scope` is reached; try again after `retry_after`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limited {
    pub kind: Kind,
    pub scope: Scope,
    pub retry_after: Duration,
}

impl std::fmt::Display for Limited {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scope = match self.scope {
            Scope::Session => "on this connection",
            Scope::Address => "from your address",
            Scope::Site => "on this site",
        };
        write!(f, "too many {} {scope}; retry in {} s", self.kind, self.retry_after_secs())
    }
}

impl std::error::Error for Limited {}

impl Limited {
    /// Whole seconds, at least 1 (what `Retry-After` carries).
    pub fn retry_after_secs(&self) -> u64 {
        u64::try_from(self.retry_after.as_nanos().div_ceil(1_000_000_000)).unwrap_or(u64::MAX).max(1)
    }
}

/// The relay's limiters. One per relay, shared through `AppState`.
pub struct Limits {
    config: LimitsConfig,
    /// Per site, keyed by the site key. A std mutex: held only to look up or swap an `Arc`,
    /// never across an `.await`.
    sites: Mutex<HashMap<String, Arc<SiteLimiter>>>,
    connections: Connections,
}

impl Limits {
    pub fn new(config: &Config) -> Self {
        Self {
            config: config.limits.clone(),
            sites: Mutex::default(),
            connections: Connections::new(config.limits.sockets_per_ip),
        }
    }

    pub fn config(&self) -> &LimitsConfig {
        &self.config
    }

    /// Counts one `kind` for `ip` on site `key`; refused when the address's or the site's
    /// allowance is spent. Sockets are counted by [`Limits::connections`] instead.
    pub fn check(&self, key: &str, site: &SiteConfig, kind: Kind, ip: IpAddr) -> Result<(), Limited> {
        self.site(key, site).check(kind, ip)
    }

    /// Open widget sockets (per address) and the conversations they watch.
    pub fn connections(&self) -> &Connections {
        &self.connections
    }

    /// Drops per-address state that has fully replenished, so memory follows the addresses
    /// seen recently, not every address ever seen.
    pub fn sweep(&self) {
        let sites: Vec<_> = self.sites.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect();
        for site in sites {
            site.sweep();
        }
    }

    fn site(&self, key: &str, site: &SiteConfig) -> Arc<SiteLimiter> {
        let rates = self.config.rates_for(&site.limits);
        let mut sites = self.sites.lock().unwrap_or_else(|e| e.into_inner());
        match sites.get(key) {
            Some(limiter) if limiter.rates == rates => limiter.clone(),
            _ => {
                let limiter = Arc::new(SiteLimiter::new(rates));
                sites.insert(key.to_string(), limiter.clone());
                limiter
            }
        }
    }
}

/// One kind's limiters for one site.
struct Pair {
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    per_site: Option<DefaultDirectRateLimiter>,
}

impl Pair {
    fn new(per_ip: u32, per_site: u32) -> Self {
        Self {
            per_ip: NonZeroU32::new(per_ip).map(|n| RateLimiter::keyed(Quota::per_minute(n))),
            per_site: NonZeroU32::new(per_site).map(|n| RateLimiter::direct(Quota::per_minute(n))),
        }
    }

    /// The time to wait is read from the limiter's own clock, and only on a refusal (making a
    /// clock per check cost a CPUID, which traps in virtual machines).
    fn check(&self, kind: Kind, ip: IpAddr) -> Result<(), Limited> {
        if let Some(limiter) = &self.per_ip {
            limiter.check_key(&bucket(ip)).map_err(|not_until| Limited {
                kind,
                scope: Scope::Address,
                retry_after: not_until.wait_time_from(limiter.clock().now()),
            })?;
        }
        if let Some(limiter) = &self.per_site {
            limiter.check().map_err(|not_until| Limited {
                kind,
                scope: Scope::Site,
                retry_after: not_until.wait_time_from(limiter.clock().now()),
            })?;
        }
        Ok(())
    }

    fn sweep(&self) {
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

struct SiteLimiter {
    rates: Rates,
    conversations: Pair,
    messages: Pair,
    handovers: Pair,
}

impl SiteLimiter {
    fn new(rates: Rates) -> Self {
        Self {
            rates,
            conversations: Pair::new(rates.conversations_per_ip, rates.conversations_per_site),
            messages: Pair::new(rates.messages_per_ip, rates.messages_per_site),
            handovers: Pair::new(rates.handovers_per_ip, rates.handovers_per_site),
        }
    }

    fn check(&self, kind: Kind, ip: IpAddr) -> Result<(), Limited> {
        match kind {
            Kind::Conversation => self.conversations.check(kind, ip),
            Kind::Message => self.messages.check(kind, ip),
            Kind::Handover => self.handovers.check(kind, ip),
            Kind::Socket => Ok(()),
        }
    }

    fn sweep(&self) {
        self.conversations.sweep();
        self.messages.sweep();
        self.handovers.sweep();
    }
}

/// The key an address is counted under: IPv4 addresses as they are, IPv6 by their /64 (one
/// customer's network gets a whole /64, so single IPv6 addresses cost an attacker nothing).
pub fn bucket(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// How often per-address state is swept.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(60);

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn rates(n: u32) -> Rates {
        Rates {
            conversations_per_ip: n,
            conversations_per_site: 0,
            messages_per_ip: 0,
            messages_per_site: n * 2,
            handovers_per_ip: 0,
            handovers_per_site: 0,
        }
    }

    #[test]
    fn an_address_is_refused_after_its_burst_and_told_when_to_retry() {
        let limiter = SiteLimiter::new(rates(3));
        for _ in 0..3 {
            limiter.check(Kind::Conversation, ip("192.0.2.1")).unwrap();
        }
        let refused = limiter.check(Kind::Conversation, ip("192.0.2.1")).unwrap_err();
        assert_eq!((refused.kind, refused.scope), (Kind::Conversation, Scope::Address));
        // 3 a minute: one more every 20 s.
        assert!((19..=20).contains(&refused.retry_after_secs()), "{refused:?}");
        assert!(refused.to_string().contains("new conversations from your address"), "{refused}");
        limiter.check(Kind::Conversation, ip("192.0.2.2")).unwrap();
    }

    #[test]
    fn the_site_limit_counts_every_address_together() {
        let limiter = SiteLimiter::new(rates(2));
        for n in 0..4 {
            limiter.check(Kind::Message, ip(&format!("192.0.2.{n}"))).unwrap();
        }
        let refused = limiter.check(Kind::Message, ip("192.0.2.9")).unwrap_err();
        assert_eq!(refused.scope, Scope::Site);
    }

    #[test]
    fn zero_means_no_limit() {
        let limiter = SiteLimiter::new(rates(0));
        for _ in 0..1000 {
            limiter.check(Kind::Conversation, ip("192.0.2.1")).unwrap();
            limiter.check(Kind::Handover, ip("192.0.2.1")).unwrap();
        }
    }

    #[test]
    fn ipv6_addresses_of_one_network_share_a_bucket() {
        assert_eq!(bucket(ip("2001:db8:1:2:3:4:5:6")), bucket(ip("2001:db8:1:2:ffff::1")));
        assert_ne!(bucket(ip("2001:db8:1:2::1")), bucket(ip("2001:db8:1:3::1")));
        assert_eq!(bucket(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }

    #[test]
    fn retry_after_rounds_up_to_whole_seconds() {
        let limited = |ms| Limited { kind: Kind::Message, scope: Scope::Site, retry_after: Duration::from_millis(ms) };
        assert_eq!(limited(0).retry_after_secs(), 1);
        assert_eq!(limited(1).retry_after_secs(), 1);
        assert_eq!(limited(1000).retry_after_secs(), 1);
        assert_eq!(limited(1001).retry_after_secs(), 2);
    }
}
