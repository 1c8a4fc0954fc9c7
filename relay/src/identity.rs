//! Who the visitor is, and whether the site vouched for it (identity verification, as in
//! Intercom's): a page with a logged-in visitor passes `user_id` and/or `email` with
//! `user_hash`, the hex HMAC-SHA256 of `user_id` (or, without one, of `email`) under the site's
//! `identity_secret`, computed on the site's server. Anyone can put any email into `hello` or
//! `identify`; only a claim carrying a valid signature is marked verified. Unverified claims are
//! kept (agents still see them) but labelled so, and helpdesk connectors never use an
//! unverified email to find an existing contact ([`crate::connectors::Handover::contact_email`]).
//!
//! Verification is per field: the signature covers exactly one value, so with both `user_id`
//! and `email` only the user id is verified, the email is not. A verified value is never
//! replaced by an unverified one ([`Identity::merge`]): once the site signed an email, an email
//! typed in the prompt or passed to `Baton.identify` without the signature does not take its
//! place, so helpdesks always get the signed one.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The visitor as the relay keeps it: each claimed value with whether the site signed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    #[serde(default)]
    pub email: Option<String>,
    /// The site's signature covered `email` (so it may be used to find a helpdesk contact).
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub name: Option<String>,
    /// The site's own user id.
    #[serde(default)]
    pub user_id: Option<String>,
    /// The site's signature covered `user_id`.
    #[serde(default)]
    pub user_id_verified: bool,
    /// The languages the visitor's widget reads, best first (checked tags; the handover texts
    /// are picked by them). Not part of the site's signature: it says nothing about who.
    #[serde(default)]
    pub languages: Vec<String>,
}

impl Identity {
    /// An email the visitor typed (or a test's), never verified.
    pub fn unverified(email: Option<&str>, name: Option<&str>) -> Self {
        Self { email: email.map(Into::into), name: name.map(Into::into), ..Self::default() }
    }

    /// Applies a newer claim: each value it carries replaces the old one together with its
    /// verification; values it lacks stay. A value the site signed is never replaced by an
    /// unsigned one (anyone can call `Baton.identify` or type into the prompt): an unsigned
    /// different email or user id is dropped (logged), and the same value repeated without the
    /// signature stays verified. A newer signed value replaces a signed one (the visitor logged
    /// in as someone else).
    pub fn merge(&mut self, newer: Identity) {
        merge_field(&mut self.email, &mut self.email_verified, newer.email, newer.email_verified);
        merge_field(&mut self.user_id, &mut self.user_id_verified, newer.user_id, newer.user_id_verified);
        if newer.name.is_some() {
            self.name = newer.name;
        }
        if !newer.languages.is_empty() {
            self.languages = newer.languages;
        }
    }

    /// Only the visitor's languages, from a widget's `hello` or `language` frame: each checked
    /// ([`shared::look::language_tag`]), repeats and junk dropped, at most
    /// [`shared::MAX_LANGUAGES`].
    pub fn speaking(languages: &[String]) -> Self {
        let mut checked: Vec<String> = Vec::new();
        for tag in languages.iter().filter_map(|t| shared::look::language_tag(t)) {
            if !checked.contains(&tag) && checked.len() < shared::MAX_LANGUAGES {
                checked.push(tag);
            }
        }
        Self { languages: checked, ..Self::default() }
    }

    /// The stored form of [`Identity::languages`] (comma-separated) read back.
    pub fn languages_from_column(column: &str) -> Vec<String> {
        column.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect()
    }

    /// True when the site signed whatever identifies the visitor here.
    pub fn verified(&self) -> bool {
        self.email_verified || self.user_id_verified
    }
}

fn merge_field(value: &mut Option<String>, verified: &mut bool, newer: Option<String>, newer_verified: bool) {
    let Some(newer) = newer else { return };
    if *verified && !newer_verified {
        if value.as_deref() != Some(newer.as_str()) {
            tracing::info!("an unsigned value did not replace the one the site signed");
        }
        return;
    }
    *verified = newer_verified;
    *value = Some(newer);
}

/// Checks a claim from the widget against the site's secret (`None`: the site verifies
/// nothing, so every claim is unverified).
pub fn verify(secret: Option<&str>, claim: shared::Visitor) -> Identity {
    let signed_value = claim.user_id.as_deref().or(claim.email.as_deref());
    let valid = match (secret.filter(|s| !s.is_empty()), signed_value, claim.user_hash.as_deref()) {
        (Some(secret), Some(value), Some(hash)) => signature_matches(secret, value, hash),
        _ => false,
    };
    if claim.user_hash.is_some() && !valid {
        tracing::info!(has_secret = secret.is_some(), "visitor identity signature not valid; kept as unverified");
    }
    Identity {
        email_verified: valid && claim.user_id.is_none() && claim.email.is_some(),
        user_id_verified: valid && claim.user_id.is_some(),
        email: claim.email,
        name: claim.name,
        user_id: claim.user_id,
        languages: Vec::new(),
    }
}

