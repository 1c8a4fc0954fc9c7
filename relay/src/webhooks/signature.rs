//! Is this webhook really from the helpdesk? Each provider's own check, on the raw body bytes,
//! before any JSON parsing (SPEC.md 1(c), 2(c), 3(c), 4(c), 5(c), 6(c), 7(c)).
//!
//! Every comparison is constant-time: HMACs through `Mac::verify_slice`, shared secrets by
//! comparing their SHA-256 digests with `subtle` (so neither the content nor the length of the
//! configured secret leaks through timing). Clocks are passed in (`now`), never read here, so the
//! timestamp windows are testable.

use axum::http::HeaderMap;
use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use hmac::{Hmac, Mac};
use rsa::{pkcs1::DecodeRsaPublicKey, pkcs1v15, pkcs8::DecodePublicKey, signature::Verifier, RsaPublicKey};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

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

type Result<T = ()> = std::result::Result<T, SignatureError>;

/// A header's value as text: absent → `Missing`, not visible ASCII → `Malformed`.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str> {
    let value = headers.get(name).ok_or_else(|| SignatureError::Missing(name.to_string()))?;
    value.to_str().map(str::trim).map_err(|_| malformed(name))
}

fn malformed(name: &str) -> SignatureError {
    SignatureError::Malformed(name.to_string())
}

fn hmac_sha256(key: &[u8]) -> Hmac<Sha256> {
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
fn usable(secret: &str) -> Result {
    if secret.is_empty() {
        return Err(SignatureError::BadKey("the secret is empty".into()));
    }
    Ok(())
}

/// Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(client_secret, body)>`. No timestamp is
/// signed, so replays are caught by the event-id de-duplication instead.
pub fn intercom(client_secret: &str, headers: &HeaderMap, body: &[u8]) -> Result {
    usable(client_secret)?;
    const NAME: &str = "X-Hub-Signature";
    let value = header(headers, NAME)?;
    let hex_digest = value.strip_prefix("sha1=").ok_or_else(|| malformed(NAME))?;
    // Intercom sends lowercase hex; uppercase is tolerated (hex::decode accepts both).
    let given = hex::decode(hex_digest).map_err(|_| malformed(NAME))?;
    let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(client_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)
}

/// Zendesk Support: `X-Zendesk-Webhook-Signature` = base64(HMAC-SHA256(secret, timestamp +
/// body)), with the timestamp header's exact string. The secret is used as-is (it looks like
/// base64 but is not decoded). `window_seconds == 0` turns the age check off.
///
/// The timestamp's format is UNCONFIRMED (ISO-8601 observed): [`parse_timestamp`] accepts
/// RFC 3339 and its common variants and Unix seconds or milliseconds. The signature is checked
/// first, so an unreadable timestamp on a genuine delivery is reported as `Malformed`, not
/// `Mismatch`.
pub fn zendesk(secret: &str, headers: &HeaderMap, body: &[u8], now: i64, window_seconds: u64) -> Result {
    usable(secret)?;
    const SIGNATURE: &str = "X-Zendesk-Webhook-Signature";
    const TIMESTAMP: &str = "X-Zendesk-Webhook-Signature-Timestamp";
    let signature = header(headers, SIGNATURE)?;
    let timestamp = header(headers, TIMESTAMP)?;
    let given = BASE64.decode(signature).map_err(|_| malformed(SIGNATURE))?;
    let mut mac = hmac_sha256(secret.as_bytes());
    mac.update(timestamp.as_bytes());
    mac.update(body);
    mac.verify_slice(&given).map_err(|_| SignatureError::Mismatch)?;
    if window_seconds > 0 {
        let sent = parse_timestamp(timestamp).ok_or_else(|| malformed(TIMESTAMP))?;
        if now.abs_diff(sent) > window_seconds {
            return Err(SignatureError::Stale);
        }
    }
    Ok(())
}

/// A timestamp in seconds since the epoch, from RFC 3339 (`2024-01-01T00:00:00Z`, with or
/// without fractions or an offset), the same with a space or without a zone (taken as UTC),
/// or a Unix time in seconds or milliseconds.
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(number) = text.parse::<i64>() {
        // Unix milliseconds are 13 digits until the year 2286; seconds are 10.
        return Some(if number.abs() >= 100_000_000_000 { number / 1000 } else { number });
    }
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(time.timestamp());
    }
    let normalised = text.replacen(' ', "T", 1);
    if let Ok(time) = chrono::DateTime::parse_from_rfc3339(&normalised) {
        return Some(time.timestamp());
    }
    let naive = normalised.trim_end_matches(['Z', 'z']);
    chrono::NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc().timestamp())
}

/// HubSpot's maximum age of a signed request: 5 minutes, in milliseconds (`MAX_ALLOWED_TIMESTAMP`).
pub const HUBSPOT_WINDOW_MS: i64 = 300_000;

/// What HubSpot signed besides the body: the method and the full URL it called.
pub struct HubspotRequest<'a> {
    /// Uppercase, e.g. `POST`.
    pub method: &'a str,
    /// Candidate URLs (scheme, host, path and query) as HubSpot may have called them; behind a
    /// proxy the relay cannot know for sure, so the caller passes every plausible one.
    pub uris: &'a [String],
}

