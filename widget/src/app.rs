//! Boot and the runtime that ties the chat state, the socket and the page bridge together.
//!
//! # Boot contract (set by `public/embed.js` before importing the glue)
//! `window.__batonBoot = { root: ShadowRoot, mount: HTMLElement, site, relay, widget (the folder
//! of the widget's files), bridge: EventTarget, pending: [command...], launcher: HTMLElement }`. The page's language (`<html lang>`) and the
//! browser's (`navigator.languages`) are read here too (`i18n` chooses among them). `main` mounts the app (the panel) into
//! `mount`, adopts the loader's `launcher` button (kept, not replaced, so nobody holds a stale
//! element; see `ui/launcher.rs`), runs the `pending` commands, and emits `ready`.
//! Without `__batonBoot` (Trunk's own index.html) it mounts into `<body>` with the page origin
//! as relay and site `demo`, which is handy during development.
//!
//! # Connection
//! The socket is opened lazily: at boot only for a returning visitor (a resume token is stored),
//! otherwise when the panel is first opened or a message is sent. Visitors who never open the
//! chat do not start a conversation on the relay.

use std::{
    cell::{Cell, OnceCell, RefCell},
    rc::Rc,
};

use leptos::prelude::*;
use shared::{Action, ClientFrame, ErrorCode};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{EventTarget, HtmlElement, ShadowRoot, Storage};

use crate::{
    bridge::{command::Command, detail, js as bridge_js, js::Bridge},
    look,
    store::{model, ChatState, Connection, Effect, SendError},
    ui::App,
    url,
    ws::{
        socket::{Handlers, Status},
        tabs::Link,
    },
};

/// The reactive state the components read. All fields are `Copy` handles.
#[derive(Clone, Copy)]
pub struct Store {
    pub chat: RwSignal<ChatState>,
    pub open: RwSignal<bool>,
    /// Bot/agent messages received live while the panel was closed.
    pub unread: RwSignal<u32>,
    /// The composer's text, kept while the panel is closed.
    pub draft: RwSignal<String>,
    /// The page's theme (`Baton.configure`, the tag's `data-*`), over the site's.
    pub page_theme: RwSignal<shared::Theme>,
    /// The files about to go with the next message.
    pub files: RwSignal<crate::store::files::Files>,
}

impl Store {
    fn new() -> Self {
        Self {
            chat: RwSignal::new(ChatState::new()),
            open: RwSignal::new(false),
            unread: RwSignal::new(0),
            draft: RwSignal::new(String::new()),
            page_theme: RwSignal::new(shared::Theme::default()),
            files: RwSignal::new(Default::default()),
        }
    }

    /// The theme in effect: the site's, then the page's on top; only valid values of either.
    pub fn theme(&self) -> shared::Theme {
        let page = self.page_theme.get();
        self.chat.with(|s| shared::Theme::default().overlay(&s.site_theme)).overlay(&page)
    }
}

pub struct Runtime {
    pub site: String,
    /// The relay origin, e.g. `http://127.0.0.1:8080`.
    pub relay: String,
    /// The folder of the widget's files at the relay, ending in `/`
    /// (`http://127.0.0.1:8080/widget/<build>/`): the text tables are fetched from it.
    pub widget: String,
    pub store: Store,
    /// The launcher button (the loader's, adopted; or our own without the loader).
    pub launcher: Option<HtmlElement>,
    /// The shadow root the widget lives in (`None` on the build's own page).
    pub root: Option<ShadowRoot>,
    bridge: Bridge,
    /// `None` when the relay origin cannot give a WebSocket address. Shared with the site's
    /// other tabs (`ws/tabs.rs`).
    socket: Option<Link>,
    /// The resume token, also kept here for pages where localStorage is blocked: the
    /// conversation then survives reconnects, though not reloads.
    token: RefCell<Option<String>>,
    /// When a typing notice last went to the agent (ms since the epoch), to send one at most
    /// every [`TYPING_EVERY_MS`].
    last_typing: Cell<f64>,
}

/// How often, at most, the visitor's typing is announced to an agent.
const TYPING_EVERY_MS: f64 = 2500.0;

thread_local! {
    static RUNTIME: OnceCell<Rc<Runtime>> = const { OnceCell::new() };
}

/// The runtime; only valid after [`start`] (components and callbacks run after it).
pub fn rt() -> Rc<Runtime> {
    RUNTIME.with(|cell| cell.get().cloned()).expect("baton runtime not started")
}

