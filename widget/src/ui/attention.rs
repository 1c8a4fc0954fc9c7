//! Drawing the visitor's attention in the browser (issue 13, point 6): the unread badge (the
//! launcher's `data-unread`, `launcher.rs`) and the page title's counter, `(2) Title`, from the
//! read mark shared by the site's tabs in localStorage; a soft two-note tone (WebAudio, no file)
//! for an answer that arrives while the visitor does not see the chat, in the tab holding the
//! socket, when the site or the page switches it on; the proactive message in a bubble by the
//! launcher. The pure rules are in `crate::attention`; the site's settings come from
//! `GET /api/v1/sites/{site}/widget`, once per page.

use std::{
    cell::{Cell, OnceCell},
    time::Duration,
};

use leptos::prelude::*;
use shared::{Phase, Role};
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

use super::plain::{add, holder, on_click};
use crate::{
    app::{rt, Store},
    attention::{next_mark, retitle, shown_on, title_prefix, unread, Read, Settings},
    store::model::Stored,
};

#[derive(Clone, Copy)]
struct State {
    /// `document.visibilityState` is `visible`.
    visible: RwSignal<bool>,
    /// The read mark as kept in localStorage `baton:<site>:read` (`Read::to_text`), in step
    /// with the other tabs. Signals of `String` (not of new types) keep the wasm small.
    read: RwSignal<String>,
    /// The proactive message on show (empty: none).
    bubble: RwSignal<String>,
}

thread_local! {
    static STATE: OnceCell<State> = const { OnceCell::new() };
    /// The page's `Baton.configure({sound})`, over the site's setting.
    static PAGE_SOUND: Cell<Option<bool>> = const { Cell::new(None) };
    /// The site's `sound`.
    static SITE_SOUND: Cell<bool> = const { Cell::new(false) };
    static AUDIO: OnceCell<JsValue> = const { OnceCell::new() };
}

fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `obj[name](...args)`, giving back its result (undefined when it is missing or throws).
fn call(obj: &JsValue, name: &str, args: &[JsValue]) -> JsValue {
    let Ok(f) = get(obj, name).dyn_into::<js_sys::Function>() else { return JsValue::UNDEFINED };
    f.apply(obj, &args.iter().collect()).unwrap_or(JsValue::UNDEFINED)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn key(what: &str) -> String {
    format!("baton:{}:{what}", rt().site)
}

fn on(target: &JsValue, event: &str, handler: impl FnMut(web_sys::Event) + 'static) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    let _ = call(target, "addEventListener", &[JsValue::from_str(event), closure.as_ref().clone()]);
    closure.forget();
}

fn is_visible() -> bool {
    let document: JsValue = web_sys::window().and_then(|w| w.document()).map_or(JsValue::UNDEFINED, Into::into);
    get(&document, "visibilityState").as_string().is_none_or(|s| s == "visible")
}

fn state() -> Option<State> {
    STATE.with(|s| s.get().copied())
}

/// Whether the visitor sees the chat in this tab.
fn reading(store: &Store, state: &State) -> bool {
    store.open.get() && state.visible.get()
}

/// Starts everything for the page; called once, from the app.
pub fn drive(store: Store) {
    let read = storage().and_then(|s| s.get_item(&key("read")).ok().flatten()).unwrap_or_default();
    let state =
        State { visible: RwSignal::new(is_visible()), read: RwSignal::new(read), bubble: RwSignal::new(String::new()) };
    if STATE.with(|s| s.set(state)).is_err() {
        return;
    }
    let window: JsValue = web_sys::window().map_or(JsValue::UNDEFINED, Into::into);
    on(&get(&window, "document"), "visibilitychange", move |_| state.visible.set(is_visible()));
    // Another tab moved the mark.
    let read_key = key("read");
    on(&window, "storage", move |event| {
        if get(&event, "key").as_string().as_deref() == Some(&read_key) {
            state.read.set(get(&event, "newValue").as_string().unwrap_or_default());
        }
    });

    // The mark: set for a conversation seen for the first time, moved while the visitor reads.
    Effect::new(move |_| {
        let seen = reading(&store, &state);
        if store.open.get() {
            state.bubble.set(String::new());
        }
        let (conversation, history_seq, newest) =
            store.chat.with(|s| (s.conversation_id.clone(), s.history_seq, s.messages.last().map(|m| m.seq)));
        let Some(conversation) = conversation else { return };
        let stored = state.read.with_untracked(|t| Read::parse(t));
        if let Some(mark) = next_mark(stored.as_ref(), &conversation, history_seq, newest.filter(|_| seen)) {
            if let Some(storage) = storage() {
                let _ = storage.set_item(&key("read"), &mark.to_text());
            }
            state.read.set(mark.to_text());
        }
    });
    // The count, and the title's counter; returns the prefix written, to take it off again.
    Effect::new(move |written: Option<Option<String>>| {
        let count = state.read.with(|read| {
            store.chat.with(|s| unread(&s.messages, s.conversation_id.as_deref(), Read::parse(read).as_ref()))
        });
        store.unread.set(count);
        let prefix = title_prefix(count);
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            let title = document.title();
            let next = retitle(&title, written.flatten().as_deref(), prefix.as_deref());
            if next != title {
                document.set_title(&next);
            }
        }
        prefix
    });

    let url = format!("{}/api/v1/sites/{}/widget", rt().relay, js_sys::encode_uri_component(&rt().site));
    super::js::fetch_text(&url, move |text| match text.as_deref().and_then(Settings::parse) {
        Some(settings) => {
            schedule_proactive(store, state, &settings);
            SITE_SOUND.with(|s| s.set(settings.sound));
        }
        None => web_sys::console::warn_1(&"[baton] cannot read the site's widget settings".into()),
    });
}

