//! The panel header: bot name, connection status line, close button.

use leptos::prelude::*;

use super::{icons, panel::close_and_refocus, transcript};
use crate::{
    app::Store,
    store::{model::fatal_text, Connection},
};

#[component]
pub fn Header() -> impl IntoView {
    let store = expect_context::<Store>();
    // While an agent chats, the agent's name; else the theme's title, else the bot's name.
    let agent = move || store.chat.with(|s| s.phase == shared::Phase::Agent && s.agent_name.is_some());
    let name = move || match store.theme().title {
        Some(title) if !agent() => title,
        _ => store.chat.with(|s| s.title()),
    };
    let initial = move || name().chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    let avatar = move || store.theme().avatar.filter(|_| !agent());
    // A plain block, not <header>: inside the dialog a header would count as a second banner
    // landmark of the host page (axe-core's landmark-no-duplicate-banner).
    view! {
        <div class="baton-header">
            <div class="baton-avatar" aria-hidden="true">
                {move || match avatar() {
                    Some(src) => view! { <img src=src alt="" referrerpolicy="no-referrer" data-testid="avatar" /> }.into_any(),
                    None => initial().into_any(),
                }}
            </div>
            <div class="baton-header__text">
                <h2 class="baton-header__name" id="baton-title">{name}</h2>
                <ConnectionStatus />
            </div>
            {transcript::header_button()}
            <button
                type="button"
                class="baton-icon-btn"
                data-testid="close"
                aria-label=store.chat.with_untracked(|s| s.texts().close_chat)
                on:click=move |_| close_and_refocus()
            >
                {icons::close()}
            </button>
        </div>
    }
}

/// "Connecting…", "Online", "Offline — reconnecting", or why the chat is unavailable.
#[component]
pub fn ConnectionStatus() -> impl IntoView {
    let store = expect_context::<Store>();
    let status = Memo::new(move |_| {
        store.chat.with(|s| {
            let t = s.texts();
            match s.fatal {
                Some(code) => ("error", fatal_text(t, code)),
                None => (
                    s.connection.as_str(),
                    match s.connection {
                        Connection::Connecting => t.connecting,
                        Connection::Online => t.online,
                        Connection::Offline => t.offline,
                    },
                ),
            }
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
