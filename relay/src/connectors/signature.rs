//! Is this webhook really from the helpdesk? What the connectors' checks share (each
//! helpdesk's own check is in its `webhook.rs`, on the raw body bytes, before any JSON parsing;
//! SPEC.md 1(c), 2(c), 3(c), 4(c), 5(c), 6(c), 7(c)): header reading, HMAC-SHA256, constant-time
//! secret comparison, and the secret header or Basic credentials Freshdesk and Gorgias use.
//!
//! Every comparison is constant-time: HMACs through `Mac::verify_slice`, shared secrets by
//! comparing their SHA-256 digests with `subtle` (so neither the content nor the length of the
//! configured secret leaks through timing). Clocks are passed in (`now`), never read here, so the
//! timestamp windows are testable.

use axum::http::HeaderMap;
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::settings::SecretHeaderWebhook;

/// Why a delivery was refused. Every variant is answered 401 and logged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is missing")]
    Missing(String),
    #[error("the {0} header is malformed")]
    Malformed(String),
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("the timestamp is outside the allowed window")]
    Stale,
    /// The configured key cannot be used (e.g. a PEM that does not parse): a setup mistake.
    #[error("the configured verification key is unusable: {0}")]
    BadKey(String),
}

pub(super) type Result<T = ()> = std::result::Result<T, SignatureError>;

/// A header's value as text: absent → `Missing`, not visible ASCII → `Malformed`.
pub(super) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str> {
    let value = headers.get(name).ok_or_else(|| SignatureError::Missing(name.to_string()))?;
    value.to_str().map(str::trim).map_err(|_| malformed(name))
}

pub(super) fn malformed(name: &str) -> SignatureError {
    SignatureError::Malformed(name.to_string())
}

pub(super) fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; `new_from_slice` cannot fail for it.
    <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// Constant-time equality of two secrets of possibly different lengths. An empty expected
/// secret matches nothing: an unset secret must not accept an empty header.
pub fn secrets_match(given: &[u8], expected: &[u8]) -> bool {
    !expected.is_empty() && bool::from(Sha256::digest(given).ct_eq(&Sha256::digest(expected)))
}

/// An empty key would let anyone compute the signature: refuse before looking at the request.
/// (Configuration loading already refuses short secrets; this guards configs built in code.)
pub(super) fn usable(secret: &str) -> Result {
    if secret.is_empty() {
        return Err(SignatureError::BadKey("the secret is empty".into()));
    }
    Ok(())
}

/// A secret header the site owner configured in the helpdesk (Freshdesk, Gorgias).
/// `name` is configurable, so it is matched case-insensitively as HTTP requires.
pub fn shared_secret(headers: &HeaderMap, name: &str, secret: &str) -> Result {
    if secrets_match(header(headers, name)?.as_bytes(), secret.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// HTTP Basic authentication on the webhook (Freshdesk's "Requires authentication", Gorgias).
pub fn basic_auth(headers: &HeaderMap, username: &str, password: &str) -> Result {
    usable(password)?;
    const NAME: &str = "Authorization";
    let value = header(headers, NAME)?;
    let (scheme, encoded) = value.split_once(' ').ok_or_else(|| malformed(NAME))?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(malformed(NAME));
    }
    let decoded = BASE64.decode(encoded.trim()).map_err(|_| malformed(NAME))?;
    let expected = format!("{username}:{password}");
    if secrets_match(&decoded, expected.as_bytes()) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// Freshdesk and Gorgias: whichever of the secret header and Basic credentials is configured
/// must be present (both, if both). Neither configured refuses everything: an open endpoint
/// would let anyone post as an agent.
pub fn secret_header(config: &SecretHeaderWebhook, headers: &HeaderMap) -> Result {
    if config.secret.is_none() && config.basic_username.is_none() {
        return Err(SignatureError::BadKey("set `secret` or `basic_username`/`basic_password`".into()));
    }
    if let Some(secret) = &config.secret {
        shared_secret(headers, &config.header, secret)?;
    }
    if let Some(username) = &config.basic_username {
        basic_auth(headers, username, config.basic_password.as_deref().unwrap_or_default())?;
    }
    Ok(())
}

/// Headers from name-value pairs, for the checks' tests.
#[cfg(test)]
pub(crate) fn test_headers(pairs: &[(&str, &str)]) -> HeaderMap {
    use axum::http::{HeaderName, HeaderValue};
    pairs
        .iter()
        .map(|(name, value)| (HeaderName::from_bytes(name.as_bytes()).unwrap(), HeaderValue::from_str(value).unwrap()))
        .collect()
}

#[cfg(test)]
mod tests;
