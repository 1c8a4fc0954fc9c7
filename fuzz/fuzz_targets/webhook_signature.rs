//! Every webhook authenticity check (`relay/src/connectors/*/webhook.rs` and
//! `relay/src/connectors/signature.rs`) on hostile headers and
//! bodies: a refusal or an acceptance, never a panic. Half the inputs are signed the way the
//! helpdesk signs them, so the accepting paths (timestamp parsing, windows, URL variants) are
//! driven too, and a correctly signed delivery must never be called a mismatch.
//!
//! Input: text lines `sign|raw`, signature, timestamp, now (ms), window (s), URI, PEM, then
//! the body (any bytes), so the seeds in `corpus/webhook_signature` are readable files.
#![no_main]

use std::sync::OnceLock;

use base64::{engine::general_purpose::STANDARD as BASE64, Engine};
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use relay::{
    connectors::{
        freshchat::webhook as freshchat, hubspot::webhook as hubspot, intercom::webhook as intercom, signature,
        zendesk_messaging::webhook as sunshine, zendesk_support::webhook as zendesk, SignatureError,
    },
    fuzzing::{HeaderMap, HeaderName, HeaderValue},
};
use sha2::{Digest, Sha256};

const SECRET: &str = "fuzz-secret";
/// A 2048-bit RSA public key (its private half was thrown away): Freshchat's checks run on
/// real key material, and every signature the fuzzer invents must be refused.
const FRESHCHAT_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA3lSZf+zShz/jM1chPcnY
IBmWH5cdiDxoiP833eZnS2xfHbK5cLIMmmBSaijsRfDht/SRvdlu0xLqZgX17rg4
hiNrLnMnDupxvsfVTML0I6WPkKLmRgvB2pK4oOlsXOIbxxmJuL3uf+l3LeBY224A
j0UU7E533Kfkw3OraCQPh8iAe+12cxNY4JOT5bU16vlHR+iLYNGL8g5uOtQYYiB2
k6ZeQQ9Vw//JVmGhe46TUcoRZVTLbQ4LSDw2BEXApxVswZNn9fnq3Y21nWUhl4zW
huFW35yPe4r31nkQmKK7OibwZBlrQq/PFuPRMSmMxaOxGdjgjReXDywJDbdFLEno
oQIDAQAB
-----END PUBLIC KEY-----";

static FRESHCHAT: OnceLock<freshchat::FreshchatKey> = OnceLock::new();

struct Delivery<'a> {
    /// Sign like the helpdesk (true) or send `signature` as given.
    sign: bool,
    signature: &'a str,
    timestamp: &'a str,
    now_ms: i64,
    window_seconds: u16,
    uri: &'a str,
    /// Tried as a Freshchat public key (the relay parses it from the configuration).
    pem: &'a str,
    body: &'a [u8],
}

impl<'a> Delivery<'a> {
    fn read(data: &'a [u8]) -> Option<Self> {
        let mut lines = data.splitn(8, |b| *b == b'\n');
        let mut fields = [""; 7];
        for field in &mut fields {
            *field = std::str::from_utf8(lines.next()?).ok()?;
        }
        let [sign, signature, timestamp, now_ms, window_seconds, uri, pem] = fields;
        Some(Self {
            sign: sign == "sign",
            signature,
            timestamp,
            now_ms: now_ms.parse().unwrap_or_default(),
            window_seconds: window_seconds.parse().unwrap_or_default(),
            uri,
            pem,
            body: lines.next().unwrap_or_default(),
        })
    }
}

fn headers(pairs: &[(&str, &str)]) -> Option<HeaderMap> {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        // A value no HTTP stack would deliver cannot reach the relay.
        let value = HeaderValue::from_bytes(value.as_bytes()).ok()?;
        map.insert(HeaderName::from_bytes(name.as_bytes()).ok()?, value);
    }
    Some(map)
}

