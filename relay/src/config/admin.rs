//! `[admin]`: the owner dashboard at `/admin/` (accounts, sign-in limits, sessions).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdminConfig {
    /// The address browsers reach the relay at (`https://chat.example.com`): with `https`, the
    /// session cookie is `Secure` (and `__Host-` prefixed). The embed snippet uses it too.
    pub public_url: Option<String>,
    /// The one-time setup token for the first owner. Absent: a random one is made and printed
    /// in the log at start while no owner exists. Set it only for scripted installs and tests.
    pub setup_token: Option<String>,
    /// How long a sign-in lasts.
    #[serde(with = "humantime_serde")]
    pub session_ttl: std::time::Duration,
    /// Wrong passwords in a row that lock an account ...
    pub lockout_after: u32,
    /// ... for this long.
    #[serde(with = "humantime_serde")]
    pub lockout_for: std::time::Duration,
    /// Sign-in attempts per minute from one address, right or wrong.
    pub sign_ins_per_minute: u32,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            setup_token: None,
            session_ttl: std::time::Duration::from_secs(12 * 3600),
            lockout_after: 5,
            lockout_for: std::time::Duration::from_secs(15 * 60),
            sign_ins_per_minute: 10,
        }
    }
}

impl AdminConfig {
    /// Whether browsers reach the relay over TLS (then cookies are `Secure`).
    pub fn behind_tls(&self) -> bool {
        self.public_url.as_deref().is_some_and(|url| url.starts_with("https://"))
    }
}
