//! The client's address: the TCP peer's, or, when the peer is a trusted proxy, the right-most
//! `X-Forwarded-For` hop that is not itself a trusted proxy. Hops to the left of that one were
//! written by whoever sent the request and prove nothing.

use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{request::Parts, HeaderMap},
};
use ipnet::IpNet;

use crate::state::AppState;

/// The address limits are counted against (an extractor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // The server puts the peer's address on every request; without it (a router driven
        // in-process) every request counts as one unknown address.
        let peer =
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(Self(client_ip(peer, &parts.headers, &state.config.trusted_proxies)))
    }
}

/// See the module documentation.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(&canonical(*ip)));
    if !is_trusted(&peer) {
        return peer;
    }
    // Several headers are one list, in order.
    let hops = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(','));
    let hops: Vec<&str> = hops.collect();
    let mut nearest = peer;
    for hop in hops.iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            // Garbage: the trusted hop that wrote it is as far as we can see.
            return nearest;
        };
        if !is_trusted(&ip) {
            return ip;
        }
        nearest = ip;
    }
    nearest
}

/// `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443` or `203.0.113.7:443`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// IPv4-mapped IPv6 peers (a dual-stack listener) compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append("x-forwarded-for", v.parse().unwrap());
        }
        map
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let got = client_ip(ip("198.51.100.1"), &headers(&["203.0.113.9"]), &nets(&["10.0.0.0/8"]));
        assert_eq!(got, ip("198.51.100.1"));
        assert_eq!(client_ip(ip("10.0.0.1"), &headers(&["203.0.113.9"]), &[]), ip("10.0.0.1"));
    }

    #[test]
    fn behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        // The visitor forged the first hop; the proxy appended the real one.
        let got = client_ip(ip("127.0.0.1"), &headers(&["1.2.3.4, 203.0.113.9, 10.0.0.5"]), &trusted);
        assert_eq!(got, ip("203.0.113.9"));
        // Split over two headers, with a port and IPv6.
        let got = client_ip(ip("127.0.0.1"), &headers(&["1.2.3.4", "[2001:db8::7]:5000"]), &trusted);
        assert_eq!(got, ip("2001:db8::7"));
    }

    #[test]
    fn garbage_or_only_trusted_hops_leave_the_nearest_trusted_hop() {
        let trusted = nets(&["10.0.0.0/8", "127.0.0.1/32"]);
        assert_eq!(client_ip(ip("127.0.0.1"), &headers(&["unknown, 10.0.0.5"]), &trusted), ip("10.0.0.5"));
        assert_eq!(client_ip(ip("127.0.0.1"), &headers(&["10.0.0.5"]), &trusted), ip("10.0.0.5"));
        assert_eq!(client_ip(ip("127.0.0.1"), &HeaderMap::new(), &trusted), ip("127.0.0.1"));
    }

    #[test]
    fn a_mapped_ipv4_peer_matches_ipv4_networks() {
        let got = client_ip(ip("::ffff:127.0.0.1"), &headers(&["203.0.113.9"]), &nets(&["127.0.0.0/8"]));
        assert_eq!(got, ip("203.0.113.9"));
    }
}
