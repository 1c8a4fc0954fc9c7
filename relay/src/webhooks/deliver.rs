//! What helpdesks tell Baton, after the connector verified and parsed it: find the
//! conversation the helpdesk means and hand the event to its actor.

use futures_util::future::join_all;
use tokio::sync::oneshot;

use crate::{
    attachments::with_failed,
    connectors::{InboundEvent, InboundKind, ProviderKind, RemoteFile},
    conversation::{AgentRef, Command, ConversationError, HelpdeskEvent},
    event::Attachment,
    state::AppState,
    store::Conversation,
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
    // Copied files, marked sent once the message carrying them is stored (copies of an event
    // tried again later are never sent, so retention deletes them).
    let mut copied = Vec::new();
    let conversation = state.store.conversation_by_remote(site, provider, &event.remote_conversation_id).await?;
    let Some(conversation) = conversation else {
        return Err(InboundError::UnknownConversation {
            provider: provider.name(),
            remote_id: event.remote_conversation_id.clone(),
        });
    };
    let helpdesk_event = match event.kind {
        InboundKind::AgentJoined { agent_id, agent_name } => {
            HelpdeskEvent::AgentJoined { agent: agent(agent_id, agent_name) }
        }
        InboundKind::AgentMessage { agent_id, agent_name, text, files } => {
            let (text, attachments) = copy_files(state, &conversation, text, &files).await;
            if text.trim().is_empty() && attachments.is_empty() {
                return Ok(());
            }
            copied = attachments.iter().map(|a| a.id.clone()).collect();
            HelpdeskEvent::AgentMessage { agent: agent(agent_id, agent_name), text, attachments }
        }
        InboundKind::AgentTyping { on } => HelpdeskEvent::AgentTyping { on },
        InboundKind::Closed => HelpdeskEvent::Closed,
    };
    let delivered = to_conversation(state, &conversation, provider, &event.event_id, helpdesk_event).await;
    if delivered.is_ok() && !copied.is_empty() {
        if let Err(error) = state.attachments.for_message(&conversation.id, &copied).await {
            tracing::error!(conversation = %conversation.id, %error, "agent's files not marked sent");
        }
    }
    match delivered {
        // The conversation is not where the event means anything (closed already, another
        // agent): applied as far as it can be.
        Err(InboundError::Conversation(ConversationError::Refused(refusal))) => {
            tracing::info!(provider = provider.name(), %site, event = %event.event_id, %refusal, "helpdesk event refused");
            Ok(())
        }
        other => other,
    }
}

/// The agent's `files` copied into Baton's storage for `conversation` (all at once, each
/// within `[attachments] fetch_timeout`), and `text` with a link line for each that could not
/// be (the helpdesk's address, so nothing the agent sent is lost), or only its name for one
/// whose address is internal (`attachments::internal`: not fetched, not passed on).
async fn copy_files(
    state: &AppState,
    conversation: &Conversation,
    text: String,
    files: &[RemoteFile],
) -> (String, Vec<Attachment>) {
    if files.is_empty() {
        return (text, vec![]);
    }
    let Some(site) = state.sites.get(&conversation.site) else {
        return (with_failed(&text, &files.iter().collect::<Vec<_>>(), &[]), vec![]);
    };
    let (key, rules) = (&site.key, &site.config.attachments);
    let copies = files
        .iter()
        .take(shared::MAX_ATTACHMENTS)
        .map(|file| async move { (file, state.attachments.copy_from(key, &conversation.id, rules, file).await) });
    let (mut copied, mut failed, mut refused) = (Vec::new(), Vec::new(), Vec::new());
    for (file, copy) in join_all(copies).await {
        match copy {
            Ok(attachment) => copied.push(attachment),
            Err(error) if error.is_internal() => {
                tracing::warn!(conversation = %conversation.id, url = %file.url, %error, "agent's file at an internal address not fetched, its address dropped");
                refused.push(file);
            }
            Err(error) => {
                tracing::warn!(conversation = %conversation.id, url = %file.url, %error, "agent's file passed on as a link");
                failed.push(file);
            }
        }
    }
    failed.extend(files.iter().skip(shared::MAX_ATTACHMENTS));
    (with_failed(&text, &failed, &refused), copied)
}

/// Delivers `event` to `conversation` (found by the helpdesk's id for the site whose webhook
/// secret verified the event, never another site's), and waits until its actor applied it
/// (stored what it says), so the caller can mark it processed. `event_id` is the helpdesk's id
/// of the event.
async fn to_conversation(
    state: &AppState,
    conversation: &Conversation,
    provider: ProviderKind,
    event_id: &str,
    event: HelpdeskEvent,
) -> Result<(), InboundError> {
    let (done, applied) = oneshot::channel();
    let key = format!("{}:{event_id}", provider.name());
    state.conversations.send(&conversation.id, &conversation.site, Command::Helpdesk { event, key, done }).await?;
    applied.await.map_err(|_| ConversationError::Closed)??;
    Ok(())
}
