//! What agents can see and do, shared by the REST API and the live socket. Every call takes
//! the signed-in agent and stays within their sites: another site's conversation is
//! `NotFound`, exactly like one that does not exist, so its existence does not leak either.

use serde::Serialize;
use tokio::sync::oneshot;

use super::SignedIn;
use crate::{
    conversation::{AgentAction, Command, ConversationError},
    event::{Event, Phase, Reason},
    identity::Identity,
    state::AppState,
    store::{Conversation, FollowUp, StoreError},
};

/// Phases the inbox lists by default: waiting, with an agent, and just ended.
pub const INBOX_PHASES: &[Phase] = &[Phase::Waiting, Phase::Agent, Phase::Ended];
/// How many conversations already back with the bot the inbox lists.
const RECENTLY_HANDED_BACK: u32 = 50;
/// Events a transcript returns at most.
const TRANSCRIPT_LIMIT: u32 = 1000;

/// A conversation as the inbox shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationView {
    pub id: String,
    pub site: String,
    pub phase: Phase,
    pub reason: Option<Reason>,
    pub summary: Option<String>,
    /// The topic tag the triggers found (e.g. "billing dispute").
    pub topic: Option<String>,
    /// With `email_verified` / `user_id_verified`: whether the site signed them.
    pub visitor: Identity,
    pub agent: Option<AgentView>,
    pub waiting_since: Option<i64>,
    pub queue_position: Option<u32>,
    pub rating: Option<u8>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_seq: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentView {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FollowUpView {
    pub conversation_id: String,
    pub site: String,
    pub email: String,
    pub summary: String,
    pub created_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("conversation {0} not found")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Conversation(#[from] ConversationError),
}

pub fn view(state: &AppState, c: Conversation) -> ConversationView {
    let agent = c
        .handover
        .agent_id
        .as_ref()
        .map(|id| AgentView { id: id.clone(), name: state.agents.name_of(id).unwrap_or_else(|| id.clone()) });
    ConversationView {
        queue_position: state.queue.place(&c.site, &c.id).map(|p| p.position),
        id: c.id,
        site: c.site,
        phase: c.handover.phase,
        reason: c.handover.reason,
        summary: c.summary,
        topic: c.topic,
        visitor: c.visitor,
        agent,
        waiting_since: c.handover.waiting_since,
        rating: c.rating,
        created_at: c.created_at,
        updated_at: c.updated_at,
        last_seq: c.last_seq,
    }
}

/// The agent's conversations in `phases`; asking for `ended` also lists the ones already
/// handed back to the bot (after the rating), so agents find their recent chats.
pub async fn list(state: &AppState, agent: &SignedIn, phases: &[Phase]) -> Result<Vec<ConversationView>, DeskError> {
    let mut conversations = state.store.conversations_in(phases).await?;
    if phases.contains(&Phase::Ended) && !phases.contains(&Phase::Bot) {
        conversations.extend(state.store.handed_back(RECENTLY_HANDED_BACK).await?);
    }
    Ok(conversations.into_iter().filter(|c| agent.covers(&c.site)).map(|c| view(state, c)).collect())
}

/// The conversation, if it exists and belongs to one of the agent's sites.
async fn visible(state: &AppState, agent: &SignedIn, id: &str) -> Result<Conversation, DeskError> {
    let conversation = state.store.conversation(id).await?.filter(|c| agent.covers(&c.site));
    conversation.ok_or_else(|| DeskError::NotFound(id.to_string()))
}

pub async fn get(state: &AppState, agent: &SignedIn, id: &str) -> Result<ConversationView, DeskError> {
    Ok(view(state, visible(state, agent, id).await?))
}

pub async fn transcript(state: &AppState, agent: &SignedIn, id: &str) -> Result<Vec<Event>, DeskError> {
    visible(state, agent, id).await?;
    Ok(state.store.events_after(id, 0, TRANSCRIPT_LIMIT).await?)
}

pub async fn follow_ups(state: &AppState, agent: &SignedIn) -> Result<Vec<FollowUpView>, DeskError> {
    let follow_ups = state.store.follow_ups(200).await?;
    Ok(follow_ups
        .into_iter()
        .filter(|f| agent.covers(&f.site))
        .map(|f: FollowUp| FollowUpView {
            conversation_id: f.conversation_id,
            site: f.site,
            email: f.email,
            summary: f.summary,
            created_at: f.created_at,
        })
        .collect())
}

/// An agent's message to conversation `id` from what the inbox or the API sent: its text
/// (1 to `MAX_MESSAGE_CHARS` characters, or empty with files) and the files uploaded for that
/// conversation that it names. As the error, what is wrong, for the agent.
pub async fn message(state: &AppState, id: &str, text: &str, attachments: &[String]) -> Result<AgentAction, String> {
    let text = text.trim();
    if (text.is_empty() && attachments.is_empty()) || text.chars().count() > shared::MAX_MESSAGE_CHARS {
        return Err(format!("a message has 1 to {} characters", shared::MAX_MESSAGE_CHARS));
    }
    let attachments = state.attachments.for_message(id, attachments).await.map_err(|e| e.to_string())?;
    Ok(AgentAction::Message { text: text.to_string(), attachments })
}

/// Carries out an agent's action on a conversation of their sites; returns the stored `seq`
/// of a message.
pub async fn act(state: &AppState, agent: &SignedIn, id: &str, action: AgentAction) -> Result<Option<u64>, DeskError> {
    dispatch(state, agent, id, action).await?.await
}

/// Hands an agent's action to the conversation's actor, after the ones handed before it (a
/// conversation's actor carries out its commands in order), and returns the wait for its
/// outcome: a caller with more to do need not wait for this action's durable write first.
pub async fn dispatch(
    state: &AppState,
    agent: &SignedIn,
    id: &str,
    action: AgentAction,
) -> Result<impl std::future::Future<Output = Result<Option<u64>, DeskError>> + Send + 'static, DeskError> {
    let conversation = visible(state, agent, id).await?;
    dispatch_to(state, agent, id, &conversation.site, action).await
}

/// The site of conversation `id` if the agent may see it: a conversation's site never
/// changes, so a caller acting on it again (the live socket) keeps this instead of reading
/// the conversation before each action.
pub async fn site_of(state: &AppState, agent: &SignedIn, id: &str) -> Result<String, DeskError> {
    Ok(visible(state, agent, id).await?.site)
}

/// [`dispatch`] to a conversation of `site` that [`site_of`] already found visible to the agent.
pub async fn dispatch_to(
    state: &AppState,
    agent: &SignedIn,
    id: &str,
    site: &str,
    action: AgentAction,
) -> Result<impl std::future::Future<Output = Result<Option<u64>, DeskError>> + Send + 'static, DeskError> {
    let (reply, answer) = oneshot::channel();
    let command = Command::Agent { agent: agent.agent.clone(), action, reply };
    state.conversations.send(id, site, command).await?;
    Ok(async move { Ok(answer.await.unwrap_or(Err(ConversationError::Closed))?) })
}
