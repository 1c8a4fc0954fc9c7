//! The round launcher button at the bottom right.
//!
//! It is the loader's own `<button class="baton-launcher">` (drawn before the wasm loads),
//! adopted rather than replaced: the element a visitor (or a test) already holds stays the same.
//! Its clicks reach the widget as `toggle` commands through the loader. The widget keeps its
//! state in step: `baton-launcher--open` (CSS swaps the chat/close icons), `aria-label`,
//! `aria-expanded` and `data-unread` (the badge, drawn by CSS from the attribute).

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::HtmlElement;

use crate::{
    app::{rt, Store},
    i18n::fill,
};

const CHAT_ICON: &str = "M12 3C6.5 3 2 6.9 2 11.7c0 2.4 1.1 4.6 3 6.2L4.2 21.4c-.1.4.3.7.7.5l4.1-1.9c1 .3 2 .4 3 .4 5.5 0 10-3.9 10-8.7S17.5 3 12 3z";
const CLOSE_ICON: &str = "M7.4 8.6 12 13.2l4.6-4.6L18 10l-6 6-6-6z";

/// Mirrors the open state and unread count onto the launcher element.
pub fn drive(el: HtmlElement, store: Store) {
    let _ = el.remove_attribute("data-baton-placeholder");
    Effect::new(move |_| {
        let open = store.open.get();
        let unread = store.unread.get();
        let t = store.chat.with(|s| s.texts());
        let _ = el.class_list().toggle_with_force("baton-launcher--open", open);
        let _ = el.set_attribute("aria-expanded", if open { "true" } else { "false" });
        if unread > 0 && !open {
            let text = if unread > 9 { "9+".to_string() } else { unread.to_string() };
            let _ = el.set_attribute("aria-label", &fill(t.open_chat_unread, "n", &text));
            let _ = el.set_attribute("data-unread", &text);
        } else {
            let _ = el.set_attribute("aria-label", if open { t.close_chat } else { t.open_chat });
            let _ = el.remove_attribute("data-unread");
        }
    });
}

/// Without the loader (Trunk's page during development): a launcher like the loader's, whose
/// clicks toggle the panel directly.
pub fn create(parent: &HtmlElement) -> Option<HtmlElement> {
    let document = web_sys::window()?.document()?;
    let button: HtmlElement = document.create_element("button").ok()?.dyn_into().ok()?;
    button.set_class_name("baton-launcher");
    let _ = button.set_attribute("type", "button");
    let _ = button.set_attribute("data-testid", "launcher");
    let _ = button.set_attribute("aria-haspopup", "dialog");
    for (class, path) in [("chat", CHAT_ICON), ("close", CLOSE_ICON)] {
        let svg = document.create_element_ns(Some("http://www.w3.org/2000/svg"), "svg").ok()?;
        let _ = svg.set_attribute("class", &format!("baton-icon baton-icon--{class}"));
        let _ = svg.set_attribute("viewBox", "0 0 24 24");
        let _ = svg.set_attribute("aria-hidden", "true");
        let p = document.create_element_ns(Some("http://www.w3.org/2000/svg"), "path").ok()?;
        let _ = p.set_attribute("d", path);
        let _ = svg.append_child(&p);
        let _ = button.append_child(&svg);
    }
    let on_click = Closure::<dyn FnMut()>::new(|| rt().toggle());
    let _ = button.add_event_listener_with_callback("click", on_click.as_ref().unchecked_ref());
    on_click.forget();
    let _ = parent.append_child(&button);
    Some(button)
}
