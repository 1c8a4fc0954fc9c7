//! The visitor's transcript: "Download transcript" (always in the header once a conversation
//! exists, and in a card after a chat with a person) and, when the relay has a mail server
//! (`welcome.transcript_email`) and the visitor gave an email, "Email me the transcript".
//!
//! Both call the relay over HTTP with the resume token as `Authorization: Bearer` (never in a
//! URL): the download is fetched, then saved through a blob link with a file name; the mail
//! request is answered at once (202: the card says the transcript is on its way, and the mail
//! may be asked for again once the relay's window passed) and its outcome arrives later as a
//! system message in the chat. Both pass the browser's time zone (`?tz=`), so the times read
//! as the visitor's. `fetch`, `Blob` URLs and the promise callbacks go through `Reflect`, as the clipboard
//! does (`ui/js.rs`), so no web-sys feature (and little wasm) is added.

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::Element;

use super::{
    js::{call, get},
    plain::{add, holder, on_click, Handlers},
};
use crate::{
    app::{rt, Store},
    i18n::{self, Texts},
};

/// The download icon's markup.
const ICON: &str = "<svg class=\"baton-icon\" viewBox=\"0 0 24 24\" aria-hidden=\"true\" focusable=\"false\"><path d=\"M11 4h2v8.2l3.3-3.3 1.4 1.4L12 16l-5.7-5.7 1.4-1.4 3.3 3.3zM5 18h14v2H5z\"/></svg>";

/// The header's download button, once there is a conversation to download.
pub fn header_button() -> impl IntoView {
    let store = expect_context::<Store>();
    let shown = Memo::new(move |_| store.chat.with(|s| s.conversation_id.is_some()));
    let label = store.chat.with_untracked(|s| s.texts().transcript_download);
    holder("baton-transcript-host", move |host, handlers| {
        if !shown.get() {
            return None;
        }
        let button = [
            ("type", "button"),
            ("class", "baton-icon-btn"),
            ("data-testid", "transcript-download-menu"),
            ("aria-label", label),
            ("title", label),
        ];
        let button = add(host, "button", &button, None)?;
        button.set_inner_html(ICON);
        on_click(&button, handlers, || download(|| ()));
        Some(())
    })
}

/// After a chat with a person (ended, or back with the bot): download, and email when offered.
pub fn after_chat() -> impl IntoView {
    let store = expect_context::<Store>();
    let after = Memo::new(move |_| store.chat.with(|s| s.after_chat()));
    holder("baton-transcript-host", move |host, handlers| card(host, store, after.get()?, handlers))
}

/// The card's status line (its `data-state`: `sending`, `sent`, `failed`) and the mail's
/// button, which waits while `sending`.
#[derive(Clone)]
struct Status {
    line: Element,
    mail: Option<Element>,
}

impl Status {
    fn set(&self, state: &str, text: &str) {
        self.line.set_text_content(Some(text));
        let _ = self.line.set_attribute("data-state", state);
        if let Some(mail) = &self.mail {
            let _ =
                if state == "sending" { mail.set_attribute("disabled", "") } else { mail.remove_attribute("disabled") };
        }
    }

