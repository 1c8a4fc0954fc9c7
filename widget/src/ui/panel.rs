//! The chat window: a non-modal dialog with the header, the messages and the composer.

use leptos::prelude::*;

use super::{composer::Composer, email, handover, header::Header, messages::MessageList, summary, transcript};
use crate::app::rt;

/// Closes the panel and gives keyboard focus back to the launcher.
pub fn close_and_refocus() {
    let runtime = rt();
    runtime.set_open(false);
    if let Some(launcher) = &runtime.launcher {
        let _ = launcher.focus();
    }
}

#[component]
pub fn Panel() -> impl IntoView {
    view! {
        <section
            class="baton-panel"
            role="dialog"
            aria-modal="false"
            aria-labelledby="baton-title"
            data-testid="panel"
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.stop_propagation();
                    close_and_refocus();
                }
            }
        >
            <Header />
            <MessageList />
            {summary::summary_card()}
            {transcript::after_chat()}
            {email::email_capture()}
            {handover::handover_bar()}
            <Composer />
        </section>
    }
}
