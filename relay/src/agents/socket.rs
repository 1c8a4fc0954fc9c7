//! The live agent socket, `GET /agent/ws`: the inbox page's connection. The agent signs in
//! with the first frame (an agent token, or an empty one for the dashboard account whose
//! session cookie came with the upgrade from the relay's own origin), gets the inbox, then live
//! changes; watching a conversation streams its events. While the socket is open the agent
//! counts as online; a revoked dashboard account's sockets close at once, on every relay.
//! Frames: `docs/agent-api.md`.

use std::{collections::HashMap, time::Duration};

use axum::{
    extract::{
        ws::{Message, WebSocket},
        State, WebSocketUpgrade,
    },
    http::{header, HeaderMap},
    response::Response,
    routing::get,
    Router,
};
use axum_extra::extract::cookie::CookieJar;
use futures_util::{future::BoxFuture, stream::FuturesUnordered, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::{wrappers::BroadcastStream, StreamMap};
use tokio_util::task::AbortOnDropHandle;

use super::{
    desk::{self, DeskError, INBOX_PHASES},
    SignedIn,
};
use crate::{
    conversation::AgentAction,
    pubsub::{BusMessage, INBOX},
    state::AppState,
    wire,
};

const AUTH_TIMEOUT: Duration = Duration::from_secs(10);
const IDLE_TIMEOUT: Duration = Duration::from_secs(75);
const MAX_FRAME_BYTES: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/agent/ws", get(upgrade))
}

async fn upgrade(ws: WebSocketUpgrade, State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    // A dashboard session signs in only from the relay's own pages: another site's page
    // cannot ride on the cookie (SameSite=Strict already keeps it from being sent there).
    let dashboard = if same_origin(&headers) { crate::admin::session::inbox_agent(&state, &jar).await } else { None };
    let tracker = state.shutdown.tracker.clone();
    ws.max_message_size(MAX_FRAME_BYTES)
        .read_buffer_size(crate::gateway::SOCKET_BUFFER_BYTES)
        .write_buffer_size(crate::gateway::SOCKET_BUFFER_BYTES)
        .on_upgrade(move |socket| tracker.track_future(run(socket, state, dashboard)))
}

/// Whether the upgrade comes from a page of this relay: no `Origin` (not a browser), or one
/// whose host and port are the request's `Host`.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.parse::<axum::http::Uri>().ok())
        .and_then(|uri| uri.authority().map(|a| a.as_str().to_ascii_lowercase()));
    matches!((origin_host, host), (Some(o), Some(h)) if o == h.to_ascii_lowercase())
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum AgentFrame {
    Auth {
        /// Empty: the dashboard session that came with the upgrade.
        #[serde(default)]
        token: String,
    },
    Watch {
        conversation_id: String,
    },
    Unwatch {
        conversation_id: String,
    },
    Accept {
        conversation_id: String,
    },
    Send {
        conversation_id: String,
        #[serde(default)]
        text: String,
        /// Files uploaded for this conversation (`POST /agent/api/conversations/{id}/attachments`).
        #[serde(default)]
        attachments: Vec<String>,
    },
    Typing {
        conversation_id: String,
        on: bool,
    },
    End {
        conversation_id: String,
    },
    Ping,
}

