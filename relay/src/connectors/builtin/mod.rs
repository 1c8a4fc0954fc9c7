//! Baton's own inbox as a provider: nothing to call, agents see handovers through the agent
//! API; available while an agent is signed in.

use async_trait::async_trait;

use super::{
    settings::{NoSettings, NoWebhooks},
    Capabilities, CloseReason, Connector, Context, Field, Delivery, Handover, InboundEvent, Provider, ProviderError,
    ProviderKind, Refusal, RemoteThread,
};
use crate::agents::Presence;

pub struct BuiltinInbox {
    presence: Presence,
}

impl BuiltinInbox {
    pub fn new(presence: Presence) -> Self {
        Self { presence }
    }
}

impl Connector for BuiltinInbox {
    const NAME: &'static str = "builtin";
    const LABEL: &'static str = "Built-in inbox";
    const FIELDS: &'static [Field] = &[];
    const RECEIVES_WEBHOOKS: bool = false;
    type Settings = NoSettings;
    type Webhook = NoWebhooks;

    fn build(_: NoSettings, context: &Context<'_>) -> Result<Self, ProviderError> {
        Ok(Self::new(context.presence.clone()))
    }

    fn verify_and_parse(none: &NoWebhooks, _: &Delivery<'_>) -> Result<Vec<InboundEvent>, Refusal> {
        match *none {}
    }
}

#[async_trait]
impl Provider for BuiltinInbox {
    fn capabilities(&self) -> Capabilities {
        Capabilities { typing: true, availability_check: true, ..Capabilities::live_chat() }
    }

    async fn available(&self) -> Result<bool, ProviderError> {
        Ok(self.presence.online() > 0)
    }

    /// Nothing to call: says how many of the site's agents are signed in.
    async fn test_connection(&self) -> Result<String, ProviderError> {
        let online = self.presence.online();
        Ok(format!("Baton's own inbox: {online} agent(s) of this site signed in now at /inbox/."))
    }

    async fn open(&self, handover: &Handover) -> Result<RemoteThread, ProviderError> {
        Ok(RemoteThread {
            provider: ProviderKind::Builtin,
            conversation: handover.conversation_id.clone(),
            user: None,
            extra: serde_json::Value::Null,
        })
    }

    async fn forward(&self, _: &RemoteThread, _: &str, _: &str) -> Result<(), ProviderError> {
        Ok(())
    }

    async fn close(&self, _: &RemoteThread, _: CloseReason) -> Result<(), ProviderError> {
        Ok(())
    }
}
