//! Plain elements: parts of the view that only change all at once, built with a few web-sys
//! calls through one function instead of a Leptos `view!` each. Leptos generates code per
//! element type and per attribute set (building, updating, unmounting), which made such lists
//! several KB of wasm each (issue 13's size budget); these are redrawn whole by an effect.

use web_sys::Element;

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
