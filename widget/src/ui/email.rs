//! The email prompt (email capture): the site's consent wording, a labelled email field checked
//! here as the relay checks it (`shared::email::check`), Save, and "No, thanks" (the relay is
//! told: before a handover it goes on without an email). Opened by the relay (`ask_email`) or by
//! the visitor to change the email given, which is shown, with a Change button, while the site
//! asks for emails. The field takes the focus when the prompt opens; an error is announced
//! (`role=alert`) and describes the field. Drawn as plain elements (`plain.rs`) when the prompt
//! opens, changes or closes; only the consent wording and the error are updated in place, so the
//! field keeps what is typed in it.

use leptos::{html, prelude::*};
use shared::EmailStep;
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::{Element, Event, HtmlInputElement};

use super::plain::{add, on_click};
use crate::{
    app::{rt, Store},
    i18n::Texts,
    store::{EmailError, EmailPrompt},
};

/// The handlers of what is drawn (dropped with it): its buttons' clicks and the form's submit.
type Handlers = (Vec<Closure<dyn FnMut()>>, Option<Closure<dyn FnMut(Event)>>);

pub fn email_capture() -> impl IntoView {
    let store = expect_context::<Store>();
    let host = NodeRef::<html::Div>::new();
    let prompt = Memo::new(move |_| store.chat.with(|s| s.email_prompt));
    let given = Memo::new(move |_| store.chat.with(|s| s.email_capture.as_ref().and(s.email.clone())));
    let t = store.chat.with_untracked(|s| s.texts());
    Effect::new(move |_: Option<Option<Handlers>>| {
        let host = host.get()?;
        host.set_text_content(None);
        let mut handlers = (Vec::new(), None);
        match prompt.get() {
            Some(prompt) => handlers.1 = email_form(&host, store, prompt, t, &mut handlers.0),
            None => {
                if let Some(email) = given.get() {
                    email_line(&host, &email, t, &mut handlers.0);
                }
            }
        }
        Some(handlers)
    });
    view! { <div class="baton-email-host" node_ref=host></div> }
}

/// The email given, with its Change button.
fn email_line(host: &Element, email: &str, t: &'static Texts, handlers: &mut Vec<Closure<dyn FnMut()>>) -> Option<()> {
    let line = add(host, "div", &[("class", "baton-email-line"), ("data-testid", "email-line")], None)?;
    add(&line, "span", &[], Some(t.email_yours));
    let value = [("class", "baton-email-line__value"), ("dir", "ltr"), ("data-testid", "email-value")];
    add(&line, "span", &value, Some(email));
    let change = [("type", "button"), ("class", "baton-link-btn"), ("data-testid", "email-change")];
    on_click(&add(&line, "button", &change, Some(t.email_change))?, handlers, || rt().edit_email());
    Some(())
}

/// Draws the form into `host`; gives back its submit handler. The consent wording and the error
/// follow the store through an effect owned by the caller's (disposed when the form is redrawn).
fn email_form(
    host: &Element,
    store: Store,
    prompt: EmailPrompt,
    t: &'static Texts,
    handlers: &mut Vec<Closure<dyn FnMut()>>,
) -> Option<Closure<dyn FnMut(Event)>> {
    // The field starts with the email given and is read on Save; it is not redrawn from what
    // is typed, only set again when the page identifies the visitor while it is open.
    let given = Memo::new(move |_| store.chat.with(|s| s.email.clone().unwrap_or_default()));
    let dismiss = if prompt == EmailPrompt::Asked(EmailStep::BeforeHandover) { t.email_skip } else { t.cancel };
    let form = [("class", "baton-email"), ("data-testid", "email-prompt"), ("novalidate", "")];
    let form = add(host, "form", &form, None)?;
    let consent = [
        ("class", "baton-email__consent"),
        ("id", "baton-email-consent"),
        ("dir", "auto"),
        ("data-testid", "email-consent"),
    ];
    let consent = add(&form, "p", &consent, None)?;
    let label = [("class", "baton-email__label"), ("for", "baton-email-input")];
    add(&form, "label", &label, Some(t.email_label));
    let row = add(&form, "div", &[("class", "baton-email__row")], None)?;
    let field = [
        ("id", "baton-email-input"),
        ("class", "baton-email__input"),
        ("data-testid", "email-input"),
        ("type", "email"),
        ("autocomplete", "email"),
        ("inputmode", "email"),
        ("dir", "ltr"),
        ("maxlength", "254"),
        ("aria-describedby", "baton-email-consent baton-email-error"),
    ];
    let field: HtmlInputElement = add(&row, "input", &field, None)?.dyn_into().ok()?;
    let input = field.clone();
    Effect::new(move |_| input.set_value(&given.get()));
    let save = [("type", "submit"), ("class", "baton-email__save"), ("data-testid", "email-save")];
    add(&row, "button", &save, Some(t.email_save));
    let skip = [("type", "button"), ("class", "baton-link-btn"), ("data-testid", "email-skip")];
    on_click(&add(&form, "button", &skip, Some(dismiss))?, handlers, || rt().dismiss_email());
    let error = [
        ("class", "baton-email__error"),
        ("id", "baton-email-error"),
        ("role", "alert"),
        ("data-testid", "email-error"),
    ];
    let error = add(&form, "p", &error, None)?;
    let input = field.clone();
    Effect::new(move |_| {
        consent.set_text_content(Some(&store.chat.with(|s| s.email_consent())));
        let shown = store.chat.with(|s| s.email_error);
        let _ = input.set_attribute("aria-invalid", if shown.is_some() { "true" } else { "false" });
        error.set_text_content(Some(match shown {
            Some(EmailError::Invalid) => t.email_invalid,
            Some(EmailError::Offline) => t.email_offline,
            None => "",
        }));
    });
    let input = field.clone();
    let submit = Closure::<dyn FnMut(Event)>::new(move |ev: Event| {
        ev.prevent_default();
        rt().submit_email(&input.value());
    });
    let _ = form.add_event_listener_with_callback("submit", submit.as_ref().unchecked_ref());
    // The field takes the focus once drawn.
    request_animation_frame(move || {
        let _ = field.focus();
    });
    Some(submit)
}