/// HubSpot v3: `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(client_secret, method + uri +
/// body + timestamp)), `X-HubSpot-Request-Timestamp` in Unix milliseconds, refused when more
/// than 5 minutes from `now_ms` either way.
///
/// Which percent-encoded characters HubSpot decodes in the URI before signing is UNCONFIRMED:
/// each candidate URI is tried as given and with HubSpot's documented list decoded.
pub fn hubspot(
    client_secret: &str,
    request: &HubspotRequest<'_>,
    headers: &HeaderMap,
    body: &[u8],
    now_ms: i64,
) -> Result {
    usable(client_secret)?;
    const SIGNATURE: &str = "X-HubSpot-Signature-v3";
    const TIMESTAMP: &str = "X-HubSpot-Request-Timestamp";
    let signature = header(headers, SIGNATURE)?;
    let timestamp = header(headers, TIMESTAMP)?;
    let sent: i64 = timestamp.parse().map_err(|_| malformed(TIMESTAMP))?;
    if now_ms.abs_diff(sent) > HUBSPOT_WINDOW_MS as u64 {
        return Err(SignatureError::Stale);
    }
    let given = BASE64.decode(signature).map_err(|_| malformed(SIGNATURE))?;
    let mut candidates: Vec<String> = Vec::with_capacity(request.uris.len() * 2);
    for uri in request.uris {
        let decoded = hubspot_decode(uri);
        candidates.push(uri.clone());
        if decoded != *uri {
            candidates.push(decoded);
        }
    }
    let matches = candidates.iter().any(|uri| {
        let mut mac = hmac_sha256(client_secret.as_bytes());
        mac.update(request.method.as_bytes());
        mac.update(uri.as_bytes());
        mac.update(body);
        mac.update(timestamp.as_bytes());
        mac.verify_slice(&given).is_ok()
    });
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The percent-encodings HubSpot's request-validation page lists as decoded before signing.
fn hubspot_decode(uri: &str) -> String {
    const DECODED: [(&str, &str); 12] = [
        ("%3A", ":"),
        ("%2F", "/"),
        ("%3F", "?"),
        ("%40", "@"),
        ("%21", "!"),
        ("%24", "$"),
        ("%27", "'"),
        ("%28", "("),
        ("%29", ")"),
        ("%2A", "*"),
        ("%2C", ","),
        ("%3B", ";"),
    ];
    let mut out = uri.to_string();
    for (encoded, plain) in DECODED {
        out = out.replace(encoded, plain).replace(&encoded.to_ascii_lowercase(), plain);
    }
    out
}

/// HubSpot's legacy signatures, for webhooks that carry no v3 header (custom-channel webhooks
/// may not: UNCONFIRMED). v1 = hex SHA-256(secret + body), v2 = hex SHA-256(secret + method +
/// uri + body). Neither is timestamped, so only opt-in (`legacy_signatures = true`).
pub fn hubspot_legacy(client_secret: &str, request: &HubspotRequest<'_>, headers: &HeaderMap, body: &[u8]) -> Result {
    usable(client_secret)?;
    const SIGNATURE: &str = "X-HubSpot-Signature";
    let given = hex::decode(header(headers, SIGNATURE)?).map_err(|_| malformed(SIGNATURE))?;
    let version = headers.get("X-HubSpot-Signature-Version").and_then(|v| v.to_str().ok()).unwrap_or("v1");
    let digest = |parts: &[&[u8]]| {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize()
    };
    let matches = match version {
        "v2" => request.uris.iter().any(|uri| {
            let expected = digest(&[client_secret.as_bytes(), request.method.as_bytes(), uri.as_bytes(), body]);
            bool::from(expected.as_slice().ct_eq(&given))
        }),
        _ => bool::from(digest(&[client_secret.as_bytes(), body]).as_slice().ct_eq(&given)),
    };
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The account's Freshchat public key, parsed once from the PEM shown in the webhook settings.
#[derive(Debug, Clone)]
pub struct FreshchatKey(pkcs1v15::VerifyingKey<Sha256>);

impl FreshchatKey {
    /// Accepts SPKI (`BEGIN PUBLIC KEY`), PKCS#1 (`BEGIN RSA PUBLIC KEY`) and the bare base64
    /// body of either, since practitioners report both armours (SPEC 5(c)).
    pub fn from_pem(pem: &str) -> Result<Self> {
        let pem = pem.trim();
        let key = RsaPublicKey::from_public_key_pem(pem)
            .or_else(|_| RsaPublicKey::from_pkcs1_pem(pem))
            .or_else(|_| {
                let der = BASE64.decode(pem.split_whitespace().collect::<String>()).map_err(|e| e.to_string())?;
                RsaPublicKey::from_public_key_der(&der)
                    .or_else(|_| RsaPublicKey::from_pkcs1_der(&der))
                    .map_err(|e| e.to_string())
            })
            .map_err(|e| SignatureError::BadKey(format!("Freshchat public key: {e}")))?;
        Ok(Self(pkcs1v15::VerifyingKey::new(key)))
    }
}

/// Freshchat: `X-Freshchat-Signature` = base64 RSA-SHA256 (PKCS#1 v1.5) over the body.
pub fn freshchat(key: &FreshchatKey, headers: &HeaderMap, body: &[u8]) -> Result {
    const NAME: &str = "X-Freshchat-Signature";
    let raw = BASE64.decode(header(headers, NAME)?).map_err(|_| malformed(NAME))?;
    let signature = pkcs1v15::Signature::try_from(raw.as_slice()).map_err(|_| malformed(NAME))?;
    key.0.verify(body, &signature).map_err(|_| SignatureError::Mismatch)
}

/// Sunshine Conversations (Zendesk Messaging): `X-API-Key` carries the webhook secret verbatim.
pub fn sunshine(secret: &str, headers: &HeaderMap) -> Result {
    shared_secret(headers, "X-API-Key", secret)
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

#[cfg(test)]
mod tests;
