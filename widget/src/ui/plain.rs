//! Plain elements: parts of the view that only change all at once, built with a few web-sys
//! calls through one function instead of a Leptos `view!` each. Leptos generates code per
//! element type and per attribute set (building, updating, unmounting), which made such lists
//! several KB of wasm each (issue 13's size budget); these are redrawn whole by an effect.

use leptos::{html, prelude::*};
use wasm_bindgen::{closure::Closure, JsCast};
use web_sys::Element;

/// The click handlers of what is drawn (dropped with it).
pub type Handlers = Vec<Closure<dyn FnMut()>>;

/// Appends `<tag name=value...>` to `parent`, with `text` as its text when given.
pub fn add(parent: &Element, tag: &str, attributes: &[(&str, &str)], text: Option<&str>) -> Option<Element> {
    let el = parent.owner_document()?.create_element(tag).ok()?;
    for (name, value) in attributes {
        let _ = el.set_attribute(name, value);
    }
    if text.is_some() {
        el.set_text_content(text);
    }
    parent.append_child(&el).ok()?;
    Some(el)
}

/// Calls `action` when `el` is clicked; the handler lives as long as `handlers` keeps it (the
/// caller drops them with what it drew).
pub fn on_click(el: &Element, handlers: &mut Handlers, action: impl FnMut() + 'static) {
    let handler = Closure::<dyn FnMut()>::new(action);
    let _ = el.add_event_listener_with_callback("click", handler.as_ref().unchecked_ref());
    handlers.push(handler);
}

/// A `<tag attributes>` line, there only while `text` gives one: created when it appears (an
/// alert is announced), its text written in place only when it changes, removed when it goes.
/// Held in a `display: contents` span so it keeps its place among its siblings.
pub fn line(
    tag: &'static str,
    attributes: &'static [(&'static str, &'static str)],
    text: impl Fn() -> Option<String> + 'static,
) -> impl IntoView {
    let holder = NodeRef::<html::Span>::new();
    Effect::new(move |shown: Option<Option<Element>>| {
        let holder = holder.get()?;
        let text = text();
        let shown = shown.flatten();
        if shown.is_none() {
            // Nothing of this line's own: clear what an earlier panel drew into the same
            // element (a panel drawn again is rebuilt in place, `ui/mod.rs`).
            holder.set_text_content(None);
        }
        let el = match (shown, &text) {
            (Some(el), None) => {
                el.remove();
                None
            }
            (None, Some(_)) => add(&holder, tag, attributes, None),
            (el, _) => el,
        };
        if let Some(el) = &el {
            if el.text_content() != text {
                el.set_text_content(text.as_deref());
            }
        }
        el
    });
    view! { <span class="baton-line-host" node_ref=holder></span> }
}

/// A `display: contents` holder of class `class` whose content `draw` draws anew whenever what it
/// reads changes; the click handlers it adds live until the next drawing.
pub fn holder(class: &'static str, draw: impl Fn(&Element, &mut Handlers) -> Option<()> + 'static) -> impl IntoView {
    let host = NodeRef::<html::Div>::new();
    Effect::new(move |_: Option<Option<Handlers>>| {
        let host = host.get()?;
        host.set_text_content(None);
        let mut handlers = Vec::new();
        draw(&host, &mut handlers)?;
        Some(handlers)
    });
    view! { <div class=class node_ref=host></div> }
}