fn hmac256(parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// A genuine delivery may be refused for its timestamp, never for its signature.
fn genuine(what: &str, result: Result<(), SignatureError>) {
    assert!(
        matches!(result, Ok(()) | Err(SignatureError::Stale | SignatureError::Malformed(_))),
        "{what}: a correctly signed delivery was refused: {result:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let Some(d) = Delivery::read(data) else { return };
    let body = d.body;
    let _ = zendesk::parse_timestamp(d.timestamp);

    // Intercom: sha1=<hex HMAC-SHA1>.
    let value = if d.sign {
        let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(body);
        format!("sha1={}", hex::encode(mac.finalize().into_bytes()))
    } else {
        d.signature.to_string()
    };
    if let Some(h) = headers(&[("X-Hub-Signature", &value)]) {
        let result = intercom::verify(SECRET, &h, body);
        if d.sign {
            assert_eq!(result, Ok(()), "intercom");
        }
    }

    // Zendesk Support: base64 HMAC-SHA256 over timestamp + body, with an age window.
    let value =
        if d.sign { BASE64.encode(hmac256(&[d.timestamp.trim().as_bytes(), body])) } else { d.signature.into() };
    if let Some(h) =
        headers(&[("X-Zendesk-Webhook-Signature", &value), ("X-Zendesk-Webhook-Signature-Timestamp", d.timestamp)])
    {
        let result = zendesk::verify(SECRET, &h, body, d.now_ms / 1000, u64::from(d.window_seconds));
        if d.sign && d.timestamp.trim() == d.timestamp {
            genuine("zendesk", result);
        }
    }

    // HubSpot v3: base64 HMAC-SHA256 over method + uri + body + timestamp, 5-minute window.
    let uris = [d.uri.to_string(), format!("https://relay.test{}", d.uri)];
    let request = hubspot::HubspotRequest { method: "POST", uris: &uris };
    let timestamp = d.timestamp.trim();
    let value = if d.sign {
        BASE64.encode(hmac256(&[b"POST", d.uri.as_bytes(), body, timestamp.as_bytes()]))
    } else {
        d.signature.into()
    };
    if let Some(h) = headers(&[("X-HubSpot-Signature-v3", &value), ("X-HubSpot-Request-Timestamp", d.timestamp)]) {
        let result = hubspot::verify(SECRET, &request, &h, body, d.now_ms);
        if d.sign && timestamp == d.timestamp {
            genuine("hubspot", result);
        }
    }

    // HubSpot legacy v1 (secret + body) and v2 (secret + method + uri + body), hex SHA-256.
    for version in ["v1", "v2"] {
        let value = if d.sign {
            let mut hasher = Sha256::new();
            hasher.update(SECRET);
            if version == "v2" {
                hasher.update("POST");
                hasher.update(d.uri);
            }
            hasher.update(body);
            hex::encode(hasher.finalize())
        } else {
            d.signature.into()
        };
        if let Some(h) = headers(&[("X-HubSpot-Signature", &value), ("X-HubSpot-Signature-Version", version)]) {
            let result = hubspot::verify_legacy(SECRET, &request, &h, body);
            if d.sign {
                assert_eq!(result, Ok(()), "hubspot {version}");
            }
        }
    }

    // Freshchat: RSA-SHA256; a signature the fuzzer made up is never valid.
    let key = FRESHCHAT.get_or_init(|| freshchat::FreshchatKey::from_pem(FRESHCHAT_PEM).expect("the fixed key parses"));
    if let Some(h) = headers(&[("X-Freshchat-Signature", d.signature)]) {
        assert!(freshchat::verify(key, &h, body).is_err(), "freshchat accepted a made-up signature");
    }
    let _ = freshchat::FreshchatKey::from_pem(d.pem);

    // Shared secrets (Zendesk Messaging, Freshdesk, Gorgias) and Basic credentials.
    let value = if d.sign { SECRET.to_string() } else { d.signature.to_string() };
    if let Some(h) = headers(&[("X-API-Key", &value), ("X-Baton-Webhook-Secret", &value)]) {
        let sunshine = sunshine::verify(SECRET, &h);
        let shared = signature::shared_secret(&h, "x-baton-webhook-secret", SECRET);
        if d.sign {
            assert_eq!((sunshine, shared), (Ok(()), Ok(())), "shared secret");
        }
    }
    let value = if d.sign { format!("Basic {}", BASE64.encode(format!("baton:{SECRET}"))) } else { d.signature.into() };
    if let Some(h) = headers(&[("Authorization", &value)]) {
        let result = signature::basic_auth(&h, "baton", SECRET);
        if d.sign {
            assert_eq!(result, Ok(()), "basic");
        }
    }
});