fn warn(text: &str) {
    web_sys::console::warn_1(&JsValue::from_str(&format!("[baton] {text}")));
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

struct Boot {
    root: Option<ShadowRoot>,
    mount: HtmlElement,
    /// The page's `<html lang>`, then the browser's languages.
    languages: Vec<String>,
    site: String,
    relay: String,
    /// The loader's widget folder (`widget`), else the relay's `/widget/`.
    widget: Option<String>,
    bridge: EventTarget,
    pending: Vec<JsValue>,
    launcher: Option<HtmlElement>,
}

impl Boot {
    fn read() -> Option<Boot> {
        let window = web_sys::window()?;
        let origin = window.location().origin().ok();
        let page = window.document().and_then(|d| d.document_element()).and_then(|e| e.get_attribute("lang"));
        let browser = get(&get(&window, "navigator"), "languages").dyn_into::<js_sys::Array>().map(|a| a.to_vec());
        let languages =
            page.into_iter().chain(browser.unwrap_or_default().iter().filter_map(JsValue::as_string)).collect();
        let boot = get(&window, "__batonBoot");
        if !boot.is_object() {
            let mount = window.document()?.body()?;
            return Some(Boot {
                root: None,
                mount,
                languages,
                site: "demo".into(),
                relay: origin?,
                widget: None,
                bridge: EventTarget::new().ok()?,
                pending: Vec::new(),
                launcher: None,
            });
        }
        let root = get(&boot, "root").dyn_into::<ShadowRoot>().ok();
        let mount = get(&boot, "mount").dyn_into::<HtmlElement>().ok()?;
        let launcher = get(&boot, "launcher").dyn_into::<HtmlElement>().ok().or_else(|| {
            let el = root.as_ref()?.query_selector(".baton-launcher").ok()??;
            el.dyn_into::<HtmlElement>().ok()
        });
        Some(Boot {
            site: get(&boot, "site").as_string().filter(|s| !s.is_empty()).unwrap_or_else(|| "demo".into()),
            relay: get(&boot, "relay").as_string().or(origin)?,
            widget: get(&boot, "widget").as_string(),
            bridge: get(&boot, "bridge").dyn_into::<EventTarget>().ok().or_else(|| EventTarget::new().ok())?,
            pending: get(&boot, "pending").dyn_into::<js_sys::Array>().map(|a| a.to_vec()).unwrap_or_default(),
            mount,
            languages,
            launcher,
            root,
        })
    }
}

/// The wasm start function's body.
pub fn start() {
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();

    let Some(boot) = Boot::read() else {
        warn("no mount point: widget not started");
        return;
    };
    let store = Store::new();
    let socket = url::ws_url(&boot.relay).map(|url| Link::new(url, &boot.site, socket_handlers()));
    let launcher = boot.launcher.or_else(|| crate::ui::launcher::create(&boot.mount));
    // A returning visitor sees the site's look and language at once, before any socket.
    let remembered = storage().and_then(|s| s.get_item(&look_key(&boot.site)).ok().flatten());
    if let Some(text) = remembered {
        let (language, theme) = look::recall(&text);
        store.chat.update_untracked(|s| {
            s.site_language = language;
            s.site_theme = theme;
        });
    }
    let relay = boot.relay.trim_end_matches('/').to_string();
    let runtime = Rc::new(Runtime {
        root: boot.root,
        site: boot.site,
        widget: boot.widget.unwrap_or_else(|| format!("{relay}/widget/")),
        relay,
        store,
        launcher,
        bridge: Bridge::new(boot.bridge),
        socket,
        token: RefCell::new(None),
        last_typing: Cell::new(0.0),
    });
    if RUNTIME.with(|cell| cell.set(runtime.clone())).is_err() {
        warn("started twice");
        return;
    }
    if runtime.socket.is_none() {
        warn(&format!("cannot derive a WebSocket address from {}", runtime.relay));
        runtime.update(|s| s.set_fatal(ErrorCode::Internal));
    }
    runtime.update(|s| s.set_languages(Some(boot.languages), None));
    runtime.bridge.listen(|command| rt().command(command));

    crate::ui::attach::listen(&boot.mount);
    mount_to(boot.mount, || view! { <App /> }).forget();

    for value in &boot.pending {
        if let Some(command) = bridge_js::parse(value) {
            runtime.command(command);
        }
    }
    if runtime.saved_token().is_some() {
        runtime.connect();
    }
    runtime.bridge.emit(&detail::ready());
}

fn socket_handlers() -> Handlers {
    Handlers {
        hello: Box::new(|| rt().hello()),
        frame: Box::new(|frame| rt().handle_frame(frame)),
        raw: None,
        status: Box::new(|status| {
            rt().update(|s| {
                s.set_connection(match status {
                    Status::Connecting => Connection::Connecting,
                    Status::Offline => Connection::Offline,
                })
            });
        }),
        fatal: Box::new(|code| {
            let error = match code {
                shared::close_code::UNKNOWN_SITE => ErrorCode::UnknownSite,
                shared::close_code::POLICY => ErrorCode::OriginNotAllowed,
                _ => ErrorCode::UnsupportedVersion,
            };
            rt().update(|s| s.set_fatal(error));
        }),
    }
}

/// The localStorage key of what the widget remembers of the site's `welcome`.
fn look_key(site: &str) -> String {
    format!("baton:{site}:look")
}

fn storage() -> Option<Storage> {
    // Throws (Err) where storage is blocked; None where it does not exist.
    web_sys::window()?.local_storage().ok().flatten()
}

/// A message id for the outbox: `crypto.randomUUID()` where available (secure contexts),
/// otherwise 128 bits from `Math.random()`.
fn new_client_id() -> String {
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        if get(&crypto, "randomUUID").is_function() {
            return crypto.random_uuid();
        }
    }
    (0..4).map(|_| format!("{:08x}", (js_sys::Math::random() * 4_294_967_296.0) as u32)).collect()
}