fn text(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

async fn run(mut socket: WebSocket, state: AppState, dashboard: Option<SignedIn>) {
    let _counted = state.metrics.socket(crate::metrics::SocketKind::Agent);
    let Some(agent) = authenticate(&mut socket, &state, dashboard).await else { return };
    let _online = state.presence.connect(&agent);
    tracing::info!(agent = %agent.agent.id, "agent connected");
    if let Err(error) = serve(&mut socket, &state, &agent).await {
        tracing::warn!(agent = %agent.agent.id, %error, "agent session ended with an error");
    }
    tracing::info!(agent = %agent.agent.id, "agent disconnected");
}

async fn authenticate(socket: &mut WebSocket, state: &AppState, dashboard: Option<SignedIn>) -> Option<SignedIn> {
    let frame = tokio::time::timeout(AUTH_TIMEOUT, socket.recv()).await.ok()??.ok()?;
    let agent = match frame {
        Message::Text(t) => match serde_json::from_str::<AgentFrame>(t.as_str()) {
            Ok(AgentFrame::Auth { token }) if token.trim().is_empty() => dashboard,
            Ok(AgentFrame::Auth { token }) => state.agents.authenticate(&token),
            _ => None,
        },
        _ => None,
    };
    if agent.is_none() {
        let _ = socket.send(text(json!({"type": "error", "code": "unauthorized", "message": "send {\"type\":\"auth\",\"token\":...} with a valid agent token (or an empty one with a dashboard session) first"}))).await;
        let _ = socket
            .send(Message::Close(Some(axum::extract::ws::CloseFrame { code: 4003, reason: "unauthorized".into() })))
            .await;
    }
    agent
}

#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("socket: {0}")]
    Socket(#[from] axum::Error),
    #[error(transparent)]
    Desk(#[from] DeskError),
}

/// The answers to actions handed to conversations' actors, sent as each comes (`None`: an
/// action answered with nothing, typing).
type Answers = FuturesUnordered<BoxFuture<'static, Option<Value>>>;

/// Conversations this socket acted on, by id, with their site: read once, not before every
/// action (a conversation's site never changes). Forgotten all at once past [`KNOWN_SITES`].
type KnownSites = HashMap<String, String>;
const KNOWN_SITES: usize = 10_000;

/// What the inbox task ([`inbox`]) hands the socket loop.
enum Notice {
    Frame(Value),
    /// This agent's account was revoked: the socket closes.
    Revoked,
    /// The inbox could not be read again after a resync.
    Failed(DeskError),
}

async fn serve(socket: &mut WebSocket, state: &AppState, agent: &SignedIn) -> Result<(), SessionError> {
    let mut answers = Answers::new();
    let mut known = KnownSites::new();
    // Subscribed before the inbox is read, so no change falls between the two.
    let changes = state.bus.subscribe(INBOX);
    let mut watched: StreamMap<String, BroadcastStream<BusMessage>> = StreamMap::new();
    let conversations = desk::list(state, agent, INBOX_PHASES).await?;
    let follow_ups = desk::follow_ups(state, agent).await?;
    socket
        .send(text(json!({
            "type": "ready",
            "agent": {"id": agent.agent.id, "name": agent.agent.name, "sites": &*agent.sites},
            "conversations": conversations,
            "follow_ups": follow_ups,
        })))
        .await?;
    // The inbox's re-reads run beside the loop, so an agent's next frame never waits for them.
    let (notices, mut notice) = mpsc::channel(NOTICES);
    let _inbox = AbortOnDropHandle::new(tokio::spawn(inbox(state.clone(), agent.clone(), changes, notices)));
    let shutdown = state.shutdown.token.clone();
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                // The actors carry out what they were handed before they stop: their answers go
                // out first.
                while let Some(answer) = answers.next().await {
                    if let Some(answer) = answer {
                        socket.send(text(answer)).await?;
                    }
                }
                socket.send(Message::Close(Some(axum::extract::ws::CloseFrame { code: 1001, reason: "relay restarting".into() }))).await?;
                return Ok(());
            }
            incoming = tokio::time::timeout(IDLE_TIMEOUT, socket.recv()) => {
                let Ok(Some(Ok(message))) = incoming else { return Ok(()) };
                let frame = match message {
                    Message::Text(t) => serde_json::from_str::<AgentFrame>(t.as_str()),
                    Message::Close(_) => return Ok(()),
                    _ => continue,
                };
                let frame = match frame {
                    Ok(frame) => frame,
                    Err(error) => {
                        socket.send(text(json!({"type": "error", "code": "bad_frame", "message": error.to_string()}))).await?;
                        continue;
                    }
                };
                let reply = handle(state, agent, frame, &mut watched, &mut answers, &mut known).await;
                for value in reply {
                    socket.send(text(value)).await?;
                }
            }
            Some(answer) = answers.next(), if !answers.is_empty() => {
                if let Some(answer) = answer {
                    socket.send(text(answer)).await?;
                }
            }
            Some(notice) = notice.recv() => match notice {
                Notice::Frame(frame) => socket.send(text(frame)).await?,
                Notice::Revoked => {
                    tracing::info!(agent = %agent.agent.id, "account revoked: closing its inbox socket");
                    socket.send(Message::Close(Some(axum::extract::ws::CloseFrame { code: 4003, reason: "revoked".into() }))).await?;
                    return Ok(());
                }
                Notice::Failed(error) => return Err(error.into()),
            },
            Some((conversation_id, message)) = watched.next(), if !watched.is_empty() => match message {
                Ok(BusMessage::Event(event)) => {
                    socket.send(text(json!({"type": "event", "conversation_id": conversation_id, "event": wire::event(*event, &state.attachments)}))).await?;
                }
                Ok(BusMessage::Typing { author, on }) => {
                    socket.send(text(json!({"type": "typing", "conversation_id": conversation_id, "author": wire::author(author), "on": on}))).await?;
                }
                Ok(BusMessage::Resync) | Err(_) => {
                    // Lagged, or the bus lost messages: resend the transcript, the client
                    // replaces what it shows.
                    let events = wire::events(desk::transcript(state, agent, &conversation_id).await?, &state.attachments);
                    socket.send(text(json!({"type": "transcript", "conversation_id": conversation_id, "events": events}))).await?;
                }
                Ok(_) => {}
            },
        }
    }
}