/// The visitor's local date, `YYYY-MM-DD`.
fn today() -> String {
    let now = js_sys::Date::new_0();
    format!("{:04}-{:02}-{:02}", now.get_full_year(), now.get_month() + 1, now.get_date())
}

/// Shows the page's proactive message after its wait, unless one was shown today or a chat is
/// open then.
fn schedule_proactive(store: Store, state: State, settings: &Settings) {
    let path = web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default();
    let Some(rule) = settings.rule_for(&path).cloned() else { return };
    let shown = || shown_on(storage().and_then(|s| s.get_item(&key("proactive")).ok().flatten()).as_deref(), &today());
    if shown() {
        return;
    }
    // Seconds on the page, counted from its navigation (the widget loads some time after).
    let window: JsValue = web_sys::window().map_or(JsValue::UNDEFINED, Into::into);
    let elapsed = call(&get(&window, "performance"), "now", &[]).as_f64().unwrap_or(0.0);
    let wait = (f64::from(rule.after_secs) * 1000.0 - elapsed).max(0.0);
    set_timeout(
        move || {
            let busy = store.chat.with_untracked(|s| matches!(s.phase, Phase::Waiting | Phase::Agent));
            if store.open.get_untracked() || busy || shown() {
                return;
            }
            if let Some(storage) = storage() {
                let _ = storage.set_item(&key("proactive"), &today());
            }
            let text = store.chat.with_untracked(|s| rule.text_for(&s.languages()).to_string());
            state.bubble.set(text);
        },
        Duration::from_millis(wait as u64),
    );
}

/// The page switched the sound on or off (`Baton.configure({sound})`, `data-sound`).
pub fn set_sound(on: bool) {
    PAGE_SOUND.with(|s| s.set(Some(on)));
}

