//! The visitor's email as the widget asks for it (email capture): the wire types of the prompt
//! and the one check both sides run, so the widget refuses what the relay would refuse, with
//! the same reason.
//!
//! The check is the WHATWG HTML definition of a "valid email address" (what
//! `<input type=email>` accepts, `1*( atext / "." ) "@" label *( "." label )`, a label being 1
//! to 63 letters, digits and hyphens, neither first nor last a hyphen), narrowed to what a
//! helpdesk can write to: the domain has a dot, the local part at most 64 bytes and the whole
//! at most [`MAX_EMAIL_BYTES`] (RFC 5321's limits).

use serde::{Deserialize, Serialize};

/// The longest email accepted, in bytes (RFC 5321's forward-path limit less its brackets).
pub const MAX_EMAIL_BYTES: usize = 254;
/// The longest local part (before `@`), in bytes (RFC 5321).
const MAX_LOCAL_BYTES: usize = 64;
/// The longest domain label, in bytes (RFC 1035).
const MAX_LABEL_BYTES: usize = 63;

/// When the widget asks for the visitor's email ([`crate::ServerFrame::AskEmail`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailStep {
    /// A person was requested and is available: the handover waits for the visitor's email
    /// (or their `skip_email`).
    BeforeHandover,
    /// Nobody is available: an email lets someone follow up later.
    Unavailable,
}

/// The site asks for emails (`welcome`'s `email_capture`): the widget offers the prompt and
/// lets the visitor change the email given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailCapture {
    /// The site's consent wording in the visitor's language; absent: the widget's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
}

/// Why an email was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProblem {
    Empty,
    TooLong,
    /// Not one `@` between a local part and a domain.
    NoAt,
    /// A character an address may not hold where it is (a space, a quote, a bracket ...).
    BadCharacter,
    /// The domain is not dot-separated labels of letters, digits and inner hyphens, or has no dot.
    BadDomain,
}

impl EmailProblem {
    /// The reason in English, for the relay's error frame and logs (the widget words it in
    /// the visitor's language).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "the email is empty",
            Self::TooLong => "the email is longer than 254 characters (or its name part than 64)",
            Self::NoAt => "an email has one @ between a name and a domain",
            Self::BadCharacter => "the email holds a character an address cannot have",
            Self::BadDomain => "the part after @ is not a domain such as example.com",
        }
    }
}

impl std::fmt::Display for EmailProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `text` as an email address (trimmed, the domain in lower case), or why it is not one.
pub fn check(text: &str) -> Result<String, EmailProblem> {
    let text = text.trim();
    if text.is_empty() {
        return Err(EmailProblem::Empty);
    }
    if text.len() > MAX_EMAIL_BYTES {
        return Err(EmailProblem::TooLong);
    }
    let Some((local, domain)) = text.split_once('@') else { return Err(EmailProblem::NoAt) };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err(EmailProblem::NoAt);
    }
    if local.len() > MAX_LOCAL_BYTES {
        return Err(EmailProblem::TooLong);
    }
    if !local.bytes().all(|b| b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b)) {
        return Err(EmailProblem::BadCharacter);
    }
    let label_ok = |label: &str| {
        (1..=MAX_LABEL_BYTES).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !domain.contains('.') || !domain.split('.').all(label_ok) {
        return Err(EmailProblem::BadDomain);
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_people_type_are_accepted_and_tidied() {
        assert_eq!(check(" Ada.Lovelace+shop@Example.CO.uk ").as_deref(), Ok("Ada.Lovelace+shop@example.co.uk"));
        assert_eq!(check("o'brien@mail-1.example.ie").as_deref(), Ok("o'brien@mail-1.example.ie"));
    }

    #[test]
    fn malformed_addresses_are_refused_with_their_reason() {
        let cases = [
            ("", EmailProblem::Empty),
            ("   ", EmailProblem::Empty),
            ("ada.example.com", EmailProblem::NoAt),
            ("@example.com", EmailProblem::NoAt),
            ("ada@", EmailProblem::NoAt),
            ("ada@b@example.com", EmailProblem::NoAt),
            ("ada lovelace@example.com", EmailProblem::BadCharacter),
            ("\"ada\"@example.com", EmailProblem::BadCharacter),
            ("<ada@example.com>", EmailProblem::BadCharacter),
            ("adä@example.com", EmailProblem::BadCharacter),
            ("ada@localhost", EmailProblem::BadDomain),
            ("ada@-example.com", EmailProblem::BadDomain),
            ("ada@example..com", EmailProblem::BadDomain),
            ("ada@exa_mple.com", EmailProblem::BadDomain),
            ("ada@example.com.", EmailProblem::BadDomain),
        ];
        for (text, problem) in cases {
            assert_eq!(check(text), Err(problem), "{text:?}");
        }
        assert_eq!(check(&format!("{}@example.com", "a".repeat(65))), Err(EmailProblem::TooLong));
        assert_eq!(check(&format!("ada@{}.com", "a".repeat(250))), Err(EmailProblem::TooLong));
        assert_eq!(check(&format!("ada@{}.com", "a".repeat(64))), Err(EmailProblem::BadDomain));
    }
}
