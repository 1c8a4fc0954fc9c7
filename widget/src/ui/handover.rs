//! The bar above the composer for the human handover: "Talk to a person" while the bot
//! answers (the label comes from the relay's `welcome`), the queue place and a cancel button
//! while waiting. Nothing while an agent chats. Buttons are disabled while offline.

use leptos::prelude::*;
use shared::Action;

use crate::{
    app::{rt, Store},
    store::Connection,
};

#[component]
pub fn HandoverBar() -> impl IntoView {
    let store = expect_context::<Store>();
    let label = Memo::new(move |_| store.chat.with(|s| s.handover_label().map(str::to_string)));
    let waiting = Memo::new(move |_| store.chat.with(|s| s.waiting_text()));
    let cancel = Memo::new(move |_| store.chat.with(|s| s.cancel_label()));
    let offline = move || store.chat.with(|s| s.connection != Connection::Online);
    move || {
        if let Some(text) = waiting.get() {
            Some(
                view! {
                    <div class="baton-handover baton-handover--waiting" data-testid="handover" data-state="waiting">
                        <span class="baton-handover__text" role="status">{text}</span>
                        <button
                            type="button"
                            class="baton-handover__btn"
                            data-testid="handover-cancel"
                            disabled=offline
                            on:click=|_| rt().action(Action::CancelHandover)
                        >
                            {move || cancel.get()}
                        </button>
                    </div>
                }
                .into_any(),
            )
        } else {
            label.get().map(|label| {
                view! {
                    <div class="baton-handover" data-testid="handover" data-state="bot">
                        <button
                            type="button"
                            class="baton-handover__btn"
                            data-testid="handover-request"
                            disabled=offline
                            on:click=|_| rt().action(Action::RequestHandover)
                        >
                            {label}
                        </button>
                    </div>
                }
                .into_any()
            })
        }
    }
}
