//! What helpdesks tell Baton, after the connector verified and parsed it: find the
//! conversation the helpdesk means and hand the event to its actor.

use tokio::sync::oneshot;

use crate::{
    connectors::{InboundEvent, InboundKind, ProviderKind},
    conversation::{AgentRef, Command, ConversationError, HelpdeskEvent},
    state::AppState,
};

#[derive(Debug, thiserror::Error)]
pub enum InboundError {
    #[error("no conversation was handed to {provider} as {remote_id}")]
    UnknownConversation { provider: &'static str, remote_id: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Conversation(#[from] ConversationError),
}

impl InboundError {
    /// Whether trying again later may succeed: the helpdesk's id may not be stored yet (its
    /// webhook can overtake the outbox), the store or the conversation may be busy. A refusal
    /// (the conversation is not in a phase where the event means anything) is final.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::UnknownConversation { .. } | Self::Store(_) => true,
            Self::Conversation(ConversationError::Refused(_) | ConversationError::UnknownSite(_)) => false,
            Self::Conversation(_) => true,
        }
    }
}

/// The seam to the conversation core: a new, verified, de-duplicated event about the
/// helpdesk's conversation `event.remote_conversation_id`, for `site`, handed to
/// [`to_conversation`]; `Ok` once the conversation applied it (or refused it for good).
pub async fn deliver(
    state: &AppState,
    site: &str,
    provider: ProviderKind,
    event: InboundEvent,
) -> Result<(), InboundError> {
    tracing::info!(
        provider = provider.name(),
        %site,
        event = %event.event_id,
        remote = %event.remote_conversation_id,
        kind = ?event.kind,
        "helpdesk event"
    );
    // Helpdesk agents are not Baton agents: their ids are namespaced by provider, so the
    // conversation machine can tell "the same agent" from "another agent".
    let agent = |id: String, name: String| AgentRef {
        id: format!("{}:{id}", provider.name()),
        name: if name.trim().is_empty() { "Support agent".to_string() } else { name },
    };
    let helpdesk_event = match event.kind {
        InboundKind::AgentJoined { agent_id, agent_name } => {
            HelpdeskEvent::AgentJoined { agent: agent(agent_id, agent_name) }
        }
        InboundKind::AgentMessage { agent_id, agent_name, text } => {
            HelpdeskEvent::AgentMessage { agent: agent(agent_id, agent_name), text }
        }
        InboundKind::AgentTyping { on } => HelpdeskEvent::AgentTyping { on },
        InboundKind::Closed => HelpdeskEvent::Closed,
    };
    match to_conversation(state, site, provider, &event.remote_conversation_id, &event.event_id, helpdesk_event).await {
        // The conversation is not where the event means anything (closed already, another
        // agent): applied as far as it can be.
        Err(InboundError::Conversation(ConversationError::Refused(refusal))) => {
            tracing::info!(provider = provider.name(), %site, event = %event.event_id, %refusal, "helpdesk event refused");
            Ok(())
        }
        other => other,
    }
}

/// Delivers `event` about the helpdesk's conversation `remote_id` to Baton's conversation of
/// `site`, the site whose webhook secret verified the event (never to another site's), and
/// waits until its actor applied it (stored what it says), so the caller can mark it processed.
/// `event_id` is the helpdesk's id of the event.
async fn to_conversation(
    state: &AppState,
    site: &str,
    provider: ProviderKind,
    remote_id: &str,
    event_id: &str,
    event: HelpdeskEvent,
) -> Result<(), InboundError> {
    let conversation = state.store.conversation_by_remote(site, provider, remote_id).await?.ok_or_else(|| {
        InboundError::UnknownConversation { provider: provider.name(), remote_id: remote_id.to_string() }
    })?;
    let (done, applied) = oneshot::channel();
    let key = format!("{}:{event_id}", provider.name());
    state.conversations.send(&conversation.id, &conversation.site, Command::Helpdesk { event, key, done }).await?;
    applied.await.map_err(|_| ConversationError::Closed)??;
    Ok(())
}
