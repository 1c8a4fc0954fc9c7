//! Internal addresses: agents' files are fetched from whatever address a helpdesk's webhook
//! names, so the relay must not be made to fetch from its own network (server-side request
//! forgery: the cloud's metadata service at 169.254.169.254, a database's admin page on
//! 10.0.0.5, the relay itself on 127.0.0.1).
//!
//! The check is made where connections are made, on addresses, never on the address's text:
//! [`Reach::resolver`] drops every internal address a name resolves to (so a name that
//! resolves to a public address when looked at and to an internal one when connected to, DNS
//! rebinding, gains nothing: the addresses connected to are the ones checked), and
//! [`Reach::check_url`] refuses a URL whose host is an internal address written out (which
//! reqwest connects to without resolving), for the first request and for every redirect.
//! `[attachments] allow_private_fetch = true` turns the check off (a relay whose helpdesk is on
//! its own network, the tests' simulators on 127.0.0.1); `fetch_allowed_networks` lets chosen
//! networks through while the rest stays refused.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use ipnet::IpNet;
use reqwest::{
    dns::{Addrs, Name, Resolve, Resolving},
    Url,
};

/// A fetch refused because it would reach an internal address.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{host} is an internal address")]
pub struct Internal {
    /// The host as written in the URL, or the name that resolved only to internal addresses.
    pub host: String,
}

/// Which addresses files may be fetched from.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Internal networks allowed anyway (`[attachments] fetch_allowed_networks`).
    allowed: Arc<[IpNet]>,
}

impl Reach {
    pub fn new(allowed: &[IpNet]) -> Self {
        Self { allowed: allowed.into() }
    }

    /// Whether a connection to `ip` may be made: a public address, or one of the allowed networks.
    pub fn permits(&self, ip: IpAddr) -> bool {
        !is_internal(ip) || self.allowed.iter().any(|net| net.contains(&ip))
    }

    /// Refuses `url` if its host is an internal address written out (`http://127.0.0.1/`,
    /// `http://[::1]/`, `http://2130706433/`: the URL parser reads every form as an address).
    /// Names are left to [`Reach::resolver`].
    pub fn check_url(&self, url: &Url) -> Result<(), Internal> {
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(_)) => return Ok(()),
            None => return Err(Internal { host: String::new() }),
        };
        match self.permits(ip) {
            true => Ok(()),
            false => Err(Internal { host: ip.to_string() }),
        }
    }

    /// A resolver giving only the addresses [`Reach::permits`]; a name with none left fails
    /// with [`Internal`].
    pub fn resolver(&self) -> Arc<PermittedOnly> {
        Arc::new(PermittedOnly { reach: self.clone() })
    }

    /// `resolved` without the addresses not permitted, or [`Internal`] when none is left.
    fn filter(&self, name: &str, resolved: impl Iterator<Item = SocketAddr>) -> Result<Vec<SocketAddr>, Internal> {
        let (permitted, refused): (Vec<_>, Vec<_>) = resolved.partition(|addr| self.permits(addr.ip()));
        if !refused.is_empty() {
            let refused: Vec<_> = refused.iter().map(|a| a.ip().to_string()).collect();
            tracing::warn!(name, refused = refused.join(", "), "internal addresses of a file's host not used");
        }
        match permitted.is_empty() {
            true => Err(Internal { host: name.to_string() }),
            false => Ok(permitted),
        }
    }
}

/// The system's resolver (`getaddrinfo`, as reqwest's default) with [`Reach::permits`] applied.
#[derive(Debug)]
pub struct PermittedOnly {
    reach: Reach,
}

impl Resolve for PermittedOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let reach = self.reach.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let resolved = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let permitted = reach.filter(&host, resolved)?;
            Ok(Box::new(permitted.into_iter()) as Addrs)
        })
    }
}

/// The error in `error`'s chain that says an internal address was refused, if it is one.
pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a Internal> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(internal) = error.downcast_ref::<Internal>() {
            return Some(internal);
        }
        cause = error.source();
    }
    None
}

/// Whether `ip` is an address of this host or of a private, link-local, shared or reserved
/// network, or a multicast or unspecified address (an IPv6 address embedding an IPv4 one is
/// judged by it).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(ip) => is_internal_v4(ip),
        IpAddr::V6(ip) => match embedded_v4(ip) {
            Some(v4) => is_internal_v4(v4),
            None => is_internal_v6(ip),
        },
    }
}

