//! The message list: visitor bubbles on the right, bot/agent on the left with their name,
//! system notes centred. Scrolls to the newest message. A message's files follow its text:
//! images inline (their name as alt text; a click opens the whole image), other files as
//! download links with name and size. Each message is drawn once as plain elements
//! (`plain.rs`) and kept while its list key stays (a key changes with anything drawn).

use leptos::{html, prelude::*};
use shared::{Action, Attachment, Role};
use wasm_bindgen::closure::Closure;
use web_sys::Element;

use super::{
    icons,
    plain::{add, on_click},
};
use crate::{
    app::{rt, Store},
    bridge::detail::role_str,
    i18n::{Lang, Texts},
    store::{files::size_text, model::failure_text, Bubble, Delivery},
    url,
};

#[component]
pub fn MessageList() -> impl IntoView {
    let store = expect_context::<Store>();
    let list = NodeRef::<html::Div>::new();
    let thread = NodeRef::<html::Div>::new();
    let bubbles = Memo::new(move |_| store.chat.with(|s| s.bubbles()));
    let typing = Memo::new(move |_| store.chat.with(|s| s.typing_text()));
    let (t, lang) = store.chat.with_untracked(|s| (s.texts(), s.lang));

    // Keep the newest message in view.
    Effect::new(move |_| {
        bubbles.track();
        typing.track();
        if let Some(el) = list.get() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
    });

    // The messages: those whose key stays are kept, new ones drawn, gone ones removed, then
    // put in order moving as few as possible (a focused retry button keeps its focus).
    Effect::new(move |before: Option<Vec<Drawn>>| {
        let mut before = before.unwrap_or_default();
        let Some(thread) = thread.get() else { return before };
        if before.is_empty() {
            // Nothing drawn by this list yet: what the element holds is an earlier panel's
            // (Leptos rebuilds a panel drawn again in place, `ui/mod.rs`).
            thread.set_text_content(None);
        }
        let mut now = Vec::new();
        for bubble in bubbles.get() {
            let kept = before.iter().position(|d| d.key == bubble.key).map(|at| before.swap_remove(at));
            if let Some(drawn) = kept.or_else(|| draw(&thread, bubble, t, lang)) {
                now.push(drawn);
            }
        }
        for gone in before {
            gone.el.remove();
        }
        let mut next = thread.first_element_child();
        for drawn in &now {
            if next.as_ref() == Some(&drawn.el) {
                next = drawn.el.next_element_sibling();
            } else {
                let _ = thread.insert_before(&drawn.el, next.as_ref().map(AsRef::as_ref));
            }
        }
        now
    });

    // Scrollable, so reachable from the keyboard to scroll back (tabindex, WCAG 2.1.1).
    view! {
        <div
            class="baton-messages"
            node_ref=list
            role="log"
            tabindex="0"
            aria-live="polite"
            aria-label=t.messages
            data-testid="messages"
        >
            <Show when=move || bubbles.with(Vec::is_empty)>
                <p class="baton-empty" dir="auto" data-testid="greeting">
                    {move || store.theme().greeting.unwrap_or_else(|| t.empty.to_string())}
                </p>
            </Show>
            <div class="baton-thread" node_ref=thread></div>
            {move || {
                typing.get().map(|text| view! {
                    <div class="baton-typing" data-testid="typing">
                        <span class="baton-typing__dots" aria-hidden="true">
                            <span></span>
                            <span></span>
                            <span></span>
                        </span>
                        <span class="baton-typing__text">{text}</span>
                    </div>
                })
            }}
        </div>
    }
}

/// A message drawn, with the handlers of its buttons (dropped with it).
struct Drawn {
    key: String,
    el: Element,
    _handlers: Vec<Closure<dyn FnMut()>>,
}

