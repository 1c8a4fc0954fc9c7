//! One WebSocket for all the tabs of a site (issue 13, point 8).
//!
//! The tabs of a site already share the conversation: its resume token is in localStorage. A
//! [`Link`] also shares the socket. Each tab asks for the Web Lock `baton:<site>`
//! (`navigator.locks`); the tab holding it **leads**: it opens the socket (when the chat is
//! wanted, as a single tab would) and passes every frame it receives to the other tabs over the
//! `BroadcastChannel` `baton:<site>`. The others **follow**: the frames they would send go to
//! the leader over the channel, and they apply the leader's frames as if they came from their
//! own socket. A tab that joins asks for a replay: the leader sends the frames it kept since
//! it loaded (`ws::kept`: welcome, events, queue, prompts; not typing, drafts or acks), so the
//! follower's chat state is built the way the leader's was.
//!
//! When the leader's tab closes, the browser gives the lock to the next tab waiting; it opens a
//! socket whose `hello` carries the resume token and the last sequence number it saw, so the
//! relay sends exactly what it missed, and every follower resends what the relay had not
//! acknowledged after that socket's `welcome` (the relay de-duplicates by message id): nothing
//! is lost. Where Web Locks or `BroadcastChannel` are missing (an insecure `http:` page), each
//! tab keeps its own socket, as before.
//!
//! Channel messages are arrays: `["join", tab]`, `["lead"]`, `["replay", tab, status,
//! frame...]`, `["frame", text]`, `["status", "connecting"|"offline"]`, `["fatal", code]` from
//! the leader; `["send", text]`, `["start"]` to it.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use shared::{ClientFrame, ServerFrame};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{BroadcastChannel, MessageEvent};

use super::{
    decode::decode,
    kept,
    socket::{Handlers, Socket, Status},
};

fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// The chat's link to the relay: this tab's socket, or the leading tab's through the channel.
#[derive(Clone)]
pub struct Link(Rc<Inner>);

struct Inner {
    url: String,
    /// The app's handlers, called for this tab's frames whichever tab's socket they came from.
    app: Handlers,
    /// The socket, while this tab leads (or is alone).
    socket: RefCell<Option<Socket>>,
    channel: Option<BroadcastChannel>,
    /// This tab's id on the channel (a replay is addressed to the tab that asked).
    id: String,
    /// The frames kept for replays.
    log: RefCell<Vec<String>>,
    /// What the leader's socket last reported: `online` after a welcome.
    status: Cell<&'static str>,
    /// The chat was wanted in this tab (opened, written in, or a conversation to resume).
    wanted: Cell<bool>,
    /// A follower applies the leader's frames only after its replay.
    synced: Cell<bool>,
    replaying: Cell<bool>,
}

fn status_str(status: Status) -> &'static str {
    match status {
        Status::Connecting => "connecting",
        Status::Offline => "offline",
    }
}