fn is_internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    a == 0                                  // 0.0.0.0/8: "this network", 0.0.0.0 reaches the host
        || a == 10                          // 10/8 private
        || (a == 100 && (64..128).contains(&b)) // 100.64/10 shared (carrier NAT)
        || a == 127                         // 127/8 loopback
        || (a == 169 && b == 254)           // 169.254/16 link-local, cloud metadata
        || (a == 172 && (16..32).contains(&b)) // 172.16/12 private
        || (a == 192 && b == 0 && c == 0)   // 192.0.0/24 protocol assignments
        || (a == 192 && b == 168)           // 192.168/16 private
        || (a == 198 && (18..20).contains(&b)) // 198.18/15 benchmarking
        || a >= 224 // 224/4 multicast, 240/4 reserved, broadcast
}

fn is_internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_unspecified()                     // ::
        || ip.is_loopback()                 // ::1
        || (first & 0xfe00) == 0xfc00       // fc00::/7 unique local
        || (first & 0xffc0) == 0xfe80       // fe80::/10 link-local
        || (first & 0xffc0) == 0xfec0       // fec0::/10 site-local (deprecated)
        || (first & 0xff00) == 0xff00 // ff00::/8 multicast
}

/// The IPv4 address an IPv6 one stands for: IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
/// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:AABB:CCDD::`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        [0, 0, 0, 0, 0, 0, _, _] if !ip.is_unspecified() && !ip.is_loopback() => Some(low),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new((hi >> 8) as u8, hi as u8, (lo >> 8) as u8, lo as u8)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn loopback_private_link_local_and_metadata_addresses_are_internal() {
        for internal in [
            "127.0.0.1",
            "127.8.9.10",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:c0a8:0101::1",
        ] {
            assert!(is_internal(ip(internal)), "{internal}");
        }
        for public in [
            "93.184.216.34",
            "172.32.0.1",
            "172.15.255.255",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
            "2002:0808:0808::1",
        ] {
            assert!(!is_internal(ip(public)), "{public}");
        }
    }

    #[test]
    fn urls_naming_internal_addresses_in_any_spelling_are_refused_and_names_are_left_to_the_resolver() {
        let reach = Reach::default();
        for refused in [
            "http://127.0.0.1:8080/x.png",
            "http://2130706433/x.png",
            "http://0x7f.1/x.png",
            "http://[::1]/x.png",
            "http://[::ffff:7f00:1]/x.png",
            "http://169.254.169.254/latest/meta-data/",
            "http://0.0.0.0/",
            "http://10.0.0.5/",
        ] {
            let url = Url::parse(refused).unwrap();
            assert!(reach.check_url(&url).is_err(), "{refused} ({:?})", url.host());
        }
        for left in ["https://cdn.example.com/x.png", "http://localhost/x.png", "https://93.184.216.34/x.png"] {
            assert!(reach.check_url(&Url::parse(left).unwrap()).is_ok(), "{left}");
        }
        let allowed = Reach::new(&["10.1.0.0/16".parse().unwrap()]);
        assert!(allowed.check_url(&Url::parse("http://10.1.2.3/x.png").unwrap()).is_ok());
        assert!(allowed.check_url(&Url::parse("http://10.2.0.1/x.png").unwrap()).is_err());
    }

    #[tokio::test]
    async fn the_resolver_drops_internal_addresses_and_fails_a_name_with_none_left() {
        let error = match Reach::default().resolver().resolve("localhost".parse().unwrap()).await {
            Ok(addrs) => panic!("localhost resolved to {:?}", addrs.collect::<Vec<_>>()),
            Err(error) => error,
        };
        assert_eq!(find(&*error).map(|i| i.host.as_str()), Some("localhost"), "{error}");
        let loopback = Reach::new(&["127.0.0.0/8".parse().unwrap(), "::1/128".parse().unwrap()]);
        let addrs: Vec<_> = loopback.resolver().resolve("localhost".parse().unwrap()).await.unwrap().collect();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");

        let mixed = [ip("8.8.8.8"), ip("10.0.0.1"), ip("::1")].map(|ip| SocketAddr::new(ip, 0));
        assert_eq!(Reach::default().filter("mixed", mixed.into_iter()).unwrap(), vec![mixed[0]]);
    }
}
