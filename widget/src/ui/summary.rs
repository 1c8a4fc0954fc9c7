//! The summary passed on at a handover, for the visitor to read and copy: a read-only text box
//! (its text can be selected by hand), a Copy button (`navigator.clipboard`, falling back to
//! selecting the whole text when the clipboard refuses or is missing, e.g. outside a secure
//! context) and, on a site whose helpdesk is a contact form, the form's link after it: copy
//! first, then paste it there. Announced when it arrives (`aria-live`). Drawn as plain elements
//! (`plain.rs`) when the summary comes or changes: the card has no other state than the copy's
//! outcome, written into its status line.

use leptos::{html, prelude::*};
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::Element;

use super::plain::add;
use crate::{
    app::{rt, Store},
    i18n::Texts,
    store::Summary,
    url,
};

pub fn summary_card() -> impl IntoView {
    let store = expect_context::<Store>();
    let live = NodeRef::<html::Div>::new();
    let summary = Memo::new(move |_| store.chat.with(|s| s.summary.clone()));
    let t = store.chat.with_untracked(|s| s.texts());
    // The Copy button's handler lives as long as the card drawn (returned to the next run).
    Effect::new(move |_: Option<Option<Closure<dyn FnMut()>>>| {
        let live = live.get()?;
        live.set_text_content(None);
        summary_body(&live, summary.get()?, t)
    });
    view! {
        // The live region stays while the panel is open, so a summary added to it is read out.
        <div class="baton-summary-live" aria-live="polite" node_ref=live></div>
    }
}

/// Draws the card into `live`; gives back the Copy button's handler.
fn summary_body(live: &Element, summary: Summary, t: &'static Texts) -> Option<Closure<dyn FnMut()>> {
    let title = if summary.link.is_some() { t.summary_for_form } else { t.summary_title };
    let link = summary.link.and_then(|link| url::resolve_link(&rt().relay, &link));
    let card = [("class", "baton-summary"), ("data-testid", "summary"), ("aria-labelledby", "baton-summary-title")];
    let card = add(live, "section", &card, None)?;
    add(&card, "h3", &[("class", "baton-summary__title"), ("id", "baton-summary-title")], Some(title));
    let area = [
        ("class", "baton-summary__text"),
        ("data-testid", "summary-text"),
        ("readonly", ""),
        ("rows", "4"),
        ("dir", "auto"),
        ("aria-labelledby", "baton-summary-title"),
    ];
    let area: web_sys::HtmlTextAreaElement = add(&card, "textarea", &area, None)?.dyn_into().ok()?;
    area.set_value(&summary.text);
    let actions = add(&card, "div", &[("class", "baton-summary__actions")], None)?;
    let copy = [("type", "button"), ("class", "baton-summary__copy"), ("data-testid", "summary-copy")];
    let copy = add(&actions, "button", &copy, Some(t.copy))?;
    if let Some(href) = link {
        let link = [
            ("class", "baton-summary__link"),
            ("data-testid", "summary-link"),
            ("href", &href),
            ("target", "_blank"),
            ("rel", "noopener noreferrer"),
        ];
        add(&actions, "a", &link, Some(t.open_form));
    }
    let status = [("class", "baton-summary__status"), ("role", "status"), ("data-testid", "summary-status")];
    let status = add(&actions, "span", &status, None)?;
    let on_copy = Closure::<dyn FnMut()>::new(move || {
        let (done, refused, fallback) = (status.clone(), status.clone(), area.clone());
        rt().copy(
            &area.value(),
            move || done.set_text_content(Some(t.copied)),
            move || {
                fallback.select();
                refused.set_text_content(Some(t.copy_by_hand));
            },
        );
    });
    let _ = copy.add_event_listener_with_callback("click", on_copy.as_ref().unchecked_ref());
    Some(on_copy)
}
