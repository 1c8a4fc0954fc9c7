//! `[smtp]`: the mail server the relay emails visitors' transcripts through. Absent: the
//! widget offers no "Email me the transcript" (the download is always there).

use serde::{Deserialize, Serialize};

use super::SecretKey;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// The mail server's host name (also the name its TLS certificate must carry).
    pub host: String,
    /// 587 (submission with STARTTLS) unless set; 465 is implicit TLS (`tls = true`).
    #[serde(default = "default_port")]
    pub port: u16,
    /// The sender, `Support <support@shop.example>` or a bare address.
    pub from: String,
    /// Credentials, when the server asks for them (`BATON_SMTP__PASSWORD` keeps the password
    /// out of the file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<SecretKey>,
    /// Upgrade the connection with STARTTLS, and refuse a server that cannot (default). Off
    /// (with `tls` off too) only for a server on the same machine or network.
    #[serde(default = "yes")]
    pub starttls: bool,
    /// Implicit TLS from the first byte (port 465) instead of STARTTLS.
    #[serde(default)]
    pub tls: bool,
    /// One try's bound: connecting, the dialogue and the message.
    #[serde(default = "default_timeout", with = "humantime_serde")]
    pub timeout: std::time::Duration,
    /// Tries before the visitor is told the mail could not be sent; the pause between them
    /// starts at a second and doubles.
    #[serde(default = "default_attempts")]
    pub attempts: u32,
    /// One transcript mail per conversation at most this often (a second ask within it is
    /// refused with 429 and `Retry-After`); a minute unless set.
    #[serde(default = "default_every", with = "humantime_serde")]
    pub every: std::time::Duration,
}

fn default_port() -> u16 {
    587
}

fn yes() -> bool {
    true
}

fn default_timeout() -> std::time::Duration {
    std::time::Duration::from_secs(10)
}

fn default_attempts() -> u32 {
    4
}

/// [`SmtpConfig::every`]'s default.
pub fn default_every() -> std::time::Duration {
    std::time::Duration::from_secs(60)
}

impl SmtpConfig {
    /// What is wrong with the settings, if anything: checked when the configuration loads.
    pub fn problem(&self) -> Option<String> {
        if self.host.trim().is_empty() {
            return Some("smtp.host is empty".into());
        }
        if !self.from.contains('@') {
            return Some(format!("smtp.from {:?} is not an email address", self.from));
        }
        if self.username.is_some() != self.password.is_some() {
            return Some("smtp.username and smtp.password go together".into());
        }
        if self.attempts == 0 || self.attempts > 20 {
            return Some("smtp.attempts must be 1 to 20".into());
        }
        if self.timeout.is_zero() {
            return Some("smtp.timeout must be above zero".into());
        }
        if self.every.is_zero() || self.every > std::time::Duration::from_secs(86_400) {
            return Some("smtp.every must be above zero and at most a day".into());
        }
        None
    }
}