    /// Sets the line to the transcript's failure.
    fn failed(self, t: &'static Texts) -> impl FnOnce() + 'static {
        move || self.set("failed", t.transcript_failed)
    }
}

/// Draws the card into `host`.
fn card(host: &Element, store: Store, email: Option<String>, handlers: &mut Handlers) -> Option<()> {
    let t = store.chat.with_untracked(|s| s.texts());
    let card =
        [("class", "baton-summary"), ("data-testid", "transcript"), ("aria-labelledby", "baton-transcript-title")];
    let card = add(host, "section", &card, None)?;
    add(&card, "h3", &[("class", "baton-summary__title"), ("id", "baton-transcript-title")], Some(t.transcript_title));
    let actions = add(&card, "div", &[("class", "baton-summary__actions")], None)?;
    let button = [("type", "button"), ("class", "baton-summary__copy"), ("data-testid", "transcript-download")];
    let download_button = add(&actions, "button", &button, Some(t.transcript_download))?;
    let mail = match &email {
        Some(_) => {
            let button = [
                ("type", "button"),
                ("class", "baton-summary__copy"),
                ("data-testid", "transcript-email"),
                ("aria-describedby", "baton-transcript-status"),
            ];
            Some(add(&actions, "button", &button, Some(t.transcript_email))?)
        }
        None => None,
    };
    let line = [
        ("class", "baton-summary__status"),
        ("id", "baton-transcript-status"),
        ("role", "status"),
        ("data-testid", "transcript-status"),
        ("data-state", ""),
    ];
    let status = Status { line: add(&actions, "span", &line, None)?, mail: mail.clone() };
    let on_download = status.clone();
    on_click(&download_button, handlers, move || download(on_download.clone().failed(t)));
    // Sent again after the relay's window (`smtp.every`): sooner, it refuses and the line says so.
    if let (Some(mail), Some(email)) = (mail, email) {
        let sending = i18n::fill(t.transcript_sending, "email", &email);
        let sent = i18n::fill(t.transcript_sent, "email", &email);
        on_click(&mail, handlers, move || {
            status.set("sending", &sending);
            let (done, sent) = (status.clone(), sent.clone());
            on_response(fetch("POST", "/email"), move |_| done.set("sent", &sent), status.clone().failed(t));
        });
    }
    Some(())
}

/// `fetch(relay + path, {method, headers: {Authorization: "Bearer <token>"}})`.
fn fetch(method: &str, path: &str) -> Option<js_sys::Promise> {
    let runtime = rt();
    let token = runtime.saved_token()?;
    // The browser's time zone: the transcript's times are the visitor's.
    let zone = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
    let zone = get(&zone, "timeZone").as_string().unwrap_or_default();
    let url = format!(
        "{}/api/v1/sites/{}/transcript{path}?tz={}",
        runtime.relay,
        runtime.site,
        String::from(js_sys::encode_uri_component(&zone))
    );
    let headers = js_sys::Object::new();
    js_sys::Reflect::set(&headers, &"Authorization".into(), &format!("Bearer {token}").into()).ok()?;
    let init = js_sys::Object::new();
    js_sys::Reflect::set(&init, &"method".into(), &method.into()).ok()?;
    js_sys::Reflect::set(&init, &"headers".into(), &headers).ok()?;
    let window: JsValue = web_sys::window()?.into();
    call(&window, "fetch", &[url.into(), init.into()])?.dyn_into().ok()
}

/// Runs `ok` with the response when it is a 2xx, `failed` otherwise (or offline).
fn on_response(promise: Option<js_sys::Promise>, ok: impl FnOnce(JsValue) + 'static, failed: impl FnOnce() + 'static) {
    let Some(promise) = promise else { return failed() };
    let failed = std::rc::Rc::new(std::cell::Cell::new(Some(failed)));
    let fail = failed.clone();
    let answered = Closure::once(move |response: JsValue| {
        if get(&response, "ok").as_bool() == Some(true) {
            ok(response);
        } else if let Some(f) = fail.take() {
            f();
        }
    });
    let refused = Closure::once(move |_: JsValue| {
        if let Some(f) = failed.take() {
            f();
        }
    });
    let _ = promise.then2(&answered, &refused);
    answered.forget();
    refused.forget();
}

/// Fetches the plain-text transcript and saves it as `chat-transcript.txt`.
fn download(failed: impl FnOnce() + 'static) {
    on_response(
        fetch("GET", ""),
        |response| {
            let Some(blob) = call(&response, "blob", &[]).and_then(|p| p.dyn_into::<js_sys::Promise>().ok()) else {
                return;
            };
            let save = Closure::once(save_blob);
            let _ = blob.then(&save);
            save.forget();
        },
        failed,
    );
}

/// Saves `blob` through a temporary `<a download>` in the widget's root.
fn save_blob(blob: JsValue) {
    let Some(window) = web_sys::window() else { return };
    let urls = get(&window, "URL");
    let Some(href) = call(&urls, "createObjectURL", &[blob]).and_then(|u| u.as_string()) else { return };
    let Some(link) = window.document().and_then(|d| d.create_element("a").ok()) else { return };
    let _ = link.set_attribute("href", &href);
    let _ = link.set_attribute("download", "chat-transcript.txt");
    let _ = link.set_attribute("hidden", "");
    let runtime = rt();
    let parent: Option<web_sys::Node> = match &runtime.root {
        Some(root) => Some(root.clone().into()),
        None => window.document().and_then(|d| d.body()).map(Into::into),
    };
    if let Some(parent) = &parent {
        let _ = parent.append_child(&link);
    }
    if let Ok(link) = link.clone().dyn_into::<web_sys::HtmlElement>() {
        link.click();
    }
    link.remove();
    // The browser has the file by then; the URL is let go.
    let revoke = Closure::once_into_js(move || {
        let _ = call(&urls, "revokeObjectURL", &[href.into()]);
    });
    let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
}
