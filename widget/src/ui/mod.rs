//! The widget's components. Presentational: they read the [`Store`](crate::app::Store) and
//! call the runtime's actions. No inline styles: every look comes from `style/baton.css`.

mod composer;
mod handover;
mod header;
mod icons;
pub mod launcher;
mod messages;
mod panel;

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
    view! {
        <div class="baton-root">
            <Show when=move || store.open.get()>
                <panel::Panel />
            </Show>
        </div>
    }
}
