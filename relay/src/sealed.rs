//! Secrets at rest: helpdesk credentials and webhook secrets set in the dashboard are stored in
//! the site's settings document **sealed** with XChaCha20-Poly1305 under the relay's key
//! (`BATON_SECRET_KEY`, 32 bytes in base64), and opened only when the site's runtime is built
//! (`crate::sites`), so neither the database nor a backup of it holds them in plain text.
//!
//! A sealed value is a string `sealed:v1:<hint>:<base64url(nonce ‖ ciphertext)>`. The hint is
//! the secret's last four characters (empty for secrets shorter than 12), kept in the clear so
//! the dashboard can say which secret is set without opening it; it is authenticated with the
//! site's key as associated data, so a sealed value moved to another site, or its hint edited,
//! does not open.

use base64::{
    engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD},
    Engine,
};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use figment::value::Value;
use rand::RngCore;

use crate::config::{SecretKey, Table};

const PREFIX: &str = "sealed:v1:";
const NONCE_BYTES: usize = 24;
/// Secrets shorter than this show no hint: four characters would give too much of them away.
const HINT_FROM_CHARS: usize = 12;

/// Why a secret cannot be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("BATON_SECRET_KEY must be 32 bytes in base64 (e.g. `openssl rand -base64 32`)")]
    BadKey,
    #[error("a secret in the settings is sealed, but no BATON_SECRET_KEY is set to open it")]
    NoKey,
    #[error("a sealed secret does not open with this BATON_SECRET_KEY (another key, another site, or damaged)")]
    DoesNotOpen,
}

/// The relay's key, ready to seal and open. Its `Debug` shows nothing of it.
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(…)")
    }
}

impl SecretBox {
    /// The key from its base64 text (standard or URL-safe alphabet, padded or not).
    pub fn from_key(text: &str) -> Result<Self, SealError> {
        let text = text.trim();
        let bytes = [&STANDARD, &URL_SAFE, &URL_SAFE_NO_PAD, &base64::engine::general_purpose::STANDARD_NO_PAD]
            .iter()
            .find_map(|engine| engine.decode(text).ok())
            .ok_or(SealError::BadKey)?;
        // A key of any other length than 32 bytes is refused here.
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| SealError::BadKey)?;
        Ok(Self { cipher })
    }

    /// The configured key, if any.
    pub fn from_config(key: Option<&SecretKey>) -> Result<Option<Self>, SealError> {
        key.map(|key| Self::from_key(key.expose())).transpose()
    }

    /// `plain` sealed for `site`.
    pub fn seal(&self, site: &str, plain: &str) -> String {
        let hint = hint_of(plain);
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated(site, &hint);
        let sealed = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: aad.as_bytes() })
            .expect("XChaCha20-Poly1305 seals any message of a settings document's size");
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{PREFIX}{hint}:{}", URL_SAFE_NO_PAD.encode(bytes))
    }

    /// The secret in `sealed`, which was sealed for `site`.
    pub fn open(&self, site: &str, sealed: &str) -> Result<String, SealError> {
        let (hint, data) = parts(sealed).ok_or(SealError::DoesNotOpen)?;
        let bytes = URL_SAFE_NO_PAD.decode(data).map_err(|_| SealError::DoesNotOpen)?;
        if bytes.len() < NONCE_BYTES {
            return Err(SealError::DoesNotOpen);
        }
        let (nonce, message) = bytes.split_at(NONCE_BYTES);
        let aad = associated(site, hint);
        let plain = self
            .cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: message, aad: aad.as_bytes() })
            .map_err(|_| SealError::DoesNotOpen)?;
        String::from_utf8(plain).map_err(|_| SealError::DoesNotOpen)
    }
}

fn associated(site: &str, hint: &str) -> String {
    format!("baton-secret:v1:{site}:{hint}")
}

fn hint_of(plain: &str) -> String {
    let chars: Vec<char> = plain.chars().collect();
    if chars.len() < HINT_FROM_CHARS {
        return String::new();
    }
    chars[chars.len() - 4..].iter().collect()
}

/// (hint, data) of a sealed value.
fn parts(value: &str) -> Option<(&str, &str)> {
    value.strip_prefix(PREFIX)?.rsplit_once(':')
}

