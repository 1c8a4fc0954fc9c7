//! The widget's chat state and its reducer: pure Rust, no browser APIs, tested natively.
//!
//! - Stored events are applied once each, in sequence order: any `seq` at or below the highest
//!   one already applied is ignored, so a replay after a reconnect never shows a message twice.
//! - The **outbox** holds the visitor's messages the relay has not stored yet, each with the
//!   `client_id` it keeps across retries. A queued message is shown at once as "sending"; an
//!   `ack` marks it sent; the stored `event` carrying the same `client_id` replaces it.
//! - Messages queued while offline are (re)sent after the next `welcome`, with the same id: the
//!   relay de-duplicates by it.
//!
//! - A **draft** is the bot's answer while it streams (`draft` frames, not stored): one bubble
//!   after the stored messages whose text grows, replaced by the stored message that carries
//!   its `draft_id`, dropped when the connection drops (a reconnect replays the stored answer).
//!
//! Every state change that needs the outside world (the socket, localStorage, the host page)
//! comes back as an [`Effect`] for the caller to carry out.

use shared::{
    Action, Attachment, AttachmentLimits, Author, ClientFrame, ConversationEvent, EmailCapture, EmailStep, ErrorCode,
    EventBody, Message, Phase, QuickReply, Role, ServerFrame, Source, Theme, Visitor, MAX_FRAME_BYTES,
    MAX_MESSAGE_CHARS, PROTOCOL_VERSION,
};

use crate::i18n::{self, fill, Lang, Texts};

/// The bot name shown until the relay's `welcome` tells the real one.
pub const DEFAULT_BOT_NAME: &str = "Baton";

/// The state of the link to the relay, as the visitor sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// A socket is being opened, or it is open and the handshake is not done yet.
    Connecting,
    /// Welcomed by the relay: messages go out at once.
    Online,
    /// No socket: not connected yet (the socket opens lazily), or a reconnect is scheduled,
    /// or the error is fatal.
    Offline,
}

impl Connection {
    pub fn as_str(self) -> &'static str {
        match self {
            Connection::Connecting => "connecting",
            Connection::Online => "online",
            Connection::Offline => "offline",
        }
    }
}

/// Where an outbox message stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Not acknowledged yet (possibly not even sent: offline).
    Sending,
    /// Acknowledged as event `seq`; the event itself has not arrived yet.
    Sent(u64),
    /// The relay refused it, for this reason; the visitor may retry.
    Failed(ErrorCode),
}

impl Delivery {
    pub fn as_str(&self) -> &'static str {
        match self {
            Delivery::Sending => "sending",
            Delivery::Sent(_) => "sent",
            Delivery::Failed(_) => "failed",
        }
    }
}

/// A visitor message the relay has not stored (as far as this page knows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub client_id: String,
    pub text: String,
    /// Files uploaded already, sent by id with the text.
    pub files: Vec<Attachment>,
    pub delivery: Delivery,
}

impl Pending {
    fn frame(&self) -> ClientFrame {
        let attachments = self.files.iter().map(|f| f.id.clone()).collect();
        ClientFrame::Send { client_id: self.client_id.clone(), text: self.text.clone(), attachments }
    }
}

/// The visitor's place in the queue while waiting for an agent (`queue` frames).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueuePlace {
    pub position: u32,
    pub wait_seconds: u64,
}

/// Why the email prompt is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailPrompt {
    /// The relay asked (`ask_email`): before a handover, or when nobody is available.
    Asked(EmailStep),
    /// The visitor chose to change the email given.
    Editing,
}

/// Why the email typed was not saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailError {
    /// Not an address (`shared::email::check`, here or at the relay).
    Invalid,
    /// The chat is offline; nothing was sent.
    Offline,
}

/// The summary passed on at a handover (`summary` frames), for the visitor to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub text: String,
    /// The contact form it is meant for (a site whose helpdesk is a link).
    pub link: Option<String>,
}

/// A stored message event.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub seq: u64,
    pub at: i64,
    pub message: Message,
}

/// The bot's answer while it is written.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub id: String,
    pub author: Author,
    pub text: String,
}

/// One bubble of the message list, in display order: stored messages by `seq`, then the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct Bubble {
    /// Stable list key: `s<seq>` for stored messages, `c<client_id>` for pending ones. It
    /// includes the delivery state so a keyed list redraws a bubble whose state changed.
    pub key: String,
    pub seq: Option<u64>,
    pub at: Option<i64>,
    pub role: Role,
    pub name: Option<String>,
    pub text: String,
    pub client_id: Option<String>,
    /// Only on the newest message, and only while the visitor has not written after it.
    pub quick_replies: Vec<QuickReply>,
    pub source: Option<Source>,
    pub attachments: Vec<Attachment>,
    /// `None` for stored messages.
    pub delivery: Option<Delivery>,
    /// False when the previous bubble has the same author: a run of messages shows the
    /// author's name once.
    pub first_of_run: bool,
    /// The bot's answer still being written.
    pub draft: bool,
}

/// What the caller must do after a state change.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Keep the resume token (localStorage).
    SaveToken(String),
    /// Send this frame on the socket.
    Send(ClientFrame),
    /// A message event was applied for the first time on this page. `history` is true when it
    /// was already stored at the time of the handshake (a replay), false for a live one.
    NewMessage { stored: Stored, history: bool },
    /// A `phase` event was applied for the first time on this page.
    PhaseChanged { phase: Phase, agent_name: Option<String>, history: bool },
    /// The relay started a new conversation: the shown history was dropped.
    Cleared,
    /// The relay refused this client for good (version or site): stop reconnecting.
    Fatal(ErrorCode),
    /// Something worth a console line.
    Log(String),
}

/// Why a message could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    Empty,
    TooLong,
    /// The frame would exceed [`MAX_FRAME_BYTES`] (many characters that JSON escapes).
    FrameTooLarge,
    /// The chat is unavailable (fatal error).
    Unavailable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChatState {
    pub conversation_id: Option<String>,
    pub bot_name: String,
    /// The highest sequence number applied.
    pub last_seq: u64,
    /// The relay's newest `seq` at the last handshake: events up to it are history.
    pub history_seq: u64,
    /// Stored messages, ascending by `seq`.
    pub messages: Vec<Stored>,
    /// Unstored visitor messages, in the order they were written.
    pub outbox: Vec<Pending>,
    /// Who is typing right now, if anyone.
    pub typing: Option<Author>,
    /// The bot's answer while it streams.
    pub draft: Option<Draft>,
    pub connection: Connection,
    /// Set when the relay refused this client for good; its text is shown instead of the status
    /// line ([`fatal_text`]).
    pub fatal: Option<ErrorCode>,
    /// What the host page said about the visitor (`Baton.identify`).
    pub visitor: Option<Visitor>,
    /// The label of the always-reachable "Talk to a person" button, from `welcome`.
    pub handover_button: Option<String>,
    /// Who owns the conversation (from `phase` events).
    pub phase: Phase,
    /// The agent's name while one chats, or just ended the chat.
    pub agent_name: Option<String>,
    /// The visitor's place in the queue; shown while `phase` is `Waiting`.
    pub queue: Option<QueuePlace>,
    /// The language the widget speaks ([`ChatState::languages`]'s first it has texts for).
    pub lang: Lang,
    /// The page's `<html lang>` and the browser's languages, best first.
    pub detected_languages: Vec<String>,
    /// What the page chose (`Baton.setLanguage`, `data-language`).
    pub chosen_language: Option<String>,
    /// The site's language, from `welcome`.
    pub site_language: Option<String>,
    /// The site's look, from `welcome`.
    pub site_theme: Theme,
    /// The site asks for the visitor's email (`welcome`), with its consent wording if any.
    pub email_capture: Option<EmailCapture>,
    /// The visitor's email the conversation has (`welcome`, `email_saved`).
    pub email: Option<String>,
    /// The email prompt, while open.
    pub email_prompt: Option<EmailPrompt>,
    /// Why the email typed last was not saved.
    pub email_error: Option<EmailError>,
    /// The summary passed on at the handover.
    pub summary: Option<Summary>,
    /// The relay can email the transcript (`welcome`).
    pub transcript_email: bool,
    /// The files the site takes (`welcome`); `None`: none, the widget offers no paperclip.
    pub attachments: Option<AttachmentLimits>,
    /// The languages the relay was last told of (in `hello` or a `language` frame).
    sent_languages: Option<Vec<String>>,
    welcomed: bool,
    /// `visitor` changed and the relay has not been told yet.
    visitor_unsent: bool,
}

