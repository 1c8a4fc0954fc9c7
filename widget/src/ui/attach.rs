//! Files from the visitor, in the browser: the paperclip (a hidden file input behind a button),
//! a drop on the panel and a paste in it ([`listen`]). Each
//! file is checked against the site's limits (`store::files`), then uploaded with
//! `XMLHttpRequest` (which, unlike `fetch`, reports upload progress) to
//! `POST /api/v1/sites/{site}/attachments` with the resume token as `Authorization: Bearer`.
//! The files wait above the message box, with their progress and a remove button, and go out
//! with the next message.

use std::cell::RefCell;

use leptos::{html, prelude::*};
use shared::Attachment;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};

use super::{
    icons,
    js::{call, get, set},
    plain,
};
use crate::{
    app::{rt, Store},
    i18n::fill,
    store::{
        files::{size_text, Refusal, Staged},
        Connection,
    },
};

thread_local! {
    /// The uploads under way, by file key: removing a file aborts its upload.
    static REQUESTS: RefCell<Vec<(u32, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// Whether the site takes files (known from `welcome`); for event handlers.
pub fn allowed(store: Store) -> bool {
    store.chat.with_untracked(|s| s.attachments.is_some())
}

/// Files dropped on the panel or pasted in it (a screenshot, a copied image): one listener on
/// the widget's mount for `dragenter`, `dragover`, `dragleave`, `drop` and `paste` (one closure
/// costs less wasm than a view handler each). While files are dragged over the panel it
/// carries `data-drop` with the words to show, which `baton.css` draws over it.
pub fn listen(mount: &web_sys::EventTarget) {
    let on_event = Closure::<dyn FnMut(web_sys::Event)>::new(|event: web_sys::Event| {
        let store = rt().store;
        let target = event.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let panel = target.as_ref().and_then(|t| t.closest(".baton-panel").ok().flatten());
        let Some(panel) = panel.filter(|_| allowed(store)) else { return };
        let kind = event.type_();
        if kind == "paste" {
            if take(&get(&get(&event, "clipboardData"), "files")) {
                event.prevent_default();
            }
            return;
        }
        let data = get(&event, "dataTransfer");
        if !js_sys::Array::from(&get(&data, "types")).includes(&"Files".into(), 0) {
            return; // text or a link dragged from the page
        }
        event.prevent_default();
        match kind.as_str() {
            "drop" => {
                let _ = panel.remove_attribute("data-drop");
                take(&get(&data, "files"));
            }
            // Leaving a part of the panel for another is no leaving.
            "dragleave" if target.as_ref() == Some(&panel) => {
                let _ = panel.remove_attribute("data-drop");
            }
            "dragleave" => {}
            _ => {
                let _ = panel.set_attribute("data-drop", store.chat.with_untracked(|s| s.texts().drop_files));
            }
        }
    });
    for kind in ["dragenter", "dragover", "dragleave", "drop", "paste"] {
        let _ = mount.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
    }
    on_event.forget();
}

/// Checks and uploads every file of a `FileList`.
fn take(list: &JsValue) -> bool {
    let count = get(list, "length").as_f64().unwrap_or(0.0) as u32;
    for i in 0..count {
        if let Ok(file) = js_sys::Reflect::get_u32(list, i) {
            start(&file);
        }
    }
    count > 0
}

fn online(store: Store) -> bool {
    let navigator = web_sys::window().map_or(JsValue::UNDEFINED, |w| get(&w, "navigator"));
    get(&navigator, "onLine").as_bool() != Some(false)
        && store.chat.with_untracked(|s| s.connection == Connection::Online)
}

fn start(file: &JsValue) {
    let store = rt().store;
    let name = get(file, "name").as_string().unwrap_or_default();
    let size = get(file, "size").as_f64().unwrap_or(0.0) as u64;
    let kind = get(file, "type").as_string().unwrap_or_default();
    let (limits, online) = (store.chat.with_untracked(|s| s.attachments.clone()), online(store));
    let Some(Some(key)) = store.files.try_update(|f| f.start(limits.as_ref(), &name, &kind, size, online)) else {
        return;
    };
    if upload(store, key, &name, file).is_none() {
        store.files.update(|f| f.failed(key, Refusal::Failed));
    }
}

/// Sends `file` to the relay; its progress and outcome go into the store under `key`.
fn upload(store: Store, key: u32, name: &str, file: &JsValue) -> Option<()> {
    let runtime = rt();
    let token = runtime.saved_token()?;
    let name = js_sys::encode_uri_component(name);
    let url = format!("{}/api/v1/sites/{}/attachments?name={name}", runtime.relay, runtime.site);
    let window: JsValue = web_sys::window()?.into();
    let class = get(&window, "XMLHttpRequest").dyn_into::<js_sys::Function>().ok()?;
    let xhr = js_sys::Reflect::construct(&class, &js_sys::Array::new()).ok()?;
    call(&xhr, "open", &["POST".into(), url.into()])?;
    call(&xhr, "setRequestHeader", &["Authorization".into(), format!("Bearer {token}").into()])?;
    set(&xhr, "responseType", &"json".into());
    let progress = Closure::<dyn FnMut(JsValue)>::new(move |e: JsValue| {
        let number = |key| get(&e, key).as_f64().unwrap_or(0.0);
        store.files.update(|f| f.progress(key, number("loaded"), number("total")));
    });
    set(&get(&xhr, "upload"), "onprogress", &progress.into_js_value());
    // After success, an error or an abort alike; an aborted file is gone already.
    let request = xhr.clone();
    let ended = Closure::once_into_js(move || {
        REQUESTS.with(|r| r.borrow_mut().retain(|(k, _)| *k != key));
        let status = get(&request, "status").as_f64().unwrap_or(0.0) as u16;
        match attachment(&get(&request, "response")).filter(|_| status == 201) {
            Some(attachment) => store.files.update(|f| f.uploaded(key, attachment)),
            None => store.files.update(|f| f.failed(key, Refusal::of_status(status, online(store)))),
        }
    });
    set(&xhr, "onloadend", &ended);
    call(&xhr, "send", std::slice::from_ref(file))?;
    REQUESTS.with(|r| r.borrow_mut().push((key, xhr)));
    Some(())
}

/// The relay's `201` answer: `{id, name, content_type, size, url}`.
fn attachment(body: &JsValue) -> Option<Attachment> {
    let text = |key| get(body, key).as_string();
    Some(Attachment {
        id: text("id")?,
        name: text("name")?,
        content_type: text("content_type")?,
        size: get(body, "size").as_f64()? as u64,
        url: text("url")?,
    })
}

/// Takes `key` off the message, aborting its upload if it is still under way.
fn remove(store: Store, key: u32) {
    store.files.update(|f| {
        f.remove(key);
    });
    let request = REQUESTS.with(|r| {
        let mut r = r.borrow_mut();
        r.iter().position(|(k, _)| *k == key).map(|at| r.remove(at).1)
    });
    if let Some(request) = request {
        call(&request, "abort", &[]);
    }
}

/// The paperclip and its file picker; nothing when the site takes no files. Drawn as plain
/// elements (`plain.rs`) when the site's file types come or change.
pub fn attach_button(store: Store) -> AnyView {
    let host = NodeRef::<html::Div>::new();
    let t = store.chat.with_untracked(|s| s.texts());
    let accept = Memo::new(move |_| store.chat.with(|s| s.attachments.as_ref().map(|l| l.types.join(","))));
    Effect::new(move |_: Option<Option<plain::Handlers>>| {
        let host = host.get()?;
        host.set_text_content(None);
        let accept = accept.get()?;
        let input =
            [("type", "file"), ("multiple", ""), ("hidden", ""), ("accept", &accept), ("data-testid", "file-input")];
        let input: web_sys::HtmlInputElement = plain::add(&host, "input", &input, None)?.dyn_into().ok()?;
        let button = [
            ("type", "button"),
            ("class", "baton-attach"),
            ("data-testid", "attach"),
            ("aria-label", t.attach),
            ("title", t.attach),
        ];
        let button = plain::add(&host, "button", &button, None)?;
        button.set_inner_html(icons::PAPERCLIP);
        let mut handlers = Vec::new();
        let picker = input.clone();
        plain::on_click(&button, &mut handlers, move || picker.click());
        let picked = input.clone();
        let change = Closure::<dyn FnMut()>::new(move || {
            take(&get(&picked, "files"));
            // The same file can be picked again after a removal.
            picked.set_value("");
        });
        let _ = input.add_event_listener_with_callback("change", change.as_ref().unchecked_ref());
        handlers.push(change);
        Some(handlers)
    });
    view! { <div class="baton-attach-host" node_ref=host></div> }.into_any()
}

/// The files waiting for the message: name, size, progress while uploading, and a remove
/// button (which gives the focus back to `composer`); then the last refusal (an alert) and,
/// for screen readers, the last file started or ready. The list is plain elements
/// (`plain.rs`), drawn again only when a file comes, goes or is ready, so progress does not
/// take the focus off its remove button; the bars follow the progress in place. An empty list
/// is not shown (`.baton-staged:empty`).
pub fn staged_files(store: Store, composer: NodeRef<html::Textarea>) -> AnyView {
    let (t, lang) = store.chat.with_untracked(|s| (s.texts(), s.lang));
    let list = NodeRef::<html::Ul>::new();
    let files = Memo::new(move |_| store.files.with(|f| f.staged.iter().map(Staged::outline).collect::<Vec<_>>()));
    Effect::new(move |_| {
        let Some(ul) = list.get() else { return };
        ul.set_text_content(None);
        for (key, name, size, ready) in files.get() {
            let state = if ready { "ready" } else { "uploading" };
            let key = key.to_string();
            let item = [("class", "baton-staged__file"), ("data-testid", "staged-file"), ("data-state", state)];
            let Some(li) = plain::add(&ul, "li", &item, None) else { return };
            plain::add(&li, "span", &[("class", "baton-staged__name"), ("dir", "auto")], Some(&name));
            plain::add(&li, "span", &[("class", "baton-staged__size")], Some(&size_text(size, lang)));
            if !ready {
                let label = fill(t.uploading, "name", &name);
                let bar = [("class", "baton-staged__bar"), ("max", "100"), ("data-key", &key), ("aria-label", &label)];
                plain::add(&li, "progress", &bar, None);
            }
            let label = fill(t.remove_file, "name", &name);
            let remove = [
                ("type", "button"),
                ("class", "baton-staged__remove"),
                ("data-testid", "staged-remove"),
                ("data-key", &key),
                ("aria-label", &label),
            ];
            if let Some(button) = plain::add(&li, "button", &remove, None) {
                button.set_inner_html(icons::CLOSE);
            }
        }
    });
    // The bars, as the uploads go.
    Effect::new(move |_| {
        let Some(ul) = list.get() else { return };
        store.files.with(|f| {
            for file in &f.staged {
                let bar = ul.query_selector(&format!("progress[data-key=\"{}\"]", file.key)).ok().flatten();
                if let Some(bar) = bar {
                    let _ = bar.set_attribute("value", &f.percent(file.key).to_string());
                }
            }
        });
    });
    // A remove button's click, for the whole list.
    let on_click = move |ev: web_sys::MouseEvent| {
        let target = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok());
        let button = target.and_then(|t| t.closest(".baton-staged__remove").ok().flatten());
        let Some(key) = button.and_then(|b| b.get_attribute("data-key")?.parse().ok()) else { return };
        remove(store, key);
        if let Some(el) = composer.get_untracked() {
            let _ = el.focus();
        }
    };
    let refusal = move || {
        let max = store.chat.with(|s| s.attachments.as_ref().map_or(0, |l| l.max_bytes));
        store.files.with(|f| f.refusal_text(t, lang, max))
    };
    view! {
        <ul class="baton-staged" aria-label=t.files data-testid="staged" node_ref=list on:click=on_click></ul>
        {plain::line("p", &[("class", "baton-composer__error"), ("role", "alert"), ("data-testid", "file-error")], refusal)}
        <p class="baton-vh" role="status" data-testid="file-status">
            {move || store.files.with(|f| f.news_text(t))}
        </p>
    }
    .into_any()
}
