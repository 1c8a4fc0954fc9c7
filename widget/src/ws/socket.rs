//! The browser WebSocket to the relay, with automatic reconnects.
//!
//! - On open it sends the `hello` the app builds; frames are parsed and handed to the app.
//! - On close it reports `Offline` and retries after a [`Backoff`] delay (reset by `welcome`);
//!   the window's `online` event retries at once.
//! - Close codes 4001 (unsupported version), 4004 (unknown site) and 1008 (origin not allowed)
//!   stop it for good.
//! - While open, a `ping` goes out every 25 s; with nothing received for 60 s the socket is
//!   dropped and a new one opened.
//!
//! Callbacks into the app are made with no `RefCell` borrow held, so the app may call
//! [`Socket::send`] from inside them.

use std::{
    cell::RefCell,
    rc::{Rc, Weak},
    time::Duration,
};

use leptos::prelude::{set_interval, set_timeout_with_handle, window_event_listener_untyped, TimeoutHandle};
use shared::{ClientFrame, ServerFrame};
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{CloseEvent, MessageEvent, WebSocket};

use super::{backoff::Backoff, decode::decode, encode::encode, is_fatal, DEAD_AFTER_MS, PING_EVERY_MS};

/// What the socket layer reports; `Online` comes from the app's handling of `welcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Connecting,
    Offline,
}

/// Called with a frame's text and the frame decoded from it.
pub type RawHandler = Box<dyn Fn(&str, &ServerFrame)>;

pub struct Handlers {
    /// Builds the `hello` for a freshly opened socket.
    pub hello: Box<dyn Fn() -> ClientFrame>,
    pub frame: Box<dyn Fn(ServerFrame)>,
    /// Sees each frame's text as received, just before `frame` gets it (`ws/tabs.rs` passes
    /// it on to the other tabs).
    pub raw: Option<RawHandler>,
    pub status: Box<dyn Fn(Status)>,
    /// The relay closed with a code that forbids reconnecting.
    pub fatal: Box<dyn Fn(u16)>,
}

#[derive(Clone)]
pub struct Socket(Rc<Inner>);

struct Inner {
    url: String,
    handlers: Handlers,
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    live: Option<Live>,
    /// The previous socket, detached; kept until the next connect so that its closures are
    /// never dropped while one of them runs.
    dead: Option<Live>,
    backoff: Backoff,
    retry: Option<TimeoutHandle>,
    started: bool,
    stopped: bool,
    last_rx: f64,
}

struct Live {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut()>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Live {
    fn detach(&self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let state = self.ws.ready_state();
        if state == WebSocket::CONNECTING || state == WebSocket::OPEN {
            let _ = self.ws.close();
        }
    }
}

fn now() -> f64 {
    js_sys::Date::now()
}

impl Socket {
    pub fn new(url: String, handlers: Handlers) -> Self {
        Socket(Rc::new(Inner { url, handlers, state: RefCell::new(State::default()) }))
    }

    /// Connects for the first time; later calls do nothing.
    pub fn start(&self) {
        {
            let mut st = self.0.state.borrow_mut();
            if st.started || st.stopped {
                return;
            }
            st.started = true;
        }
        let me = self.clone();
        let _ = window_event_listener_untyped("online", move |_| me.on_online());
        let me = self.clone();
        set_interval(move || me.tick(), Duration::from_millis(u64::from(PING_EVERY_MS)));
        self.connect();
    }

    /// Stops for good (the relay refused this client); the current socket is closed.
    pub fn stop(&self) {
        let mut st = self.0.state.borrow_mut();
        st.stopped = true;
        if let Some(t) = st.retry.take() {
            t.clear();
        }
        if let Some(live) = st.live.take() {
            live.detach();
            st.dead = Some(live);
        }
    }

    /// Sends a frame if the socket is open. Returns whether it went out.
    pub fn send(&self, frame: &ClientFrame) -> bool {
        self.send_text(&encode(frame))
    }

    /// Sends a frame's JSON text if the socket is open. Returns whether it went out.
    pub fn send_text(&self, text: &str) -> bool {
        let st = self.0.state.borrow();
        st.live
            .as_ref()
            .is_some_and(|live| live.ws.ready_state() == WebSocket::OPEN && live.ws.send_with_str(text).is_ok())
    }

