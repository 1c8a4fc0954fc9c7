//! The panel header: bot name, connection status line, close button.

use leptos::prelude::*;

use super::{icons, panel::close_and_refocus};
use crate::{app::Store, store::Connection};

#[component]
pub fn Header() -> impl IntoView {
    let store = expect_context::<Store>();
    let name = move || store.chat.with(|s| s.title());
    let initial = move || name().chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    view! {
        <header class="baton-header">
            <div class="baton-avatar" aria-hidden="true">{initial}</div>
            <div class="baton-header__text">
                <h2 class="baton-header__name" id="baton-title">{name}</h2>
                <ConnectionStatus />
            </div>
            <button
                type="button"
                class="baton-icon-btn"
                data-testid="close"
                aria-label="Close chat"
                on:click=move |_| close_and_refocus()
            >
                {icons::close()}
            </button>
        </header>
    }
}

/// "Connecting…", "Online", "Offline — reconnecting", or why the chat is unavailable.
#[component]
pub fn ConnectionStatus() -> impl IntoView {
    let store = expect_context::<Store>();
    let status = Memo::new(move |_| {
        store.chat.with(|s| match &s.fatal {
            Some(text) => ("error", text.clone()),
            None => (
                s.connection.as_str(),
                match s.connection {
                    Connection::Connecting => "Connecting…",
                    Connection::Online => "Online",
                    Connection::Offline => "Offline — reconnecting",
                }
                .to_string(),
            ),
        })
    });
    view! {
        <p
            class="baton-status"
            data-testid="connection"
            data-state=move || status.get().0
            role="status"
        >
            <span class="baton-status__dot" aria-hidden="true"></span>
            <span class="baton-status__text">{move || status.get().1}</span>
        </p>
    }
}
