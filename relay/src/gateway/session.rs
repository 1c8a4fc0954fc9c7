//! One widget connection: the handshake, then one loop that multiplexes the socket, the
//! conversation's bus topic, pending acknowledgements and shutdown.

use std::{
    future::Future,
    net::IpAddr,
    ops::ControlFlow,
    pin::Pin,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::extract::ws::{Message, WebSocket};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use futures_util::{stream::FuturesUnordered, FutureExt, SinkExt, StreamExt};
use governor::{clock::Clock, DefaultDirectRateLimiter, Quota, RateLimiter};
use rand::RngCore;
use sha2::{Digest, Sha256};
use shared::{
    close_code, ClientFrame, EmailCapture, ErrorCode, ServerFrame, Visitor, MAX_CLIENT_ID_BYTES, MAX_MESSAGE_CHARS,
    PROTOCOL_VERSION,
};
use std::num::NonZeroU32;
use tokio::sync::{broadcast, oneshot};

use super::codec::{self, DecodeError, Incoming};
use crate::{
    attachments::AttachError,
    config::CaptureWhen,
    conversation::{machine, Channel, Command, ConversationError, Registry, VisitorAction},
    event::{Author, EmailStep, Event},
    identity::{self, Identity},
    limits::{Kind, Limited, Scope, SocketSlot},
    metrics::{Metrics, SocketKind},
    pubsub::BusMessage,
    state::{AppState, Site},
    store::Conversation,
    wire,
};

/// A client that has not said hello by then is disconnected.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// Widgets ping every 25 s; a connection silent for this long is dead.
const IDLE_TIMEOUT: Duration = Duration::from_secs(75);
/// After this many bad frames in a row the client is broken: close with 1002.
const MAX_BAD_FRAMES: u32 = 20;
/// A visitor may send this many messages and actions in a burst, then one per second: far
/// above what a person types, low enough that a runaway script cannot flood a conversation.
const BURST: u32 = 20;
/// On shutdown, how long a session waits for the acks of messages already sent on.
const ACK_DRAIN: Duration = Duration::from_secs(2);
/// Events replayed per store read.
const REPLAY_PAGE: u32 = 500;
/// Frames that are ready at once (acks, bus events) written together at most, beyond the one
/// the session woke up for: a bound, so a busy conversation cannot hold its frames back.
const COALESCE: usize = 16;

/// A visitor input on its way through the conversation actor: the message's client id (if it
/// is a message), the frame that confirms it once carried out (if any) and the outcome.
type AckFuture = Pin<Box<dyn Future<Output = (Acked, Result<Option<u64>, ConversationError>)> + Send>>;

/// What the widget is told of an input once the conversation carried it out: a message's
/// `ack` (by its client id), or a confirmation frame.
#[derive(Default)]
struct Acked {
    client_id: Option<String>,
    /// Boxed: a frame is large, and every input on its way carries this field.
    confirm: Option<Box<ServerFrame>>,
}

/// Sends a visitor action to the conversation without blocking the session loop.
fn visitor_action(
    registry: &Arc<Registry>,
    metrics: &Metrics,
    id: &str,
    site: &str,
    action: VisitorAction,
    acked: Acked,
) -> AckFuture {
    let (registry, id, site, metrics) = (registry.clone(), id.to_string(), site.to_string(), metrics.clone());
    Box::pin(async move {
        let received = Instant::now();
        let (stored, answer) = oneshot::channel();
        let command = Command::Visitor { action, channel: Channel::Widget, stored: Some(stored), done: None };
        let result = match registry.send(&id, &site, command).await {
            Ok(()) => answer.await.unwrap_or(Err(ConversationError::Closed)),
            Err(error) => Err(error),
        };
        if acked.client_id.is_some() && result.is_ok() {
            metrics.acknowledged(received.elapsed());
        }
        (acked, result)
    })
}

/// Why a session ended early; logged, never shown as a panic.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error("socket: {0}")]
    Socket(#[from] axum::Error),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("conversation: {0}")]
    Conversation(#[from] ConversationError),
}

struct Session {
    socket: WebSocket,
    state: AppState,
    origin: Option<String>,
    /// The client's address, for the limits.
    ip: IpAddr,
    bad_frames: u32,
}

/// Serves one socket. `slot` is its place among its address's sockets, or the refusal to
/// send (an error frame, then close 1013) when the address has too many open.
///
/// Not an `async fn`: one keeps its arguments for as long as it runs, beside the locals moved
/// out of them, so every open socket would hold its socket and state twice. The block below
/// uses the session it captures in place.
pub fn run(
    socket: WebSocket,
    state: AppState,
    origin: Option<String>,
    ip: IpAddr,
    slot: Result<SocketSlot, Limited>,
) -> impl Future<Output = ()> + Send {
    let counted = state.metrics.socket(SocketKind::Widget);
    let mut session = Session { socket, state, origin, ip, bad_frames: 0 };
    async move {
        let result = match slot {
            Ok(mut slot) => session.serve(&mut slot).await,
            Err(limited) => session.refuse_limited(limited).await,
        };
        if let Err(error) = result {
            tracing::warn!(%error, "widget session ended with an error");
        }
        drop(counted);
    }
}

impl Session {
    /// Queues a frame in the socket's write buffer; [`Self::flush`] (or sending a close)
    /// writes what is queued, so frames ready together (an `ack` and the event it confirms, an
    /// answer) leave in one write instead of one system call each.
    async fn send(&mut self, frame: &ServerFrame) -> Result<(), SessionError> {
        Ok(self.socket.feed(codec::encode(frame)).await?)
    }

    /// Writes the frames queued by [`Self::send`].
    async fn flush(&mut self) -> Result<(), SessionError> {
        Ok(self.socket.flush().await?)
    }

    async fn send_error(
        &mut self,
        code: ErrorCode,
        message: String,
        client_id: Option<String>,
    ) -> Result<(), SessionError> {
        tracing::info!(?code, %message, "refused a widget frame");
        self.send(&ServerFrame::Error { code, message, client_id, retry_after: None }).await
    }

    /// A limit refused a frame: `rate_limited` with the time to wait; the session goes on.
    async fn send_limited(&mut self, limited: Limited, client_id: Option<String>) -> Result<(), SessionError> {
        tracing::info!(ip = %self.ip, %limited, "limited a widget");
        let frame = ServerFrame::Error {
            code: ErrorCode::RateLimited,
            message: limited.to_string(),
            client_id,
            retry_after: Some(limited.retry_after_secs()),
        };
        self.send(&frame).await
    }

    /// A limit refused the connection: the error frame, then close 1013 (try again later).
    async fn refuse_limited(&mut self, limited: Limited) -> Result<(), SessionError> {
        let reason = limited.to_string();
        self.send_limited(limited, None).await?;
        self.socket.send(codec::close(close_code::TRY_AGAIN_LATER, &reason)).await?;
        Ok(())
    }

    /// Sends an error frame, then closes with `close`.
    async fn refuse(&mut self, code: ErrorCode, message: String, close: u16) -> Result<(), SessionError> {
        self.send_error(code, message.clone(), None).await?;
        self.socket.send(codec::close(close, &message)).await?;
        Ok(())
    }

    /// Counts a bad frame; true when the client should be disconnected.
    async fn bad_frame(&mut self, error: DecodeError) -> Result<bool, SessionError> {
        self.bad_frames += 1;
        self.send_error(error.code(), error.to_string(), None).await?;
        if self.bad_frames >= MAX_BAD_FRAMES {
            self.socket.send(codec::close(close_code::PROTOCOL_ERROR, "too many bad frames")).await?;
            return Ok(true);
        }
        Ok(false)
    }

    async fn serve(&mut self, slot: &mut SocketSlot) -> Result<(), SessionError> {
        // Boxed, like each step below: opening (the hello, the store, the welcome, the replay)
        // and handling one input are large futures that run briefly, while a socket spends
        // nearly all its life waiting. Inline, their space would be kept in every socket's task
        // for as long as it is open (it was most of an idle visitor's memory).
        let Some(mut live) = Box::pin(self.open(slot)).await? else {
            return Ok(());
        };
        let mut acks: FuturesUnordered<AckFuture> = FuturesUnordered::new();
        let limiter = RateLimiter::direct(
            Quota::per_second(NonZeroU32::MIN).allow_burst(NonZeroU32::new(BURST).unwrap_or(NonZeroU32::MIN)),
        );
        let shutdown = self.state.shutdown.token.clone();
        loop {
            // What was sent (the catch-up, the last round's frames) leaves before waiting.
            self.flush().await?;
            let next = tokio::select! {
                () = shutdown.cancelled() => Next::Shutdown,
                incoming = tokio::time::timeout(IDLE_TIMEOUT, self.socket.recv()) => match incoming {
                    Ok(Some(Ok(message))) => Next::Socket(message),
                    Ok(None | Some(Err(_))) => return Ok(()),
                    Err(_) => Next::Silent,
                },
                Some((client_id, result)) = acks.next(), if !acks.is_empty() => Next::Ack(client_id, result),
                message = live.events.recv() => Next::Bus(message),
            };
            if Box::pin(self.step(next, &mut live, &mut acks, &limiter)).await?.is_break() {
                return Ok(());
            }
            // Acks and events that are ready too go into the same write.
            for _ in 0..COALESCE {
                let Some(next) = ready_now(&mut live, &mut acks) else { break };
                if Box::pin(self.step(next, &mut live, &mut acks, &limiter)).await?.is_break() {
                    return Ok(());
                }
            }
        }
    }

    /// Says hello, opens the conversation and catches the widget up: the welcome, what is
    /// stored after what it has, its place in the line. `None` when the socket was refused.
    async fn open(&mut self, slot: &mut SocketSlot) -> Result<Option<Live>, SessionError> {
        let Some(hello) = self.hello().await? else {
            return Ok(None);
        };
        let Hello { site, resume, last_seq, visitor, languages } = hello;
        let speaking = Identity::speaking(&languages);

        let (conversation, token, is_new) =
            match open_conversation(&self.state, &site, resume.as_deref(), self.ip).await {
                Ok(opened) => opened,
                Err(OpenError::Limited(limited)) => {
                    self.refuse_limited(limited).await?;
                    return Ok(None);
                }
                Err(OpenError::Store(error)) => return Err(error.into()),
            };
        let id = conversation.id.clone();
        // Retention leaves a conversation alone while a widget shows it.
        slot.watch(&id);
        // Subscribe before reading the store: an event stored in between arrives on the bus
        // and is skipped there if the replay already sent it.
        let events = self.state.bus.subscribe(&id);
        // The texts in the languages this hello gives, else those the conversation has.
        let languages =
            if speaking.languages.is_empty() { &conversation.visitor.languages } else { &speaking.languages };
        let claimed = visitor
            .filter(valid_visitor)
            .map(|visitor| identity::verify(site.config.identity_secret.as_deref(), visitor));
        self.send(&ServerFrame::Welcome {
            v: PROTOCOL_VERSION,
            conversation_id: id.clone(),
            resume_token: token,
            last_seq: conversation.last_seq,
            bot_name: site.config.bot_name.clone(),
            new_conversation: is_new,
            handover_button: site.config.handover.request_button_text(&speaking.languages).to_string(),
            language: site.config.language.clone(),
            theme: site.config.theme.clone().into(),
            email_capture: (site.email_capture() != CaptureWhen::Never).then(|| EmailCapture {
                consent: site.config.email_capture.consent_for(languages).map(str::to_string),
            }),
            // With the page's `Baton.identify` (recorded just below) applied: the newer one,
            // unless the conversation has a signed email an unsigned one does not replace.
            email: claimed.as_ref().map_or(conversation.visitor.email.clone(), |claimed| {
                let mut merged = conversation.visitor.clone();
                merged.merge(claimed.clone());
                merged.email.filter(|email| shared::email::check(email).is_ok())
            }),
            transcript_email: self.state.mailer.is_some(),
            attachments: site.config.attachments.enabled.then(|| shared::AttachmentLimits {
                types: site.config.attachments.types.clone(),
                max_bytes: site.config.attachments.max_bytes,
            }),
        })
        .await?;
        let mut sent_seq = if is_new { 0 } else { last_seq.min(conversation.last_seq) };
        self.replay(&id, &mut sent_seq).await?;
        if let Some(place) = self.state.queue.place(&site.key, &id) {
            self.send(&ServerFrame::Queue { position: place.position, wait_seconds: place.wait_seconds }).await?;
        }
        self.catch_up_on_the_handover(&site, &conversation).await?;

        let conversations = &self.state.conversations;
        if is_new {
            conversations.send(&id, &site.key, Command::Greet).await?;
        }
        // The languages only when they changed (a returning visitor's usually did not).
        let new_languages = !speaking.languages.is_empty() && speaking.languages != conversation.visitor.languages;
        match claimed {
            Some(identity) => {
                let identity = Identity { languages: speaking.languages, ..identity };
                conversations.send(&id, &site.key, Command::Identify(identity)).await?;
            }
            None if new_languages => conversations.send(&id, &site.key, Command::Identify(speaking)).await?,
            None => {}
        }
        tracing::info!(conversation = %id, site = %site.key, is_new, "widget connected");
        Ok(Some(Live { site, id, events, sent_seq }))
    }

    /// Handles what the session loop woke up for; `Break` ends the session.
    async fn step(
        &mut self,
        next: Next,
        live: &mut Live,
        acks: &mut FuturesUnordered<AckFuture>,
        limiter: &DefaultDirectRateLimiter,
    ) -> Result<ControlFlow<()>, SessionError> {
        match next {
            Next::Shutdown => {
                self.close_for_restart(acks).await?;
                return Ok(ControlFlow::Break(()));
            }
            Next::Silent => {
                tracing::info!(conversation = %live.id, "widget silent, closing");
                self.socket.send(codec::close(close_code::GOING_AWAY, "idle")).await?;
                return Ok(ControlFlow::Break(()));
            }
            Next::Socket(message) => return self.on_message(message, live, acks, limiter).await,
            Next::Ack(acked, result) => match (acked.client_id, result) {
                (Some(client_id), Ok(Some(seq))) => self.send(&ServerFrame::Ack { client_id, seq }).await?,
                (_, Ok(_)) => {
                    if let Some(confirm) = acked.confirm {
                        self.send(&confirm).await?;
                    }
                }
                (client_id, Err(ConversationError::Refused(refusal))) => {
                    self.send_error(ErrorCode::NotAllowed, refusal.to_string(), client_id).await?;
                }
                (client_id, Err(error)) => {
                    tracing::error!(conversation = %live.id, %error, "visitor input not processed");
                    self.send_error(ErrorCode::Internal, "that could not be processed; retry".into(), client_id)
                        .await?;
                }
            },
            Next::Bus(message) => {
                let Live { id, sent_seq, .. } = live;
                match message {
                    Ok(BusMessage::Event(event)) => self.forward(id, *event, sent_seq).await?,
                    Ok(BusMessage::Typing { author, on }) => {
                        self.send(&ServerFrame::Typing { author: wire::author(author), on }).await?
                    }
                    Ok(BusMessage::Draft { draft_id, author, text }) => {
                        self.send(&ServerFrame::Draft { draft_id, author: wire::author(author), text }).await?
                    }
                    Ok(BusMessage::Queue { position, wait_seconds }) => {
                        self.send(&ServerFrame::Queue { position, wait_seconds }).await?
                    }
                    Ok(BusMessage::AskEmail { step }) => {
                        self.send(&ServerFrame::AskEmail { step: wire::email_step(step) }).await?
                    }
                    Ok(BusMessage::Summary { text, link }) => self.send(&ServerFrame::Summary { text, link }).await?,
                    Ok(
                        BusMessage::InboxChanged { .. }
                        | BusMessage::ReleaseLease { .. }
                        | BusMessage::LeaseFreed { .. }
                        | BusMessage::Presence { .. }
                        | BusMessage::QueueChanged { .. }
                        | BusMessage::SettingsChanged { .. }
                        | BusMessage::AccountRevoked { .. },
                    ) => {}
                    // Events may have been lost on the way (the bus says so, or this receiver
                    // fell behind): whatever the store has after what was sent goes out now.
                    Ok(BusMessage::Resync) => {
                        tracing::debug!(conversation = %id, "bus asked for a resync; replaying from the store");
                        self.replay(id, sent_seq).await?;
                    }
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::debug!(conversation = %id, missed, "session lagged; replaying from the store");
                        self.replay(id, sent_seq).await?;
                    }
                    Err(broadcast::error::RecvError::Closed) => return Ok(ControlFlow::Break(())),
                }
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// A message from the widget.
    async fn on_message(
        &mut self,
        message: Message,
        live: &Live,
        acks: &mut FuturesUnordered<AckFuture>,
        limiter: &DefaultDirectRateLimiter,
    ) -> Result<ControlFlow<()>, SessionError> {
        let frame = match codec::decode(message) {
            Ok(Incoming::Frame(frame)) => {
                self.bad_frames = 0;
                frame
            }
            Ok(Incoming::Ignore) => return Ok(ControlFlow::Continue(())),
            Ok(Incoming::Close) => return Ok(ControlFlow::Break(())),
            Err(error) => {
                let stop = self.bad_frame(error).await?;
                return Ok(if stop { ControlFlow::Break(()) } else { ControlFlow::Continue(()) });
            }
        };
        let Live { site, id, .. } = live;
        let costly = matches!(
            frame,
            ClientFrame::Send { .. }
                | ClientFrame::Language { .. }
                | ClientFrame::RequestHandover
                | ClientFrame::CancelHandover
                | ClientFrame::Rate { .. }
                | ClientFrame::Email { .. }
                | ClientFrame::SkipEmail
        );
        if costly {
            if let Err(limited) = self.limit(site, &frame, limiter) {
                let client_id = match &frame {
                    ClientFrame::Send { client_id, .. } => Some(client_id.clone()),
                    _ => None,
                };
                self.send_limited(limited, client_id).await?;
                return Ok(ControlFlow::Continue(()));
            }
        }
        let (conversations, metrics) = (&self.state.conversations, &self.state.metrics);
        let action = |action, acked| visitor_action(conversations, metrics, id, &site.key, action, acked);
        match frame {
            ClientFrame::Hello { .. } => {
                self.send_error(ErrorCode::BadFrame, "already said hello".into(), None).await?;
            }
            ClientFrame::Ping => self.send(&ServerFrame::Pong).await?,
            // Ephemeral: straight to the agents watching, not through the actor.
            ClientFrame::Typing { on } => {
                self.state.bus.publish(id, BusMessage::Typing { author: Author::visitor(), on })
            }
            ClientFrame::Identify(visitor) => {
                if valid_visitor(&visitor) {
                    let identity = identity::verify(site.config.identity_secret.as_deref(), visitor);
                    self.state.conversations.send(id, &site.key, Command::Identify(identity)).await?;
                } else {
                    let message = "visitor email, name, user id or hash too long".into();
                    self.send_error(ErrorCode::BadFrame, message, None).await?;
                }
            }
            ClientFrame::Language { languages } => {
                let speaking = Identity::speaking(&languages);
                let handover_button = site.config.handover.request_button_text(&speaking.languages).to_string();
                let email_consent = site.config.email_capture.consent_for(&speaking.languages).map(str::to_string);
                if !speaking.languages.is_empty() {
                    self.state.conversations.send(id, &site.key, Command::Identify(speaking)).await?;
                }
                self.send(&ServerFrame::Texts { handover_button, email_consent }).await?;
            }
            ClientFrame::RequestHandover => acks.push(action(VisitorAction::RequestHandover, Acked::default())),
            ClientFrame::CancelHandover => acks.push(action(VisitorAction::CancelHandover, Acked::default())),
            ClientFrame::Rate { score } => acks.push(action(VisitorAction::Rate { score }, Acked::default())),
            ClientFrame::Email { email } => match shared::email::check(&email) {
                Ok(email) => {
                    let confirm = Some(Box::new(ServerFrame::EmailSaved { email: email.clone() }));
                    acks.push(action(VisitorAction::Email { email }, Acked { client_id: None, confirm }));
                }
                Err(problem) => self.send_error(ErrorCode::InvalidEmail, problem.to_string(), None).await?,
            },
            ClientFrame::SkipEmail => acks.push(action(VisitorAction::SkipEmail, Acked::default())),
            ClientFrame::Send { client_id, text, attachments } => {
                if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID_BYTES {
                    let message = format!("client_id must be 1 to {MAX_CLIENT_ID_BYTES} bytes");
                    self.send_error(ErrorCode::BadFrame, message, None).await?;
                    return Ok(ControlFlow::Continue(()));
                }
                let chars = text.chars().count();
                if (text.trim().is_empty() && attachments.is_empty()) || chars > MAX_MESSAGE_CHARS {
                    let message = format!("a message has 1 to {MAX_MESSAGE_CHARS} characters, this one has {chars}");
                    self.send_error(ErrorCode::InvalidMessage, message, Some(client_id)).await?;
                    return Ok(ControlFlow::Continue(()));
                }
                let attachments = match self.state.attachments.for_message(id, &attachments).await {
                    Ok(attachments) => attachments,
                    Err(error @ (AttachError::TooMany | AttachError::Unknown(_))) => {
                        self.send_error(ErrorCode::InvalidMessage, error.to_string(), Some(client_id)).await?;
                        return Ok(ControlFlow::Continue(()));
                    }
                    Err(AttachError::Storage(error)) => {
                        tracing::error!(conversation = %id, %error, "attachments not readable");
                        let message = "the files could not be read; retry".into();
                        self.send_error(ErrorCode::Internal, message, Some(client_id)).await?;
                        return Ok(ControlFlow::Continue(()));
                    }
                };
                let message = VisitorAction::Message { client_id: client_id.clone(), text, attachments };
                acks.push(action(message, Acked { client_id: Some(client_id), confirm: None }));
            }
        }
        Ok(ControlFlow::Continue(()))
    }

    /// The relay is stopping: reads nothing more, sends the acks of the messages already on
    /// their way through the conversation (briefly: the widget resends what is not
    /// acknowledged), then closes with 1012 so the widget reconnects, elsewhere if it can.
    async fn close_for_restart(&mut self, acks: &mut FuturesUnordered<AckFuture>) -> Result<(), SessionError> {
        let deadline = tokio::time::Instant::now() + ACK_DRAIN;
        while let Ok(Some((acked, result))) = tokio::time::timeout_at(deadline, acks.next()).await {
            if let (Some(client_id), Ok(Some(seq))) = (acked.client_id, result) {
                self.send(&ServerFrame::Ack { client_id, seq }).await?;
            }
        }
        self.socket.send(codec::close(close_code::SERVICE_RESTART, "relay restarting")).await?;
        Ok(())
    }

    /// The session's own burst limit, then the address's and the site's limits for messages
    /// and handovers.
    fn limit(&self, site: &Site, frame: &ClientFrame, session: &DefaultDirectRateLimiter) -> Result<(), Limited> {
        session.check().map_err(|not_until| Limited {
            kind: Kind::Message,
            scope: Scope::Session,
            retry_after: not_until.wait_time_from(session.clock().now()),
        })?;
        let kind = match frame {
            ClientFrame::Send { .. } => Kind::Message,
            ClientFrame::RequestHandover => Kind::Handover,
            _ => return Ok(()),
        };
        self.state.limits.check(&site.key, &site.config, kind, self.ip)
    }

    /// Waits for the client's hello and checks it. `None` means the connection was refused or
    /// closed.
    async fn hello(&mut self) -> Result<Option<Hello>, SessionError> {
        let deadline = tokio::time::Instant::now() + HELLO_TIMEOUT;
        loop {
            // An error frame sent for the last frame leaves before waiting for the next.
            self.flush().await?;
            let message = match tokio::time::timeout_at(deadline, self.socket.recv()).await {
                Ok(Some(Ok(message))) => message,
                Ok(None | Some(Err(_))) => return Ok(None),
                Err(_) => {
                    self.socket.send(codec::close(close_code::PROTOCOL_ERROR, "no hello")).await?;
                    return Ok(None);
                }
            };
            let frame = match codec::decode(message) {
                Ok(Incoming::Frame(frame)) => frame,
                Ok(Incoming::Ignore) => continue,
                Ok(Incoming::Close) => return Ok(None),
                Err(error) => {
                    if self.bad_frame(error).await? {
                        return Ok(None);
                    }
                    continue;
                }
            };
            let ClientFrame::Hello { v, site, resume, last_seq, visitor, languages } = frame else {
                self.send_error(ErrorCode::NotReady, "send hello first".into(), None).await?;
                continue;
            };
            if v != PROTOCOL_VERSION {
                let message = format!("protocol version {v} is not supported; this relay speaks {PROTOCOL_VERSION}");
                self.refuse(ErrorCode::UnsupportedVersion, message, close_code::UNSUPPORTED_VERSION).await?;
                return Ok(None);
            }
            let Some(site) = self.state.sites.get(&site) else {
                let message = format!("site {site:?} is not configured on this relay");
                self.refuse(ErrorCode::UnknownSite, message, close_code::UNKNOWN_SITE).await?;
                return Ok(None);
            };
            let allowed = &site.config.allowed_origins;
            if !allowed.is_empty() && !self.origin.as_ref().is_some_and(|o| allowed.contains(o)) {
                let message = format!("origin {:?} may not embed site {:?}", self.origin, site.key);
                self.refuse(ErrorCode::OriginNotAllowed, message, close_code::POLICY).await?;
                return Ok(None);
            }
            return Ok(Some(Hello { site, resume, last_seq, visitor, languages }));
        }
    }

    /// What a returning widget must be shown again of a handover: the email prompt still open
    /// (before the handover, or the unavailable step's on a site that asks for emails), and
    /// while a person is fetched or talking, the summary passed on.
    async fn catch_up_on_the_handover(&mut self, site: &Site, conversation: &Conversation) -> Result<(), SessionError> {
        let Ok(state) = serde_json::from_str::<machine::State>(&conversation.handover.state) else {
            return Ok(());
        };
        let step = match (state.email_before, state.awaiting_email) {
            (Some(_), _) => Some(EmailStep::BeforeHandover),
            (None, true) if site.email_capture() != CaptureWhen::Never => Some(EmailStep::Unavailable),
            (None, _) => None,
        };
        if let Some(step) = step {
            self.send(&ServerFrame::AskEmail { step: wire::email_step(step) }).await?;
        }
        let fetched = matches!(state.phase, machine::Phase::Waiting { .. } | machine::Phase::Agent { .. });
        // A link site's summary (written when the link was offered, the conversation never
        // handed over) stays offered for pasting into its form, as it does in the widget.
        let link = site.provider.get().link().map(|link| link.url.clone());
        let link = link.filter(|_| state.phase == machine::Phase::Bot && conversation.handover.provider.is_none());
        match (fetched, conversation.summary.clone()) {
            (true, Some(text)) => self.send(&ServerFrame::Summary { text, link: None }).await?,
            (false, Some(text)) if link.is_some() => self.send(&ServerFrame::Summary { text, link }).await?,
            _ => {}
        }
        Ok(())
    }

    /// Sends every stored event after `sent_seq`.
    async fn replay(&mut self, id: &str, sent_seq: &mut u64) -> Result<(), SessionError> {
        loop {
            let events = self.state.store.events_after(id, *sent_seq, REPLAY_PAGE).await?;
            let done = events.len() < REPLAY_PAGE as usize;
            for event in events {
                *sent_seq = event.seq;
                self.send(&ServerFrame::Event(wire::event(event, &self.state.attachments))).await?;
            }
            if done {
                return Ok(());
            }
        }
    }

    /// Sends a live event, skipping what was sent already and filling gaps from the store.
    async fn forward(&mut self, id: &str, event: Event, sent_seq: &mut u64) -> Result<(), SessionError> {
        if event.seq <= *sent_seq {
            return Ok(());
        }
        if event.seq > *sent_seq + 1 {
            return self.replay(id, sent_seq).await;
        }
        *sent_seq = event.seq;
        self.send(&ServerFrame::Event(wire::event(event, &self.state.attachments))).await
    }
}

/// Why no conversation could be opened.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    #[error(transparent)]
    Limited(#[from] Limited),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Finds the conversation of a resume token, or starts a new one with a new token if `ip`
/// and the site may start one now. (A free function: a `&Session` held across `.await` would
/// make the session future `!Send`.)
pub(crate) async fn open_conversation(
    state: &AppState,
    site: &Site,
    resume: Option<&str>,
    ip: IpAddr,
) -> Result<(Conversation, String, bool), OpenError> {
    if let Some(token) = resume.filter(|t| !t.is_empty() && t.len() <= 128) {
        if let Some(conversation) = state.store.conversation_by_token(&site.key, &token_hash(token)).await? {
            return Ok((conversation, token.to_string(), false));
        }
    }
    state.limits.check(&site.key, &site.config, Kind::Conversation, ip)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let conversation = state.store.create_conversation(&site.key, &token_hash(&token)).await?;
    Ok((conversation, token, true))
}

/// An ack or a bus message that is ready without waiting, if there is one.
fn ready_now(live: &mut Live, acks: &mut FuturesUnordered<AckFuture>) -> Option<Next> {
    if !acks.is_empty() {
        if let Some(Some((acked, result))) = acks.next().now_or_never() {
            return Some(Next::Ack(acked, result));
        }
    }
    match live.events.try_recv() {
        Ok(message) => Some(Next::Bus(Ok(message))),
        Err(broadcast::error::TryRecvError::Lagged(missed)) => {
            Some(Next::Bus(Err(broadcast::error::RecvError::Lagged(missed))))
        }
        Err(broadcast::error::TryRecvError::Empty | broadcast::error::TryRecvError::Closed) => None,
    }
}

/// What the session loop woke up for.
enum Next {
    Shutdown,
    /// Nothing from the widget for [`IDLE_TIMEOUT`].
    Silent,
    Socket(Message),
    Ack(Acked, Result<Option<u64>, ConversationError>),
    Bus(Result<BusMessage, broadcast::error::RecvError>),
}

/// An open session's conversation: the site, the conversation, its bus topic and the last
/// event sent to the widget.
struct Live {
    site: Arc<Site>,
    id: String,
    events: broadcast::Receiver<BusMessage>,
    sent_seq: u64,
}

struct Hello {
    site: Arc<Site>,
    resume: Option<String>,
    last_seq: u64,
    visitor: Option<Visitor>,
    languages: Vec<String>,
}

fn valid_visitor(visitor: &Visitor) -> bool {
    visitor.email.as_ref().is_none_or(|e| e.len() <= 254 && e.contains('@'))
        && visitor.name.as_ref().is_none_or(|n| n.chars().count() <= 120)
        && visitor.user_id.as_ref().is_none_or(|id| !id.is_empty() && id.len() <= 256)
        // A hex HMAC-SHA256 is 64 characters; some room for what a page may add around it.
        && visitor.user_hash.as_ref().is_none_or(|h| h.len() <= 128)
}

/// Only the hash of a resume token is stored, so a leaked database does not leak sessions.
pub(crate) fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}
