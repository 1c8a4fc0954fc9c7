//! The panel header: bot name, connection status line, close button. The name, the status
//! line and the close button are plain elements (`plain.rs`), drawn once with the panel (it is
//! drawn again when the language changes, into the same elements: Leptos rebuilds a view of
//! the same shape in place, so each drawing first removes the previous one's); the name and
//! the status are written in place.

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
    let name = Memo::new(move |_| match store.theme().title {
        Some(title) if !agent() => title,
        _ => store.chat.with(|s| s.title()),
    });
    let initial = move || name.get().chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default();
    let avatar = move || store.theme().avatar.filter(|_| !agent());
    // The theme's picture, else the name's initial.
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
    let text = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        let text = text.get()?;
        // A panel drawn again (the language changed) reuses this element: start empty.
        text.set_text_content(None);
        let heading = plain::add(&text, "h2", &[("class", "baton-header__name"), ("id", "baton-title")], None)?;
        Effect::new(move |_| heading.set_text_content(Some(&name.get())));
        connection_status(&text, store)
    });
    // The close button goes after the transcript's download button.
    let header = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        let header = header.get()?;
        if let Ok(Some(old)) = header.query_selector(":scope > [data-testid=close]") {
            old.remove();
        }
        let label = store.chat.with_untracked(|s| s.texts().close_chat);
        let button = [("type", "button"), ("class", "baton-icon-btn"), ("data-testid", "close"), ("aria-label", label)];
        let button = plain::add(&header, "button", &button, None)?;
        button.set_inner_html(icons::CLOSE);
        let mut handlers = Vec::new();
        plain::on_click(&button, &mut handlers, close_and_refocus);
        Some(handlers)
    });
    // A plain block, not <header>: inside the dialog a header would count as a second banner
    // landmark of the host page (axe-core's landmark-no-duplicate-banner).
    view! {
        <div class="baton-header" node_ref=header>
            <div class="baton-avatar" aria-hidden="true" node_ref=picture></div>
            <div class="baton-header__text" node_ref=text></div>
            {transcript::header_button()}
        </div>
    }
}

/// "Connecting…", "Online", "Offline — reconnecting", or why the chat is unavailable: drawn into
/// `parent`, written in place only when it changes (announced once).
fn connection_status(parent: &web_sys::Element, store: Store) -> Option<()> {
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
    let line = [("class", "baton-status"), ("data-testid", "connection"), ("role", "status")];
    let line = plain::add(parent, "p", &line, None)?;
    plain::add(&line, "span", &[("class", "baton-status__dot"), ("aria-hidden", "true")], None)?;
    let text = plain::add(&line, "span", &[("class", "baton-status__text")], None)?;
    Effect::new(move |_| {
        let (state, words) = status.get();
        let _ = line.set_attribute("data-state", state);
        text.set_text_content(Some(words));
    });
    Some(())
}
