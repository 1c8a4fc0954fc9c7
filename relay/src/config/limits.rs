//! `[limits]`, `[sites.<key>.limits]` and `[retention]`: how much one address or one site may
//! ask of the relay, how long a connection may dawdle, and how long stored data is kept.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The relay-wide limits. Rates are "per minute": that many at once, then one every
/// `60 / n` seconds (a token bucket). `0` turns a rate limit off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// New conversations a minute from one address (a `hello` without a known token, an HTTP
    /// channel request without a conversation).
    pub conversations_per_ip: u32,
    /// New conversations a minute on one site, from all addresses together.
    pub conversations_per_site: u32,
    /// Visitor messages a minute from one address (socket and HTTP channel).
    pub messages_per_ip: u32,
    /// Visitor messages a minute on one site.
    pub messages_per_site: u32,
    /// Handovers asked for a minute from one address (the button, `request_handover`).
    pub handovers_per_ip: u32,
    /// Handovers asked for a minute on one site.
    pub handovers_per_site: u32,
    /// Open widget sockets from one address at once. `0`: no limit.
    pub sockets_per_ip: u32,
    /// A connection must send a request's headers within this time of starting to read them
    /// (also how long an idle keep-alive connection stays open), e.g. `"10s"`.
    #[serde(with = "humantime_serde")]
    pub header_read_timeout: Duration,
    /// A request's body must arrive within this time.
    #[serde(with = "humantime_serde")]
    pub body_timeout: Duration,
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            conversations_per_ip: 10,
            conversations_per_site: 600,
            messages_per_ip: 60,
            messages_per_site: 6000,
            handovers_per_ip: 5,
            handovers_per_site: 120,
            sockets_per_ip: 30,
            header_read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(15),
            max_body_bytes: 1024 * 1024,
        }
    }
}

impl LimitsConfig {
    /// No rate or socket limit (the timeouts stay): for tests that open many conversations
    /// from one address.
    pub fn unlimited() -> Self {
        Self {
            conversations_per_ip: 0,
            conversations_per_site: 0,
            messages_per_ip: 0,
            messages_per_site: 0,
            handovers_per_ip: 0,
            handovers_per_site: 0,
            sockets_per_ip: 0,
            ..Self::default()
        }
    }

    /// The rates for a site: its own settings where it has them, else these.
    pub fn rates_for(&self, site: &SiteLimits) -> Rates {
        Rates {
            conversations_per_ip: site.conversations_per_ip.unwrap_or(self.conversations_per_ip),
            conversations_per_site: site.conversations_per_site.unwrap_or(self.conversations_per_site),
            messages_per_ip: site.messages_per_ip.unwrap_or(self.messages_per_ip),
            messages_per_site: site.messages_per_site.unwrap_or(self.messages_per_site),
            handovers_per_ip: site.handovers_per_ip.unwrap_or(self.handovers_per_ip),
            handovers_per_site: site.handovers_per_site.unwrap_or(self.handovers_per_site),
        }
    }
}

/// A site's own rates; an absent one is the relay-wide `[limits]` value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SiteLimits {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversations_per_ip: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversations_per_site: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_per_ip: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_per_site: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handovers_per_ip: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handovers_per_site: Option<u32>,
}

/// The rates in force for one site (per minute, `0` = off).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rates {
    pub conversations_per_ip: u32,
    pub conversations_per_site: u32,
    pub messages_per_ip: u32,
    pub messages_per_site: u32,
    pub handovers_per_ip: u32,
    pub handovers_per_site: u32,
}

/// How long stored data is kept, as durations (`"1h"`, `"90d"`); `"0s"` keeps it forever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RetentionConfig {
    /// A conversation in which nothing happened after the greeting is deleted this long after
    /// its last event.
    #[serde(with = "humantime_serde")]
    pub empty_conversations: Duration,
    /// A conversation with the bot (or ended) is deleted this long after its last event.
    /// Conversations waiting for or with an agent, with helpdesk calls pending or open in a
    /// widget are kept.
    #[serde(with = "humantime_serde")]
    pub idle_conversations: Duration,
    /// Processed helpdesk webhook events are forgotten this long after processing (a
    /// redelivery after that would be processed again; helpdesks retry for hours, not days).
    #[serde(with = "humantime_serde")]
    pub webhook_events: Duration,
    /// Delivered helpdesk calls are deleted this long after they were written.
    #[serde(with = "humantime_serde")]
    pub outbox: Duration,
    /// How often the pruning runs.
    #[serde(with = "humantime_serde")]
    pub interval: Duration,
    /// Rows deleted per statement, so a long prune never holds the database for long.
    pub batch: u32,
}

const DAY: Duration = Duration::from_secs(24 * 3600);

impl Default for RetentionConfig {
    fn default() -> Self {
        Self {
            empty_conversations: Duration::from_secs(3600),
            idle_conversations: DAY * 90,
            webhook_events: DAY * 7,
            outbox: DAY * 7,
            interval: Duration::from_secs(300),
            batch: 200,
        }
    }
}