/// Frames of the inbox task waiting for the socket at most; past that the task waits, and
/// changes it misses meanwhile make it send the whole list again.
const NOTICES: usize = 32;

/// Follows the inbox's changes for one agent's socket: each changed conversation of the
/// agent's sites as `conversation` (read once however many changes came for it meanwhile; a
/// busy conversation changes with every message), then the follow-ups; the whole list again
/// after changes were missed. Runs until the socket's loop drops `notices`.
async fn inbox(
    state: AppState,
    agent: SignedIn,
    mut changes: broadcast::Receiver<BusMessage>,
    notices: mpsc::Sender<Notice>,
) {
    loop {
        let mut message = changes.recv().await;
        let (mut changed, mut resync) = (Vec::<String>::new(), false);
        loop {
            match message {
                Ok(BusMessage::InboxChanged { conversation_id }) => {
                    if !changed.contains(&conversation_id) {
                        changed.push(conversation_id);
                    }
                }
                Ok(BusMessage::AccountRevoked { account_id }) if account_id == agent.agent.id => {
                    let _ = notices.send(Notice::Revoked).await;
                    return;
                }
                Ok(BusMessage::Resync) | Err(broadcast::error::RecvError::Lagged(_)) => resync = true,
                Err(broadcast::error::RecvError::Closed) => return,
                Ok(_) => {}
            }
            // What came meanwhile is handled in the same round.
            message = match changes.try_recv() {
                Ok(next) => Ok(next),
                Err(broadcast::error::TryRecvError::Empty) => break,
                Err(broadcast::error::TryRecvError::Lagged(missed)) => Err(broadcast::error::RecvError::Lagged(missed)),
                Err(broadcast::error::TryRecvError::Closed) => Err(broadcast::error::RecvError::Closed),
            };
        }
        let mut frames = Vec::new();
        if resync {
            match desk::list(&state, &agent, INBOX_PHASES).await {
                Ok(conversations) => frames.push(json!({"type": "conversations", "conversations": conversations})),
                Err(error) => {
                    let _ = notices.send(Notice::Failed(error)).await;
                    return;
                }
            }
        } else {
            for conversation_id in changed {
                match desk::get(&state, &agent, &conversation_id).await {
                    Ok(view) => frames.push(json!({"type": "conversation", "conversation": view})),
                    // Another site's (or gone): not this agent's to hear about.
                    Err(DeskError::NotFound(_)) => {}
                    Err(error) => tracing::warn!(%error, "inbox change not readable"),
                }
            }
        }
        if frames.is_empty() {
            continue;
        }
        if let Ok(follow_ups) = desk::follow_ups(&state, &agent).await {
            frames.push(json!({"type": "follow_ups", "follow_ups": follow_ups}));
        }
        for frame in frames {
            if notices.send(Notice::Frame(frame)).await.is_err() {
                return;
            }
        }
    }
}