    fn weak(&self) -> Weak<Inner> {
        Rc::downgrade(&self.0)
    }

    fn connect(&self) {
        {
            let mut st = self.0.state.borrow_mut();
            if st.stopped {
                return;
            }
            if let Some(t) = st.retry.take() {
                t.clear();
            }
            if let Some(live) = st.live.take() {
                live.detach();
                st.dead = Some(live);
            } else {
                st.dead = None;
            }
        }
        (self.0.handlers.status)(Status::Connecting);
        let ws = match WebSocket::new(&self.0.url) {
            Ok(ws) => ws,
            Err(err) => {
                web_sys::console::warn_2(&"[baton] cannot open the chat socket".into(), &err);
                (self.0.handlers.status)(Status::Offline);
                self.schedule_retry();
                return;
            }
        };

        let weak = self.weak();
        let on_open = Closure::<dyn FnMut()>::new(move || {
            if let Some(inner) = weak.upgrade() {
                Socket(inner).on_open();
            }
        });
        let weak = self.weak();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            if let Some(inner) = weak.upgrade() {
                if let Some(text) = ev.data().as_string() {
                    Socket(inner).on_text(&text);
                }
            }
        });
        let weak = self.weak();
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            if let Some(inner) = weak.upgrade() {
                Socket(inner).lost(ev.code());
            }
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));

        let mut st = self.0.state.borrow_mut();
        st.last_rx = now();
        st.live = Some(Live { ws, _on_open: on_open, _on_message: on_message, _on_close: on_close });
    }

    fn on_open(&self) {
        self.0.state.borrow_mut().last_rx = now();
        let hello = (self.0.handlers.hello)();
        self.send(&hello);
    }

    fn on_text(&self, text: &str) {
        self.0.state.borrow_mut().last_rx = now();
        let frame = match decode(text) {
            Ok(frame) => frame,
            Err(err) => {
                web_sys::console::warn_1(&format!("[baton] unreadable frame ({err}): {text}").into());
                return;
            }
        };
        if matches!(frame, ServerFrame::Welcome { .. }) {
            self.0.state.borrow_mut().backoff.reset();
        }
        if let Some(raw) = &self.0.handlers.raw {
            raw(text, &frame);
        }
        (self.0.handlers.frame)(frame);
    }

    /// The socket closed (or was found dead): report, then retry unless the code forbids it.
    fn lost(&self, code: u16) {
        let stopped = {
            let mut st = self.0.state.borrow_mut();
            if let Some(live) = st.live.take() {
                live.detach();
                st.dead = Some(live);
            }
            if is_fatal(code) {
                st.stopped = true;
            }
            st.stopped
        };
        if is_fatal(code) {
            (self.0.handlers.fatal)(code);
            return;
        }
        (self.0.handlers.status)(Status::Offline);
        if !stopped {
            self.schedule_retry();
        }
    }

    fn schedule_retry(&self) {
        let delay = {
            let mut st = self.0.state.borrow_mut();
            if st.stopped {
                return;
            }
            if let Some(t) = st.retry.take() {
                t.clear();
            }
            st.backoff.next_delay(js_sys::Math::random())
        };
        let weak = self.weak();
        let handle = set_timeout_with_handle(
            move || {
                if let Some(inner) = weak.upgrade() {
                    let me = Socket(inner);
                    me.0.state.borrow_mut().retry = None;
                    me.connect();
                }
            },
            Duration::from_millis(u64::from(delay)),
        );
        self.0.state.borrow_mut().retry = handle.ok();
    }

    fn on_online(&self) {
        {
            let mut st = self.0.state.borrow_mut();
            if st.stopped || !st.started || st.live.is_some() {
                return;
            }
            st.backoff.reset();
        }
        self.connect();
    }

    fn tick(&self) {
        let (open, silent_for) = {
            let st = self.0.state.borrow();
            match st.live.as_ref() {
                Some(live) => (live.ws.ready_state() == WebSocket::OPEN, now() - st.last_rx),
                None => return,
            }
        };
        // Also covers a socket stuck in CONNECTING (last_rx is set when it is created).
        if silent_for > DEAD_AFTER_MS {
            web_sys::console::warn_1(&"[baton] no answer from the relay, reconnecting".into());
            self.lost(1006);
        } else if open {
            self.send(&ClientFrame::Ping);
        }
    }
}
