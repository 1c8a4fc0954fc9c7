//! The panel header: bot name, connection status line, close button.

use leptos::{html, prelude::*};

use super::{icons, panel::close_and_refocus, plain, transcript};
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
    // The theme's picture, else the name's initial (plain elements, `plain.rs`).
    let picture = NodeRef::<html::Div>::new();
    let shown = Memo::new(move |_| avatar().ok_or_else(initial));
    Effect::new(move |_| {
        let Some(div) = picture.get() else { return };
        match shown.get() {
            Ok(src) => {
                div.set_text_content(None);
                plain::add(
                    &div,
                    "img",
                    &[("src", &src), ("alt", ""), ("referrerpolicy", "no-referrer"), ("data-testid", "avatar")],
                    None,
                );
            }
            Err(initial) => div.set_text_content(Some(&initial)),
        }
    });
    // A plain block, not <header>: inside the dialog a header would count as a second banner
    // landmark of the host page (axe-core's landmark-no-duplicate-banner).
    view! {
        <div class="baton-header">
            <div class="baton-avatar" aria-hidden="true" node_ref=picture></div>
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
    // Written in place (plain elements, `plain.rs`), only when it changes: announced once.
    let line = NodeRef::<html::P>::new();
    let text = NodeRef::<html::Span>::new();
    Effect::new(move |_| {
        let (Some(line), Some(text)) = (line.get(), text.get()) else { return };
        let (state, words) = status.get();
        let _ = line.set_attribute("data-state", state);
        text.set_text_content(Some(words));
    });
    view! {
        <p class="baton-status" data-testid="connection" role="status" node_ref=line>
            <span class="baton-status__dot" aria-hidden="true"></span>
            <span class="baton-status__text" node_ref=text></span>
        </p>
    }
}
