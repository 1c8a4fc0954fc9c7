//! Puts the theme in effect on the widget's host element: the colours as an adopted `:host`
//! sheet (`look::host_css`; the host page's own rules on `#baton-widget-host` still win), the
//! scheme and side as `data-baton-scheme` / `data-baton-position`. Constructed stylesheets are
//! CSSOM, which a strict CSP allows (no inline `style` attribute or element is written). The
//! visitor's `prefers-color-scheme` is followed live (its `change` event).

use leptos::prelude::*;
use wasm_bindgen::{closure::Closure, JsCast, JsValue};
use web_sys::{Element, ShadowRoot};

use crate::{app::Store, look};

fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn set_attribute(el: &Element, name: &str, value: Option<&str>) {
    let _ = match value {
        Some(value) => el.set_attribute(name, value),
        None => el.remove_attribute(name),
    };
}

/// `css` as the shadow root's one adopted sheet (`false` where the browser cannot).
fn adopt(root: &ShadowRoot, css: &str) -> bool {
    let Some(window) = web_sys::window() else { return false };
    let Ok(constructor) = get(&window, "CSSStyleSheet").dyn_into::<js_sys::Function>() else { return false };
    if get(root, "adoptedStyleSheets").is_undefined() {
        return false;
    }
    let Ok(sheet) = js_sys::Reflect::construct(&constructor, &js_sys::Array::new()) else { return false };
    let Ok(replace) = get(&sheet, "replaceSync").dyn_into::<js_sys::Function>() else { return false };
    if replace.call1(&sheet, &JsValue::from_str(css)).is_err() {
        return false;
    }
    js_sys::Reflect::set(root, &JsValue::from_str("adoptedStyleSheets"), &js_sys::Array::of1(&sheet)).is_ok()
}

/// Whether the visitor prefers a dark scheme, kept up to date.
fn prefers_dark() -> RwSignal<bool> {
    let dark = RwSignal::new(false);
    let query = web_sys::window()
        .and_then(|w| get(&w, "matchMedia").dyn_into::<js_sys::Function>().ok().map(|f| (w, f)))
        .and_then(|(w, f)| f.call1(&w, &JsValue::from_str("(prefers-color-scheme: dark)")).ok())
        .and_then(|q| q.dyn_into::<web_sys::EventTarget>().ok());
    if let Some(query) = query {
        dark.set(get(&query, "matches").as_bool().unwrap_or(false));
        let on_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            dark.set(get(&event, "matches").as_bool().unwrap_or(false));
        });
        let _ = query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        on_change.forget();
    }
    dark
}

/// Keeps the host element in step with the theme in effect.
pub fn drive(root: ShadowRoot, store: Store) {
    let host = root.host();
    let dark = prefers_dark();
    Effect::new(move |_| {
        let theme = store.theme();
        set_attribute(&host, "data-baton-scheme", Some(look::scheme_attribute(&theme, dark.get())));
        set_attribute(&host, "data-baton-position", look::position_attribute(&theme));
        let css = look::host_css(&theme).unwrap_or_default();
        if !adopt(&root, &css) {
            web_sys::console::warn_1(&JsValue::from_str("[baton] this browser cannot take the site's colours"));
        }
    });
}