impl Runtime {
    pub(crate) fn saved_token(&self) -> Option<String> {
        storage()
            .and_then(|s| s.get_item(&url::token_key(&self.site)).ok().flatten())
            .filter(|t| !t.is_empty())
            .or_else(|| self.token.borrow().clone())
    }

    fn save_token(&self, token: &str) {
        *self.token.borrow_mut() = Some(token.to_string());
        if let Some(storage) = storage() {
            let _ = storage.set_item(&url::token_key(&self.site), token);
        }
    }

    /// Opens the socket if it is not open yet.
    pub fn connect(&self) {
        if let Some(socket) = &self.socket {
            socket.start();
        }
    }

    fn send(&self, frame: &ClientFrame) {
        if let Some(socket) = &self.socket {
            socket.send(frame);
        }
    }

    /// Changes the chat state; emits a `connection` event when the status changed, and fetches
    /// the texts of a language the widget now speaks and does not have yet.
    fn update<R>(&self, f: impl FnOnce(&mut ChatState) -> R) -> Option<R> {
        let status = |s: &ChatState| (s.connection, s.fatal.map(|code| model::fatal_text(s.texts(), code)));
        let before = self.store.chat.with_untracked(status);
        let result = self.store.chat.try_update(f);
        let after = self.store.chat.with_untracked(status);
        if after != before {
            self.bridge.emit(&detail::connection(after.0.as_str(), after.1));
        }
        crate::ui::texts::ensure(self.store.chat.with_untracked(|s| s.lang));
        result
    }

    fn hello(&self) -> ClientFrame {
        let resume = self.saved_token();
        let site = self.site.clone();
        self.store
            .chat
            .try_update_untracked(|s| s.hello(&site, resume.clone()))
            .unwrap_or_else(|| ChatState::new().hello(&site, resume))
    }

    fn handle_frame(&self, frame: shared::ServerFrame) {
        if let (Some(text), Some(storage)) = (look::remembered(&frame), storage()) {
            let _ = storage.set_item(&look_key(&self.site), &text);
        }
        let effects = self.update(|s| s.apply(frame)).unwrap_or_default();
        for effect in effects {
            match effect {
                Effect::SaveToken(token) => self.save_token(&token),
                Effect::Send(frame) => self.send(&frame),
                Effect::NewMessage { stored, history } => {
                    // A tab joining the others replays what they saw: history too.
                    let history = history || self.socket.as_ref().is_some_and(Link::replaying);
                    crate::ui::attention::on_message(&stored, history);
                    self.bridge.emit(&detail::message(&stored, history));
                }
                Effect::PhaseChanged { phase, agent_name, history } => {
                    self.bridge.emit(&detail::phase(phase, agent_name.as_deref(), history));
                }
                Effect::Cleared => {}
                Effect::Fatal(_) => {
                    if let Some(socket) = &self.socket {
                        socket.stop();
                    }
                }
                Effect::Log(text) => warn(&text),
            }
        }
    }