impl Link {
    /// Starts following (or, alone, leading) at once; the socket opens on [`Link::start`].
    pub fn new(url: String, site: &str, app: Handlers) -> Link {
        let name = format!("baton:{site}");
        let locks = web_sys::window().map(|w| get(&get(&w, "navigator"), "locks")).filter(JsValue::is_object);
        let channel = locks.as_ref().and_then(|_| BroadcastChannel::new(&name).ok());
        let link = Link(Rc::new(Inner {
            url,
            app,
            socket: RefCell::new(None),
            id: format!("{:x}", (js_sys::Math::random() * 9e15) as u64),
            channel,
            log: RefCell::new(Vec::new()),
            status: Cell::new("offline"),
            wanted: Cell::new(false),
            synced: Cell::new(false),
            replaying: Cell::new(false),
        }));
        let (Some(locks), Some(channel)) = (locks, &link.0.channel) else {
            link.lead();
            return link;
        };
        let me = link.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            if let Ok(message) = event.data().dyn_into::<js_sys::Array>() {
                me.on_message(&message);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        link.post(&["join", &link.0.id]);
        // Granted when no other tab holds it (at once, or when the leader's tab closes); held
        // for the life of the page by a promise that never settles.
        let me = link.clone();
        let granted = Closure::once_into_js(move |_: JsValue| -> JsValue {
            me.lead();
            js_sys::Promise::new(&mut |_, _| {}).into()
        });
        let request = get(&locks, "request").dyn_into::<js_sys::Function>();
        if request.and_then(|r| r.call2(&locks, &JsValue::from_str(&name), &granted)).is_err() {
            link.lead();
        }
        link
    }

    /// Whether this tab holds the socket (it leads, or works alone).
    pub fn leads(&self) -> bool {
        self.0.socket.borrow().is_some()
    }

    /// True while a joining tab applies the leader's replay: its messages are history.
    pub fn replaying(&self) -> bool {
        self.0.replaying.get()
    }

    /// The chat is wanted here: the socket opens (the leader's, asked over the channel).
    pub fn start(&self) {
        self.0.wanted.set(true);
        match self.socket() {
            Some(socket) => socket.start(),
            None => {
                self.post(&["start"]);
            }
        }
    }

    /// Stops this tab's socket for good (the relay refused the widget).
    pub fn stop(&self) {
        if let Some(socket) = self.socket() {
            socket.stop();
        }
    }

    /// Sends a frame on this tab's socket or through the leader's. A frame that goes nowhere
    /// (no leader for a moment) is like one sent while offline: the outbox resends messages
    /// after the next welcome.
    pub fn send(&self, frame: &ClientFrame) -> bool {
        match self.socket() {
            Some(socket) => socket.send(frame),
            None => self.post(&["send", &super::encode::encode(frame)]),
        }
    }

    fn socket(&self) -> Option<Socket> {
        self.0.socket.borrow().clone()
    }

    fn post(&self, parts: &[&str]) -> bool {
        let Some(channel) = &self.0.channel else { return false };
        let message: js_sys::Array = parts.iter().map(|p| JsValue::from_str(p)).collect();
        channel.post_message(&message).is_ok()
    }

    /// This tab takes the socket: the first tab at once, another when the leader's closes.
    fn lead(&self) {
        self.0.synced.set(true);
        let (raw, status, fatal, hello, frame) = (self.clone(), self.clone(), self.clone(), self.clone(), self.clone());
        let handlers = Handlers {
            hello: Box::new(move || (hello.0.app.hello)()),
            raw: Some(Box::new(move |text: &str, received: &ServerFrame| {
                if kept(received) {
                    raw.0.log.borrow_mut().push(text.to_string());
                }
                if matches!(received, ServerFrame::Welcome { .. }) {
                    raw.0.status.set("online");
                }
                raw.post(&["frame", text]);
            })),
            frame: Box::new(move |received| (frame.0.app.frame)(received)),
            status: Box::new(move |s| {
                status.0.status.set(status_str(s));
                (status.0.app.status)(s);
                status.post(&["status", status_str(s)]);
            }),
            fatal: Box::new(move |code| {
                (fatal.0.app.fatal)(code);
                fatal.post(&["fatal", &code.to_string()]);
            }),
        };
        let socket = Socket::new(self.0.url.clone(), handlers);
        *self.0.socket.borrow_mut() = Some(socket.clone());
        self.post(&["lead"]);
        // Wanted here, or a conversation was live in the tabs: carry it on.
        if self.0.wanted.get() || !self.0.log.borrow().is_empty() {
            socket.start();
        }
    }

    /// A frame from the leader, applied (and kept) as if this tab's socket had received it.
    fn follow(&self, text: &str) {
        match decode(text) {
            Ok(frame) => {
                if kept(&frame) {
                    self.0.log.borrow_mut().push(text.to_string());
                }
                (self.0.app.frame)(frame);
            }
            Err(err) => web_sys::console::warn_1(&format!("[baton] unreadable frame from another tab ({err})").into()),
        }
    }

    fn on_message(&self, message: &js_sys::Array) {
        let part = |i: u32| message.get(i).as_string().unwrap_or_default();
        let leads = self.leads();
        let synced = self.0.synced.get();
        match part(0).as_str() {
            "join" if leads => {
                let head = [JsValue::from_str("replay"), JsValue::from_str(&part(1)), self.0.status.get().into()];
                let log = self.0.log.borrow();
                let replay: js_sys::Array = head.into_iter().chain(log.iter().map(|t| JsValue::from_str(t))).collect();
                if let Some(channel) = &self.0.channel {
                    let _ = channel.post_message(&replay);
                }
            }
            // A leader appeared after this tab asked: ask again.
            "lead" if !synced => {
                self.post(&["join", &self.0.id]);
            }
            "replay" if !leads && !synced && part(1) == self.0.id => {
                self.0.synced.set(true);
                self.0.replaying.set(true);
                for i in 3..message.length() {
                    self.follow(&part(i));
                }
                self.0.replaying.set(false);
                match part(2).as_str() {
                    "connecting" => (self.0.app.status)(Status::Connecting),
                    "offline" if !self.0.log.borrow().is_empty() => (self.0.app.status)(Status::Offline),
                    _ => {}
                }
            }
            "frame" if !leads && synced => self.follow(&part(1)),
            "status" if !leads && synced => {
                (self.0.app.status)(if part(1) == "connecting" { Status::Connecting } else { Status::Offline });
            }
            "fatal" if !leads => (self.0.app.fatal)(part(1).parse::<u16>().unwrap_or(shared::close_code::POLICY)),
            "send" if leads => {
                if let Some(socket) = self.socket() {
                    socket.send_text(&part(1));
                }
            }
            "start" if leads => self.start(),
            _ => {}
        }
    }
}