impl Default for ChatState {
    fn default() -> Self {
        Self::new()
    }
}

impl ChatState {
    pub fn new() -> Self {
        Self {
            conversation_id: None,
            bot_name: DEFAULT_BOT_NAME.to_string(),
            last_seq: 0,
            history_seq: 0,
            messages: Vec::new(),
            outbox: Vec::new(),
            typing: None,
            draft: None,
            connection: Connection::Offline,
            fatal: None,
            visitor: None,
            handover_button: None,
            phase: Phase::Bot,
            agent_name: None,
            queue: None,
            lang: Lang::En,
            detected_languages: Vec::new(),
            chosen_language: None,
            site_language: None,
            site_theme: Theme::default(),
            email_capture: None,
            email: None,
            email_prompt: None,
            email_error: None,
            summary: None,
            transcript_email: false,
            attachments: None,
            sent_languages: None,
            welcomed: false,
            visitor_unsent: false,
        }
    }

    /// The widget's texts in its language.
    pub fn texts(&self) -> &'static Texts {
        self.lang.texts()
    }

    /// A chat with a person is over (ended, or back with the bot): the widget offers the
    /// transcript, and to email it when the relay can (`transcript_email`) and has an email.
    pub fn after_chat(&self) -> Option<Option<String>> {
        let had_agent = self.messages.iter().any(|m| m.message.author.role == Role::Agent);
        let over = had_agent && matches!(self.phase, Phase::Ended | Phase::Bot);
        over.then(|| self.email.clone().filter(|_| self.transcript_email))
    }

    /// The visitor's languages, best first ([`i18n::preferences`]).
    pub fn languages(&self) -> Vec<String> {
        i18n::preferences(
            self.chosen_language.as_deref(),
            self.site_language.as_deref(),
            None,
            &self.detected_languages,
        )
    }

    /// Sets what the page and browser say (at boot) or what the page chose (`None` keeps the
    /// choice). Returns the frame that tells the relay, when online and the list changed.
    pub fn set_languages(&mut self, detected: Option<Vec<String>>, chosen: Option<String>) -> Option<ClientFrame> {
        if let Some(detected) = detected {
            self.detected_languages = detected;
        }
        if chosen.is_some() {
            self.chosen_language = chosen;
        }
        self.languages_changed()
    }

    /// Recomputes the language; the frame for the relay if it must hear of a change.
    fn languages_changed(&mut self) -> Option<ClientFrame> {
        let languages = self.languages();
        self.lang = Lang::pick(&languages);
        // Before the welcome, the next hello carries the list; `None`: no hello on record.
        if !self.welcomed || self.sent_languages.as_ref().is_none_or(|sent| *sent == languages) {
            return None;
        }
        self.sent_languages = Some(languages.clone());
        Some(ClientFrame::Language { languages })
    }

    /// True between a `welcome` and the end of that connection.
    #[cfg(test)]
    pub fn is_welcomed(&self) -> bool {
        self.welcomed
    }

    /// The `hello` frame for a new connection. `last_seq` is only meaningful together with a
    /// resume token, so it is 0 without one.
    pub fn hello(&mut self, site: &str, resume: Option<String>) -> ClientFrame {
        let last_seq = if resume.is_some() { self.last_seq } else { 0 };
        self.visitor_unsent = false;
        let languages = self.languages();
        self.sent_languages = Some(languages.clone());
        ClientFrame::Hello {
            v: PROTOCOL_VERSION,
            site: site.to_string(),
            resume,
            last_seq,
            visitor: self.visitor.clone(),
            languages,
        }
    }

    /// The socket layer reports a state. `Online` is only reached through `welcome`.
    pub fn set_connection(&mut self, connection: Connection) {
        if connection != Connection::Online {
            self.welcomed = false;
            self.typing = None;
            // Its stored answer, if it was completed, comes with the replay.
            self.draft = None;
        }
        self.connection = connection;
    }

    /// Marks the chat as unavailable for good.
    pub fn set_fatal(&mut self, code: ErrorCode) {
        self.fatal = Some(code);
        self.set_connection(Connection::Offline);
    }

    /// Queues a visitor message. Returns the frame to send now, or `None` when offline (it goes
    /// out after the next `welcome`).
    #[cfg(test)]
    pub fn enqueue(&mut self, client_id: String, text: &str) -> Result<Option<ClientFrame>, SendError> {
        self.enqueue_files(client_id, text, Vec::new())
    }

    /// Queues a visitor message carrying `files` (uploaded already); with files the text may be
    /// empty.
    pub fn enqueue_files(
        &mut self,
        client_id: String,
        text: &str,
        files: Vec<Attachment>,
    ) -> Result<Option<ClientFrame>, SendError> {
        if self.fatal.is_some() {
            return Err(SendError::Unavailable);
        }
        let text = text.trim();
        if text.is_empty() && files.is_empty() {
            return Err(SendError::Empty);
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return Err(SendError::TooLong);
        }
        let pending = Pending { client_id, text: text.to_string(), files, delivery: Delivery::Sending };
        let frame = pending.frame();
        if crate::ws::encode::encode(&frame).len() > MAX_FRAME_BYTES {
            return Err(SendError::FrameTooLarge);
        }
        self.outbox.push(pending);
        // Writing instead passes the unavailable step's prompt over; the relay does not ask again.
        if self.email_prompt == Some(EmailPrompt::Asked(EmailStep::Unavailable)) {
            self.email_prompt = None;
        }
        Ok(self.welcomed.then_some(frame))
    }

    /// Puts a failed message back to "sending". Returns the frame to send now, if online.
    pub fn retry(&mut self, client_id: &str) -> Option<ClientFrame> {
        let welcomed = self.welcomed;
        let pending = self.outbox.iter_mut().find(|p| p.client_id == client_id)?;
        if !matches!(pending.delivery, Delivery::Failed(_)) {
            return None;
        }
        pending.delivery = Delivery::Sending;
        welcomed.then(|| pending.frame())
    }

    /// The host page identified the visitor. Returns the frame to send now, if online;
    /// otherwise the visitor goes with the next `hello` (or right after the next `welcome`).
    /// A usable email shows at once (the email line, the transcript's mail), and closes the
    /// prompt that holds a handover: the relay goes on with it.
    pub fn identify(&mut self, visitor: Visitor) -> Option<ClientFrame> {
        if visitor.email.is_none() && visitor.name.is_none() && visitor.user_id.is_none() {
            return None;
        }
        if self.visitor.as_ref() == Some(&visitor) {
            return None;
        }
        if let Some(email) = page_email(&visitor) {
            self.email = Some(email);
            if self.email_prompt == Some(EmailPrompt::Asked(EmailStep::BeforeHandover)) {
                self.email_prompt = None;
            }
        }
        self.visitor = Some(visitor.clone());
        if self.welcomed {
            self.visitor_unsent = false;
            Some(ClientFrame::Identify(visitor))
        } else {
            self.visitor_unsent = true;
            None
        }
    }

    /// The visitor submitted the email prompt: the frame to send, or `None` with
    /// [`ChatState::email_error`] set (not an address, or offline).
    pub fn submit_email(&mut self, text: &str) -> Option<ClientFrame> {
        let Ok(email) = shared::email::check(text) else {
            self.email_error = Some(EmailError::Invalid);
            return None;
        };
        if !self.welcomed {
            self.email_error = Some(EmailError::Offline);
            return None;
        }
        self.email_error = None;
        Some(ClientFrame::Email { email })
    }

    /// The visitor closed the prompt ("No, thanks"): when the relay asked, it is told (before
    /// a handover it goes on without an email; a reconnect does not ask again); a change of
    /// the email just closes.
    pub fn dismiss_email(&mut self) -> Option<ClientFrame> {
        let prompt = self.email_prompt.take();
        self.email_error = None;
        let asked = matches!(prompt, Some(EmailPrompt::Asked(_)));
        (asked && self.welcomed).then_some(ClientFrame::SkipEmail)
    }

    /// The visitor wants to change the email given.
    pub fn edit_email(&mut self) {
        self.email_prompt = Some(EmailPrompt::Editing);
        self.email_error = None;
    }

    /// The prompt's consent wording: the site's, else the widget's own.
    pub fn email_consent(&self) -> String {
        let site = self.email_capture.as_ref().and_then(|c| c.consent.as_deref()).filter(|c| !c.trim().is_empty());
        site.unwrap_or(self.texts().email_consent).to_string()
    }

    /// The frame for a quick reply's action or the handover buttons; `None` when offline
    /// (the buttons are disabled then).
    pub fn action(&self, action: Action) -> Option<ClientFrame> {
        let frame = match action {
            Action::RequestHandover => ClientFrame::RequestHandover,
            Action::CancelHandover => ClientFrame::CancelHandover,
            Action::Rate { score } => ClientFrame::Rate { score },
            // A link is opened by the page itself (an anchor), never sent.
            Action::OpenUrl { .. } => return None,
        };
        self.welcomed.then_some(frame)
    }

    /// The messages to (re)send after a `welcome`: every outbox entry not yet acknowledged
    /// and not failed, oldest first, with its original `client_id`.
    pub fn resend_list(&self) -> Vec<ClientFrame> {
        self.outbox.iter().filter(|p| p.delivery == Delivery::Sending).map(Pending::frame).collect()
    }

    /// Applies one frame from the relay.
    pub fn apply(&mut self, frame: ServerFrame) -> Vec<Effect> {
        match frame {
            ServerFrame::Welcome {
                v,
                conversation_id,
                resume_token,
                last_seq,
                bot_name,
                new_conversation,
                handover_button,
                language,
                theme,
                email_capture,
                email,
                transcript_email,
                attachments,
            } => {
                self.transcript_email = transcript_email;
                self.attachments = attachments;
                self.set_handover_button(&handover_button);
                self.site_theme = theme;
                self.site_language = language;
                self.email_capture = email_capture;
                // The page's email not yet sent (identified while offline) is the newer.
                let unsent = self.visitor.as_ref().filter(|_| self.visitor_unsent).and_then(page_email);
                self.email = unsent.or(email);
                // Asked again after the welcome if still open.
                self.email_prompt = None;
                self.summary = None;
                let mut effects = self.welcome(v, conversation_id, resume_token, last_seq, bot_name, new_conversation);
                // The site's language may change the list the hello carried.
                if let Some(frame) = self.languages_changed() {
                    effects.push(Effect::Send(frame));
                }
                effects
            }
            ServerFrame::Texts { handover_button, email_consent } => {
                self.set_handover_button(&handover_button);
                if let Some(capture) = &mut self.email_capture {
                    capture.consent = email_consent;
                }
                Vec::new()
            }
            ServerFrame::Queue { position, wait_seconds } => {
                self.queue = Some(QueuePlace { position, wait_seconds });
                Vec::new()
            }
            ServerFrame::Event(event) => self.event(event),
            ServerFrame::Ack { client_id, seq } => {
                self.ack(&client_id, seq);
                Vec::new()
            }
            ServerFrame::Error { code, message, client_id, .. } => self.error(code, message, client_id),
            ServerFrame::Typing { author, on } => {
                self.typing = on.then_some(author);
                Vec::new()
            }
            ServerFrame::Draft { draft_id, author, text } => {
                if text.is_empty() {
                    // Withdrawn: the bot handed over instead of answering.
                    self.draft = self.draft.take().filter(|d| d.id != draft_id);
                } else {
                    if self.typing.as_ref().is_some_and(|t| t.role == author.role) {
                        self.typing = None;
                    }
                    self.draft = Some(Draft { id: draft_id, author, text });
                }
                Vec::new()
            }
            ServerFrame::Pong => Vec::new(),
            ServerFrame::AskEmail { step } => {
                self.email_prompt = Some(EmailPrompt::Asked(step));
                self.email_error = None;
                Vec::new()
            }
            ServerFrame::EmailSaved { email } => {
                self.email = Some(email);
                self.email_prompt = None;
                self.email_error = None;
                Vec::new()
            }
            ServerFrame::Summary { text, link } => {
                self.summary = Some(Summary { text, link });
                Vec::new()
            }
        }
    }

    fn set_handover_button(&mut self, label: &str) {
        let label = label.trim();
        self.handover_button = (!label.is_empty()).then(|| label.to_string());
    }

    fn welcome(
        &mut self,
        v: u32,
        conversation_id: String,
        resume_token: String,
        server_last_seq: u64,
        bot_name: String,
        new_conversation: bool,
    ) -> Vec<Effect> {
        let mut effects = Vec::new();
        if v != PROTOCOL_VERSION {
            effects.push(Effect::Log(format!("relay speaks protocol v{v}, widget v{PROTOCOL_VERSION}")));
        }
        let had_history = self.last_seq > 0 || !self.messages.is_empty();
        let other_conversation = self.conversation_id.as_deref().is_some_and(|id| id != conversation_id);
        // The relay knows fewer events than we showed: its store was reset; start over too,
        // or every new event would be taken for a duplicate.
        let relay_behind = server_last_seq < self.last_seq;
        if had_history && (new_conversation || other_conversation || relay_behind) {
            self.messages.clear();
            self.last_seq = 0;
            // Acknowledged messages belonged to the old conversation; unsent ones still go out.
            self.outbox.retain(|p| !matches!(p.delivery, Delivery::Sent(_)));
            self.phase = Phase::Bot;
            self.agent_name = None;
            self.queue = None;
            effects.push(Effect::Cleared);
        }
        self.conversation_id = Some(conversation_id);
        if !bot_name.trim().is_empty() {
            self.bot_name = bot_name;
        }
        self.history_seq = server_last_seq;
        self.welcomed = true;
        self.connection = Connection::Online;
        self.fatal = None;
        effects.push(Effect::SaveToken(resume_token));
        if self.visitor_unsent {
            if let Some(visitor) = self.visitor.clone() {
                effects.push(Effect::Send(ClientFrame::Identify(visitor)));
            }
            self.visitor_unsent = false;
        }
        effects.extend(self.resend_list().into_iter().map(Effect::Send));
        effects
    }

    fn event(&mut self, event: ConversationEvent) -> Vec<Effect> {
        if event.seq <= self.last_seq {
            return Vec::new();
        }
        self.last_seq = event.seq;
        let history = event.seq <= self.history_seq;
        match event.body {
            EventBody::Message(message) => {
                if message.author.role == Role::Visitor {
                    if let Some(id) = &message.client_id {
                        self.outbox.retain(|p| &p.client_id != id);
                    }
                }
                if self.typing.as_ref().is_some_and(|t| t.role == message.author.role) {
                    self.typing = None;
                }
                if message.draft_id.is_some() && self.draft.as_ref().map(|d| &d.id) == message.draft_id.as_ref() {
                    self.draft = None;
                }
                let stored = Stored { seq: event.seq, at: event.at, message };
                // Sequence numbers only grow, so this is a push; stay ordered regardless.
                let at = self.messages.partition_point(|m| m.seq < stored.seq);
                self.messages.insert(at, stored.clone());
                vec![Effect::NewMessage { history, stored }]
            }
            EventBody::Phase(change) => {
                self.phase = change.phase;
                self.agent_name = match change.phase {
                    Phase::Agent | Phase::Ended => change.agent_name.or(self.agent_name.take()),
                    Phase::Bot | Phase::Waiting => None,
                };
                if change.phase != Phase::Waiting {
                    self.queue = None;
                }
                // The handover went on (the visitor wrote instead of answering the prompt), or
                // the conversation is back with the bot: the prompt and summary of it are done.
                if change.phase != Phase::Bot
                    && self.email_prompt == Some(EmailPrompt::Asked(EmailStep::BeforeHandover))
                {
                    self.email_prompt = None;
                }
                if change.phase == Phase::Bot && self.summary.as_ref().is_some_and(|s| s.link.is_none()) {
                    self.summary = None;
                }
                if change.phase != Phase::Agent && self.typing.as_ref().is_some_and(|t| t.role == Role::Agent) {
                    self.typing = None;
                }
                vec![Effect::PhaseChanged { phase: change.phase, agent_name: self.agent_name.clone(), history }]
            }
            // The relay thanks the visitor with a message of its own; nothing to show here.
            EventBody::Rating { .. } => Vec::new(),
        }
    }

    fn ack(&mut self, client_id: &str, seq: u64) {
        let Some(index) = self.outbox.iter().position(|p| p.client_id == client_id) else {
            return;
        };
        if seq <= self.last_seq {
            // The stored event is already shown.
            self.outbox.remove(index);
        } else {
            self.outbox[index].delivery = Delivery::Sent(seq);
        }
    }

    fn error(&mut self, code: ErrorCode, message: String, client_id: Option<String>) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Some(id) = client_id {
            if let Some(p) = self.outbox.iter_mut().find(|p| p.client_id == id) {
                p.delivery = Delivery::Failed(code);
            }
        }
        if code == ErrorCode::InvalidEmail {
            self.email_error = Some(EmailError::Invalid);
        }
        // The relay's message names the problem; the code's `Debug` is empty in the release
        // widget (`-Zfmt-debug=none`, scripts/tools.sh `build_widget`).
        effects.push(Effect::Log(format!("relay error: {message}")));
        if matches!(code, ErrorCode::UnsupportedVersion | ErrorCode::UnknownSite | ErrorCode::OriginNotAllowed) {
            self.set_fatal(code);
            effects.push(Effect::Fatal(code));
        }
        effects
    }

    /// The message list as shown: stored messages, then the outbox.
    pub fn bubbles(&self) -> Vec<Bubble> {
        let mut out = Vec::with_capacity(self.messages.len() + self.outbox.len());
        let last = self.messages.len().checked_sub(1);
        for (i, m) in self.messages.iter().enumerate() {
            let show_replies = Some(i) == last && self.outbox.is_empty();
            out.push(Bubble {
                // Refined below: a keyed list only redraws a bubble whose key changed.
                key: format!("s{}{}", m.seq, if show_replies { "r" } else { "" }),
                seq: Some(m.seq),
                at: Some(m.at),
                role: m.message.author.role,
                name: m.message.author.name.clone(),
                text: m.message.text.clone(),
                client_id: m.message.client_id.clone(),
                quick_replies: if show_replies { m.message.quick_replies.clone() } else { Vec::new() },
                source: m.message.source.clone(),
                attachments: m.message.attachments.clone(),
                delivery: None,
                first_of_run: true,
                draft: false,
            });
        }
        if let Some(d) = &self.draft {
            out.push(Bubble {
                // The length in the key redraws the bubble as the text grows.
                key: format!("d{}:{}", d.id, d.text.len()),
                seq: None,
                at: None,
                role: d.author.role,
                name: d.author.name.clone(),
                text: d.text.clone(),
                client_id: None,
                quick_replies: Vec::new(),
                source: None,
                attachments: Vec::new(),
                delivery: None,
                first_of_run: true,
                draft: true,
            });
        }
        for p in &self.outbox {
            out.push(Bubble {
                key: format!("c{}:{}", p.client_id, p.delivery.as_str()),
                seq: None,
                at: None,
                role: Role::Visitor,
                name: None,
                text: p.text.clone(),
                client_id: Some(p.client_id.clone()),
                quick_replies: Vec::new(),
                source: None,
                attachments: p.files.clone(),
                delivery: Some(p.delivery.clone()),
                first_of_run: true,
                draft: false,
            });
        }
        for i in 1..out.len() {
            let same = out[i - 1].role == out[i].role && out[i - 1].name == out[i].name;
            out[i].first_of_run = !same;
            if same {
                out[i].key.push_str(":cont");
            }
        }
        out
    }

    /// The header title: the agent while one chats, else the bot.
    pub fn title(&self) -> String {
        match (&self.agent_name, self.phase) {
            (Some(agent), Phase::Agent) => agent.clone(),
            _ => self.bot_name.clone(),
        }
    }

    /// The "Talk to a person" label, while asking for one makes sense (the bot answers).
    pub fn handover_label(&self) -> Option<&str> {
        match self.phase {
            Phase::Bot | Phase::Ended => self.handover_button.as_deref(),
            Phase::Waiting | Phase::Agent => None,
        }
    }

    /// The waiting line while a person is being fetched, with the queue place when known.
    pub fn waiting_text(&self) -> Option<String> {
        if self.phase != Phase::Waiting {
            return None;
        }
        let t = self.texts();
        let Some(place) = self.queue else {
            return Some(t.waiting.to_string());
        };
        let wait = match place.wait_seconds {
            0..=59 => t.under_a_minute.to_string(),
            s => fill(t.about_minutes, "n", &s.div_ceil(60).to_string()),
        };
        Some(if place.position <= 1 {
            fill(t.next_in_line, "wait", &wait)
        } else {
            fill(&fill(t.place_in_line, "n", &place.position.to_string()), "wait", &wait)
        })
    }

    /// The label of the cancel button while waiting: the site's configured quick reply text,
    /// taken from the newest message that offers the cancel action.
    pub fn cancel_label(&self) -> String {
        self.messages
            .iter()
            .rev()
            .flat_map(|m| m.message.quick_replies.iter())
            .find(|r| r.action == Some(shared::Action::CancelHandover))
            .map_or_else(|| self.texts().cancel.to_string(), |r| r.title.clone())
    }

    /// The "… is typing" line, if someone is.
    pub fn typing_text(&self) -> Option<String> {
        let author = self.typing.as_ref()?;
        let name = match (&author.name, author.role) {
            (Some(name), _) if !name.trim().is_empty() => name.clone(),
            (_, Role::Bot) => self.bot_name.clone(),
            (_, Role::Agent) => self.texts().an_agent.to_string(),
            _ => return None,
        };
        Some(fill(self.texts().typing, "name", &name))
    }
}

