//! Reaching browser objects through `Reflect` (`fetch`, `XMLHttpRequest`, `File`, the clipboard's
//! and a drop's `DataTransfer`): a few generic calls instead of a web-sys feature per object,
//! which keeps the wasm small.

use wasm_bindgen::{closure::Closure, JsCast, JsValue};

/// `obj[key]`, `undefined` when absent.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value`.
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(key), value);
}

/// Calls `obj.method(args...)` and returns what it gave back.
pub fn call(obj: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let f = get(obj, method).dyn_into::<js_sys::Function>().ok()?;
    f.apply(obj, &args.iter().collect::<js_sys::Array>()).ok()
}

/// `fetch(url).then(r => r.ok ? r.text() : null).catch(() => null).then(done)`, through
/// `Reflect` (no async runtime, no web-sys feature): `done` gets the body of a successful
/// answer, `None` for anything else.
pub fn fetch_text(url: &str, done: impl FnOnce(Option<String>) + 'static) {
    let Some(window) = web_sys::window() else { return };
    let done = Closure::once_into_js(move |text: JsValue| done(text.as_string()));
    let body = Closure::once_into_js(|response: JsValue| -> JsValue {
        if get(&response, "ok").as_bool() == Some(true) {
            call(&response, "text", &[]).unwrap_or(JsValue::NULL)
        } else {
            JsValue::NULL
        }
    });
    let failed = Closure::once_into_js(|_: JsValue| JsValue::NULL);
    let promise = call(&window, "fetch", &[JsValue::from_str(url)]).unwrap_or(JsValue::NULL);
    let promise = call(&promise, "then", &[body]).unwrap_or(JsValue::NULL);
    let promise = call(&promise, "catch", &[failed]).unwrap_or(JsValue::NULL);
    let _ = call(&promise, "then", &[done]);
}
