//! The bar above the composer for the human handover: "Talk to a person" while the bot
//! answers (the label comes from the relay's `welcome`), the queue place and a cancel button
//! while waiting. Nothing while an agent chats. Buttons are disabled while offline. Drawn as
//! plain elements (`plain.rs`) when the bar's state changes; the queue place, the cancel label
//! and the buttons' offline state are updated in place (a focused button keeps its focus).

use leptos::prelude::*;
use shared::Action;
use web_sys::Element;

use super::plain::{add, holder, on_click, Handlers};
use crate::{
    app::{rt, Store},
    store::Connection,
};

/// What the bar shows.
#[derive(Clone, PartialEq)]
enum Bar {
    /// In the queue: its place and a cancel button.
    Waiting,
    /// The bot answers: the handover button with the relay's label.
    Bot(String),
}

pub fn handover_bar() -> impl IntoView {
    let store = expect_context::<Store>();
    let bar = Memo::new(move |_| {
        store.chat.with(|s| match s.waiting_text() {
            Some(_) => Some(Bar::Waiting),
            None => s.handover_label().map(|label| Bar::Bot(label.to_string())),
        })
    });
    holder("baton-handover-host", move |host, handlers| draw(host, store, bar.get()?, handlers))
}

/// Draws the bar into `host`; what changes while it is shown follows the store through an effect
/// owned by the caller's (disposed when the bar is redrawn).
fn draw(host: &Element, store: Store, bar: Bar, handlers: &mut Handlers) -> Option<()> {
    let waiting = bar == Bar::Waiting;
    let (class, state) =
        if waiting { ("baton-handover baton-handover--waiting", "waiting") } else { ("baton-handover", "bot") };
    let div = add(host, "div", &[("class", class), ("data-testid", "handover"), ("data-state", state)], None)?;
    let text =
        if waiting { add(&div, "span", &[("class", "baton-handover__text"), ("role", "status")], None) } else { None };
    let (testid, action, label) = match bar {
        Bar::Waiting => ("handover-cancel", Action::CancelHandover, None),
        Bar::Bot(label) => ("handover-request", Action::RequestHandover, Some(label)),
    };
    let button = [("type", "button"), ("class", "baton-handover__btn"), ("data-testid", testid)];
    let button = add(&div, "button", &button, label.as_deref())?;
    on_click(&button, handlers, move || rt().action(action.clone()));
    // Written only when they change, so the queue place is announced once per change.
    Effect::new(move |before: Option<(Option<String>, String, bool)>| {
        let now = store.chat.with(|s| (s.waiting_text(), s.cancel_label(), s.connection == Connection::Online));
        if before.as_ref() != Some(&now) {
            if let Some(text) = &text {
                text.set_text_content(now.0.as_deref());
                button.set_text_content(Some(&now.1));
            }
            let _ = if now.2 { button.remove_attribute("disabled") } else { button.set_attribute("disabled", "") };
        }
        now
    });
    Some(())
}
