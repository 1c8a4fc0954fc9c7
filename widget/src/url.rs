//! Addresses derived from the relay origin (the origin `embed.js` was loaded from).

/// The WebSocket endpoint for a relay origin: `http://h:p` → `ws://h:p/ws`,
/// `https://h` → `wss://h/ws`. `None` for anything that is not an http(s) origin.
pub fn ws_url(relay: &str) -> Option<String> {
    let relay = relay.trim().trim_end_matches('/');
    let (scheme, rest) = relay.split_once("://")?;
    let ws_scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" => "ws",
        "https" => "wss",
        _ => return None,
    };
    if rest.is_empty() {
        return None;
    }
    Some(format!("{ws_scheme}://{rest}/ws"))
}

/// The localStorage key that keeps the resume token of `site`.
pub fn token_key(site: &str) -> String {
    format!("baton:{site}:token")
}

/// Resolves a link the relay sent (a help article's `source.url`) against the relay origin.
/// Absolute http(s) links are kept; `/path` and `path` become `relay/path`; `//host/x` takes the
/// relay's scheme. Any other scheme (`javascript:`, `data:` ...) gives `None`: never rendered.
pub fn resolve_link(relay: &str, href: &str) -> Option<String> {
    let relay = relay.trim().trim_end_matches('/');
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let lower = href.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(href.to_string());
    }
    if let Some(rest) = href.strip_prefix("//") {
        let scheme = relay.split_once("://").map_or("https", |(s, _)| s);
        return Some(format!("{scheme}://{rest}"));
    }
    // A scheme is letters/digits/+-. before the first ':' that comes before any '/', '?' or '#'.
    let head_end = href.find(['/', '?', '#']).unwrap_or(href.len());
    if href[..head_end].contains(':') {
        return None;
    }
    if href.starts_with('/') {
        Some(format!("{relay}{href}"))
    } else {
        Some(format!("{relay}/{href}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_url_follows_the_relay_scheme() {
        assert_eq!(ws_url("http://127.0.0.1:8080").as_deref(), Some("ws://127.0.0.1:8080/ws"));
        assert_eq!(ws_url("https://chat.example.com/").as_deref(), Some("wss://chat.example.com/ws"));
        assert_eq!(ws_url("HTTPS://x.io").as_deref(), Some("wss://x.io/ws"));
        assert_eq!(ws_url("ftp://x.io"), None);
        assert_eq!(ws_url("http://"), None);
        assert_eq!(ws_url("x.io"), None);
    }

    #[test]
    fn token_key_is_per_site() {
        assert_eq!(token_key("demo"), "baton:demo:token");
    }

    #[test]
    fn links_resolve_against_the_relay() {
        let r = "http://127.0.0.1:8080";
        assert_eq!(resolve_link(r, "/kb/shipping").as_deref(), Some("http://127.0.0.1:8080/kb/shipping"));
        assert_eq!(resolve_link(r, "kb/shipping").as_deref(), Some("http://127.0.0.1:8080/kb/shipping"));
        assert_eq!(resolve_link(r, "https://docs.example.com/a").as_deref(), Some("https://docs.example.com/a"));
        assert_eq!(resolve_link(r, "//cdn.example.com/a").as_deref(), Some("http://cdn.example.com/a"));
        assert_eq!(resolve_link(r, "kb/a?x=1:2").as_deref(), Some("http://127.0.0.1:8080/kb/a?x=1:2"));
    }

    #[test]
    fn dangerous_links_are_dropped() {
        let r = "http://127.0.0.1:8080";
        assert_eq!(resolve_link(r, "javascript:alert(1)"), None);
        assert_eq!(resolve_link(r, " JavaScript:alert(1)"), None);
        assert_eq!(resolve_link(r, "data:text/html,hi"), None);
        assert_eq!(resolve_link(r, ""), None);
    }
}