/// Whether `value` is a sealed secret.
pub fn is_sealed(value: &str) -> bool {
    parts(value).is_some()
}

/// How the dashboard names a secret without showing it: `…wxyz` for a sealed value with a
/// hint or a plain one of 12 characters or more, `(set)` otherwise.
pub fn masked(value: &str) -> String {
    let hint = match parts(value) {
        Some((hint, _)) => hint.to_string(),
        None => hint_of(value),
    };
    if hint.is_empty() {
        "(set)".into()
    } else {
        format!("…{hint}")
    }
}

/// `table` with every sealed string in it (at any depth) opened for `site`. A table without
/// sealed values (a configuration file's) needs no key.
pub fn open_table(table: &Table, key: Option<&SecretBox>, site: &str) -> Result<Table, SealError> {
    table.iter().map(|(name, value)| Ok((name.clone(), open_value(value, key, site)?))).collect()
}

fn open_value(value: &Value, key: Option<&SecretBox>, site: &str) -> Result<Value, SealError> {
    Ok(match value {
        Value::String(tag, text) if is_sealed(text) => {
            Value::String(*tag, key.ok_or(SealError::NoKey)?.open(site, text)?)
        }
        Value::Dict(tag, dict) => Value::Dict(*tag, open_table(dict, key, site)?),
        Value::Array(tag, items) => {
            Value::Array(*tag, items.iter().map(|item| open_value(item, key, site)).collect::<Result<_, _>>()?)
        }
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_site_and_shows_only_its_last_four() {
        let key = SecretBox::from_key(KEY).unwrap();
        let sealed = key.seal("demo", "tok_live_0123456789wxyz");
        assert!(is_sealed(&sealed) && !sealed.contains("0123456789"), "{sealed}");
        assert_eq!(masked(&sealed), "…wxyz");
        assert_eq!(key.open("demo", &sealed).unwrap(), "tok_live_0123456789wxyz");
        assert_ne!(sealed, key.seal("demo", "tok_live_0123456789wxyz"), "a fresh nonce every time");
        assert_eq!(key.open("shop", &sealed), Err(SealError::DoesNotOpen), "bound to its site");
        let edited = sealed.replace(":wxyz:", ":abcd:");
        assert_eq!(key.open("demo", &edited), Err(SealError::DoesNotOpen), "the hint is authenticated");
        let other = SecretBox::from_key(&STANDARD.encode([7u8; 32])).unwrap();
        assert_eq!(other.open("demo", &sealed), Err(SealError::DoesNotOpen));
        let short = key.seal("demo", "short");
        assert_eq!((masked(&short), key.open("demo", &short).unwrap().as_str()), ("(set)".into(), "short"));
    }

    #[test]
    fn keys_must_be_32_bytes_of_base64() {
        assert_eq!(SecretBox::from_key("not base64 at all!").unwrap_err(), SealError::BadKey);
        assert_eq!(SecretBox::from_key(&STANDARD.encode([1u8; 16])).unwrap_err(), SealError::BadKey);
        assert!(SecretBox::from_key(&URL_SAFE_NO_PAD.encode([1u8; 32])).is_ok());
    }

    #[test]
    fn tables_open_at_any_depth_and_plain_ones_need_no_key() {
        let key = SecretBox::from_key(KEY).unwrap();
        let mut inner = Table::new();
        inner.insert("api_token".into(), key.seal("demo", "inner-secret-value").into());
        let mut table = Table::new();
        table.insert("kind".into(), "zendesk_messaging".into());
        table.insert("key_secret".into(), key.seal("demo", "outer-secret-value").into());
        table.insert("availability".into(), Value::from(inner));
        let opened = open_table(&table, Some(&key), "demo").unwrap();
        assert_eq!(opened["key_secret"].as_str(), Some("outer-secret-value"));
        assert_eq!(opened["availability"].as_dict().unwrap()["api_token"].as_str(), Some("inner-secret-value"));
        assert_eq!(open_table(&table, None, "demo").unwrap_err(), SealError::NoKey);
        let plain = Table::from([("kind".to_string(), Value::from("builtin"))]);
        assert_eq!(open_table(&plain, None, "demo").unwrap(), plain);
    }
}
