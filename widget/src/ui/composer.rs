//! The message box: Enter sends, Shift+Enter breaks the line. With the site's leave, files
//! too: the paperclip, a paste, a drop on the panel (`attach.rs`); they go with the text.

use leptos::{html, prelude::*};
use shared::MAX_MESSAGE_CHARS;

use super::{
    attach::{attach_button, staged_files},
    icons, plain,
};
use crate::{
    app::{rt, Store},
    store::SendError,
};

/// The character counter shows from this many characters on.
const COUNT_FROM: usize = MAX_MESSAGE_CHARS - 500;

#[component]
pub fn Composer() -> impl IntoView {
    let store = expect_context::<Store>();
    let input = NodeRef::<html::Textarea>::new();
    let error = RwSignal::new(None::<&'static str>);
    let unavailable = move || store.chat.with(|s| s.fatal.is_some());
    let chars = move || store.draft.with(|d| d.chars().count());
    let empty = move || store.draft.with(|d| d.trim().is_empty()) && store.files.with(|f| f.staged.is_empty());
    let busy = move || store.files.with(|f| f.busy());
    let near_limit = move || chars() >= COUNT_FROM;
    let t = store.chat.with_untracked(|s| s.texts());

    // Focus the box when the panel opens (this component mounts with it).
    Effect::new(move |_| {
        if let Some(el) = input.get() {
            request_animation_frame(move || {
                let _ = el.focus();
            });
        }
    });

    let submit = move || {
        // A file still uploading holds the message back (the button says so by being off).
        if store.files.with_untracked(|f| f.busy()) {
            return;
        }
        let text = store.draft.get_untracked();
        let files = store.files.with_untracked(|f| f.ready());
        match rt().send_message(&text, files) {
            Ok(()) => {
                store.draft.set(String::new());
                store.files.update(|f| f.sent());
                error.set(None);
            }
            Err(SendError::Empty) => {}
            Err(SendError::TooLong | SendError::FrameTooLarge) => {
                error.set(Some(t.too_long));
            }
            Err(SendError::Unavailable) => error.set(Some(t.unavailable)),
        }
        if let Some(el) = input.get_untracked() {
            let _ = el.focus();
        }
    };

    view! {
        <form
            class="baton-composer"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            {staged_files(store, input)}
            {attach_button(store)}
            <textarea
                class="baton-composer__input"
                data-testid="composer"
                node_ref=input
                rows="1"
                maxlength=MAX_MESSAGE_CHARS.to_string()
                dir="auto"
                placeholder=t.placeholder
                aria-label=t.message_label
                disabled=unavailable
                prop:value=move || store.draft.get()
                on:input=move |ev| {
                    store.draft.set(event_target_value(&ev));
                    error.set(None);
                    rt().typing();
                }
                on:keydown=move |ev| {
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        submit();
                    }
                }
            ></textarea>
            <button
                type="submit"
                class="baton-send"
                data-testid="send"
                aria-label=t.send
                disabled=move || empty() || busy() || unavailable()
                inner_html=icons::SEND
            ></button>
            {plain::line("span", &[("class", "baton-composer__count"), ("aria-live", "polite")], move || {
                near_limit().then(|| format!("{}/{MAX_MESSAGE_CHARS}", chars()))
            })}
            {plain::line("p", &[("class", "baton-composer__error"), ("role", "alert")], move || {
                error.get().map(str::to_string)
            })}
        </form>
    }
}
