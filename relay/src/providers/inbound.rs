//! What helpdesks tell Baton, after the webhook layer verified and parsed it: find the
//! conversation the helpdesk means and hand the event to its actor.

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

/// Delivers `event` about the helpdesk's conversation `remote_id` to Baton's conversation of
/// `site`, the site whose webhook secret verified the event: never to another site's.
pub async fn deliver(
    state: &AppState,
    site: &str,
    provider: ProviderKind,
    remote_id: &str,
    event: HelpdeskEvent,
) -> Result<(), InboundError> {
    let conversation =
        state.store.conversation_by_remote(site, provider.name(), remote_id).await?.ok_or_else(|| {
            InboundError::UnknownConversation { provider: provider.name(), remote_id: remote_id.to_string() }
        })?;
    state.conversations.send(&conversation.id, &conversation.site, Command::Helpdesk(event)).await?;
    Ok(())
}
