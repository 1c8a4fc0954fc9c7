//! The Link "provider": no live chat, a button to a contact form or help page.

use async_trait::async_trait;

use super::{
    settings::NoWebhooks, Capabilities, CloseReason, Connector, Context, Field, Delivery, Handover, InboundEvent, Mode,
    Provider, ProviderError, Refusal, RemoteThread,
};

mod settings;

pub use settings::LinkSettings;

pub struct Link {
    pub config: LinkSettings,
}

impl Link {
    pub fn new(config: LinkSettings) -> Self {
        Self { config }
    }
}

impl Connector for Link {
    const NAME: &'static str = "link";
    const LABEL: &'static str = "Link to a contact page";
    const FIELDS: &'static [Field] = settings::FIELDS;
    const RECEIVES_WEBHOOKS: bool = false;
    type Settings = LinkSettings;
    type Webhook = NoWebhooks;

    fn build(settings: LinkSettings, _: &Context<'_>) -> Result<Self, ProviderError> {
        Ok(Self::new(settings))
    }

    fn verify_and_parse(none: &NoWebhooks, _: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal> {
        match *none {}
    }
}

#[async_trait]
impl Provider for Link {
    fn link(&self) -> Option<&LinkSettings> {
        Some(&self.config)
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            mode: Mode::Link,
            email_handover: false,
            agent_joined_events: false,
            typing: false,
            close_signal: false,
            availability_check: false,
            rating: false,
            files: false,
        }
    }

    /// Nothing to call: the visitor is only shown the link.
    async fn test_connection(&self) -> Result<String, ProviderError> {
        Ok(format!("No connection needed: visitors who ask for a person get a button to {}.", self.config.url))
    }

    async fn open(&self, _: &Handover) -> Result<RemoteThread, ProviderError> {
        Err(ProviderError::Config("a link cannot take a handover; the visitor gets the link".into()))
    }

    async fn forward(&self, _: &RemoteThread, _: &str, _: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn close(&self, _: &RemoteThread, _: CloseReason) -> Result<(), ProviderError> {
        Ok(())
    }
}
