//! What helpdesks tell Baton, after the webhook layer verified and parsed it: find the
//! conversation the helpdesk means and hand the event to its actor.

use tokio::sync::oneshot;

use super::ProviderKind;
use crate::{
    conversation::{Command, ConversationError, HelpdeskEvent},
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

/// Delivers `event` about the helpdesk's conversation `remote_id` to Baton's conversation of
/// `site`, the site whose webhook secret verified the event (never to another site's), and
/// waits until its actor applied it (stored what it says), so the caller can mark it processed.
/// `event_id` is the helpdesk's id of the event.
pub async fn deliver(
    state: &AppState,
    site: &str,
    provider: ProviderKind,
    remote_id: &str,
    event_id: &str,
    event: HelpdeskEvent,
) -> Result<(), InboundError> {
    let conversation =
        state.store.conversation_by_remote(site, provider.name(), remote_id).await?.ok_or_else(|| {
            InboundError::UnknownConversation { provider: provider.name(), remote_id: remote_id.to_string() }
        })?;
    let (done, applied) = oneshot::channel();
    let key = format!("{}:{event_id}", provider.name());
    state.conversations.send(&conversation.id, &conversation.site, Command::Helpdesk { event, key, done }).await?;
    applied.await.map_err(|_| ConversationError::Closed)??;
    Ok(())
}