/// Draws one message at the end of `thread` (the caller puts it in its place).
fn draw(thread: &Element, bubble: Bubble, t: &'static Texts, lang: Lang) -> Option<Drawn> {
    let Bubble {
        key,
        seq,
        role,
        name,
        text,
        client_id,
        quick_replies,
        source,
        attachments,
        delivery,
        first_of_run,
        draft,
        ..
    } = bubble;
    let role_name = role_str(role);
    let status = match (&delivery, role) {
        _ if draft => Some("draft"),
        (Some(d), _) => Some(d.as_str()),
        (None, Role::Visitor) => Some("delivered"),
        _ => None,
    };
    let author = match role {
        _ if !first_of_run => None,
        Role::Bot => Some(name.unwrap_or_else(|| rt().store.chat.with_untracked(|s| s.bot_name.clone()))),
        Role::Agent => Some(name.unwrap_or_else(|| t.agent.to_string())),
        _ => None,
    };
    let class = format!("baton-msg baton-msg--{role_name}{}", if first_of_run { "" } else { " baton-msg--cont" });
    let seq = seq.map(|s| s.to_string());
    let mut attributes = vec![("class", class.as_str()), ("data-testid", "message"), ("data-role", role_name)];
    attributes.extend(seq.as_deref().map(|seq| ("data-seq", seq)));
    attributes.extend(status.map(|status| ("data-status", status)));
    attributes.extend(client_id.as_deref().map(|id| ("data-client-id", id)));
    let el = add(thread, "div", &attributes, None)?;
    let mut handlers = Vec::new();
    if let Some(author) = author {
        add(&el, "span", &[("class", "baton-msg__author"), ("dir", "auto")], Some(&author));
    }
    if !text.is_empty() || attachments.is_empty() {
        let bubble = [("class", "baton-msg__bubble"), ("data-testid", "message-text"), ("dir", "auto")];
        add(&el, "div", &bubble, Some(&text));
    }
    if !attachments.is_empty() {
        let files = add(&el, "div", &[("class", "baton-msg__files")], None)?;
        for attachment in attachments {
            file(&files, attachment, lang);
        }
    }
    let source = source.and_then(|s| url::resolve_link(&rt().relay, &s.url).map(|href| (s.title, href)));
    if let Some((title, href)) = source {
        let link = [
            ("class", "baton-msg__source"),
            ("href", &href),
            ("target", "_blank"),
            ("rel", "noopener noreferrer"),
            ("data-testid", "source"),
        ];
        let a = add(&el, "a", &link, Some(t.source))?;
        add(&a, "bdi", &[], Some(&title));
    }
    if !quick_replies.is_empty() {
        let group =
            add(&el, "div", &[("class", "baton-replies"), ("role", "group"), ("aria-label", t.suggested)], None)?;
        for reply in quick_replies {
            // A link (the site's contact form) is a real anchor: the browser opens it.
            if let Some(Action::OpenUrl { url }) = &reply.action {
                let href = url::resolve_link(&rt().relay, url).unwrap_or_default();
                let link = [
                    ("class", "baton-reply baton-reply--link"),
                    ("data-testid", "quick-reply"),
                    ("href", &href),
                    ("target", "_blank"),
                    ("rel", "noopener noreferrer"),
                ];
                add(&group, "a", &link, Some(&reply.title));
                continue;
            }
            let button = [("type", "button"), ("class", "baton-reply"), ("data-testid", "quick-reply")];
            let button = add(&group, "button", &button, Some(&reply.title))?;
            let (payload, action) = (reply.payload, reply.action);
            on_click(&button, &mut handlers, move || match action.clone() {
                Some(action) => rt().action(action),
                None => {
                    let _ = rt().send_text(&payload);
                }
            });
        }
    }
    match delivery {
        Some(Delivery::Sending) => {
            add(&el, "span", &[("class", "baton-msg__meta")], Some(t.sending));
        }
        Some(Delivery::Failed(code)) => {
            let meta = [("class", "baton-msg__meta baton-msg__meta--failed"), ("role", "alert")];
            let meta = add(&el, "span", &meta, Some(&format!("{} ", failure_text(t, code))))?;
            let retry = [("type", "button"), ("class", "baton-retry"), ("data-testid", "retry")];
            let retry = add(&meta, "button", &retry, Some(t.retry))?;
            let id = client_id.unwrap_or_default();
            on_click(&retry, &mut handlers, move || rt().retry(&id));
        }
        _ => {}
    }
    Some(Drawn { key, el, _handlers: handlers })
}

/// A file of a message, at its signed address on the relay.
fn file(parent: &Element, attachment: Attachment, lang: Lang) -> Option<()> {
    let href = url::resolve_link(&rt().relay, &attachment.url).unwrap_or_default();
    let name = attachment.name.as_str();
    if attachment.is_image() {
        let link = [
            ("class", "baton-file baton-file--image"),
            ("href", &href),
            ("target", "_blank"),
            ("rel", "noopener noreferrer"),
            ("data-testid", "attachment"),
        ];
        let a = add(parent, "a", &link, None)?;
        add(&a, "img", &[("src", &href), ("alt", name), ("loading", "lazy")], None)?;
        return Some(());
    }
    let a = add(
        parent,
        "a",
        &[("class", "baton-file"), ("href", &href), ("download", name), ("data-testid", "attachment")],
        None,
    )?;
    a.set_inner_html(icons::PAPERCLIP);
    add(&a, "bdi", &[("class", "baton-file__name")], Some(name));
    add(&a, "span", &[("class", "baton-file__size")], Some(&size_text(attachment.size, lang)));
    Some(())
}