/// Is `hash` (hex, either case) the HMAC-SHA256 of `value` under `secret`? Compared in
/// constant time (`verify_slice` compares with `subtle`), so timing reveals nothing.
pub fn signature_matches(secret: &str, value: &str, hash: &str) -> bool {
    let Ok(given) = hex::decode(hash.trim()) else { return false };
    // HMAC accepts keys of any length; the error branch cannot happen but must not panic.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(value.as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// The signature a site's server computes (for tests and documentation examples).
pub fn sign(secret: &str, value: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::Visitor;

    const SECRET: &str = "site-identity-secret-0123456789";

    fn claim(email: Option<&str>, user_id: Option<&str>, hash: Option<String>) -> Visitor {
        Visitor { email: email.map(Into::into), name: None, user_id: user_id.map(Into::into), user_hash: hash }
    }

    #[test]
    fn a_known_vector_matches() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(sign("Jefe", "what do ya want for nothing?"), expected);
        assert!(signature_matches("Jefe", "what do ya want for nothing?", expected));
        assert!(signature_matches("Jefe", "what do ya want for nothing?", &expected.to_uppercase()));
    }

    #[test]
    fn a_signed_email_is_verified() {
        let hash = sign(SECRET, "ada@example.com");
        let identity = verify(Some(SECRET), claim(Some("ada@example.com"), None, Some(hash)));
        assert!(identity.email_verified && !identity.user_id_verified && identity.verified());
    }

    #[test]
    fn a_signed_user_id_verifies_the_id_not_the_email() {
        let hash = sign(SECRET, "42");
        let identity = verify(Some(SECRET), claim(Some("victim@example.com"), Some("42"), Some(hash)));
        assert!(identity.user_id_verified, "{identity:?}");
        assert!(!identity.email_verified, "the signature does not cover the email: {identity:?}");
    }

    #[test]
    fn unsigned_forged_or_unverifiable_claims_are_unverified() {
        let email = Some("ada@example.com");
        let cases = [
            ("no hash", Some(SECRET), claim(email, None, None)),
            (
                "wrong secret",
                Some(SECRET),
                claim(email, None, Some(sign("another-secret-0123456789", "ada@example.com"))),
            ),
            ("other email's hash", Some(SECRET), claim(email, None, Some(sign(SECRET, "eve@example.com")))),
            (
                "hash of the email when a user id is claimed",
                Some(SECRET),
                claim(email, Some("42"), Some(sign(SECRET, "ada@example.com"))),
            ),
            ("not hex", Some(SECRET), claim(email, None, Some("zz".repeat(32)))),
            ("truncated", Some(SECRET), claim(email, None, Some(sign(SECRET, "ada@example.com")[..62].to_string()))),
            ("empty hash", Some(SECRET), claim(email, None, Some(String::new()))),
            ("site without a secret", None, claim(email, None, Some(sign(SECRET, "ada@example.com")))),
            ("site with an empty secret", Some(""), claim(email, None, Some(sign("", "ada@example.com")))),
        ];
        for (case, secret, claim) in cases {
            let identity = verify(secret, claim);
            assert!(!identity.verified(), "{case}: {identity:?}");
            assert_eq!(identity.email.as_deref(), Some("ada@example.com"), "{case}: the claim is kept");
        }
    }

    #[test]
    fn merging_keeps_verification_per_value() {
        let mut identity =
            verify(Some(SECRET), claim(Some("ada@example.com"), None, Some(sign(SECRET, "ada@example.com"))));
        identity.merge(Identity { name: Some("Ada".into()), ..Identity::default() });
        assert!(identity.email_verified, "a name alone changes nothing else");
        identity.merge(Identity::unverified(Some("ada@example.com"), None));
        assert!(identity.email_verified, "the same email again, unsigned, stays verified");
        identity.merge(Identity::unverified(Some("eve@example.com"), Some("Eve")));
        assert_eq!(
            (identity.email.as_deref(), identity.email_verified),
            (Some("ada@example.com"), true),
            "an unsigned email never replaces the signed one"
        );
        assert_eq!(identity.name.as_deref(), Some("Eve"), "a name is never signed: the newer one is kept");
        let signed_other = sign(SECRET, "grace@example.com");
        identity.merge(verify(Some(SECRET), claim(Some("grace@example.com"), None, Some(signed_other))));
        assert_eq!(
            (identity.email.as_deref(), identity.email_verified),
            (Some("grace@example.com"), true),
            "a newer signed email replaces the signed one"
        );
    }

    #[test]
    fn an_unsigned_value_replaces_an_unsigned_one_and_a_signed_one_replaces_it() {
        let mut identity = Identity::unverified(Some("typo@example.com"), None);
        identity.merge(Identity::unverified(Some("ada@example.com"), None));
        assert_eq!((identity.email.as_deref(), identity.email_verified), (Some("ada@example.com"), false));
        identity
            .merge(verify(Some(SECRET), claim(Some("ada@example.com"), None, Some(sign(SECRET, "ada@example.com")))));
        assert!(identity.email_verified, "signed later: verified");
    }

    #[test]
    fn a_signed_user_id_is_not_replaced_by_an_unsigned_one() {
        let mut identity = verify(Some(SECRET), claim(None, Some("42"), Some(sign(SECRET, "42"))));
        identity.merge(verify(Some(SECRET), claim(None, Some("43"), None)));
        assert_eq!((identity.user_id.as_deref(), identity.user_id_verified), (Some("42"), true));
        identity.merge(verify(Some(SECRET), claim(None, Some("43"), Some("00".repeat(32)))));
        assert_eq!(identity.user_id.as_deref(), Some("42"), "a forged signature is no signature");
        identity.merge(verify(Some(SECRET), claim(None, Some("43"), Some(sign(SECRET, "43")))));
        assert_eq!((identity.user_id.as_deref(), identity.user_id_verified), (Some("43"), true));
    }
}
