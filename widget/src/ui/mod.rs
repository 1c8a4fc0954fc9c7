//! The widget's components. Presentational: they read the [`Store`](crate::app::Store) and
//! call the runtime's actions. No inline styles: every look comes from `style/baton.css`.

pub mod attach;
pub mod attention;
mod composer;
mod email;
mod handover;
mod header;
mod icons;
mod js;
pub mod launcher;
mod messages;
mod panel;
mod plain;
mod summary;
pub mod texts;
mod theme;
mod transcript;

use leptos::prelude::*;

use crate::app::rt;

/// Mounted into the loader's `.baton-mount`; the launcher is the loader's element, driven
/// from here (see [`launcher`]).
#[component]
pub fn App() -> impl IntoView {
    let runtime = rt();
    let store = runtime.store;
    provide_context(store);
    if let Some(el) = runtime.launcher.clone() {
        launcher::drive(el, store);
    }
    if let Some(root) = runtime.root.clone() {
        theme::drive(root, store);
    }
    attention::drive(store);
    // The language shown: the visitor's once its texts are here (`texts.rs`), English before.
    let lang = Memo::new(move |_| store.chat.with(|s| s.lang.shown()));
    view! {
        // The widget's own texts are in a left-to-right language whatever the page's direction;
        // messages set their own (`dir="auto"`).
        <div class="baton-root" lang=move || lang.get().code() dir="ltr">
            // The panel while open, drawn again when the language changes (rare): its texts are
            // plain strings, not one reactive binding each, which would cost wasm size. Leptos
            // rebuilds it into the same elements, so each plain-element drawing (`plain.rs`)
            // first clears what the previous panel drew there.
            {move || {
                lang.track();
                store.open.get().then(|| view! { <panel::Panel /> })
            }}
            {attention::proactive()}
        </div>
    }
}