    /// Sends a visitor message (a quick reply).
    pub fn send_text(&self, text: &str) -> Result<(), SendError> {
        self.send_message(text, Vec::new())
    }

    /// Sends a visitor message with the files uploaded for it (the composer).
    pub fn send_message(&self, text: &str, files: Vec<shared::Attachment>) -> Result<(), SendError> {
        let id = new_client_id();
        let frame = self.update(|s| s.enqueue_files(id, text, files)).unwrap_or(Err(SendError::Unavailable))?;
        self.connect();
        if let Some(frame) = frame {
            self.send(&frame);
        }
        Ok(())
    }

    /// The visitor typed in the composer: tell the agent, if one is chatting (throttled; the
    /// agent's indicator fades by itself when the notices stop).
    pub fn typing(&self) {
        if self.store.chat.with_untracked(|s| s.phase != shared::Phase::Agent) {
            return;
        }
        let now = js_sys::Date::now();
        if now - self.last_typing.get() < TYPING_EVERY_MS {
            return;
        }
        self.last_typing.set(now);
        self.send(&ClientFrame::Typing { on: true });
    }

    /// A quick reply's action, or the handover bar's buttons.
    pub fn action(&self, action: Action) {
        let frame = self.store.chat.with_untracked(|s| s.action(action));
        if let Some(frame) = frame {
            self.send(&frame);
        }
    }

    /// The visitor submitted the email prompt (checked first; an error is shown instead).
    pub fn submit_email(&self, text: &str) {
        if let Some(Some(frame)) = self.update(|s| s.submit_email(text)) {
            self.send(&frame);
        }
    }

    /// The visitor closed the email prompt ("No, thanks").
    pub fn dismiss_email(&self) {
        if let Some(Some(frame)) = self.update(|s| s.dismiss_email()) {
            self.send(&frame);
        }
    }

    /// The visitor wants to change the email given.
    pub fn edit_email(&self) {
        self.update(ChatState::edit_email);
    }

    /// Puts `text` on the clipboard (`navigator.clipboard.writeText`, called through `Reflect`
    /// so no web-sys feature is needed): `done` once written, `refused` when the clipboard is
    /// missing (not a secure context) or refuses.
    pub fn copy(&self, text: &str, done: impl FnOnce() + 'static, refused: impl FnOnce() + 'static) {
        let window: JsValue = web_sys::window().map_or(JsValue::UNDEFINED, Into::into);
        let clipboard = get(&get(&window, "navigator"), "clipboard");
        let written = get(&clipboard, "writeText")
            .dyn_into::<js_sys::Function>()
            .ok()
            .and_then(|write| write.call1(&clipboard, &JsValue::from_str(text)).ok());
        let then =
            written.as_ref().map(|promise| get(promise, "then")).and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        let (Some(promise), Some(then)) = (written, then) else { return refused() };
        let ok = Closure::once_into_js(move |_: JsValue| done());
        let err = Closure::once_into_js(move |_: JsValue| refused());
        let _ = then.call2(&promise, &ok, &err);
    }

    /// Sends a failed message again, with its original id.
    pub fn retry(&self, client_id: &str) {
        if let Some(Some(frame)) = self.update(|s| s.retry(client_id)) {
            self.send(&frame);
        }
    }

    pub fn set_open(&self, open: bool) {
        if self.store.open.get_untracked() == open {
            return;
        }
        self.store.open.set(open);
        self.bridge.emit(&detail::open(open));
        if open {
            self.connect();
        }
    }

    /// Whether this tab holds the socket the site's tabs share.
    pub fn leads(&self) -> bool {
        self.socket.as_ref().is_some_and(Link::leads)
    }

    pub fn toggle(&self) {
        self.set_open(!self.store.open.get_untracked());
    }

    pub fn command(&self, command: Command) {
        match command {
            Command::Open => self.set_open(true),
            Command::Close => self.set_open(false),
            Command::Toggle => self.toggle(),
            Command::Identify(visitor) => {
                if let Some(Some(frame)) = self.update(|s| s.identify(visitor)) {
                    self.send(&frame);
                }
            }
            Command::Configure(theme) => self.store.page_theme.update(|page| *page = page.overlay(&theme)),
            Command::Sound(on) => crate::ui::attention::set_sound(on),
            Command::Language(tag) => {
                if let Some(Some(frame)) = self.update(|s| s.set_languages(None, Some(tag))) {
                    self.send(&frame);
                }
            }
        }
    }
}