/// A message applied for the first time in this tab: a live answer the visitor does not see
/// chimes, once for all tabs (the one holding the socket), when the sound is on. Another tab
/// where the visitor reads the chat moves the read mark within moments (it applies the frame
/// after this tab passed it on): the tone waits for that.
pub fn on_message(stored: &Stored, history: bool) {
    let Some(state) = state() else { return };
    let sound = PAGE_SOUND.with(Cell::get).unwrap_or_else(|| SITE_SOUND.with(Cell::get));
    if history || !sound || stored.message.author.role == Role::Visitor || !rt().leads() {
        return;
    }
    let seq = stored.seq;
    set_timeout(
        move || {
            let store = rt().store;
            let read = state.read.with_untracked(|t| Read::parse(t).is_some_and(|r| r.seq >= seq));
            let seen = read || (store.open.get_untracked() && state.visible.get_untracked());
            if !seen {
                chime();
            }
        },
        Duration::from_millis(300),
    );
}

/// Two soft sine notes (E6 then A6, 0.4 s, quiet), made by WebAudio.
fn chime() {
    let Some(window) = web_sys::window() else { return };
    let context = AUDIO.with(|audio| {
        if let Some(context) = audio.get() {
            return Some(context.clone());
        }
        let class = [get(&window, "AudioContext"), get(&window, "webkitAudioContext")]
            .into_iter()
            .find_map(|c| c.dyn_into::<js_sys::Function>().ok())?;
        let context = js_sys::Reflect::construct(&class, &js_sys::Array::new()).ok()?;
        Some(audio.get_or_init(|| context).clone())
    });
    let Some(context) = context else { return };
    // Suspended until the page had a click (autoplay rules): then it plays, else stays silent.
    let _ = call(&context, "resume", &[]);
    let start = get(&context, "currentTime").as_f64().unwrap_or(0.0);
    for (i, frequency) in [1318.5_f64, 1760.0].into_iter().enumerate() {
        let at = start + 0.14 * i as f64;
        let oscillator = call(&context, "createOscillator", &[]);
        let gain = call(&context, "createGain", &[]);
        let _ = js_sys::Reflect::set(&get(&oscillator, "frequency"), &"value".into(), &frequency.into());
        let volume = get(&gain, "gain");
        let _ = call(&volume, "setValueAtTime", &[JsValue::from(0.0001), at.into()]);
        let _ = call(&volume, "exponentialRampToValueAtTime", &[JsValue::from(0.06), (at + 0.02).into()]);
        let _ = call(&volume, "exponentialRampToValueAtTime", &[JsValue::from(0.0001), (at + 0.26).into()]);
        let _ = call(&oscillator, "connect", std::slice::from_ref(&gain));
        let _ = call(&gain, "connect", &[get(&context, "destination")]);
        let _ = call(&oscillator, "start", &[at.into()]);
        let _ = call(&oscillator, "stop", &[(at + 0.3).into()]);
    }
}

/// The proactive message by the launcher: its text opens the chat, × dismisses it. Drawn as
/// plain elements (`plain.rs`) when the message comes or goes.
pub fn proactive() -> impl IntoView {
    let state = state();
    holder("baton-proactive-host", move |host, handlers| {
        let state = state?;
        let text = state.bubble.get();
        if text.is_empty() {
            return None;
        }
        let dismiss = rt().store.chat.with_untracked(|s| s.texts().dismiss);
        let bubble = [("class", "baton-proactive"), ("role", "status"), ("data-testid", "proactive")];
        let bubble = add(host, "div", &bubble, None)?;
        let open =
            [("type", "button"), ("class", "baton-proactive-text"), ("dir", "auto"), ("data-testid", "proactive-open")];
        let open = add(&bubble, "button", &open, Some(&text))?;
        let close = [
            ("type", "button"),
            ("class", "baton-proactive-close"),
            ("data-testid", "proactive-close"),
            ("aria-label", dismiss),
        ];
        let close = add(&bubble, "button", &close, Some("×"))?;
        on_click(&open, handlers, || rt().set_open(true));
        on_click(&close, handlers, move || state.bubble.set(String::new()));
        Some(())
    })
}
