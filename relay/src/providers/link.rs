//! The Link "provider": no live chat, a button to a contact form or help page.

use async_trait::async_trait;

use super::{
    config::LinkConfig, Capabilities, CloseReason, Handover, Mode, Provider, ProviderError, ProviderKind, RemoteThread,
};

pub struct LinkProvider {
    pub config: LinkConfig,
}

impl LinkProvider {
    pub fn new(config: LinkConfig) -> Self {
        Self { config }
    }
}

#[async_trait]
impl Provider for LinkProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Link
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            mode: Mode::Link,
            email_handover: false,
            agent_joined_events: false,
            typing: false,
            close_signal: false,
            availability_check: false,
        }
    }

    async fn available(&self) -> Result<bool, ProviderError> {
        Ok(true)
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
