//! Signed, expiring addresses of attachments: `/attachments/{id}?expires=<unix seconds>&sig=<HMAC>`.
//! The signature is HMAC-SHA256 over the id and the expiry under a key derived from the relay's
//! `secret_key` (so every relay sharing it signs alike and addresses survive restarts); a
//! relay without one signs with a key of its own, made at start.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Signs and checks attachment addresses.
#[derive(Clone)]
pub struct Links {
    key: [u8; 32],
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Links(…)")
    }
}

/// Why an address was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the link has expired")]
    Expired,
    #[error("the link's signature is not valid")]
    Forged,
}

impl Links {
    /// Keys derived from `secret` (the relay's `secret_key`), else a random key.
    pub fn new(secret: Option<&str>) -> Self {
        let key = match secret {
            Some(secret) => {
                let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
                mac.update(b"baton attachment links v1");
                mac.finalize().into_bytes().into()
            }
            None => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                key
            }
        };
        Self { key }
    }

    fn mac(&self, id: &str, expires: u64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(id.as_bytes());
        mac.update(b"\n");
        mac.update(expires.to_string().as_bytes());
        mac
    }

    /// The path and query of `id`'s address, valid until `expires` (Unix seconds).
    pub fn path(&self, id: &str, expires: u64) -> String {
        let sig = URL_SAFE_NO_PAD.encode(self.mac(id, expires).finalize().into_bytes());
        format!("/attachments/{id}?expires={expires}&sig={sig}")
    }

    /// Whether `sig` is `id`'s signature until `expires` and that is after `now` (Unix seconds).
    /// The comparison is constant-time.
    pub fn check(&self, id: &str, expires: u64, sig: &str, now: u64) -> Result<(), LinkError> {
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| LinkError::Forged)?;
        self.mac(id, expires).verify_slice(&sig).map_err(|_| LinkError::Forged)?;
        if expires <= now {
            return Err(LinkError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(path: &str) -> (String, u64, String) {
        let (id, query) = path.trim_start_matches("/attachments/").split_once('?').unwrap();
        let (expires, sig) = query.trim_start_matches("expires=").split_once("&sig=").unwrap();
        (id.to_string(), expires.parse().unwrap(), sig.to_string())
    }

    #[test]
    fn a_signed_link_checks_until_it_expires_and_nothing_else_does() {
        let links = Links::new(Some("k"));
        let (id, expires, sig) = parts(&links.path("abc", 1_000));
        assert_eq!(links.check(&id, expires, &sig, 999), Ok(()));
        assert_eq!(links.check(&id, expires, &sig, 1_000), Err(LinkError::Expired));
        assert_eq!(links.check(&id, expires + 1, &sig, 0), Err(LinkError::Forged), "a later expiry");
        assert_eq!(links.check("abd", expires, &sig, 0), Err(LinkError::Forged), "another file");
        assert_eq!(links.check(&id, expires, "x", 0), Err(LinkError::Forged));
        assert_eq!(Links::new(Some("other")).check(&id, expires, &sig, 0), Err(LinkError::Forged));
        assert_eq!(Links::new(Some("k")).check(&id, expires, &sig, 0), Ok(()), "the same key at another relay");
        assert_eq!(Links::new(None).check(&id, expires, &sig, 0), Err(LinkError::Forged));
    }
}