/// Carries out one frame; returns the frames to answer with now. An action for a conversation
/// is handed to its actor (in the order the frames came) and its answer joins `answers`: the
/// next frame is read without waiting for this one's durable write.
async fn handle(
    state: &AppState,
    agent: &SignedIn,
    frame: AgentFrame,
    watched: &mut StreamMap<String, BroadcastStream<BusMessage>>,
    answers: &mut Answers,
    known: &mut KnownSites,
) -> Vec<Value> {
    let (id, action) = match frame {
        AgentFrame::Ping => return vec![json!({"type": "pong"})],
        AgentFrame::Auth { .. } => {
            return vec![json!({"type": "error", "code": "bad_frame", "message": "already signed in"})]
        }
        AgentFrame::Watch { conversation_id } => {
            // Subscribe before reading, so nothing falls between transcript and live events
            // (the client ignores events at or below the transcript's last seq). A
            // conversation the agent may not see is unsubscribed again at once.
            watched.insert(conversation_id.clone(), BroadcastStream::new(state.bus.subscribe(&conversation_id)));
            return match desk::transcript(state, agent, &conversation_id).await {
                Ok(events) => {
                    vec![
                        json!({"type": "transcript", "conversation_id": conversation_id, "events": wire::events(events, &state.attachments)}),
                    ]
                }
                Err(error) => {
                    watched.remove(&conversation_id);
                    vec![error_frame(&conversation_id, &error)]
                }
            };
        }
        AgentFrame::Unwatch { conversation_id } => {
            watched.remove(&conversation_id);
            return vec![];
        }
        AgentFrame::Accept { conversation_id } => (conversation_id, AgentAction::Accept),
        AgentFrame::End { conversation_id } => (conversation_id, AgentAction::End),
        AgentFrame::Typing { conversation_id, on } => (conversation_id, AgentAction::Typing { on }),
        AgentFrame::Send { conversation_id, text, attachments } => {
            match desk::message(state, &conversation_id, &text, &attachments).await {
                Ok(message) => (conversation_id, message),
                Err(message) => {
                    return vec![
                        json!({"type": "error", "code": "bad_request", "conversation_id": conversation_id, "message": message}),
                    ]
                }
            }
        }
    };
    let name = match &action {
        AgentAction::Accept => "accept",
        AgentAction::End => "end",
        AgentAction::Typing { .. } => "typing",
        AgentAction::Message { .. } => "send",
    };
    let site = match known.get(&id) {
        Some(site) => site.clone(),
        None => match desk::site_of(state, agent, &id).await {
            Ok(site) => {
                if known.len() >= KNOWN_SITES {
                    known.clear();
                }
                known.insert(id.clone(), site.clone());
                site
            }
            Err(error) => return vec![error_frame(&id, &error)],
        },
    };
    match desk::dispatch_to(state, agent, &id, &site, action).await {
        Ok(outcome) => {
            answers.push(Box::pin(async move {
                match outcome.await {
                    Ok(seq) if name != "typing" => {
                        Some(json!({"type": "ok", "action": name, "conversation_id": id, "seq": seq}))
                    }
                    Ok(_) => None,
                    Err(error) => Some(error_frame(&id, &error)),
                }
            }));
            vec![]
        }
        Err(error) => vec![error_frame(&id, &error)],
    }
}

fn error_frame(conversation_id: &str, error: &DeskError) -> Value {
    use crate::conversation::{ConversationError, Refusal};
    let code = match error {
        DeskError::NotFound(_) => "not_found",
        DeskError::Conversation(ConversationError::Refused(Refusal::TakenBy(_))) => "taken",
        DeskError::Conversation(ConversationError::Refused(Refusal::NotWaiting)) => "not_waiting",
        DeskError::Conversation(ConversationError::Refused(Refusal::NotOwner)) => "not_owner",
        DeskError::Conversation(ConversationError::Refused(_)) => "refused",
        _ => "internal",
    };
    if code == "internal" {
        tracing::error!(%error, "agent action failed");
    }
    json!({"type": "error", "code": code, "conversation_id": conversation_id, "message": error.to_string()})
}
