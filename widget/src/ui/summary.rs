//! The summary passed on at a handover, for the visitor to read and copy: a read-only text box
//! (its text can be selected by hand), a Copy button (`navigator.clipboard`, falling back to
//! selecting the whole text when the clipboard refuses or is missing, e.g. outside a secure
//! context) and, on a site whose helpdesk is a contact form, the form's link after it: copy
//! first, then paste it there. Announced when it arrives (`aria-live`). Plain functions, not
//! components: each component's props builder costs wasm.

use leptos::{html, prelude::*};

use crate::{
    app::{rt, Store},
    store::Summary,
    url,
};

pub fn summary_card() -> impl IntoView {
    let store = expect_context::<Store>();
    let summary = Memo::new(move |_| store.chat.with(|s| s.summary.clone()));
    view! {
        // The live region stays while the panel is open, so a summary added to it is read out.
        <div class="baton-summary-live" aria-live="polite">
            {move || summary.get().map(|summary| summary_body(store, summary))}
        </div>
    }
}

fn summary_body(store: Store, summary: Summary) -> impl IntoView {
    let t = store.chat.with_untracked(|s| s.texts());
    let area = NodeRef::<html::Textarea>::new();
    // "" until Copy is pressed, then what it came to.
    let status = RwSignal::new("");
    let title = if summary.link.is_some() { t.summary_for_form } else { t.summary_title };
    let link = summary.link.and_then(|link| url::resolve_link(&rt().relay, &link));
    let copy = move |_| {
        let Some(el) = area.get_untracked() else { return };
        let fallback = el.clone();
        rt().copy(
            &el.value(),
            move || status.set(t.copied),
            move || {
                fallback.select();
                status.set(t.copy_by_hand);
            },
        );
    };
    view! {
        <section class="baton-summary" data-testid="summary" aria-labelledby="baton-summary-title">
            <h3 class="baton-summary__title" id="baton-summary-title">{title}</h3>
            <textarea
                class="baton-summary__text"
                data-testid="summary-text"
                node_ref=area
                readonly=true
                rows="4"
                dir="auto"
                aria-labelledby="baton-summary-title"
                prop:value=summary.text
            ></textarea>
            <div class="baton-summary__actions">
                <button type="button" class="baton-summary__copy" data-testid="summary-copy" on:click=copy>
                    {t.copy}
                </button>
                {link.map(|href| {
                    view! {
                        <a
                            class="baton-summary__link"
                            data-testid="summary-link"
                            href=href
                            target="_blank"
                            rel="noopener noreferrer"
                        >
                            {t.open_form}
                        </a>
                    }
                })}
                <span class="baton-summary__status" role="status" data-testid="summary-status">
                    {move || status.get()}
                </span>
            </div>
        </section>
    }
}
