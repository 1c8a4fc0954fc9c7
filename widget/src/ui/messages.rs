//! The message list: visitor bubbles on the right, bot/agent on the left with their name,
//! system notes centred. Scrolls to the newest message. A message's files follow its text:
//! images inline (their name as alt text; a click opens the whole image), other files as
//! download links with name and size.

use leptos::{html, prelude::*};
use shared::{Action, Attachment, Role};

use super::icons;
use crate::{
    app::{rt, Store},
    bridge::detail::role_str,
    i18n::Lang,
    store::{files::size_text, model::failure_text, Bubble, Delivery},
    url,
};

#[component]
pub fn MessageList() -> impl IntoView {
    let store = expect_context::<Store>();
    let list = NodeRef::<html::Div>::new();
    let bubbles = Memo::new(move |_| store.chat.with(|s| s.bubbles()));
    let typing = Memo::new(move |_| store.chat.with(|s| s.typing_text()));
    let t = store.chat.with_untracked(|s| s.texts());

    // Keep the newest message in view.
    Effect::new(move |_| {
        bubbles.track();
        typing.track();
        if let Some(el) = list.get() {
            request_animation_frame(move || el.set_scroll_top(el.scroll_height()));
        }
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
            <For each=move || bubbles.get() key=|b| b.key.clone() children=|b| view! { <Message bubble=b /> } />
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

#[component]
fn Message(bubble: Bubble) -> impl IntoView {
    let t = expect_context::<Store>().chat.with_untracked(|s| s.texts());
    let Bubble {
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
    let lang = expect_context::<Store>().chat.with_untracked(|s| s.lang);
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
    let source = source.and_then(|s| url::resolve_link(&rt().relay, &s.url).map(|href| (s.title, href)));
    let replies = (!quick_replies.is_empty()).then(|| {
        view! {
            <div class="baton-replies" role="group" aria-label=t.suggested>
                {quick_replies
                    .into_iter()
                    .map(|r| {
                        let (payload, action) = (r.payload, r.action);
                        // A link (the site's contact form) is a real anchor: the browser opens it.
                        if let Some(Action::OpenUrl { url }) = &action {
                            let href = url::resolve_link(&rt().relay, url).unwrap_or_default();
                            return view! {
                                <a
                                    class="baton-reply baton-reply--link"
                                    data-testid="quick-reply"
                                    href=href
                                    target="_blank"
                                    rel="noopener noreferrer"
                                >
                                    {r.title}
                                </a>
                            }
                            .into_any();
                        }
                        view! {
                            <button
                                type="button"
                                class="baton-reply"
                                data-testid="quick-reply"
                                on:click=move |_| match action.clone() {
                                    Some(action) => rt().action(action),
                                    None => {
                                        let _ = rt().send_text(&payload);
                                    }
                                }
                            >
                                {r.title}
                            </button>
                        }
                        .into_any()
                    })
                    .collect_view()}
            </div>
        }
    });
    let meta = match delivery {
        Some(Delivery::Sending) => Some(view! { <span class="baton-msg__meta">{t.sending}</span> }.into_any()),
        Some(Delivery::Failed(code)) => {
            let id = client_id.clone().unwrap_or_default();
            Some(
                view! {
                    <span class="baton-msg__meta baton-msg__meta--failed" role="alert">
                        {failure_text(t, code)}
                        " "
                        <button
                            type="button"
                            class="baton-retry"
                            data-testid="retry"
                            on:click=move |_| rt().retry(&id)
                        >
                            {t.retry}
                        </button>
                    </span>
                }
                .into_any(),
            )
        }
        _ => None,
    };
    view! {
        <div
            class=format!(
                "baton-msg baton-msg--{role_name}{}",
                if first_of_run { "" } else { " baton-msg--cont" }
            )
            data-testid="message"
            data-role=role_name
            data-seq=seq.map(|s| s.to_string())
            data-status=status
            data-client-id=client_id
        >
            {author.map(|a| view! { <span class="baton-msg__author" dir="auto">{a}</span> })}
            {(!text.is_empty() || attachments.is_empty()).then(|| view! {
                <div class="baton-msg__bubble" data-testid="message-text" dir="auto">{text}</div>
            })}
            {(!attachments.is_empty()).then(|| view! {
                <div class="baton-msg__files">
                    {attachments.into_iter().map(|a| file(a, lang)).collect_view()}
                </div>
            })}
            {source.map(|(title, href)| view! {
                <a class="baton-msg__source" href=href target="_blank" rel="noopener noreferrer" data-testid="source">
                    {t.source}<bdi>{title}</bdi>
                </a>
            })}
            {replies}
            {meta}
        </div>
    }
}

/// A file of a message, at its signed address on the relay.
fn file(attachment: Attachment, lang: Lang) -> impl IntoView {
    let href = url::resolve_link(&rt().relay, &attachment.url).unwrap_or_default();
    let (src, name) = (href.clone(), attachment.name.clone());
    if attachment.is_image() {
        return view! {
            <a class="baton-file baton-file--image" href=href target="_blank" rel="noopener noreferrer" data-testid="attachment">
                <img src=src alt=name loading="lazy" />
            </a>
        }
        .into_any();
    }
    view! {
        <a class="baton-file" href=href download=name data-testid="attachment">
            {icons::paperclip()}
            <bdi class="baton-file__name">{attachment.name}</bdi>
            <span class="baton-file__size">{size_text(attachment.size, lang)}</span>
        </a>
    }
    .into_any()
}