/// The text under a message the relay refused.
pub fn failure_text(t: &Texts, code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::RateLimited => t.rate_limited,
        ErrorCode::InvalidMessage | ErrorCode::FrameTooLarge | ErrorCode::BadFrame => t.not_sent,
        _ => t.not_delivered,
    }
}

/// The text shown when the chat is unavailable for good.
pub fn fatal_text(t: &Texts, code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::UnsupportedVersion => t.reload,
        ErrorCode::UnknownSite | ErrorCode::OriginNotAllowed => t.site_unavailable,
        _ => t.chat_unavailable,
    }
}

/// The email of the page's `Baton.identify`, when it is one the relay keeps.
fn page_email(visitor: &Visitor) -> Option<String> {
    visitor.email.as_deref().and_then(|email| shared::email::check(email).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::EN;
    use shared::Message;

    fn welcome(conv: &str, last_seq: u64, new_conversation: bool) -> ServerFrame {
        ServerFrame::Welcome {
            v: PROTOCOL_VERSION,
            conversation_id: conv.into(),
            resume_token: format!("tok-{conv}"),
            last_seq,
            bot_name: "Baton".into(),
            new_conversation,
            handover_button: "Talk to a person".into(),
            language: None,
            theme: Theme::default(),
            email_capture: None,
            email: None,
            transcript_email: false,
            attachments: None,
        }
    }

    fn phase(seq: u64, phase: Phase, agent: Option<&str>) -> ServerFrame {
        ServerFrame::Event(ConversationEvent {
            seq,
            at: 0,
            body: EventBody::Phase(shared::PhaseChange { phase, agent_name: agent.map(Into::into), reason: None }),
        })
    }

    fn msg(seq: u64, author: Author, text: &str, client_id: Option<&str>) -> ServerFrame {
        ServerFrame::Event(ConversationEvent {
            seq,
            at: 1_700_000_000_000 + seq as i64,
            body: EventBody::Message(Message {
                author,
                text: text.into(),
                client_id: client_id.map(Into::into),
                quick_replies: Vec::new(),
                source: None,
                draft_id: None,
                attachments: Vec::new(),
            }),
        })
    }

    fn bot(seq: u64, text: &str) -> ServerFrame {
        msg(seq, Author::bot("Baton"), text, None)
    }

    fn send(id: &str, text: &str) -> ClientFrame {
        ClientFrame::Send { client_id: id.into(), text: text.into(), attachments: vec![] }
    }

    fn online() -> ChatState {
        let mut s = ChatState::new();
        s.apply(welcome("c1", 0, true));
        s
    }

    fn texts(s: &ChatState) -> Vec<String> {
        s.bubbles().into_iter().map(|b| b.text).collect()
    }

    #[test]
    fn welcome_goes_online_and_saves_the_token() {
        let mut s = ChatState::new();
        assert_eq!(s.connection, Connection::Offline);
        s.set_connection(Connection::Connecting);
        let fx = s.apply(welcome("c1", 0, true));
        assert_eq!(fx, vec![Effect::SaveToken("tok-c1".into())]);
        assert_eq!(s.connection, Connection::Online);
        assert!(s.is_welcomed());
        assert_eq!(s.conversation_id.as_deref(), Some("c1"));
    }

    #[test]
    fn events_apply_in_order_and_duplicates_are_ignored() {
        let mut s = online();
        assert_eq!(s.apply(bot(1, "hi")).len(), 1);
        assert_eq!(s.apply(bot(2, "there")).len(), 1);
        assert!(s.apply(bot(2, "there again")).is_empty());
        assert!(s.apply(bot(1, "hi again")).is_empty());
        assert_eq!(texts(&s), ["hi", "there"]);
        assert_eq!(s.last_seq, 2);
    }

    #[test]
    fn replay_after_reconnect_shows_nothing_twice() {
        let mut s = online();
        s.apply(bot(1, "a"));
        s.apply(bot(2, "b"));
        s.set_connection(Connection::Offline);
        let hello = s.hello("demo", Some("tok-c1".into()));
        assert!(matches!(hello, ClientFrame::Hello { last_seq: 2, .. }));
        s.apply(welcome("c1", 3, false));
        // A relay that replays more than asked must not duplicate.
        s.apply(bot(2, "b"));
        let fx = s.apply(bot(3, "c"));
        assert_eq!(texts(&s), ["a", "b", "c"]);
        assert!(matches!(&fx[..], [Effect::NewMessage { history: true, .. }]));
        let fx = s.apply(bot(4, "d"));
        assert!(matches!(&fx[..], [Effect::NewMessage { history: false, .. }]));
    }

    #[test]
    fn hello_without_token_asks_from_zero_and_carries_the_visitor() {
        let mut s = ChatState::new();
        s.last_seq = 9;
        s.identify(Visitor { email: Some("a@b.c".into()), ..Visitor::default() });
        match s.hello("demo", None) {
            ClientFrame::Hello { v, site, resume, last_seq, visitor, .. } => {
                assert_eq!(v, PROTOCOL_VERSION);
                assert_eq!(site, "demo");
                assert_eq!(resume, None);
                assert_eq!(last_seq, 0);
                assert_eq!(visitor.and_then(|v| v.email).as_deref(), Some("a@b.c"));
            }
            other => panic!("{other:?}"),
        }
        // The visitor went with the hello: not repeated after welcome.
        let fx = s.apply(welcome("c1", 0, true));
        assert!(!fx.iter().any(|e| matches!(e, Effect::Send(ClientFrame::Identify(_)))));
    }

    #[test]
    fn sending_online_shows_pending_then_ack_then_event_replaces_it() {
        let mut s = online();
        let frame = s.enqueue("id-1".into(), "  hello  ").unwrap();
        assert_eq!(frame, Some(send("id-1", "hello")));
        let b = s.bubbles();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].delivery, Some(Delivery::Sending));
        assert_eq!(b[0].role, Role::Visitor);

        s.apply(ServerFrame::Ack { client_id: "id-1".into(), seq: 1 });
        assert_eq!(s.bubbles()[0].delivery, Some(Delivery::Sent(1)));

        s.apply(msg(1, Author::visitor(), "hello", Some("id-1")));
        let b = s.bubbles();
        assert_eq!(b.len(), 1, "never shown twice: {b:?}");
        assert_eq!(b[0].seq, Some(1));
        assert_eq!(b[0].delivery, None);
        assert!(s.outbox.is_empty());
    }

    #[test]
    fn event_before_ack_also_replaces_and_late_ack_is_harmless() {
        let mut s = online();
        s.enqueue("id-1".into(), "hello").unwrap();
        s.apply(msg(1, Author::visitor(), "hello", Some("id-1")));
        s.apply(ServerFrame::Ack { client_id: "id-1".into(), seq: 1 });
        assert_eq!(texts(&s), ["hello"]);
        assert!(s.outbox.is_empty());
    }

    #[test]
    fn ack_for_an_already_applied_seq_drops_the_pending_bubble() {
        let mut s = online();
        s.enqueue("id-1".into(), "hello").unwrap();
        // An event without client_id (unexpected) followed by the ack for it.
        s.apply(msg(1, Author::visitor(), "hello", None));
        s.apply(ServerFrame::Ack { client_id: "id-1".into(), seq: 1 });
        assert_eq!(texts(&s), ["hello"]);
    }

    #[test]
    fn offline_messages_wait_and_go_after_welcome_with_the_same_id() {
        let mut s = online();
        s.set_connection(Connection::Offline);
        assert_eq!(s.enqueue("id-1".into(), "one").unwrap(), None);
        assert_eq!(s.enqueue("id-2".into(), "two").unwrap(), None);
        assert_eq!(s.bubbles().len(), 2);
        s.set_connection(Connection::Connecting);
        let fx = s.apply(welcome("c1", 0, false));
        assert_eq!(
            fx,
            vec![
                Effect::SaveToken("tok-c1".into()),
                Effect::Send(send("id-1", "one")),
                Effect::Send(send("id-2", "two")),
            ]
        );
    }

    #[test]
    fn unacked_messages_are_resent_after_a_drop_but_acked_ones_are_not() {
        let mut s = online();
        s.enqueue("id-1".into(), "one").unwrap();
        s.enqueue("id-2".into(), "two").unwrap();
        s.apply(ServerFrame::Ack { client_id: "id-1".into(), seq: 1 });
        s.set_connection(Connection::Offline);
        assert_eq!(s.resend_list(), vec![send("id-2", "two")]);
        let fx = s.apply(welcome("c1", 2, false));
        assert!(fx.contains(&Effect::Send(send("id-2", "two"))));
        assert!(!fx.contains(&Effect::Send(send("id-1", "one"))));
        // The replay delivers both; each replaces its pending bubble.
        s.apply(msg(1, Author::visitor(), "one", Some("id-1")));
        s.apply(msg(2, Author::visitor(), "two", Some("id-2")));
        s.apply(ServerFrame::Ack { client_id: "id-2".into(), seq: 2 });
        assert_eq!(texts(&s), ["one", "two"]);
        assert!(s.outbox.is_empty());
    }

    #[test]
    fn enqueue_validates_text() {
        let mut s = online();
        assert_eq!(s.enqueue("a".into(), "   \n "), Err(SendError::Empty));
        let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(s.enqueue("b".into(), &long), Err(SendError::TooLong));
        let max = "é".repeat(MAX_MESSAGE_CHARS);
        assert!(s.enqueue("c".into(), &max).is_ok());
        let escaped = "\u{1}".repeat(MAX_MESSAGE_CHARS);
        assert_eq!(s.enqueue("d".into(), &escaped), Err(SendError::FrameTooLarge));
        assert_eq!(s.outbox.len(), 1);
    }

    #[test]
    fn error_with_client_id_fails_the_message_and_retry_resends_it() {
        let mut s = online();
        s.enqueue("id-1".into(), "hello").unwrap();
        let fx = s.apply(ServerFrame::Error {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
            client_id: Some("id-1".into()),
            retry_after: Some(1),
        });
        assert!(matches!(&fx[..], [Effect::Log(_)]));
        assert!(matches!(s.bubbles()[0].delivery, Some(Delivery::Failed(_))));
        // Failed messages are not resent automatically.
        assert!(s.resend_list().is_empty());
        assert_eq!(s.retry("id-1"), Some(send("id-1", "hello")));
        assert_eq!(s.bubbles()[0].delivery, Some(Delivery::Sending));
        assert_eq!(s.retry("id-1"), None, "only failed messages are retried");
    }

    #[test]
    fn error_without_client_id_only_logs() {
        let mut s = online();
        s.enqueue("id-1".into(), "hello").unwrap();
        let fx = s.apply(ServerFrame::Error {
            code: ErrorCode::BadFrame,
            message: "?".into(),
            client_id: None,
            retry_after: None,
        });
        assert!(matches!(&fx[..], [Effect::Log(_)]));
        assert_eq!(s.bubbles()[0].delivery, Some(Delivery::Sending));
    }

    #[test]
    fn unknown_site_is_fatal() {
        let mut s = ChatState::new();
        let fx = s.apply(ServerFrame::Error {
            code: ErrorCode::UnknownSite,
            message: "no".into(),
            client_id: None,
            retry_after: None,
        });
        assert!(fx.contains(&Effect::Fatal(ErrorCode::UnknownSite)));
        assert!(s.fatal.is_some());
        assert_eq!(s.connection, Connection::Offline);
        assert_eq!(s.enqueue("x".into(), "hi"), Err(SendError::Unavailable));
    }

    #[test]
    fn new_conversation_clears_the_old_history_but_keeps_unsent_messages() {
        let mut s = online();
        s.apply(bot(1, "old"));
        s.set_connection(Connection::Offline);
        s.enqueue("id-1".into(), "still mine").unwrap();
        let fx = s.apply(welcome("c2", 0, true));
        assert_eq!(fx[0], Effect::Cleared);
        assert!(fx.contains(&Effect::Send(send("id-1", "still mine"))));
        assert_eq!(s.last_seq, 0);
        assert_eq!(texts(&s), ["still mine"]);
        // The new conversation's events start from 1 again and are applied.
        s.apply(bot(1, "new"));
        assert_eq!(texts(&s), ["new", "still mine"]);
    }

    #[test]
    fn a_relay_that_forgot_events_resets_the_list() {
        let mut s = online();
        s.apply(bot(1, "a"));
        s.apply(bot(2, "b"));
        s.set_connection(Connection::Offline);
        let fx = s.apply(welcome("c1", 0, false));
        assert_eq!(fx[0], Effect::Cleared);
        s.apply(bot(1, "fresh"));
        assert_eq!(texts(&s), ["fresh"]);
    }

    #[test]
    fn same_conversation_welcome_keeps_history() {
        let mut s = online();
        s.apply(bot(1, "a"));
        s.set_connection(Connection::Offline);
        let fx = s.apply(welcome("c1", 1, false));
        assert!(!fx.contains(&Effect::Cleared));
        assert_eq!(texts(&s), ["a"]);
    }

    #[test]
    fn identify_is_sent_now_when_online_or_after_the_next_welcome() {
        let mut s = online();
        let v = Visitor { email: Some("a@b.c".into()), name: Some("Ann".into()), ..Visitor::default() };
        assert_eq!(s.identify(v.clone()), Some(ClientFrame::Identify(v.clone())));
        assert_eq!(s.identify(v.clone()), None, "unchanged: not sent again");
        assert_eq!(s.identify(Visitor::default()), None);
        let signed = Visitor { user_id: Some("42".into()), user_hash: Some("ab".into()), ..Visitor::default() };
        assert_eq!(s.identify(signed.clone()), Some(ClientFrame::Identify(signed)), "a user id alone identifies");

        let mut s = ChatState::new();
        // Hello already went out without the visitor, then identify arrives before welcome.
        s.hello("demo", None);
        assert_eq!(s.identify(v.clone()), None);
        let fx = s.apply(welcome("c1", 0, true));
        assert!(fx.contains(&Effect::Send(ClientFrame::Identify(v))));
        assert_eq!(s.email.as_deref(), Some("a@b.c"), "the welcome knew no email yet: the page's shows");
    }

    #[test]
    fn an_identified_email_shows_at_once_and_lets_a_held_handover_go_on() {
        let mut s = online();
        s.apply(ServerFrame::AskEmail { step: EmailStep::BeforeHandover });
        let named = Visitor { name: Some("Ada".into()), ..Visitor::default() };
        assert!(s.identify(named).is_some());
        assert_eq!((s.email.as_deref(), s.email_prompt.is_some()), (None, true), "a name alone changes neither");
        let ada = Visitor { email: Some(" ada@Example.COM ".into()), ..Visitor::default() };
        assert_eq!(s.identify(ada.clone()), Some(ClientFrame::Identify(ada)));
        assert_eq!(s.email.as_deref(), Some("ada@example.com"));
        assert_eq!(s.email_prompt, None, "the relay goes on with the page's email");
        // The prompt for a follow-up stays (the visitor consents to it), its field prefilled.
        s.apply(ServerFrame::AskEmail { step: EmailStep::Unavailable });
        assert!(s.identify(Visitor { email: Some("grace@example.com".into()), ..Visitor::default() }).is_some());
        assert_eq!(s.email_prompt, Some(EmailPrompt::Asked(EmailStep::Unavailable)));
        assert_eq!(s.email.as_deref(), Some("grace@example.com"));
        // Not an address the relay keeps: not shown.
        assert!(s.identify(Visitor { email: Some("a@b".into()), ..Visitor::default() }).is_some());
        assert_eq!(s.email.as_deref(), Some("grace@example.com"));
    }

    #[test]
    fn typing_indicator_follows_frames_and_clears_on_message_or_drop() {
        let mut s = online();
        s.apply(ServerFrame::Typing { author: Author::bot("Baton"), on: true });
        assert_eq!(s.typing_text().as_deref(), Some("Baton is typing…"));
        s.apply(bot(1, "answer"));
        assert_eq!(s.typing_text(), None);
        s.apply(ServerFrame::Typing { author: Author::bot("Baton"), on: true });
        s.apply(ServerFrame::Typing { author: Author::bot("Baton"), on: false });
        assert_eq!(s.typing_text(), None);
        s.apply(ServerFrame::Typing { author: Author::bot("Baton"), on: true });
        s.set_connection(Connection::Offline);
        assert_eq!(s.typing_text(), None);
    }

    #[test]
    fn quick_replies_only_on_the_newest_message() {
        let mut s = online();
        let with_replies = |seq| {
            ServerFrame::Event(ConversationEvent {
                seq,
                at: 0,
                body: EventBody::Message(Message {
                    author: Author::bot("Baton"),
                    text: "pick".into(),
                    client_id: None,
                    quick_replies: vec![QuickReply { title: "Yes".into(), payload: "yes".into(), action: None }],
                    source: Some(Source { title: "FAQ".into(), url: "/kb/faq".into() }),
                    draft_id: None,
                    attachments: Vec::new(),
                }),
            })
        };
        s.apply(with_replies(1));
        assert_eq!(s.bubbles()[0].quick_replies.len(), 1);
        let before = s.bubbles()[0].key.clone();
        assert_eq!(s.bubbles()[0].source.as_ref().map(|x| x.title.as_str()), Some("FAQ"));
        s.enqueue("id".into(), "yes").unwrap();
        assert!(s.bubbles()[0].quick_replies.is_empty());
        assert_ne!(s.bubbles()[0].key, before, "the list must redraw the bubble that lost its buttons");
        s.apply(msg(2, Author::visitor(), "yes", Some("id")));
        s.apply(with_replies(3));
        let b = s.bubbles();
        assert!(b[0].quick_replies.is_empty());
        assert_eq!(b[2].quick_replies.len(), 1);
    }

    #[test]
    fn runs_of_one_author_show_the_name_once() {
        let mut s = online();
        s.apply(bot(1, "a"));
        s.apply(bot(2, "b"));
        s.apply(msg(3, Author::visitor(), "c", Some("x")));
        s.apply(msg(4, Author { role: Role::Agent, name: Some("Ann".into()) }, "d", None));
        s.apply(msg(5, Author { role: Role::Agent, name: Some("Bob".into()) }, "e", None));
        let runs: Vec<bool> = s.bubbles().iter().map(|b| b.first_of_run).collect();
        assert_eq!(runs, [true, false, true, true, true]);
    }

    #[test]
    fn handover_phases_drive_title_buttons_and_queue_line() {
        let mut s = online();
        assert_eq!(s.handover_label(), Some("Talk to a person"));
        assert_eq!(s.title(), "Baton");
        assert_eq!(s.action(Action::RequestHandover), Some(ClientFrame::RequestHandover));

        let fx = s.apply(phase(1, Phase::Waiting, None));
        assert!(matches!(&fx[..], [Effect::PhaseChanged { phase: Phase::Waiting, .. }]));
        assert_eq!(s.handover_label(), None);
        assert_eq!(s.waiting_text().as_deref(), Some("Waiting for a person…"));
        s.apply(ServerFrame::Queue { position: 3, wait_seconds: 330 });
        assert_eq!(s.waiting_text().as_deref(), Some("You're #3 in line · about 6 min"));
        s.apply(ServerFrame::Queue { position: 1, wait_seconds: 20 });
        assert_eq!(s.waiting_text().as_deref(), Some("You're next · less than a minute"));

        s.apply(phase(2, Phase::Agent, Some("Alex")));
        assert_eq!(s.title(), "Alex");
        assert_eq!(s.waiting_text(), None);
        assert_eq!(s.queue, None);
        s.apply(ServerFrame::Typing { author: Author::agent("Alex"), on: true });
        assert_eq!(s.typing_text().as_deref(), Some("Alex is typing…"));

        s.apply(phase(3, Phase::Ended, None));
        assert_eq!(s.agent_name.as_deref(), Some("Alex"), "kept from the agent phase");
        assert_eq!(s.title(), "Baton");
        assert_eq!(s.typing_text(), None);
        assert_eq!(s.handover_label(), Some("Talk to a person"));
        assert!(s
            .apply(ServerFrame::Event(ConversationEvent { seq: 4, at: 0, body: EventBody::Rating { score: 5 } }))
            .is_empty());
        assert_eq!(s.last_seq, 4, "non-message events still advance the sequence");
        assert_eq!(s.action(Action::Rate { score: 5 }), Some(ClientFrame::Rate { score: 5 }));

        s.set_connection(Connection::Offline);
        assert_eq!(s.action(Action::CancelHandover), None, "no actions while offline");
    }

    #[test]
    fn a_new_conversation_forgets_the_handover() {
        let mut s = online();
        s.apply(phase(1, Phase::Agent, Some("Alex")));
        s.set_connection(Connection::Offline);
        s.apply(welcome("c2", 0, true));
        assert_eq!(s.phase, Phase::Bot);
        assert_eq!(s.agent_name, None);
    }

    #[test]
    fn bubble_keys_change_with_delivery_state() {
        let mut s = online();
        s.enqueue("id".into(), "x").unwrap();
        let k1 = s.bubbles()[0].key.clone();
        s.apply(ServerFrame::Ack { client_id: "id".into(), seq: 5 });
        let k2 = s.bubbles()[0].key.clone();
        assert_ne!(k1, k2);
    }

    fn draft(id: &str, text: &str) -> ServerFrame {
        ServerFrame::Draft { draft_id: id.into(), author: Author::bot("Baton"), text: text.into() }
    }

    fn completing(seq: u64, text: &str, draft_id: &str) -> ServerFrame {
        let ServerFrame::Event(mut event) = bot(seq, text) else { unreachable!() };
        if let EventBody::Message(m) = &mut event.body {
            m.draft_id = Some(draft_id.into());
        }
        ServerFrame::Event(event)
    }

    #[test]
    fn a_draft_grows_in_one_bubble_and_the_stored_answer_replaces_it() {
        let mut s = online();
        s.apply(msg(1, Author::visitor(), "paypal?", Some("v1")));
        s.apply(ServerFrame::Typing { author: Author::bot("Baton"), on: true });
        s.apply(draft("d1", "Yes"));
        assert_eq!(s.typing_text(), None, "the growing text replaces the dots");
        s.apply(draft("d1", "Yes, we accept"));
        let b = s.bubbles();
        assert_eq!((b.len(), b[1].draft, b[1].text.as_str(), b[1].role), (2, true, "Yes, we accept", Role::Bot));
        let key = b[1].key.clone();
        s.apply(draft("d1", "Yes, we accept PayPal."));
        assert_ne!(s.bubbles()[1].key, key, "a grown draft is redrawn");
        s.enqueue("v2".into(), "thanks").unwrap();
        assert_eq!(texts(&s), ["paypal?", "Yes, we accept PayPal.", "thanks"], "the outbox stays last");
        s.apply(completing(2, "Yes, we accept PayPal.", "d1"));
        assert_eq!(s.draft, None);
        assert!(s.bubbles().iter().all(|b| !b.draft));
        assert_eq!(texts(&s), ["paypal?", "Yes, we accept PayPal.", "thanks"]);
    }

    #[test]
    fn a_draft_is_withdrawn_by_an_empty_text_and_dropped_with_the_connection() {
        let mut s = online();
        s.apply(draft("d1", "Let me"));
        s.apply(draft("other", ""));
        assert!(s.draft.is_some(), "another draft's withdrawal changes nothing");
        s.apply(draft("d1", ""));
        assert_eq!(s.draft, None);
        s.apply(draft("d2", "Half an ans"));
        s.apply(bot(1, "an unrelated message"));
        assert!(s.draft.is_some(), "only its own message replaces a draft");
        s.set_connection(Connection::Offline);
        assert_eq!(s.draft, None);
        assert_eq!(texts(&s), ["an unrelated message"]);
    }

    #[test]
    fn the_languages_go_with_hello_and_a_change_is_told_once() {
        let mut s = ChatState::new();
        assert_eq!(s.set_languages(Some(vec!["de-de".into(), "en".into()]), None), None, "offline: nothing to send");
        assert_eq!(s.lang, Lang::De);
        assert_eq!(s.waiting_text(), None);
        let ClientFrame::Hello { languages, .. } = s.hello("demo", None) else { panic!() };
        assert_eq!(languages, ["de-de", "en"]);
        // The site sets French: the widget switches and tells the relay once.
        let mut frame = welcome("c1", 0, true);
        if let ServerFrame::Welcome { language, .. } = &mut frame {
            *language = Some("fr".into());
        }
        let fx = s.apply(frame);
        let told = ClientFrame::Language { languages: vec!["fr".into(), "de-de".into(), "en".into()] };
        assert!(fx.contains(&Effect::Send(told)), "{fx:?}");
        assert_eq!(s.lang, Lang::Fr);
        assert_eq!(s.set_languages(None, None), None, "nothing changed");
        // The page's choice wins over the site's.
        let frame = s.set_languages(None, Some("nl".into()));
        assert_eq!(
            frame,
            Some(ClientFrame::Language { languages: vec!["nl".into(), "fr".into(), "de-de".into(), "en".into()] })
        );
        assert_eq!(s.lang, Lang::Nl);
        s.apply(ServerFrame::Texts { handover_button: "Met een persoon praten".into(), email_consent: None });
        assert_eq!(s.handover_label(), Some("Met een persoon praten"));
        // Texts the widget makes itself follow the language.
        s.apply(phase(1, Phase::Waiting, None));
        assert_eq!(s.waiting_text().as_deref(), Some("Wachten op een persoon…"));
        s.apply(ServerFrame::Queue { position: 2, wait_seconds: 100 });
        assert_eq!(s.waiting_text().as_deref(), Some("U bent nr. 2 in de wachtrij · ongeveer 2 min"));
        assert_eq!(s.cancel_label(), "Annuleren");
        assert_eq!(fatal_text(s.texts(), ErrorCode::UnknownSite), "Chat niet beschikbaar voor deze site.");
        // A welcome without a site language after a reconnect: the list loses the site's.
        s.set_connection(Connection::Offline);
        let ClientFrame::Hello { languages, .. } = s.hello("demo", Some("tok-c1".into())) else { panic!() };
        assert_eq!(languages, ["nl", "fr", "de-de", "en"]);
        let fx = s.apply(welcome("c1", 2, false));
        assert!(fx.contains(&Effect::Send(ClientFrame::Language {
            languages: vec!["nl".into(), "de-de".into(), "en".into()]
        })));
    }

    #[test]
    fn the_email_prompt_opens_when_asked_checks_here_and_closes_when_saved() {
        let mut s = ChatState::new();
        let capture = EmailCapture { consent: Some("Only for this request.".into()) };
        let mut frame = welcome("c1", 0, true);
        if let ServerFrame::Welcome { email_capture, .. } = &mut frame {
            *email_capture = Some(capture);
        }
        s.apply(frame);
        assert_eq!(s.email_consent(), "Only for this request.");
        s.apply(ServerFrame::AskEmail { step: EmailStep::BeforeHandover });
        assert_eq!(s.email_prompt, Some(EmailPrompt::Asked(EmailStep::BeforeHandover)));
        // Refused here, with the reason shown; nothing goes out.
        assert_eq!(s.submit_email("ada at example.com"), None);
        assert_eq!(s.email_error, Some(EmailError::Invalid));
        assert_eq!(s.submit_email(" ada@Example.com "), Some(ClientFrame::Email { email: "ada@example.com".into() }));
        assert_eq!(s.email_error, None);
        // The relay's refusal shows the same error; its confirmation closes the prompt.
        s.apply(ServerFrame::Error {
            code: ErrorCode::InvalidEmail,
            message: "no".into(),
            client_id: None,
            retry_after: None,
        });
        assert_eq!(s.email_error, Some(EmailError::Invalid));
        s.apply(ServerFrame::EmailSaved { email: "ada@example.com".into() });
        assert_eq!((s.email_prompt, s.email.as_deref(), s.email_error), (None, Some("ada@example.com"), None));
        // Changed later: the prompt opens on the visitor's click; closing it sends nothing.
        s.edit_email();
        assert_eq!(s.email_prompt, Some(EmailPrompt::Editing));
        assert_eq!(s.dismiss_email(), None);
        assert_eq!(s.email_prompt, None);
        // In a language change the site's wording follows; without one, the widget's own.
        s.apply(ServerFrame::Texts { handover_button: "x".into(), email_consent: None });
        assert_eq!(s.email_consent(), EN.email_consent);
    }

    #[test]
    fn skipping_the_prompt_before_a_handover_tells_the_relay_and_offline_nothing_is_sent() {
        let mut s = online();
        s.apply(ServerFrame::AskEmail { step: EmailStep::BeforeHandover });
        assert_eq!(s.dismiss_email(), Some(ClientFrame::SkipEmail));
        s.apply(ServerFrame::AskEmail { step: EmailStep::Unavailable });
        assert_eq!(s.dismiss_email(), Some(ClientFrame::SkipEmail), "the relay does not ask again");
        s.apply(ServerFrame::AskEmail { step: EmailStep::BeforeHandover });
        s.set_connection(Connection::Offline);
        assert_eq!(s.submit_email("ada@example.com"), None);
        assert_eq!(s.email_error, Some(EmailError::Offline));
        // The handover went on (the visitor wrote instead): the prompt closes.
        let mut s = online();
        s.apply(ServerFrame::AskEmail { step: EmailStep::BeforeHandover });
        s.apply(phase(2, Phase::Waiting, None));
        assert_eq!(s.email_prompt, None);
    }

    #[test]
    fn the_summary_shows_from_the_handover_until_the_bot_is_back_unless_it_is_for_a_form() {
        let mut s = online();
        s.apply(phase(2, Phase::Waiting, None));
        s.apply(ServerFrame::Summary { text: "The visitor needs: a refund.".into(), link: None });
        assert_eq!(s.summary, Some(Summary { text: "The visitor needs: a refund.".into(), link: None }));
        s.apply(phase(3, Phase::Agent, Some("Alex")));
        assert!(s.summary.is_some(), "kept while the agent chats");
        s.apply(phase(4, Phase::Bot, None));
        assert_eq!(s.summary, None);
        let form = Summary { text: "s".into(), link: Some("https://shop.example/contact".into()) };
        s.apply(ServerFrame::Summary { text: form.text.clone(), link: form.link.clone() });
        s.apply(phase(5, Phase::Bot, None));
        assert_eq!(s.summary, Some(form), "a link site's summary stays for pasting");
    }

    #[test]
    fn a_message_of_files_sends_their_ids_shows_them_pending_and_again_after_a_reconnect() {
        let mut s = online();
        let photo = Attachment {
            id: "a1".into(),
            name: "p.png".into(),
            content_type: "image/png".into(),
            size: 70,
            url: "/attachments/a1?expires=9&sig=x".into(),
        };
        assert_eq!(s.enqueue_files("f1".into(), "  ", Vec::new()), Err(SendError::Empty));
        let frame = s.enqueue_files("f1".into(), "", vec![photo.clone()]).unwrap();
        let expected =
            ClientFrame::Send { client_id: "f1".into(), text: String::new(), attachments: vec!["a1".into()] };
        assert_eq!(frame, Some(expected.clone()));
        assert_eq!(s.bubbles()[0].attachments, vec![photo]);
        s.apply(welcome("c1", 0, false));
        assert_eq!(s.resend_list(), vec![expected]);
    }

    #[test]
    fn writing_instead_passes_the_unavailable_prompt_over_but_not_the_one_before_a_handover() {
        let mut s = online();
        s.apply(ServerFrame::AskEmail { step: EmailStep::Unavailable });
        s.enqueue("c1".into(), "and returns?").unwrap();
        assert_eq!(s.email_prompt, None);
        s.apply(ServerFrame::AskEmail { step: EmailStep::BeforeHandover });
        s.enqueue("c2".into(), "hello?").unwrap();
        assert_eq!(
            s.email_prompt,
            Some(EmailPrompt::Asked(EmailStep::BeforeHandover)),
            "kept: the handover going on closes it"
        );
    }

    #[test]
    fn the_transcript_is_offered_after_a_chat_with_a_person_and_emailed_when_the_relay_can() {
        let mut s = online();
        assert_eq!(s.after_chat(), None, "nothing to offer with the bot alone");
        s.apply(phase(2, Phase::Agent, Some("Alex")));
        s.apply(msg(3, Author::agent("Alex"), "Found it.", None));
        assert_eq!(s.after_chat(), None, "not while the agent chats");
        s.apply(phase(4, Phase::Ended, Some("Alex")));
        assert_eq!(s.after_chat(), Some(None), "the download; no mail server, no email");
        s.apply(ServerFrame::EmailSaved { email: "ada@example.com".into() });
        assert_eq!(s.after_chat(), Some(None), "an email, but the relay cannot mail");
        s.transcript_email = true;
        s.apply(phase(5, Phase::Bot, None));
        assert_eq!(s.after_chat(), Some(Some("ada@example.com".into())), "still offered back with the bot");
    }
}
