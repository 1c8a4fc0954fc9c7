//! Conversation id → actor handle, spawning actors on demand.

use std::{collections::HashMap, sync::Mutex};

use tokio::sync::mpsc;

use super::{actor, Command, ConversationError, Deps};
use crate::state::Sites;

/// Commands waiting for one conversation. Bounded so a flood from one socket pushes back on
/// that socket instead of growing memory; 64 is far above what a person types.
const COMMAND_BUFFER: usize = 64;

pub struct Registry {
    // A std mutex: lookups and inserts only, never held across `.await`.
    actors: Mutex<HashMap<String, mpsc::Sender<Command>>>,
    deps: Deps,
    sites: Sites,
}

impl Registry {
    pub fn new(deps: Deps, sites: Sites) -> Self {
        Self { actors: Mutex::default(), deps, sites }
    }

    fn handle(&self, conversation_id: &str, site: &str) -> Result<mpsc::Sender<Command>, ConversationError> {
        let site = self.sites.get(site).ok_or_else(|| ConversationError::UnknownSite(site.to_string()))?;
        let mut actors = self.actors.lock().unwrap_or_else(|e| e.into_inner());
        actors.retain(|_, sender| !sender.is_closed());
        if let Some(sender) = actors.get(conversation_id) {
            return Ok(sender.clone());
        }
        let (sender, receiver) = mpsc::channel(COMMAND_BUFFER);
        tokio::spawn(actor::run(conversation_id.to_string(), site, self.sites.clone(), self.deps.clone(), receiver));
        actors.insert(conversation_id.to_string(), sender.clone());
        Ok(sender)
    }

    /// Delivers `command` to the conversation's actor, starting one if needed. An actor that
    /// exits (idle) between lookup and send is replaced once.
    pub async fn send(&self, conversation_id: &str, site: &str, command: Command) -> Result<(), ConversationError> {
        let command = match self.handle(conversation_id, site)?.send(command).await {
            Ok(()) => return Ok(()),
            Err(mpsc::error::SendError(command)) => command,
        };
        self.handle(conversation_id, site)?.send(command).await.map_err(|_| ConversationError::Closed)
    }
}
