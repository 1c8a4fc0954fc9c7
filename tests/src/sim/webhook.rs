//! Webhooks as the vendors deliver them: a body and the headers that carry its signature,
//! posted to the relay. The signing schemes' building blocks (HMAC over parts of the request)
//! and the ids and times the payloads carry.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};

/// One webhook delivery: the raw body and its headers (signature included). The same
/// delivery sent twice is a replay.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Delivery {
    /// `body` with a JSON content type and `headers`.
    pub fn new(body: String, headers: &[(&str, &str)]) -> Self {
        let mut delivery = Self { body, headers: vec![("content-type".into(), "application/json".into())] };
        for (name, value) in headers {
            delivery = delivery.with(name, value);
        }
        delivery
    }

    /// The same delivery with header `name` set to `value` (replaced if present).
    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// The same delivery without header `name`.
    pub fn without(mut self, name: &str) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self
    }

    /// The same headers over another body (a signature that no longer matches).
    pub fn with_body(mut self, body: String) -> Self {
        self.body = body;
        self
    }

    /// The request, for callers with their own client (retries, timeouts).
    pub fn request(&self, client: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
        self.headers.iter().fold(client.post(url).body(self.body.clone()), |request, (name, value)| {
            request.header(name.as_str(), value.as_str())
        })
    }

    /// Posts it to `url`: (status, answer).
    pub async fn send(&self, url: &str) -> (u16, String) {
        let response = self.request(&reqwest::Client::new(), url).send().await.expect("deliver webhook");
        (response.status().as_u16(), response.text().await.unwrap_or_default())
    }
}

/// Hex HMAC-SHA1 of `body` (Intercom's `X-Hub-Signature`).
pub fn hmac_sha1_hex(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Base64 HMAC-SHA256 of `parts` concatenated (Zendesk's and HubSpot's signatures).
pub fn hmac_sha256_base64(secret: &str, parts: &[&str]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
    for part in parts {
        mac.update(part.as_bytes());
    }
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Seconds since the epoch.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A number never handed out before in this process (ids in payloads).
pub fn next_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
