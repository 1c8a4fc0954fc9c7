//! Where handovers go and what comes back: one folder per helpdesk, each holding everything
//! of that helpdesk behind one [`Connector`] trait: its settings (`settings.rs`, read from
//! `[sites.<key>.provider]` and `[sites.<key>.webhooks.<name>]`), its outbound calls (`mod.rs`,
//! the object-safe [`Provider`] half the outbox and the actor call) and its webhook check and
//! parser (`webhook.rs`, raw body to provider-neutral [`InboundEvent`]s).
//!
//! The built-in inbox ([`builtin`]) is the default and needs no outbound calls: agents see the
//! conversation through the agent API. [`link`] only shows a button. The helpdesk connectors
//! ([`intercom`], ...) make real HTTP calls; the outbox carries them out in order, with retries.
//!
//! The `registry!` below lists the connectors once; it declares their modules and generates
//! [`ProviderKind`] with the dispatch by kind (name, building, webhook verification). Adding a
//! helpdesk is a folder here and a line in that list.
//!
//! What connectors share is written once: [`http`] (client, timeouts, status sorting,
//! `Retry-After`), [`json`] (tolerant reading of answers), [`html`], [`signature`] (HMAC and
//! shared-secret checks), [`settings`] (defaults), [`inbound`] (the events webhooks become).

#[macro_use]
mod registry;

pub mod form;
pub mod html;
pub mod http;
pub mod inbound;
pub mod json;
mod provider;
pub mod settings;
pub mod signature;
#[cfg(test)]
mod testing;

use serde::de::DeserializeOwned;

pub use form::{Field, FieldKind};
pub use inbound::{Delivery, InboundEvent, InboundKind, ParseError, Refusal, RemoteFile};
pub use provider::{
    rating_note, with_links, Capabilities, CloseReason, FileLink, Handover, Mode, Provider, ProviderError, RemoteThread,
};
pub use registry::{build_provider, SettingsError, WeakWebhook, Webhook};
pub use signature::SignatureError;

use crate::agents::Presence;

registry! {
    builtin::BuiltinInbox as Builtin,
    link::Link as Link,
    intercom::Intercom as Intercom,
    zendesk_messaging::ZendeskMessaging as ZendeskMessaging,
    zendesk_support::ZendeskSupport as ZendeskSupport,
    hubspot::Hubspot as Hubspot,
    freshchat::Freshchat as Freshchat,
    freshdesk::Freshdesk as Freshdesk,
    gorgias::Gorgias as Gorgias,
}

/// Whether `setting` (a key of a helpdesk's table) is one the connectors declare plain (not a
/// secret), so the audit log may show its value.
pub fn is_plain_setting(setting: &str) -> bool {
    let declared = || ProviderKind::ALL.iter().flat_map(|kind| kind.fields().iter().chain(kind.webhook_fields()));
    declared().any(|field| field.name == setting) && !declared().any(|field| field.name == setting && field.is_secret())
}

/// What a connector is built with besides its settings.
pub struct Context<'a> {
    /// The site's agents in the built-in inbox (it is available while one is online).
    pub presence: &'a Presence,
}

/// One helpdesk: its name, its settings, what it can do and its outbound calls (the
/// [`Provider`] supertrait), and how its webhooks are checked and read.
pub trait Connector: Provider + Sized {
    /// The name in `kind = "..."`, in `[sites.<key>.webhooks.<name>]`, in webhook URLs and in
    /// the store; the same as [`ProviderKind`]'s serde name (`registry::tests`).
    const NAME: &'static str;
    /// The helpdesk's name as people write it (`Zendesk Messaging`), in the dashboard.
    const LABEL: &'static str;
    /// What the dashboard asks for `[sites.<key>.provider]` (besides `kind`), in order.
    const FIELDS: &'static [Field];
    /// What the dashboard asks for `[sites.<key>.webhooks.<name>]`.
    const WEBHOOK_FIELDS: &'static [Field] = &[];
    /// Other names a webhook URL may use (`/webhooks/zendesk/...`).
    const ALIASES: &'static [&'static str] = &[];
    /// Whether the helpdesk sends webhooks at all; `false` refuses `/webhooks/<name>/...`.
    const RECEIVES_WEBHOOKS: bool = true;
    /// `[sites.<key>.provider]` without its `kind`.
    type Settings: DeserializeOwned;
    /// `[sites.<key>.webhooks.<name>]`.
    type Webhook: DeserializeOwned + Send + Sync + 'static;

    fn build(settings: Self::Settings, context: &Context<'_>) -> Result<Self, ProviderError>;

    /// A webhook setting too weak to be safe (a short secret): refused when the configuration
    /// file loads.
    fn weak_webhook(_webhook: &Self::Webhook) -> Option<WeakWebhook> {
        None
    }

    /// Checks a delivery's authenticity proof on the raw body, then reads it into events,
    /// dropping Baton's own writes (echoes).
    fn verify_and_parse(webhook: &Self::Webhook, delivery: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal>;
}
