//! The email prompt (email capture): the site's consent wording, a labelled email field checked
//! here as the relay checks it (`shared::email::check`), Save, and "No, thanks" (the relay is
//! told: before a handover it goes on without an email). Opened by the relay (`ask_email`) or by
//! the visitor to change the email given, which is shown, with a Change button, while the site
//! asks for emails. The field takes the focus when the prompt opens; an error is announced
//! (`role=alert`) and describes the field. Plain functions, not components: each component's
//! props builder costs wasm.

use leptos::prelude::*;
use shared::EmailStep;
use wasm_bindgen::JsCast;

use crate::{
    app::{rt, Store},
    store::{EmailError, EmailPrompt},
};

const INPUT_ID: &str = "baton-email-input";

pub fn email_capture() -> impl IntoView {
    let store = expect_context::<Store>();
    let prompt = Memo::new(move |_| store.chat.with(|s| s.email_prompt));
    let given = Memo::new(move |_| store.chat.with(|s| s.email_capture.as_ref().and(s.email.clone())));
    let t = store.chat.with_untracked(|s| s.texts());
    move || match prompt.get() {
        Some(prompt) => Some(email_form(store, prompt).into_any()),
        None => given.get().map(|email| {
            view! {
                <div class="baton-email-line" data-testid="email-line">
                    <span>{t.email_yours}</span>
                    <span class="baton-email-line__value" dir="ltr" data-testid="email-value">{email}</span>
                    <button
                        type="button"
                        class="baton-link-btn"
                        data-testid="email-change"
                        on:click=|_| rt().edit_email()
                    >
                        {t.email_change}
                    </button>
                </div>
            }
            .into_any()
        }),
    }
}

fn email_form(store: Store, prompt: EmailPrompt) -> impl IntoView {
    let t = store.chat.with_untracked(|s| s.texts());
    // The field starts with the email given and is read on Save; it is not redrawn from what
    // is typed (that would move the caret when the browser trims a space), only when the page
    // identifies the visitor while it is open.
    let given = Memo::new(move |_| store.chat.with(|s| s.email.clone().unwrap_or_default()));
    let value = RwSignal::new(given.get_untracked());
    let error = Memo::new(move |_| store.chat.with(|s| s.email_error));
    let dismiss = if prompt == EmailPrompt::Asked(EmailStep::BeforeHandover) { t.email_skip } else { t.cancel };
    // The field takes the focus once drawn.
    request_animation_frame(|| {
        let field = rt().root.as_ref().and_then(|root| root.get_element_by_id(INPUT_ID));
        if let Some(field) = field.and_then(|f| f.dyn_into::<web_sys::HtmlElement>().ok()) {
            let _ = field.focus();
        }
    });
    view! {
        <form
            class="baton-email"
            data-testid="email-prompt"
            novalidate=true
            on:submit=move |ev| {
                ev.prevent_default();
                rt().submit_email(&value.get_untracked());
            }
        >
            <p class="baton-email__consent" id="baton-email-consent" dir="auto" data-testid="email-consent">
                {move || store.chat.with(|s| s.email_consent())}
            </p>
            <label class="baton-email__label" for=INPUT_ID>
                {t.email_label}
            </label>
            <div class="baton-email__row">
                <input
                    id=INPUT_ID
                    class="baton-email__input"
                    data-testid="email-input"
                    type="email"
                    autocomplete="email"
                    inputmode="email"
                    dir="ltr"
                    maxlength="254"
                    aria-describedby="baton-email-consent baton-email-error"
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    prop:value=move || {
                        let given = given.get();
                        value.set(given.clone());
                        given
                    }
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
                <button type="submit" class="baton-email__save" data-testid="email-save">
                    {t.email_save}
                </button>
            </div>
            <button type="button" class="baton-link-btn" data-testid="email-skip" on:click=|_| rt().dismiss_email()>
                {dismiss}
            </button>
            <p class="baton-email__error" id="baton-email-error" role="alert" data-testid="email-error">
                {move || match error.get() {
                    Some(EmailError::Invalid) => t.email_invalid,
                    Some(EmailError::Offline) => t.email_offline,
                    None => "",
                }}
            </p>
        </form>
    }
}
